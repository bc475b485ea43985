"""Impacket's admin-share artifacts -> kind, candidate tools, decoded launch time, share and host.

`find_artifact(value)` finds the first artifact in one string; `describe(record, field)` picks the
value out of a search result record and returns every OUTPUT_FIELDS name, never raising.

Artifacts (see the spec in shared/reference/impacket-artifacts.md):
- `epoch_output`   `__` + 10 digits + `.` + 1-7 digits (wmiexec; dcomexec before 0.9.20)
- `epoch5_output`  `__` + exactly 5 digits (dcomexec 0.9.20 and later)
- `smbexec_output` `__output`, `__output_` + 8 letters, anywhere but the next line's place
- `vss_output`     `__output` in the Windows directory's `Temp` (secretsdump -use-vss)
- `system32_tmp`   `System32\\` + 8 letters + `.tmp` directly under the Windows directory
- `temp_tmp`       `Temp\\` + 8 letters + `.tmp` directly under the Windows directory

Choices where the contract is silent:
- An artifact is a whole path component: it starts the value or follows `\\`, `/`, ASCII white
  space, `"`, `'` or `>`, and ends the value or is followed by ASCII white space, `"`, `'`, `&`,
  `^` or `|`. Digits, letters and white space are ASCII only (Impacket writes ASCII; Unicode
  digits or spaces are not what cmd.exe or Python's str(time.time()) produce).
- Case: `output`, `System32`, `Temp` and `.tmp` match in any case (Windows names are
  case-insensitive and some pipelines change the case of command lines); `artifact` keeps the
  case as written. `/` is a path separator like `\\` (Windows reads both).
- The Windows directory, for the `.tmp` kinds, is: the root of a name relative to ADMIN$
  (`relative_to_share=True`, used for RelativeTargetName when ShareName is ADMIN$), the root of
  a UNC `\\\\host\\ADMIN$\\`, `Windows\\` under a drive root (`C:\\`, `\\\\host\\C$\\`, a rooted
  `\\`, `%SystemDrive%\\`, `\\\\?\\C:\\`), `%windir%`, `%SystemRoot%` (also doubled `%%windir%%`
  as Sysmon renders registry values, and PowerShell's `$env:windir`). `System32\\..\\` resolves
  back to it. A value that starts with `Windows\\` is taken from a drive root (a 5145 name on
  `C$` is relative to `C:\\`); elsewhere in a value, a relative `Windows\\` is not (it may be the
  tail of a quoted path with a space, `"C:\\My Windows\\Temp\\..."`). A relative path beginning
  with `..\\` is taken from System32, the working directory of services and of the remote
  registry: secretsdump 0.11+ saves hives as `..\\Temp\\<name>.tmp` (and so `..\\System32\\x.tmp`
  is System32 too). Anything else (a user profile's Temp, a relative `Temp\\x.tmp` in a command
  line, `..\\Temp` relative to ADMIN$, which is `C:\\Temp`) is ordinary.
- A path is read back from the artifact to the nearest white space, quote, `<`, `>`, `|`, `&`
  or `^`, at most PATH_WINDOW characters: a quoted path with spaces is cut at the space.
- `share` comes from a UNC path in the value, or, for RelativeTargetName / Relative_Target_Name,
  from ShareName (`\\\\*\\ADMIN$` -> `ADMIN$`); it is never inferred: atexec's `%windir%\\Temp\\x.tmp`
  or Sysmon's `C:\\Windows\\Temp\\x.tmp` have no share. `host` only comes from a UNC path
  (IpAddress of a 5145 is the client, not the share's host).
- `time` truncates (never rounds) the decimals beyond microseconds and always writes six
  decimals (`__1556656369.7` -> `...:49.700000Z`); the decimals are read from the text, never
  through a float.
- `earliest`/`latest`: for epoch_output both are the value as written; for epoch5_output the
  five digits are the leading digits of a ten-digit epoch (2001 to 2286): `__17249` ->
  1724900000 and 1725000000 (earliest <= t < latest).
- `precision`: decimals in the name; "0" for epoch5_output (no dot); empty for other kinds.
- `skew`: only for epoch_output, `_time` minus the exact decoded value, rounded half-up to
  milliseconds (`-0.000` written `0.000`). `_time` must be a plain decimal number (as splunkd
  sends it: `1619425531.043685`, optional sign, at most 12 integer and 9 decimal digits);
  anything else (missing, `yesterday`, `nan`, `inf`, `1e9`) leaves skew empty.
- Multivalue fields: each value in order; the first value holding an artifact wins.
- XML entities (`&gt;`, `&lt;`, `&amp;`, `&quot;`, `&apos;`), which Splunk's Windows add-on leaves
  encoded in extracted fields, are decoded once before a value (and ShareName) is read
  (`lotl.entities`): a value and its encoded form give the same result. `Artifact.start` is
  an offset in the decoded value.
- `vss_output`: only `__output` itself (no `_<8 letters>`), directly in `Temp` under the
  Windows directory as defined above (relative to ADMIN$, `C:\\Windows\\Temp\\`,
  `%SYSTEMROOT%\\Temp\\`, `\\\\host\\ADMIN$\\Temp\\`, `..\\Temp\\` from System32); every other
  `__output` is smbexec's.
"""
from __future__ import annotations

