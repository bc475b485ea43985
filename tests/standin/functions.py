"""eval values and functions, with Splunk's documented null rules
(`../shared/reference/spl-semantics.md`, Search Reference *eval* and *Evaluation functions*).

Values: None is null; a field's value is a str, an int/float (computed by eval), or a list of
str (a multivalue field, two values or more); booleans exist only inside expressions (a field
cannot hold one: eval refuses, as Splunk does).
"""
import calendar
import datetime
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import regex

from tests.standin.spl import SplError

Scalar = Union[str, int, float]
Value = Union[None, Scalar, List[str]]

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


# ---------------------------------------------------------------------------------------------
# Semantics the documentation leaves unsure: each is a parameter, and the app's searches run
# under every choice (tests/spl/test_detections.py).

@dataclass(frozen=True)
class Semantics:
    """Splunk's behaviour where its documentation is silent (each named in spl-semantics.md or
    the SPL review as unsure)."""

    # An empty cell in a chunked command's output: null in later commands, or an empty string.
    empty_command_output: str = "null"  # null | empty
    # Several lookup rows matched and one has an empty cell in an output column: the empty value
    # dropped from that column's multivalue, or kept as "".
    lookup_empty_cells: str = "drop"  # drop | keep
    # OUTPUT when no row matches: the event's field of that name cleared, or kept.
    lookup_output_nomatch: str = "clear"  # clear | keep
    # rex on a value it does not match: a field of the same name that existed keeps its value,
    # or is cleared.
    rex_nomatch: str = "keep"  # keep | clear
    # `regex f!="re"` on a result without f: kept or removed.
    regex_ne_missing: str = "keep"  # keep | drop
    # mvdedup: keeps first-seen order, or sorts.
    mvdedup_order: str = "first_seen"  # first_seen | sorted
    # strptime on a value with text after what the format reads: parsed, or null.
    strptime_trailing: str = "ignore"  # ignore | reject
    # `savedsearch` on a `$name$` placeholder it has no value for: left as text, or an error.
    savedsearch_unfilled: str = "keep"  # keep | error

    @staticmethod
    def choices() -> Dict[str, tuple]:
        return {
            "empty_command_output": ("null", "empty"),
            "lookup_empty_cells": ("drop", "keep"),
            "lookup_output_nomatch": ("clear", "keep"),
            "rex_nomatch": ("keep", "clear"),
            "regex_ne_missing": ("keep", "drop"),
            "mvdedup_order": ("first_seen", "sorted"),
            "strptime_trailing": ("ignore", "reject"),
            "savedsearch_unfilled": ("keep", "error"),
        }


DEFAULT_SEMANTICS = Semantics()


# ---------------------------------------------------------------------------------------------
# Conversions

def as_number(value: Any) -> Optional[Union[int, float]]:
    """A value that reads as a number, as a number; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            return None if math.isnan(number) else number
    return None


def to_text(value: Any) -> str:
    """A scalar as Splunk writes it into a result."""
    if isinstance(value, bool):
        raise SplError("a field cannot hold a boolean")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def values_of(value: Value) -> List[str]:
    """A field's values as strings: [] for null, one for a single value."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [to_text(value)]


def multivalue(items: Sequence[Any]) -> Value:
    """A list of values as a field value: null when empty, the value itself when one."""
    texts = [to_text(i) for i in items if i is not None]
    if not texts:
        return None
    return texts[0] if len(texts) == 1 else texts


def _scalar(value: Value, function: str) -> Optional[Scalar]:
    if isinstance(value, list):
        raise SplError("%s() on a multivalue field: not modelled by the stand-in" % function)
    return value


# ---------------------------------------------------------------------------------------------
# Regular expressions: PCRE in Splunk, the `regex` module here (named groups `(?<name>...)`,
# possessive quantifiers and the rest of PCRE's syntax).

_REGEX_CACHE: Dict[str, Any] = {}


def compile_regex(pattern: str) -> Any:
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        try:
            compiled = regex.compile(pattern, regex.VERSION0)
        except regex.error as error:
            raise SplError("invalid regular expression %r: %s" % (pattern, error)) from None
        _REGEX_CACHE[pattern] = compiled
    return compiled


