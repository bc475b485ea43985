"""Runs a parsed search over events, command by command, with Splunk's documented semantics
(`../shared/reference/spl-semantics.md`); the app's custom commands run from the built app through
the protocol harness (`tests/harness.py`), narrowed to their required_fields and merged back.

Every result row carries, outside its fields, the input events it came from: the event itself
through streaming commands and eventstats, the group's events through stats.
"""
import datetime
import fnmatch
import functools
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple
from zoneinfo import ZoneInfo

from tests.standin import segmenters
from tests.standin.functions import (
    DEFAULT_SEMANTICS,
    FUNCTIONS,
    Semantics,
    Value,
    as_number,
    compile_regex,
    expand_backreferences,
    multivalue,
    relative_time,
    to_text,
    values_of,
)
from tests.standin.spl import (
    BinaryOp,
    Call,
    Command,
    FieldRef,
    Literal,
    Node,
    Pipeline,
    SearchAnd,
    SearchCompare,
    SearchIn,
    SearchNot,
    SearchOr,
    SearchTerm,
    SplError,
    UnaryOp,
)

EventKey = Tuple[str, str, str]
METADATA_FIELDS = ("host", "source", "sourcetype", "index", "_sourcetype", "splunk_server")


@dataclass
class Row:
    """One result: its fields (what the SPL sees) and the events it came from (what it does not)."""

    fields: Dict[str, Value]
    events: FrozenSet[EventKey] = frozenset()
    tokens: Optional[FrozenSet[str]] = None  # the event's index tokens (base search only)


@dataclass
class ScanFigures:
    """What the Job Inspector shows for a search: events the index let through (scanCount), events
    the base search matched (eventCount), rows returned."""

    scanned: int = 0
    matched: int = 0
    rows: int = 0
    matched_events: Set[EventKey] = field(default_factory=set, repr=False)


# ---------------------------------------------------------------------------------------------
# eval expressions

class ExprContext:
    """One row's view for eval: its fields, and the search's clock, zone and semantics."""

    def __init__(self, fields: Mapping[str, Value], search: "Search", bindings: Optional[Dict[str, Value]] = None):
        self.fields = fields
        self.search = search
        self.bindings = bindings or {}

    @property
    def semantics(self) -> Semantics:
        return self.search.semantics

    @property
    def now(self) -> float:
        return self.search.now

    @property
    def zone(self) -> datetime.tzinfo:
        return self.search.zone

    def with_binding(self, name: str, value: Value) -> "ExprContext":
        return ExprContext(self.fields, self.search, {**self.bindings, name: value})

    def field(self, name: str) -> Value:
        if name in self.bindings:
            return self.bindings[name]
        value = self.fields.get(name)
        return None if value is None else value

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, FieldRef):
            return self.field(node.name)
        if isinstance(node, Call):
            impl = FUNCTIONS.get(node.name)
            if impl is None:
                raise SplError("eval function %s() is not implemented by the stand-in" % node.name, node.position)
            try:
                return impl(self, node.args)
            except SplError as error:
                if error.position is None:
                    raise SplError(str(error), node.position) from None
                raise
        if isinstance(node, UnaryOp):
            value = self.eval(node.operand)
            if node.operator == "NOT":
                truth = self.truth(value)
                return None if truth is None else not truth
            number = as_number(value)
            return None if number is None else -number
        if isinstance(node, BinaryOp):
            return self.binary(node)
        raise SplError("not an eval expression: %s" % type(node).__name__, node.position)

    def truth(self, value: Any) -> Optional[bool]:
        """A condition's value: True, False, or None (null, which is not true)."""
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        raise SplError("a condition must be a boolean expression, got the value %r" % (value,))

    def binary(self, node: BinaryOp) -> Any:
        symbol = node.operator
        if symbol in ("AND", "OR", "XOR"):
            left = self.truth(self.eval(node.left))
            if symbol == "AND" and left is False:
                return False
            if symbol == "OR" and left is True:
                return True
            right = self.truth(self.eval(node.right))
            if symbol == "AND":
                return False if right is False else (None if left is None or right is None else True)
            if symbol == "OR":
                return True if right is True else (None if left is None or right is None else False)
            return None if left is None or right is None else left != right
        left, right = self.eval(node.left), self.eval(node.right)
        if left is None or right is None:
            return None  # null propagates through operators and comparisons
        if symbol in ("=", "=="):
            return self.equal(left, right)
        if symbol == "!=":
            return not self.equal(left, right)
        if symbol in ("<", ">", "<=", ">="):
            return self.order(left, right, symbol)
        if symbol == "LIKE":
            pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in to_text(right))
            return any(re.fullmatch(pattern, v, re.S) for v in values_of(left))
        if symbol == ".":
            return self._concat(left, right)
        if isinstance(left, list) or isinstance(right, list):
            raise SplError("arithmetic on a multivalue field: not modelled by the stand-in", node.position)
        a, b = as_number(left), as_number(right)
        if symbol == "+" and (a is None or b is None):
            return to_text(left) + to_text(right)  # + concatenates strings
        if a is None or b is None:
            return None
        if symbol == "+":
            return a + b
        if symbol == "-":
            return a - b
        if symbol == "*":
            return a * b
        if symbol == "/":
            return None if b == 0 else (a / b)
        if symbol == "%":
            return None if b == 0 else a % b
        raise SplError("operator %s is not implemented by the stand-in" % symbol, node.position)

    @staticmethod
    def _concat(left: Any, right: Any) -> Any:
        if isinstance(left, list) or isinstance(right, list):
            raise SplError("`.` on a multivalue field: not modelled by the stand-in")
        return to_text(left) + to_text(right)

    def equal(self, left: Any, right: Any) -> bool:
        """eval's `=`: numbers compare as numbers, strings exactly (case-sensitive); a multivalue
        field equals a value when any of its values does."""
        for item in (left if isinstance(left, list) else [left]):
            a, b = as_number(item), as_number(right)
            if a is not None and b is not None:
                if a == b:
                    return True
            elif to_text(item) == to_text(right):
                return True
        return False

    def order(self, left: Any, right: Any, comparison: str) -> bool:
        return any(ordered(item, right, comparison, fold_case=False)
                   for item in (left if isinstance(left, list) else [left]))