import datetime
import decimal
import functools
import re
import string
import types
from typing import Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import entities

Value = Union[str, Tuple[str, ...]]

OUTPUT_FIELDS: Tuple[str, ...] = (
    "artifact", "kind", "tools", "value", "time", "earliest", "latest", "skew", "precision",
    "share", "host", "valid",
)
MULTIVALUE_FIELDS: FrozenSet[str] = frozenset({"tools"})
SOURCE_FIELDS: Tuple[str, ...] = (
    "RelativeTargetName", "Relative_Target_Name", "TargetFilename", "CommandLine", "process",
    "Process_Command_Line", "ImagePath", "ServiceFileName", "Details",
)
SHARE_FIELDS: Tuple[str, ...] = ("ShareName", "Share_Name")
TIME_FIELD = "_time"
# 5145 names a file relative to the share's root; its share is in ShareName.
RELATIVE_NAME_FIELDS: FrozenSet[str] = frozenset({"RelativeTargetName", "Relative_Target_Name"})

EPOCH_OUTPUT = "epoch_output"
EPOCH5_OUTPUT = "epoch5_output"
SMBEXEC_OUTPUT = "smbexec_output"
VSS_OUTPUT = "vss_output"
SYSTEM32_TMP = "system32_tmp"
TEMP_TMP = "temp_tmp"

TOOLS: Mapping[str, Tuple[str, ...]] = types.MappingProxyType({
    EPOCH_OUTPUT: ("wmiexec", "dcomexec"),
    EPOCH5_OUTPUT: ("dcomexec",),
    SMBEXEC_OUTPUT: ("smbexec",),
    VSS_OUTPUT: ("secretsdump",),
    SYSTEM32_TMP: ("secretsdump",),
    TEMP_TMP: ("atexec", "secretsdump"),
})

ADMIN_SHARE = "ADMIN$"
# How far back from an artifact its path is read. Windows paths are at most 32767 characters,
# but the parts that matter here (a UNC host and share, `C:\Windows\System32\..\`) are short;
# the bound keeps the work per candidate constant.
PATH_WINDOW = 1024
CACHE_SIZE = 4096
# Only ordinary lengths are cached, so the cache's keys stay small (CACHE_SIZE * CACHED_LENGTH).
CACHED_LENGTH = 8192
FIVE_DIGIT_SPAN = 100000  # __17249 is str(time.time())[:5]: the five leading of ten digits


class Artifact(NamedTuple):
    """One artifact in a value: its text as written, its kind, the epoch digits (epoch kinds
    only), its offset in the value, and the host (lowercase) and share (uppercase) of the UNC
    path it sits in, empty when it is not in one."""

    text: str
    kind: str
    digits: str
    start: int
    host: str = ""
    share: str = ""


# --- Matching ------------------------------------------------------------------------------------
#
# Linear by construction: every quantifier is bounded (the longest match is 26 characters), so an
# attempt at one position does constant work and a search over n characters does O(n). The
# lookbehind and lookahead are one character each.
_ARTIFACT = re.compile(
    r"(?<![^\s\\/\"'>])"  # starts the value or follows a start delimiter
    r"(?:"
    r"__(?:(?P<epoch>\d{10}\.\d{1,7})|(?P<epoch5>\d{5})|(?P<smbexec>output(?:_[A-Za-z]{8})?))"
    r"|(?P<tmp>(?P<folder>system32|temp)[\\/][A-Za-z]{8}\.tmp)"
    r")"
    r"(?![^\s\"'&^|])",  # ends the value or precedes an end delimiter
    re.ASCII | re.IGNORECASE,
)
# Where a path ends, reading back from an artifact.
_PATH_BREAK = re.compile(r"[\s\"'<>|&^]", re.ASCII)
_SEPARATORS = "\\/"
_SEPARATOR = re.compile(r"[\\/]")
_DRIVE_SHARE = re.compile(r"[A-Za-z]\$\Z")
_PLAIN_DECIMAL = re.compile(r"[+-]?\d{1,12}(?:\.\d{0,9})?\Z", re.ASCII)

