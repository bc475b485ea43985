"""Adds a describer's result to a search result record, prefixed, one field per output name.

A describer is a module of the pure core (`lotl.dtutil`, `lotl.impacket`) with
`describe(record, field)`, `OUTPUT_FIELDS` and `required_fields(field)`. The search commands are
thin: they hand each record to an `Annotator` and yield what it returns.

The command registers every output name with splunklib's record writer (`output_fields`), which
then writes all of them on every record, empty where the record lacks them: without that,
splunklib would drop a field missing from a chunk's first record from the whole chunk. So a
record only needs its non-empty output values. Most records have none to add (no dtutil
invocation) or one (epoch_valid=0), which keeps the command's own cost per record small and its
memory close to splunklib's (which holds a whole chunk's records until the chunk is written).
"""
from types import ModuleType
from typing import Any, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Tuple, Union

OutputValue = Union[None, str, List[str]]
# How many distinct describer results keep their converted form. Results are cached objects in
# the core (the same command line gives the same object), so this is a bounded memo by identity.
MEMO_SIZE = 32768


def to_search_value(value: Any) -> OutputValue:
    """A core value as splunklib writes it: a str as is, a tuple as a multivalue (one value: that
    value), and nothing (empty str or tuple) as None: no value, an empty cell."""
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
        # If the describer ever fails on a record, the record still goes out, with the reason in
        # the error field when the describer has one.
        self._error_field = prefix + "error" if "error" in describer.OUTPUT_FIELDS else None
        # id(result) -> its converted values, and -> the result itself (kept alive, and compared,
        # so that an id is never taken for another result's): two dicts, no object per entry.
        self._memo: Dict[int, Dict[str, OutputValue]] = {}
        self._kept: Dict[int, Mapping[str, Any]] = {}
        self.required_fields: List[str] = list(describer.required_fields(field))
        # Every name the command outputs: the command registers them with splunklib's writer.
        self.output_fields: List[str] = [prefixed for _name, prefixed in self._names]

    def converted(self, described: Mapping[str, Any]) -> Dict[str, OutputValue]:
        """The non-empty prefixed search values of one describer result. Memoised by the result's
        identity: the core caches its results, and the memo holds the result, so its id cannot
        be reused while the entry lives."""
        key = id(described)
        if self._kept.get(key) is described:
            return self._memo[key]
        values = {}
        for name, prefixed in self._names:
            value = described[name]
            if not value:  # "" or (): no value (most fields of most results)
                continue
            if value.__class__ is str:
                values[prefixed] = value
                continue
            if value.__class__ is tuple and value[0].__class__ is str and len(value) == 1:
                values[prefixed] = value[0]  # one value: as to_search_value writes it
                continue
            value = to_search_value(value)
            if value is not None:
                values[prefixed] = value
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
            self._kept.clear()
        self._memo[key] = values
        self._kept[key] = described  # holds it, so that its id is not reused while the entry lives
        return values

    def annotate(self, records: Iterable[MutableMapping[str, Any]]) -> Iterator[MutableMapping[str, Any]]:
        """Annotates one chunk's records. They share the chunk's field names, so the first record
        tells whether the events already hold fields of the output's names (from an earlier run
        of the command in the search): those are emptied, never left stale.

        This loop runs once per event of the search: it is written for speed (locals, no call
        per record beyond the describer's, the last result's values reused as they are, since
        consecutive events often share a value)."""
        describe, field, converted = self._describe, self._field, self.converted
        kept_get, memo = self._kept.get, self._memo
        stale: Optional[Dict[str, None]] = None
        last_described: Any = None
        last_values: Dict[str, OutputValue] = {}
        for record in records:
            if stale is None:
                stale = dict.fromkeys(name for name in self.output_fields if name in record)
            if stale:
                record.update(stale)
            try:
                described = describe(record, field)
                if described is not last_described:
                    key = id(described)  # converted(), inlined for its common case
                    if kept_get(key) is described:
                        last_values = memo[key]
                    else:
                        last_values = converted(described)
                    last_described = described
                values = last_values
            except Exception as error:  # noqa: BLE001 - one bad event must never stop the search
                values = self._error_values(error)
            if values:
                record.update(values)
            yield record

    def __call__(self, record: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """One record with its non-empty output values added (stale ones emptied)."""
        return next(self.annotate((record,)))

    def _error_values(self, error: Exception) -> Dict[str, OutputValue]:
        if self._error_field is None:
            return {}
        return {self._error_field: "internal error: %s" % type(error).__name__}
