"""Adds a describer's result to a search result record, prefixed, one field per output name.

A describer is a module of the pure core (`lotl.dtutil`, `lotl.impacket`) with
`describe(record, field)`, `OUTPUT_FIELDS` and `required_fields(field)`. The search commands are
thin: they hand each record to an `Annotator` and yield what it returns.

A describer whose result depends on one value of the record only (dtutil's: the command line)
also has `source_value(record, field)`, that value ("" when there is nothing to read), and
`describe_value(value)`, its non-empty output fields. The annotator then memoises by that value:
a line seen before costs a lookup, and one seen for the first time is read once and never kept
in two forms. (epochshare's result also depends on the share name and the event's time.)

The command registers every output name with splunklib's record writer (`output_fields`), which
then writes all of them on every record, empty where the record lacks them: without that,
splunklib would drop a field missing from a chunk's first record from the whole chunk. So a
record only needs its non-empty output values. Most records have none to add (no dtutil
invocation) or one (epoch_valid=0), which keeps the command's own cost per record small and its
memory close to splunklib's (which holds a whole chunk's records until the chunk is written).
"""
from types import ModuleType
from typing import Any, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Tuple, Union

OutputValue = Union[None, str, List[str], Tuple[str, ...]]
# How many distinct describer results keep their converted form. Results are cached objects in
# the core (the same command line gives the same object), so this is a bounded memo by identity;
# for a describer read by value, a memo of as many values, of at most MEMO_VALUE_LENGTH
# characters each (32 Mi characters of keys at most; a longer value is read every time).
MEMO_SIZE = 32768
MEMO_VALUE_LENGTH = 1024


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
        # A describer read by value (see the module doc): value -> its converted values.
        self._source_value = getattr(describer, "source_value", None)
        self._describe_value = getattr(describer, "describe_value", None)
        self._by_value: Dict[str, Dict[str, OutputValue]] = {}
        self._prefixed = dict(self._names)
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
        of the command in the search): those are emptied, never left stale."""
        if self._source_value is not None and self._describe_value is not None:
            return self._annotate_by_value(records)
        return self._annotate_by_result(records)

    def _annotate_by_value(self, records: Iterable[MutableMapping[str, Any]]) -> Iterator[MutableMapping[str, Any]]:
        """`annotate` for a describer read by value. This loop runs once per event of the search:
        a value seen before (most records of a scheduled search) costs a lookup and no call.
        It looks up the record's first non-empty value among required_fields, which are the
        fields `source_value` reads, in its order: a string found in the memo is the value
        `source_value` would return, since the memo holds only values it returned (never a
        blank string). Anything else (a miss, a multivalue) goes through `source_value`."""
        memo_get, names = self._by_value.get, self.required_fields
        source_value, field, values_of = self._source_value, self._field, self._values_of
        stale: Optional[Dict[str, None]] = None
        for record in records:
            if stale is None:
                stale = dict.fromkeys(name for name in self.output_fields if name in record)
            if stale:
                record.update(stale)
            values = None
            get = record.get
            for name in names:
                value = get(name)
                if value:
                    if value.__class__ is str:
                        values = memo_get(value)
                    break
            if values is None:
                try:
                    values = values_of(source_value(record, field))
                except Exception as error:  # noqa: BLE001 - one bad event must never stop the search
                    values = self._error_values(error)
            if values:
                record.update(values)
            yield record

    def _values_of(self, value: str) -> Dict[str, OutputValue]:
        """The prefixed values of `describe_value(value)`, memoised (bounded) by value. Its values
        are strings and tuples of strings, never empty: a one-value tuple goes out as its string
        (as `to_search_value` writes it, and cheaper for splunklib's writer on every record that
        repeats the value), a longer one as the tuple itself, which splunklib writes as a list:
        the tuples the core shares among its results stay shared."""
        memo = self._by_value
        values = memo.get(value)
        if values is not None:
            return values
        prefixed = self._prefixed
        values = {prefixed[name]: described[0] if described.__class__ is tuple and len(described) == 1
                  else described
                  for name, described in self._describe_value(value).items()}
        if len(value) <= MEMO_VALUE_LENGTH:  # ("" too: never looked up by the loop, which skips it)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[value] = values
        return values

    def _annotate_by_result(self, records: Iterable[MutableMapping[str, Any]]) -> Iterator[MutableMapping[str, Any]]:
        """`annotate` for any describer: its result per record, converted once per result.

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