# Where a path starts (its root), then what each component leads to.
_WINDOWS, _DRIVE, _SYSTEM32, _OTHER = "windows", "drive", "system32", "other"
_WINDOWS_VARIABLES = (
    "%windir%", "%systemroot%", "%%windir%%", "%%systemroot%%",
    "$env:windir", "$env:systemroot", "${env:windir}", "${env:systemroot}",
)
_DRIVE_VARIABLES = ("%systemdrive%", "%%systemdrive%%", "$env:systemdrive", "${env:systemdrive}")
_STEPS: Mapping[Tuple[str, str], str] = types.MappingProxyType({
    (_DRIVE, "windows"): _WINDOWS,
    (_WINDOWS, "system32"): _SYSTEM32,
    (_WINDOWS, ".."): _DRIVE,
    (_SYSTEM32, ".."): _WINDOWS,
})


class _Path(NamedTuple):
    """The path an artifact sits in: the root it starts from, the components between the root
    and the artifact, and the UNC host and share when it is a UNC path."""

    root: str
    components: Tuple[str, ...]
    host: str = ""
    share: str = ""


def find_artifact(value: str, relative_to_share: bool = False) -> Optional[Artifact]:
    """The first artifact in `value`, or None. `relative_to_share`: the value is a name relative
    to ADMIN$ (whose root is the Windows directory), as 5145's RelativeTargetName on ADMIN$.
    Cached for values up to CACHED_LENGTH characters; never raises."""
    if not isinstance(value, str) or not _may_hold_artifact(value):
        return None
    if len(value) <= CACHED_LENGTH:
        return _find_cached(value, bool(relative_to_share))
    return find_artifact_uncached(value, relative_to_share)


def _may_hold_artifact(value: str) -> bool:
    # Every artifact holds `__` or a `.tmp`; str.find is far faster than the full scan, and
    # most values (command lines) hold neither.
    return "__" in value or "." in value and _has_tmp(value)


def _has_tmp(value: str) -> bool:
    return _TMP_SUFFIX.search(value) is not None


_TMP_SUFFIX = re.compile(r"\.[Tt][Mm][Pp]")


def find_artifact_uncached(value: str, relative_to_share: bool = False) -> Optional[Artifact]:
    """`find_artifact` without the cache."""
    try:
        return _find(entities.decode(value), relative_to_share)
    except Exception:  # noqa: BLE001 - a search must never stop on one odd value
        return None


_find_cached = functools.lru_cache(maxsize=CACHE_SIZE)(find_artifact_uncached)
find_artifact.__wrapped__ = find_artifact_uncached  # type: ignore[attr-defined]
find_artifact.cache_info = _find_cached.cache_info  # type: ignore[attr-defined]
find_artifact.cache_clear = _find_cached.cache_clear  # type: ignore[attr-defined]


def _find(value: str, relative_to_share: bool) -> Optional[Artifact]:
    position = 0
    while True:
        match = _ARTIFACT.search(value, position)
        if match is None:
            return None
        start = match.start()
        path = _path_before(value, start, relative_to_share)
        if match.group("tmp") is None or _in_windows_directory(path):
            return Artifact(
                text=match.group(),
                kind=_kind(match, path),
                digits=match.group("epoch") or match.group("epoch5") or "",
                start=start,
                host=path.host,
                share=path.share,
            )
        # A .tmp not under the Windows directory: look on. Every match ends at a path break,
        # so the paths read back from successive candidates never overlap.
        position = start + 1


def _kind(match: re.Match, path: _Path) -> str:
    if match.group("epoch"):
        return EPOCH_OUTPUT
    if match.group("epoch5"):
        return EPOCH5_OUTPUT
    if match.group("smbexec"):
        return VSS_OUTPUT if _is_vss_output(match.group("smbexec"), path) else SMBEXEC_OUTPUT
    return SYSTEM32_TMP if match.group("folder").lower() == "system32" else TEMP_TMP


def _is_vss_output(name: str, path: _Path) -> bool:
    """`__output` (no suffix) in the Windows directory's Temp: secretsdump -use-vss's output
    (`%SYSTEMROOT%\\Temp\\__output`, read as `ADMIN$\\Temp\\__output`). smbexec never writes there."""
    components = [component for component in path.components if component not in ("", ".")]
    return (name.lower() == "output" and bool(components) and components[-1].lower() == "temp"
            and _in_windows_directory(_Path(path.root, tuple(components[:-1]))))