_ORDERINGS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def ordered(left: Any, right: Any, comparison: str, fold_case: bool) -> bool:
    """`<` `>` `<=` `>=` as Splunk compares two values: as numbers when both read as numbers,
    else as strings (case-folded in `search`, where values ignore case; exact in eval)."""
    a, b = as_number(left), as_number(right)
    if a is None or b is None:
        a, b = to_text(left), to_text(right)
        if fold_case:
            a, b = a.lower(), b.lower()
    return _ORDERINGS[comparison](a, b)


# ---------------------------------------------------------------------------------------------
# The search command

def _wildcard_regex(value: str) -> "re.Pattern[str]":
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in value), re.IGNORECASE | re.DOTALL)


_WILDCARDS: Dict[str, "re.Pattern[str]"] = {}


def value_matches(pattern: str, value: str) -> bool:
    """`field=value` in search: case-insensitive, `*` a wildcard anywhere (a backslash cannot
    escape it)."""
    compiled = _WILDCARDS.get(pattern)
    if compiled is None:
        compiled = _WILDCARDS[pattern] = _wildcard_regex(pattern)
    return compiled.fullmatch(value) is not None


def _search_compare(node: SearchCompare, fields: Mapping[str, Value]) -> bool:
    items = values_of(fields.get(node.field))
    if node.operator == "=":
        if node.value == "*":
            return bool(items)
        return any(value_matches(node.value, v) for v in items)
    if node.operator == "!=":
        # needs the field to exist [Search Manual]; NOT field=value also keeps events without it
        return bool(items) and not any(value_matches(node.value, v) for v in items)
    return any(ordered(item, node.value, node.operator, fold_case=True) for item in items)


