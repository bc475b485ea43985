"""Adds a describer's result to a search result record, prefixed, one field per output name.

A describer is a module of the pure core (`lotl.dtutil`, `lotl.impacket`) with
`describe(record, field)`, `OUTPUT_FIELDS` and `required_fields(field)`. The search commands are
thin: they hand each record to an `Annotator` and yield what it returns.

The annotated record is a new plain dict, not the OrderedDict splunklib read: splunklib holds
every record of a chunk in a list until the chunk is written, and an OrderedDict costs about
twice a dict per key, so adding the output fields to its own record would raise the command's
peak memory by half. The merge is one C-level operation.

Every output field is set on every record, because splunklib drops a field that is missing from
a chunk's first record from the whole chunk. An empty value is set as None: splunklib writes it
as an empty cell, as it does "", but through its fastest path (most records carry no artifact,
so most output values are empty, and this is the command's per-record cost).
"""
from types import ModuleType
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

OutputValue = Union[None, str, List[str]]
# How many distinct describer results keep their converted form. Results are cached objects in
# the core (the same command line gives the same object), so this is a bounded memo by identity.
MEMO_SIZE = 4096


def to_search_value(value: Any) -> OutputValue:
    """A core value as splunklib writes it: a str as is, a tuple as a multivalue (one value: that
    value), and nothing (empty str or tuple) as None, an empty cell."""
    if isinstance(value, str):
        return value or None
    values = [str(item) for item in value]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values


class Annotator:
    """Adds `<prefix><name>` for each of the describer's OUTPUT_FIELDS to records."""

    def __init__(self, describer: ModuleType, prefix: str, field: Optional[str] = None) -> None:
        self._describe = describer.describe
        self._field = field
        self._names: Tuple[Tuple[str, str], ...] = tuple(
            (name, prefix + name) for name in describer.OUTPUT_FIELDS
        )
        # What a record gets if the describer ever fails on it: every field, empty, and the
        # reason in the error field when the describer has one. The record itself always goes out.
        self._error_field = prefix + "error" if "error" in describer.OUTPUT_FIELDS else None
        self._blank: Dict[str, OutputValue] = {prefixed: None for _name, prefixed in self._names}
        self._memo: Dict[int, Tuple[Mapping[str, Any], Dict[str, OutputValue]]] = {}
        self.required_fields: List[str] = list(describer.required_fields(field))

    def converted(self, described: Mapping[str, Any]) -> Dict[str, OutputValue]:
        """The prefixed search values of one describer result, memoised by the result's identity
        (the memo holds the result, so its id cannot be reused while the entry lives)."""
        entry = self._memo.get(id(described))
        if entry is not None and entry[0] is described:
            return entry[1]
        values = {prefixed: to_search_value(described[name]) for name, prefixed in self._names}
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[id(described)] = (described, values)
        return values

    def __call__(self, record: Mapping[str, Any]) -> Dict[str, Any]:
        """The record's fields followed by the output fields, as a new dict."""
        try:
            return {**record, **self.converted(self._describe(record, self._field))}
        except Exception as error:  # noqa: BLE001 - one bad event must never stop the search
            annotated = {**record, **self._blank}
            if self._error_field:
                annotated[self._error_field] = "internal error: %s" % type(error).__name__
            return annotated