def _in_windows_directory(path: _Path) -> bool:
    where = path.root
    for component in path.components:
        if component in ("", "."):  # `C:\Windows\\Temp`: Windows collapses empty components
            continue
        where = _STEPS.get((where, component.lower()), _OTHER)
        if where == _OTHER:
            return False
    return where == _WINDOWS


def _path_before(value: str, start: int, relative_to_share: bool) -> _Path:
    """The path that leads to the artifact at `start`, read back to the nearest path break."""
    low = max(0, start - PATH_WINDOW)
    before = value[low:start]
    found = _PATH_BREAK.search(before[::-1])
    if found is not None:
        text, at_value_start = before[len(before) - found.start():], False
    elif low == 0:
        text, at_value_start = before, True
    else:
        return _Path(_OTHER, ())  # longer than the window: nothing known about its root
    if not text:
        return _Path(_WINDOWS if at_value_start and relative_to_share else _OTHER, ())
    parts = tuple(_SEPARATOR.split(text)[:-1]) if text[-1] in _SEPARATORS else None
    if parts is None:
        # The artifact follows a start delimiter that does not end a path (cannot happen with
        # the delimiters above, but a path must end with a separator to lead to the artifact).
        return _Path(_OTHER, ())
    if at_value_start and relative_to_share:
        return _Path(_WINDOWS, parts)
    return _rooted(parts, at_value_start)


def _rooted(parts: Tuple[str, ...], at_value_start: bool) -> _Path:
    """A path's components (split at separators) -> its root and the components after it."""
    if len(parts) >= 2 and parts[0] == "" and parts[1] == "":
        # `\\?\C:\...`, `\\.\C:\...`: a local path in NT form.
        if len(parts) >= 4 and parts[2] in ("?", ".") and _is_drive(parts[3]):
            return _Path(_DRIVE, parts[4:])
        if len(parts) >= 4 and parts[2] and parts[3]:
            share = parts[3].upper()
            if share == ADMIN_SHARE:
                root = _WINDOWS
            elif _DRIVE_SHARE.match(share):
                root = _DRIVE
            else:
                root = _OTHER
            return _Path(root, parts[4:], host=parts[2].lower(), share=share)
        return _Path(_OTHER, ())
    if parts[0] == "":
        if len(parts) >= 3 and parts[1] == "??" and _is_drive(parts[2]):
            return _Path(_DRIVE, parts[3:])  # `\??\C:\...`
        if len(parts) >= 2 and _is_drive(parts[1]):
            return _Path(_DRIVE, parts[2:])  # `/OUT:C:\...`: a slash option, then a drive
        return _Path(_DRIVE, parts[1:])  # `\Windows\...`: rooted on the current drive
    first = parts[0].lower()
    if _is_drive(first) or _ends_with_word(first, _DRIVE_VARIABLES):
        return _Path(_DRIVE, parts[1:])
    if _ends_with_word(first, _WINDOWS_VARIABLES):
        return _Path(_WINDOWS, parts[1:])
    if first == "windows" and at_value_start:
        return _Path(_DRIVE, parts)
    if first == "..":
        return _Path(_SYSTEM32, parts)
    return _Path(_OTHER, ())


def _is_drive(component: str) -> bool:
    """`C:`, also at the end of an option (`/OUT:C:`, `-o=C:`)."""
    if len(component) < 2 or component[-1] != ":" or not _is_ascii_letter(component[-2]):
        return False
    return len(component) == 2 or not component[-3].isalnum()


def _is_ascii_letter(character: str) -> bool:
    return character in string.ascii_letters


def _ends_with_word(component: str, words: Sequence[str]) -> bool:
    """`component` (lowercase) is one of `words`, or ends with one after a non-alphanumeric."""
    for word in words:
        if component.endswith(word):
            rest = component[: len(component) - len(word)]
            if not rest or not rest[-1].isalnum():
                return True
    return False


# --- Decoding ------------------------------------------------------------------------------------

_EPOCH_ZERO = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MILLISECOND = decimal.Decimal("0.001")
_DECIMAL_CONTEXT = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Overflow])