def search_matches(node: Optional[Node], row: Row) -> bool:
    """Whether the search expression keeps the row (step two: the whole expression on the event)."""
    if node is None:
        return True
    if isinstance(node, SearchAnd):
        return all(search_matches(item, row) for item in node.items)
    if isinstance(node, SearchOr):
        return any(search_matches(item, row) for item in node.items)
    if isinstance(node, SearchNot):
        return not search_matches(node.item, row)
    if isinstance(node, SearchCompare):
        return _search_compare(node, row.fields)
    if isinstance(node, SearchIn):
        return any(_search_compare(SearchCompare(node.position, node.field, "=", value, quoted), row.fields)
                   for value, quoted in node.values)
    if isinstance(node, SearchTerm):
        if node.text == "*":
            return True
        raw = row.fields.get("_raw")
        if raw is not None:
            return any(segmenters.raw_matches(node.text, v) for v in values_of(raw))
        # a result without _raw (after a transforming command): the term against any field value
        return any(segmenters.raw_matches(node.text, v) for value in row.fields.values() for v in values_of(value))
    raise SplError("not a search expression: %s" % type(node).__name__, node.position)


def index_admits(node: Optional[Node], row: Row) -> bool:
    """Whether the index lets the event through (step one, the lispy expression): terms and
    field values by their tokens, indexed fields (host, source, sourcetype, index) by value;
    what the index cannot narrow (NOT, !=, comparisons, leading wildcards) lets everything
    through."""
    if node is None or row.tokens is None:
        return True
    tokens = row.tokens
    if isinstance(node, SearchAnd):
        return all(index_admits(item, row) for item in node.items)
    if isinstance(node, SearchOr):
        return any(index_admits(item, row) for item in node.items)
    if isinstance(node, SearchNot):
        return True
    if isinstance(node, SearchTerm):
        return segmenters.index_admits(node.text, tokens)
    if isinstance(node, SearchCompare):
        if node.operator != "=" or node.value == "*":
            return True
        if node.field in METADATA_FIELDS:
            return _search_compare(node, row.fields)
        return segmenters.index_admits(node.value, tokens)
    if isinstance(node, SearchIn):
        return any(index_admits(SearchCompare(node.position, node.field, "=", value, quoted), row)
                   for value, quoted in node.values)
    return True


# ---------------------------------------------------------------------------------------------
# The search: commands over rows

