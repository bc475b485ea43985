"""Lookup tables as Splunk's `lookup` command sees them (test-only).

A lookup is a transforms.conf stanza with `filename =` and a CSV in the app's `lookups/` folder.
What decides whether an allowlist row hides an alert is the matching: `match_type` (WILDCARD,
CIDR), `case_sensitive_match`, `max_matches` (transforms.conf.spec, Splunk 9.2;
../shared/reference/spl-semantics.md, section lookup). This module does that matching and nothing
else: OUTPUT/OUTPUTNEW and multivalue outputs are the evaluator's (tests/standin/evaluate.py).

Choices where Splunk's behaviour is unsure:

- A multivalue input value: each value is looked up on its own, in the order of the values
  (`max_matches` applies to each, as the spec says "for each input lookup value"), and the rows
  found are concatenated, a row found again for a later value not repeated. Several multivalue
  inputs: every combination of their values, in order.
- An input that is null (None) matches nothing: the lookup outputs nothing for that event.
- CIDR: a cell that is neither an address nor a network, an empty cell, and an input that is not
  an IP address never match; an IPv4-mapped IPv6 input (``::ffff:10.0.0.1``) does not match an IPv4
  network (Python's ``ipaddress`` keeps the versions apart).
- A UTF-8 byte order mark at the start of a CSV (Excel's "CSV UTF-8"): ``STRIP_BOM = False`` keeps
  it as part of the first header name, which makes that column "missing" to a search that names
  it. Whether Splunk strips it is not documented; keeping it is the choice that fails loudly, so a
  test with a BOM file shows what would break. Pass ``strip_bom=True`` to test the other way.
"""
import csv
import ipaddress
import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

from tests.test_conf import read_conf

MISSING_FIELDS_MESSAGE = "Could not find all of the specified lookup fields in the lookup table."
DEFAULT_MAX_MATCHES = 100  # without time_field (transforms.conf.spec); the spec's range is 1-1000
STRIP_BOM = False

InputValue = Union[None, str, Sequence[str]]
_IpNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_MATCH_TYPE_ITEM = re.compile(r"\s*(\w+)\s*\(\s*([^)]*?)\s*\)\s*,?")
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def _conf_bool(text: str, default: bool) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return default


def parse_match_type(text: str) -> Dict[str, str]:
    """`CIDR(src), WILDCARD(host)` -> {"src": "CIDR", "host": "WILDCARD"}; EXACT is the default
    and is not listed."""
    declared: Dict[str, str] = {}
    for kind, column in _MATCH_TYPE_ITEM.findall(text or ""):
        if kind.upper() in ("WILDCARD", "CIDR") and column:
            declared[column] = kind.upper()
    return declared