# ---------------------------------------------------------------------------------------------
# Time: strptime/strftime in the search's time zone; %z is +hhmm only [Date and time format
# variables].

_STRPTIME_PIECES = {
    "Y": r"(?P<Y>\d{4})", "m": r"(?P<m>\d{1,2})", "d": r"(?P<d>\d{1,2})", "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{1,2})", "S": r"(?P<S>\d{1,2})", "z": r"(?P<z>[+-]\d{4})", "s": r"(?P<s>\d+)",
    "T": r"(?P<H>\d{1,2}):(?P<M>\d{1,2}):(?P<S>\d{1,2})", "F": r"(?P<Y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    "%": "%",
}


def _strptime_pattern(fmt: str) -> "re.Pattern[str]":
    out = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char == "%" and index + 1 < len(fmt):
            directive = fmt[index + 1]
            if directive not in _STRPTIME_PIECES:
                raise SplError("strptime: format directive %%%s not modelled by the stand-in" % directive)
            out.append(_STRPTIME_PIECES[directive])
            index += 2
        else:
            out.append(re.escape(char))
            index += 1
    return re.compile("".join(out))


def strptime(text: str, fmt: str, zone: datetime.tzinfo, semantics: Semantics) -> Optional[float]:
    pattern = _strptime_pattern(fmt)
    match = pattern.fullmatch(text) if semantics.strptime_trailing == "reject" else pattern.match(text)
    if not match:
        return None
    parts = match.groupdict()
    if parts.get("s") is not None:
        return float(parts["s"])
    try:
        moment = datetime.datetime(int(parts.get("Y") or 1970), int(parts.get("m") or 1), int(parts.get("d") or 1),
                                   int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0))
    except ValueError:
        return None
    if parts.get("z"):
        sign = 1 if parts["z"][0] == "+" else -1
        offset = sign * (int(parts["z"][1:3]) * 3600 + int(parts["z"][3:5]) * 60)
        return float(calendar.timegm(moment.timetuple()) - offset)
    return moment.replace(tzinfo=zone).timestamp()


def strftime(epoch: float, fmt: str, zone: datetime.tzinfo) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=zone)
    fmt = re.sub(r"%(\d)N", lambda m: ("%06d" % moment.microsecond)[:int(m.group(1))], fmt)
    return moment.strftime(fmt)