class Search:
    """One run of one search."""

    def __init__(self, splunk: "Splunk", pipeline: Pipeline) -> None:
        self.splunk = splunk
        self.pipeline = pipeline
        self.semantics = splunk.semantics
        self.now = splunk.now
        self.zone = splunk.zone
        self.scan = ScanFigures()

    def context(self, row: Row) -> ExprContext:
        return ExprContext(row.fields, self)

    def run(self, events: Sequence[Any]) -> List[Row]:
        commands = list(self.pipeline.commands)
        rows: List[Row] = []
        if commands and commands[0].mode == "head":
            rows = self.base_search(commands.pop(0), events)
        for command in commands:
            handler = getattr(self, "cmd_" + command.name, None)
            if handler is None:
                if command.name in self.splunk.custom_commands:
                    rows = self.custom_command(command, rows)
                    continue
                raise SplError("command %r is not implemented by the stand-in" % command.name, command.position)
            rows = handler(command, rows)
        self.scan.rows = len(rows)
        return rows

    # --- generating and base search
    def base_search(self, command: Command, events: Sequence[Any]) -> List[Row]:
        rows = []
        earliest, latest = self.splunk.earliest, self.splunk.latest
        for event in events:
            fields = event.fields
            if earliest is not None or latest is not None:
                moment = as_number(fields.get("_time"))
                if moment is None or (earliest is not None and moment < earliest) or (
                        latest is not None and moment >= latest):
                    continue
            row = Row(dict(fields), frozenset([event.key]), self.splunk.tokens_of(event))
            if not index_admits(command.search, row):
                continue
            self.scan.scanned += 1
            if search_matches(command.search, row):
                self.scan.matched += 1
                self.scan.matched_events.add(event.key)
                row.tokens = None
                rows.append(row)
        return rows

    def cmd_search(self, command: Command, rows: List[Row]) -> List[Row]:
        return [row for row in rows if search_matches(command.search, row)]

    def cmd_makeresults(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("count",))
        count = int(command.option("count", "1"))
        return [Row({"_time": int(self.now)}) for _ in range(count)]

    def cmd_savedsearch(self, command: Command, rows: List[Row]) -> List[Row]:
        text = self.splunk.saved_search_text(command.lookup)
        if command.option("nosubstitution", "false").lower() not in ("true", "t", "1"):
            # `<field>=<string>` replaces `$field$` in the saved search [Search Reference, savedsearch]
            for key, value in command.options:
                if key != "nosubstitution":
                    text = text.replace("$%s$" % key, value)
            placeholders = re.findall(r"\$([A-Za-z0-9_.:]+)\$", text)
            if placeholders and self.semantics.savedsearch_unfilled == "error":
                raise SplError("savedsearch: no value for $%s$" % placeholders[0], command.position)
        inner = Search(self.splunk, self.splunk.parse(text))
        result = inner.run(self.splunk.events)
        self.scan = inner.scan
        return result

    # --- streaming
    def cmd_eval(self, command: Command, rows: List[Row]) -> List[Row]:
        for row in rows:
            for name, expression in command.assignments:
                # left to right: later assignments see earlier ones
                value = self.context(row).eval(expression)
                if isinstance(value, bool):
                    raise SplError("eval %s: a field cannot hold a boolean" % name, expression.position)
                if value is None:
                    row.fields.pop(name, None)  # assigning null removes the field
                else:
                    row.fields[name] = value
        return rows

    def cmd_where(self, command: Command, rows: List[Row]) -> List[Row]:
        # only a true condition keeps the row: null is not true
        return [row for row in rows if self.holds(command.condition, row)]

    def holds(self, condition: Node, row: Row) -> bool:
        context = self.context(row)
        return context.truth(context.eval(condition)) is True

    def cmd_rex(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("field", "mode", "max_match"))
        name = command.option("field", "_raw")
        if command.option("mode") == "sed":
            return self._rex_sed(command, name, rows)
        if command.option("max_match", "1") != "1":
            raise SplError("rex max_match other than 1: not modelled by the stand-in", command.position)
        compiled = compile_regex(command.pattern)
        groups = [g for g in compiled.groupindex]
        for row in rows:
            items = values_of(row.fields.get(name))
            match = compiled.search(items[0]) if items else None
            for group in groups:
                value = match.group(group) if match else None
                if value is not None:
                    row.fields[group] = value
                elif match is not None or self.semantics.rex_nomatch == "clear":
                    row.fields.pop(group, None)
        return rows

    def _rex_sed(self, command: Command, name: str, rows: List[Row]) -> List[Row]:
        parts = re.fullmatch(r"s/((?:\\.|[^/\\])*)/((?:\\.|[^/\\])*)/([gi0-9]*)", command.pattern, re.S)
        if not parts:
            raise SplError("rex mode=sed: only s/regex/replacement/flags is modelled", command.position)
        pattern, replacement, flags = parts.groups()
        compiled = compile_regex(("(?i)" if "i" in flags else "") + pattern)
        count = 0 if "g" in flags else 1
        for row in rows:
            value = row.fields.get(name)
            if value is None:
                continue
            row.fields[name] = multivalue([compiled.sub(lambda m: expand_backreferences(m, replacement), v, count=count)
                                           for v in values_of(value)])
        return rows

    def cmd_regex(self, command: Command, rows: List[Row]) -> List[Row]:
        compiled = compile_regex(command.pattern)
        name = command.fields[0]
        kept = []
        for row in rows:
            items = values_of(row.fields.get(name))
            if not items:
                # results without the field are removed by `regex f="re"` [regex]
                if command.mode == "!=" and self.semantics.regex_ne_missing == "keep":
                    kept.append(row)
                continue
            found = any(compiled.search(v) for v in items)
            if found == (command.mode == "="):
                kept.append(row)
        return kept

    def cmd_lookup(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ())
        table = self.splunk.lookup_table(command.lookup, command.position)
        outputs = list(command.outputs)
        if command.mode == "OUTPUT_ALL":
            inputs_used = {column for column, _f in command.inputs}
            outputs = [(c, c) for c in table.columns if c not in inputs_used]
        for row in rows:
            inputs = {}
            for column, name in command.inputs:
                value = row.fields.get(name)
                if isinstance(value, list):
                    raise SplError("lookup on a multivalue input field: not modelled by the stand-in", command.position)
                inputs[column] = None if value is None else to_text(value)
            matched = [] if any(v is None for v in inputs.values()) else self._match(table, inputs, command)
            for column, name in outputs:
                if command.mode == "OUTPUTNEW" and row.fields.get(name) is not None:
                    continue
                cells = [r.get(column, "") for r in matched]
                if self.semantics.lookup_empty_cells == "drop":
                    cells = [c for c in cells if c != ""]
                if not matched:
                    if self.semantics.lookup_output_nomatch == "clear" or command.mode == "OUTPUTNEW":
                        row.fields.pop(name, None)
                    continue
                value = multivalue(cells) if cells else None
                if value is None:
                    row.fields.pop(name, None)
                else:
                    row.fields[name] = value
        return rows

    def _match(self, table, inputs, command):
        try:
            return table.match(inputs)
        except LookupError as error:
            raise SplError("Error in 'lookup' command: %s" % error, command.position) from None

    def cmd_fillnull(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("value",))
        value = command.option("value", "0")
        names = list(command.fields) or sorted({n for row in rows for n in row.fields})
        for row in rows:
            for name in names:
                if row.fields.get(name) is None:
                    row.fields[name] = value
        return rows

    def cmd_rename(self, command: Command, rows: List[Row]) -> List[Row]:
        for row in rows:
            for old, new in command.outputs:
                if "*" in old or "*" in new:
                    raise SplError("rename with wildcards: not modelled by the stand-in", command.position)
                if old in row.fields:
                    row.fields[new] = row.fields.pop(old)
                else:
                    row.fields.pop(new, None)
        return rows

    def cmd_fields(self, command: Command, rows: List[Row]) -> List[Row]:
        for row in rows:
            if command.mode == "-":
                for name in list(row.fields):
                    if any(fnmatch.fnmatchcase(name, p) for p in command.fields):
                        del row.fields[name]
            else:
                # in the order given (internal fields kept, after them)
                kept = {n: row.fields[n] for p in command.fields for n in row.fields
                        if fnmatch.fnmatchcase(n, p)}
                kept.update((n, v) for n, v in row.fields.items() if n.startswith("_"))
                row.fields = kept
        return rows

    def cmd_table(self, command: Command, rows: List[Row]) -> List[Row]:
        for row in rows:
            kept: Dict[str, Value] = {}
            for pattern in command.fields:
                for name, value in row.fields.items():
                    if name not in kept and fnmatch.fnmatchcase(name, pattern):
                        kept[name] = value
            row.fields = kept
        return rows

    def cmd_mvexpand(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("limit",))
        name = command.fields[0]
        out = []
        for row in rows:
            items = values_of(row.fields.get(name))
            if not items:
                continue
            for item in items:
                out.append(Row({**row.fields, name: item}, row.events))
        return out

    def cmd_head(self, command: Command, rows: List[Row]) -> List[Row]:
        return rows[:command.count]

    def cmd_dedup(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ())
        seen = {}
        out = []
        limit = command.count or 1
        for row in rows:
            key_values = [values_of(row.fields.get(n)) for n in command.fields]
            if any(not v for v in key_values):
                continue  # events without every field are removed (keepempty=false)
            key = tuple(tuple(v) for v in key_values)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= limit:
                out.append(row)
        return out

    def cmd_sort(self, command: Command, rows: List[Row]) -> List[Row]:
        limit = 10000 if command.count is None else command.count
        for order, name in reversed(command.sort_keys):
            present = [r for r in rows if r.fields.get(name) is not None]
            missing = [r for r in rows if r.fields.get(name) is None]
            present.sort(key=lambda r: _sort_key(r.fields.get(name)), reverse=(order == "-"))
            rows = present + missing
        return rows if limit == 0 else rows[:limit]

    # --- stats and eventstats
    def _groups(self, command: Command, rows: List[Row], split: bool) -> Dict[tuple, List[Row]]:
        groups: Dict[tuple, List[Row]] = {}
        for row in rows:
            keys: List[tuple] = [()]
            for name in command.by:
                items = values_of(row.fields.get(name))
                if not items:
                    keys = []
                    break  # a null by-field: the row is in no group
                if len(items) > 1 and not split:
                    raise SplError("eventstats with a multivalue by-field: not modelled by the stand-in",
                                   command.position)
                # a duplicate value counts once only with dedup_splitvals=true (default false) [stats]
                if (command.option("dedup_splitvals") or "false").lower() in ("true", "t", "1"):
                    items = list(dict.fromkeys(items))
                keys = [k + (item,) for k in keys for item in items]
            for key in keys:
                groups.setdefault(key, []).append(row)
        return groups

    def cmd_stats(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("maxvalues", "dedup_splitvals"))
        groups = self._groups(command, rows, split=True)
        if not command.by and not groups:
            groups = {(): []}
        out = []
        for key in sorted(groups, key=lambda k: tuple(_sort_key(v) for v in k)):
            members = groups[key]
            fields: Dict[str, Value] = dict(zip(command.by, key))
            for aggregation in command.aggregations:
                value = self.aggregate(aggregation, members)
                if value is not None:
                    fields[aggregation.output_name] = value
            out.append(Row(fields, frozenset().union(*[m.events for m in members]) if members else frozenset()))
        return out

    def cmd_eventstats(self, command: Command, rows: List[Row]) -> List[Row]:
        self._only_options(command, ("allnum",))
        groups = self._groups(command, rows, split=False)
        results = {key: [(a.output_name, self.aggregate(a, members)) for a in command.aggregations]
                   for key, members in groups.items()}
        for row in rows:
            key = tuple(values_of(row.fields.get(n))[0] if values_of(row.fields.get(n)) else None for n in command.by)
            if None in key or key not in results:
                continue  # nothing added to an event whose by-field is null
            for name, value in results[key]:
                if value is None:
                    row.fields.pop(name, None)
                else:
                    row.fields[name] = value
        return rows

    def aggregate(self, aggregation, members: List[Row]) -> Value:
        function = aggregation.function
        if aggregation.argument is None:
            if function != "count":
                raise SplError("%s needs a field" % function)
            return len(members)
        items: List[str] = []
        for member in members:
            if isinstance(aggregation.argument, str):
                items.extend(values_of(member.fields.get(aggregation.argument)))
            else:
                value = self.context(member).eval(aggregation.argument)
                if isinstance(value, bool):
                    raise SplError("%s(eval(...)): a boolean" % function)
                items.extend(values_of(value))
        if function == "count":
            return len(items)
        if function in ("dc", "distinct_count"):
            return len(set(items))
        if function == "values":
            # distinct values, sorted lexicographically as strings
            return multivalue(sorted(set(items)))
        if function == "list":
            return multivalue(items[:100])
        if not items:
            return None
        if function in ("min", "max"):
            numbers = [as_number(i) for i in items]
            if all(n is not None for n in numbers):
                return (min if function == "min" else max)(numbers)
            texts = [i for i, n in zip(items, numbers) if n is None]
            return (min if function == "min" else max)(texts)
        if function in ("first", "earliest"):
            return items[0]
        if function in ("last", "latest"):
            return items[-1]
        numbers = [n for n in (as_number(i) for i in items) if n is not None]
        if function == "sum":
            return sum(numbers)
        if function in ("avg", "mean"):
            return sum(numbers) / len(numbers) if numbers else None
        raise SplError("stats function %s is not implemented by the stand-in" % function)

    # --- custom commands
    def custom_command(self, command: Command, rows: List[Row]) -> List[Row]:
        if not rows:
            return rows
        records = [{n: _record_value(v) for n, v in row.fields.items()} for row in rows]
        args = ["%s=%s" % (k, v) for k, v in command.options]
        answered = self.splunk.run_custom(command.name, records, args, command.position)
        out = []
        for row, record, sent in zip(rows, answered, records):
            fields: Dict[str, Value] = dict(row.fields)
            for name, value in record.items():
                if name in sent and sent[name] == value:
                    continue
                if value in ("", []) and self.semantics.empty_command_output == "null":
                    fields.pop(name, None)
                else:
                    fields[name] = multivalue(value) if isinstance(value, list) else value
            out.append(Row(fields, row.events))
        return out

    # --- commands the stand-in parses but does not run
    def _refuse(self, command: Command, rows: List[Row]) -> List[Row]:
        raise SplError("command %r is not implemented by the stand-in" % command.name, command.position)

    cmd_rest = cmd_timechart = cmd_inputlookup = cmd_tstats = _refuse

    def _only_options(self, command: Command, allowed: Sequence[str]) -> None:
        for key, _value in command.options:
            if key not in allowed:
                raise SplError("%s: option %s= is not implemented by the stand-in" % (command.name, key),
                               command.position)