def _wildcard_regex(pattern: str, case_sensitive: bool) -> "re.Pattern[str]":
    """`*` is any run of characters (empty included); every other character is literal, a
    backslash too (a Windows path's `\\` is not an escape in a lookup cell)."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(r"\A%s\Z" % body, re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def _network(cell: str) -> Optional[_IpNetwork]:
    """A CIDR cell as a network; a plain address is a one-address network; else None."""
    try:
        return ipaddress.ip_network(cell.strip(), strict=False)
    except ValueError:
        return None


def _address(value: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


@dataclass
class LookupTable:
    """One lookup definition and its rows (every cell a string; a short row's missing cells are
    empty)."""

    name: str
    filename: str
    columns: List[str]
    rows: List[Dict[str, str]]
    match_types: Dict[str, str]  # existing column -> "WILDCARD" | "CIDR"
    case_sensitive: bool = True
    max_matches: int = DEFAULT_MAX_MATCHES
    min_matches: int = 0  # kept for the evaluator (default_match); match() does not apply it
    default_match: str = ""
    declared_match_types: Dict[str, str] = field(default_factory=dict)  # as written, misnamed columns too
    _wildcards: Dict[Tuple[str, int], "re.Pattern[str]"] = field(default_factory=dict, repr=False)

    def _cell_matches(self, column: str, row_index: int, cell: str, value: str) -> bool:
        kind = self.match_types.get(column)
        if kind == "CIDR":
            network, address = _network(cell), _address(value)
            return network is not None and address is not None and address.version == network.version \
                and address in network
        if kind == "WILDCARD":
            regex = self._wildcards.get((column, row_index))
            if regex is None:
                regex = self._wildcards[(column, row_index)] = _wildcard_regex(cell, self.case_sensitive)
            return regex.match(value) is not None
        if self.case_sensitive:
            return cell == value
        return cell.lower() == value.lower()

    def _match_one(self, inputs: Dict[str, str]) -> List[int]:
        found: List[int] = []
        for index, row in enumerate(self.rows):
            if all(self._cell_matches(column, index, row[column], value) for column, value in inputs.items()):
                found.append(index)
                if len(found) >= self.max_matches:
                    break
        return found

    def match(self, inputs: Dict[str, InputValue]) -> List[Dict[str, str]]:
        """The rows that match every given input column, the first ones in file order, at most
        `max_matches` per input value. A column the table lacks is Splunk's error."""
        missing = [column for column in inputs if column not in self.columns]
        if missing:
            raise LookupError(MISSING_FIELDS_MESSAGE)
        choices: List[List[str]] = []
        for value in inputs.values():
            if value is None:
                return []
            values = [value] if isinstance(value, str) else list(value)
            if not values:
                return []
            choices.append(values)
        seen: List[int] = []
        for combination in itertools.product(*choices):
            for index in self._match_one(dict(zip(inputs, combination))):
                if index not in seen:
                    seen.append(index)
        return [dict(self.rows[index]) for index in seen]


def read_csv(path: str, strip_bom: Optional[bool] = None) -> Tuple[List[str], List[Dict[str, str]]]:
    """Header and rows of a lookup CSV (csv module, UTF-8)."""
    encoding = "utf-8-sig" if (STRIP_BOM if strip_bom is None else strip_bom) else "utf-8"
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows = []
        for cells in reader:
            if not cells:
                continue
            cells = cells + [""] * (len(header) - len(cells))
            rows.append({column: cells[position] for position, column in enumerate(header)})
    return header, rows


def _transforms(app_dir: str) -> Dict[str, Dict[str, str]]:
    """default/transforms.conf only: the stand-in models a fresh install, with no local/ edits."""
    path = os.path.join(app_dir, "default", "transforms.conf")
    return read_conf(path) if os.path.isfile(path) else {}


def load_lookups(app_dir: str, override_dir: Optional[str] = None,
                 strip_bom: Optional[bool] = None) -> Dict[str, LookupTable]:
    """Every file-based lookup of an app by stanza name. The CSV comes from `override_dir` when a
    file of that name is there (a test's allowlist), else from `<app_dir>/lookups/`."""
    tables: Dict[str, LookupTable] = {}
    for stanza, keys in _transforms(app_dir).items():
        filename = keys.get("filename", "").strip()
        if not filename:
            continue
        path = os.path.join(app_dir, "lookups", filename)
        if override_dir and os.path.isfile(os.path.join(override_dir, filename)):
            path = os.path.join(override_dir, filename)
        if not os.path.isfile(path):
            raise FileNotFoundError("lookup %s: file %s not found in %s%s" % (
                stanza, filename, os.path.join(app_dir, "lookups"),
                " nor in %s" % override_dir if override_dir else ""))
        columns, rows = read_csv(path, strip_bom)
        declared = parse_match_type(keys.get("match_type", ""))
        # a temporal lookup (time_field) defaults to 1 match, any other to 100 (transforms.conf.spec)
        default_max = 1 if keys.get("time_field", "").strip() else DEFAULT_MAX_MATCHES
        max_matches = int(keys.get("max_matches", default_max))
        tables[stanza] = LookupTable(
            name=stanza,
            filename=filename,
            columns=columns,
            rows=rows,
            match_types={column: kind for column, kind in declared.items() if column in columns},
            case_sensitive=_conf_bool(keys.get("case_sensitive_match", "true"), True),
            max_matches=max(1, min(max_matches, 1000)),
            min_matches=int(keys.get("min_matches", 0)),
            default_match=keys.get("default_match", ""),
            declared_match_types=declared,
        )
    return tables