def iso_time(digits: str) -> str:
    """`1684944005.9400265` -> `2023-05-24T16:00:05.940026Z`: UTC, microseconds truncated."""
    seconds, _dot, fraction = digits.partition(".")
    microseconds = int((fraction[:6]).ljust(6, "0"))
    moment = _EPOCH_ZERO + datetime.timedelta(seconds=int(seconds), microseconds=microseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def skew(event_time: object, digits: str) -> str:
    """`_time` minus the decoded epoch, seconds with 3 decimals; "" when `_time` is not a plain
    decimal number."""
    text = _first_value(event_time)
    if text is None:
        return ""
    text = text.strip()
    if len(text) > 32 or not _PLAIN_DECIMAL.match(text):
        return ""
    try:
        difference = _DECIMAL_CONTEXT.subtract(decimal.Decimal(text), decimal.Decimal(digits))
        rounded = difference.quantize(_MILLISECOND, rounding=decimal.ROUND_HALF_UP,
                                      context=_DECIMAL_CONTEXT)
    except (decimal.DecimalException, ValueError):
        return ""
    if rounded.is_zero():
        rounded = abs(rounded)  # no "-0.000"
    return format(rounded, "f")


# --- Records -------------------------------------------------------------------------------------

def required_fields(field: Optional[str]) -> List[str]:
    """The record fields the command reads: splunkd sends it only these. The share fields only
    serve a relative name, so `field=CommandLine` reads two fields, not four."""
    names = [field] if field else list(SOURCE_FIELDS)
    if any(name in RELATIVE_NAME_FIELDS for name in names):
        names += SHARE_FIELDS
    return list(dict.fromkeys(names + [TIME_FIELD]))


def describe(record: Mapping[str, object], field: Optional[str] = None) -> Mapping[str, Value]:
    """Every OUTPUT_FIELDS name -> its value for one record (read-only). `field` if given, else
    SOURCE_FIELDS in order: the first artifact found wins. Never raises."""
    try:
        return _describe(record, field)
    except Exception:  # noqa: BLE001 - one bad event must never stop the search
        return NOT_FOUND


def _describe(record: Mapping[str, object], field: Optional[str]) -> Mapping[str, Value]:
    get = record.get
    for name in (field,) if field else SOURCE_FIELDS:
        raw = get(name)
        if not raw:  # absent or empty: most of the nine fields on most events
            continue
        for value in (raw,) if isinstance(raw, str) else _values(raw):
            if not _may_hold_artifact(value):  # the common case, decided without the share
                continue
            relative = name in RELATIVE_NAME_FIELDS
            share = _share_name(record) if relative else ""
            artifact = find_artifact(value, relative_to_share=share == ADMIN_SHARE)
            if artifact is None:
                continue
            result = _described(artifact, share if relative else artifact.share)
            if artifact.kind != EPOCH_OUTPUT:
                return result
            return _with_skew(result, skew(get(TIME_FIELD), artifact.digits))
    return NOT_FOUND


def _with_skew(result: Mapping[str, Value], seconds: str) -> Mapping[str, Value]:
    if not seconds:
        return result  # the shared cached object: callers may memoise by identity
    copy = dict(result)
    copy["skew"] = seconds
    return types.MappingProxyType(copy)


def _empty() -> Dict[str, Value]:
    return {name: () if name in MULTIVALUE_FIELDS else "" for name in OUTPUT_FIELDS}


NOT_FOUND: Mapping[str, Value] = types.MappingProxyType(dict(_empty(), valid="0"))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _described(artifact: Artifact, share: str) -> Mapping[str, Value]:
    """The result for one artifact, without skew (which depends on the event's time)."""
    result = _empty()
    result.update(
        artifact=artifact.text,
        kind=artifact.kind,
        tools=TOOLS[artifact.kind],
        value=artifact.digits,
        share=share,
        host=artifact.host,
        valid="1",
    )
    if artifact.kind == EPOCH_OUTPUT:
        result.update(
            time=iso_time(artifact.digits),
            earliest=artifact.digits,
            latest=artifact.digits,
            precision=str(len(artifact.digits.partition(".")[2])),
        )
    elif artifact.kind == EPOCH5_OUTPUT:
        earliest = int(artifact.digits) * FIVE_DIGIT_SPAN
        result.update(earliest=str(earliest), latest=str(earliest + FIVE_DIGIT_SPAN), precision="0")
    return types.MappingProxyType(result)


def _share_name(record: Mapping[str, object]) -> str:
    """ShareName's share, uppercase, without its `\\\\*\\` or `\\\\host\\` prefix."""
    for name in SHARE_FIELDS:
        text = _first_value(record.get(name))
        if text and text.strip():
            return _SEPARATOR.split(entities.decode(text).strip().rstrip(_SEPARATORS))[-1].upper()
    return ""


def _values(value: object) -> List[str]:
    """A record value as the list of strings to examine, in order."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else str(item) for item in value if item is not None]
    return [value if isinstance(value, str) else str(value)]


def _first_value(value: object) -> Optional[str]:
    values = _values(value)
    return values[0] if values else None