def _record_value(value: Value) -> Any:
    return value if isinstance(value, list) else to_text(value)


def _sort_key(value: Any) -> tuple:
    items = values_of(value)
    first = items[0] if items else ""
    number = as_number(first)
    return (0, number, "") if number is not None else (1, 0, first)


@functools.lru_cache(maxsize=65536)
def _tokens_of_raw(raw: str) -> FrozenSet[str]:
    return segmenters.index_tokens(raw)


# ---------------------------------------------------------------------------------------------
# The stand-in: an app's content, a clock, a zone, and semantics

class Splunk:
    """Splunk's search side for one app: its macros, saved searches, lookups and commands."""

    def __init__(self, app_dir: str, *, lookups_dir: Optional[str] = None, semantics: Semantics = DEFAULT_SEMANTICS,
                 now: Optional[float] = None, tz: str = "UTC", earliest: Optional[str] = None,
                 latest: Optional[str] = None, events: Sequence[Any] = (),
                 command_runner: Optional[Callable[..., List[Dict[str, Any]]]] = None) -> None:
        from tests.standin import app as app_content

        self.app = app_content.App(app_dir, lookups_dir)
        self.semantics = semantics
        self.zone = ZoneInfo(tz)
        self.now = float(now) if now is not None else datetime.datetime.now(datetime.timezone.utc).timestamp()
        self.earliest = self.time_bound(earliest)
        self.latest = self.time_bound(latest)
        self.events = list(events)
        self.custom_commands = self.app.custom_commands
        self._command_runner = command_runner

    def time_bound(self, text: Optional[str]) -> Optional[float]:
        if text is None or text == "":
            return None
        number = as_number(text)
        if number is not None:
            return float(number)
        bound = relative_time(self.now, text, self.zone)
        if bound is None:
            raise SplError("time modifier %r is not understood" % text)
        return bound

    def tokens_of(self, event: Any) -> FrozenSet[str]:
        return _tokens_of_raw(event.raw or "")

    def parse(self, text: str) -> Pipeline:
        return self.app.parse(text)

    def saved_search_text(self, name: str) -> str:
        return self.app.saved_search(name)

    def lookup_table(self, name: str, position: int):
        table = self.app.lookups.get(name)
        if table is None:
            raise SplError("lookup table %r is not defined in transforms.conf" % name, position)
        return table

    def run_custom(self, name: str, records: List[Dict[str, Any]], args: List[str], position: int):
        if self._command_runner is not None:
            return self._command_runner(name, records, args)
        from tests import harness

        result = harness.run_command(name, records, args=args, script=self.app.command_script(name))
        errors = result.errors()
        if errors or result.exit_code not in (0, None):
            raise SplError("Error in '%s' command: %s %s" % (name, "; ".join(errors), result.stderr[-500:]), position)
        if len(result.records) != len(records):
            raise SplError("%s returned %d results for %d" % (name, len(result.records), len(records)), position)
        return result.records

    def search(self, text: str, events: Optional[Sequence[Any]] = None) -> Tuple[List[Row], ScanFigures]:
        """Runs SPL text (macros expanded) over the events; returns the rows and the scan figures."""
        pipeline = self.parse(text)
        search = Search(self, pipeline)
        rows = search.run(self.events if events is None else events)
        return rows, search.scan

    def saved(self, name: str, events: Optional[Sequence[Any]] = None) -> Tuple[List[Row], ScanFigures]:
        return self.search(self.saved_search_text(name), events)