_RELATIVE = re.compile(r"(?:([+-])(\d*)(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|"
                       r"d|day|days|w|week|weeks|mon|month|months|y|yr|yrs|year|years))?(?:@(s|m|h|d|w\d?|mon|y))?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _unit(name: str) -> str:
    if name.startswith("mon"):
        return "mon"
    if name in ("m", "min", "mins", "minute", "minutes"):
        return "m"
    return name[0]


def relative_time(epoch: float, modifier: str, zone: datetime.tzinfo) -> Optional[float]:
    """relative_time(t, "-25m@m"): an offset, then snapping to a unit, in the search's zone."""
    modifier = modifier.strip()
    if modifier == "now":
        return epoch
    match = _RELATIVE.fullmatch(modifier)
    if not match or not modifier:
        return None
    sign, amount, unit, snap = match.groups()
    moment = datetime.datetime.fromtimestamp(epoch, tz=zone)
    if unit:
        count = int(amount or 1) * (1 if sign == "+" else -1)
        name = _unit(unit)
        if name in _UNIT_SECONDS:
            moment = moment + datetime.timedelta(seconds=count * _UNIT_SECONDS[name])
        elif name in ("d", "w"):
            # calendar days: the wall clock keeps its time across a DST change
            naive = moment.replace(tzinfo=None) + datetime.timedelta(days=count * (7 if name == "w" else 1))
            moment = naive.replace(tzinfo=zone)
        elif name == "mon":
            month = moment.month - 1 + count
            moment = moment.replace(year=moment.year + month // 12, month=month % 12 + 1)
        elif name == "y":
            moment = moment.replace(year=moment.year + count)
    if snap:
        naive = moment.replace(tzinfo=None)
        if snap == "s":
            naive = naive.replace(microsecond=0)
        elif snap == "m":
            naive = naive.replace(second=0, microsecond=0)
        elif snap == "h":
            naive = naive.replace(minute=0, second=0, microsecond=0)
        elif snap == "d":
            naive = naive.replace(hour=0, minute=0, second=0, microsecond=0)
        elif snap.startswith("w"):
            day = int(snap[1:] or 0)
            naive = naive.replace(hour=0, minute=0, second=0, microsecond=0)
            naive -= datetime.timedelta(days=(naive.isoweekday() % 7 - day) % 7)
        elif snap == "mon":
            naive = naive.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        elif snap == "y":
            naive = naive.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        moment = naive.replace(tzinfo=zone)
    return moment.timestamp()


# ---------------------------------------------------------------------------------------------
# Functions. Each takes the evaluator's context and the argument nodes (so that if/case/coalesce
# evaluate lazily, and mvmap can bind its field).

FunctionImpl = Callable[[Any, Sequence[Any]], Any]
FUNCTIONS: Dict[str, FunctionImpl] = {}


def function(name: str, arity: Optional[Sequence[int]] = None):
    def register(impl: FunctionImpl) -> FunctionImpl:
        def checked(context, args):
            if arity is not None and len(args) not in arity:
                raise SplError("%s() takes %s argument(s), got %d" % (name, " or ".join(map(str, arity)), len(args)))
            return impl(context, args)
        FUNCTIONS[name] = checked
        return impl
    return register


def _text_or_none(value: Any, name: str) -> Optional[str]:
    value = _scalar(value, name)
    return None if value is None else to_text(value)


@function("coalesce")
def _coalesce(ctx, args):
    for arg in args:
        value = ctx.eval(arg)
        if value is not None:
            return value
    return None


@function("if", (3,))
def _if(ctx, args):
    return ctx.eval(args[1]) if ctx.truth(ctx.eval(args[0])) is True else ctx.eval(args[2])


@function("case")
def _case(ctx, args):
    if len(args) % 2:
        raise SplError("case() takes pairs of arguments")
    for index in range(0, len(args), 2):
        if ctx.truth(ctx.eval(args[index])) is True:
            return ctx.eval(args[index + 1])
    return None


@function("isnull", (1,))
def _isnull(ctx, args):
    return ctx.eval(args[0]) is None


@function("isnotnull", (1,))
def _isnotnull(ctx, args):
    return ctx.eval(args[0]) is not None


@function("null", (0,))
def _null(ctx, args):
    return None


@function("true", (0,))
def _true(ctx, args):
    return True


@function("false", (0,))
def _false(ctx, args):
    return False


@function("nullif", (2,))
def _nullif(ctx, args):
    first, second = ctx.eval(args[0]), ctx.eval(args[1])
    return None if first is not None and ctx.equal(first, second) else first


@function("in")
def _in(ctx, args):
    if len(args) < 2:
        raise SplError("in() takes a field and at least one value")
    value = ctx.eval(args[0])
    if value is None:
        return False
    candidates = [ctx.eval(a) for a in args[1:]]
    return any(ctx.equal(value, c) for c in candidates if c is not None)


@function("match", (2,))
def _match(ctx, args):
    subject = _text_or_none(ctx.eval(args[0]), "match")
    pattern = ctx.eval(args[1])
    if subject is None or pattern is None:
        return None
    return compile_regex(to_text(pattern)).search(subject) is not None


def _map_text(value: Value, transform: Callable[[str], Optional[str]]) -> Value:
    """A string function over a field: each value of a multivalue field (the stand-in's choice
    for lower/upper/trim/replace, which Splunk applies value by value)."""
    if value is None:
        return None
    if isinstance(value, list):
        return multivalue([transform(v) for v in value])
    return transform(to_text(value))


@function("replace", (3,))
def _replace(ctx, args):
    pattern, replacement = ctx.eval(args[1]), ctx.eval(args[2])
    if pattern is None or replacement is None:
        return None
    compiled = compile_regex(to_text(pattern))
    # PCRE's \1 back-references; a literal backslash is written \\ in the replacement.
    template = to_text(replacement)
    return _map_text(ctx.eval(args[0]), lambda text: compiled.sub(lambda m: expand_backreferences(m, template), text))


def expand_backreferences(match, template: str) -> str:
    """A replacement with PCRE's `\\1` back-references filled from `match` (eval's replace, rex's
    sed mode); any other escaped character stands for itself."""
    out = []
    index = 0
    while index < len(template):
        char = template[index]
        if char == "\\" and index + 1 < len(template):
            nxt = template[index + 1]
            if nxt.isdigit():
                out.append(match.group(int(nxt)) or "")
            else:
                out.append(nxt)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


@function("lower", (1,))
def _lower(ctx, args):
    return _map_text(ctx.eval(args[0]), str.lower)


@function("upper", (1,))
def _upper(ctx, args):
    return _map_text(ctx.eval(args[0]), str.upper)


def _trim_chars(ctx, args) -> Optional[str]:
    if len(args) == 2:
        chars = ctx.eval(args[1])
        return None if chars is None else to_text(chars)
    return " \t\n\r"


@function("trim", (1, 2))
def _trim(ctx, args):
    chars = _trim_chars(ctx, args)
    return _map_text(ctx.eval(args[0]), lambda t: t.strip(chars))


@function("ltrim", (1, 2))
def _ltrim(ctx, args):
    chars = _trim_chars(ctx, args)
    return _map_text(ctx.eval(args[0]), lambda t: t.lstrip(chars))


@function("rtrim", (1, 2))
def _rtrim(ctx, args):
    chars = _trim_chars(ctx, args)
    return _map_text(ctx.eval(args[0]), lambda t: t.rstrip(chars))


@function("len", (1,))
def _len(ctx, args):
    text = _text_or_none(ctx.eval(args[0]), "len")
    return None if text is None else len(text)


@function("substr", (2, 3))
def _substr(ctx, args):
    text = _text_or_none(ctx.eval(args[0]), "substr")
    start = as_number(ctx.eval(args[1]))
    if text is None or start is None:
        return None
    begin = int(start) - 1 if start > 0 else len(text) + int(start)
    if len(args) == 3:
        length = as_number(ctx.eval(args[2]))
        return None if length is None else text[max(begin, 0):max(begin, 0) + int(length)]
    return text[max(begin, 0):]


@function("tostring", (1, 2))
def _tostring(ctx, args):
    value = ctx.eval(args[0])
    if len(args) == 2:
        raise SplError("tostring() with a format: not modelled by the stand-in")
    if isinstance(value, bool):
        return "True" if value else "False"
    return None if value is None else _map_text(value, lambda t: t)


@function("tonumber", (1, 2))
def _tonumber(ctx, args):
    value = _scalar(ctx.eval(args[0]), "tonumber")
    if len(args) == 2:
        base = as_number(ctx.eval(args[1]))
        try:
            return int(to_text(value), int(base or 10))
        except (TypeError, ValueError):
            return None
    return as_number(value)


@function("round", (1, 2))
def _round(ctx, args):
    number = as_number(_scalar(ctx.eval(args[0]), "round"))
    digits = int(as_number(ctx.eval(args[1])) or 0) if len(args) == 2 else 0
    if number is None:
        return None
    result = round(number, digits)
    return int(result) if digits == 0 else result


@function("abs", (1,))
def _abs(ctx, args):
    number = as_number(_scalar(ctx.eval(args[0]), "abs"))
    return None if number is None else abs(number)


@function("split", (2,))
def _split(ctx, args):
    text = _text_or_none(ctx.eval(args[0]), "split")
    delimiter = ctx.eval(args[1])
    if text is None or delimiter is None:
        return None
    delimiter = to_text(delimiter)
    pieces = list(text) if delimiter == "" else text.split(delimiter)
    return pieces[0] if len(pieces) == 1 else pieces


@function("mvcount", (1,))
def _mvcount(ctx, args):
    value = ctx.eval(args[0])
    return None if value is None else len(values_of(value))


@function("mvindex", (2, 3))
def _mvindex(ctx, args):
    items = values_of(ctx.eval(args[0]))
    start = as_number(ctx.eval(args[1]))
    if not items or start is None:
        return None
    start = int(start)
    if start < 0:
        start += len(items)
    if len(args) == 2:
        return items[start] if 0 <= start < len(items) else None
    end = as_number(ctx.eval(args[2]))
    if end is None:
        return None
    end = int(end)
    if end < 0:
        end += len(items)
    if start < 0 or start >= len(items) or end < start:
        return None
    return multivalue(items[start:end + 1])


@function("mvfind", (2,))
def _mvfind(ctx, args):
    items = values_of(ctx.eval(args[0]))
    pattern = ctx.eval(args[1])
    if not items or pattern is None:
        return None
    compiled = compile_regex(to_text(pattern))
    for index, item in enumerate(items):
        if compiled.search(item):
            return index
    return None


@function("mvappend")
def _mvappend(ctx, args):
    items: List[str] = []
    for arg in args:
        items.extend(values_of(ctx.eval(arg)))  # a null argument adds nothing
    return multivalue(items)


@function("mvdedup", (1,))
def _mvdedup(ctx, args):
    items = values_of(ctx.eval(args[0]))
    if ctx.semantics.mvdedup_order == "sorted":
        return multivalue(sorted(set(items)))
    seen: List[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return multivalue(seen)


@function("mvjoin", (2,))
def _mvjoin(ctx, args):
    items = values_of(ctx.eval(args[0]))
    delimiter = ctx.eval(args[1])
    if not items or delimiter is None:
        return None
    return to_text(delimiter).join(items)


@function("mvzip", (2, 3))
def _mvzip(ctx, args):
    first, second = values_of(ctx.eval(args[0])), values_of(ctx.eval(args[1]))
    delimiter = to_text(ctx.eval(args[2])) if len(args) == 3 else ","
    if not first or not second:
        return None
    return multivalue([a + delimiter + b for a, b in zip(first, second)])


@function("mvmap", (2,))
def _mvmap(ctx, args):
    from tests.standin.spl import FieldRef

    if not isinstance(args[0], FieldRef):
        raise SplError("mvmap(): the first argument must name a field (the stand-in binds it value by value)")
    name = args[0].name
    items = values_of(ctx.eval(args[0]))
    if not items:
        return None
    results = []
    for item in items:
        value = ctx.with_binding(name, item).eval(args[1])
        results.extend(values_of(value) if value is not None else [])
    return multivalue(results)


@function("cidrmatch", (2,))
def _cidrmatch(ctx, args):
    cidr = ctx.eval(args[0])
    address = _scalar(ctx.eval(args[1]), "cidrmatch")
    if cidr is None or address is None:
        return False
    try:
        network = ipaddress.ip_network(to_text(cidr), strict=False)
        return ipaddress.ip_address(to_text(address).strip()) in network
    except ValueError:
        return False


@function("now", (0,))
def _now(ctx, args):
    return ctx.now


@function("time", (0,))
def _time(ctx, args):
    return ctx.now


@function("strptime", (2,))
def _strptime(ctx, args):
    text = _text_or_none(ctx.eval(args[0]), "strptime")
    fmt = ctx.eval(args[1])
    if text is None or fmt is None:
        return None
    return strptime(text, to_text(fmt), ctx.zone, ctx.semantics)


@function("strftime", (2,))
def _strftime(ctx, args):
    number = as_number(_scalar(ctx.eval(args[0]), "strftime"))
    fmt = ctx.eval(args[1])
    if number is None or fmt is None:
        return None
    return strftime(float(number), to_text(fmt), ctx.zone)


@function("relative_time", (2,))
def _relative_time(ctx, args):
    number = as_number(_scalar(ctx.eval(args[0]), "relative_time"))
    modifier = ctx.eval(args[1])
    if number is None or modifier is None:
        return None
    return relative_time(float(number), to_text(modifier), ctx.zone)
