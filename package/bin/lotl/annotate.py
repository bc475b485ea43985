"""Writes a describer's result onto a search result record, prefixed, one field per output name.

A describer is a module of the pure core (`lotl.dtutil`, `lotl.impacket`) with
`describe(record, field)`, `OUTPUT_FIELDS` and `required_fields(field)`. The search commands are
thin: they hand each record to an `Annotator`. Every output field is set on every record (empty
string when it does not apply), because splunklib drops a field that is missing from a chunk's
first record from the whole chunk.
"""
from types import ModuleType
from typing import Any, Dict, List, MutableMapping, Optional, Tuple, Union

OutputValue = Union[str, List[str]]


def to_search_value(value: Any) -> OutputValue:
    """A core value as splunklib writes it: str as is, a tuple as a multivalue (one value: that
    value; none: the empty string, so the field still exists on the record)."""
    if isinstance(value, str):
        return value
    values = [str(item) for item in value]
    if not values:
        return ""
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
        error_field = prefix + "error"
        self._error_field = error_field if "error" in describer.OUTPUT_FIELDS else None
        self._blank: Dict[str, OutputValue] = {prefixed: "" for _name, prefixed in self._names}
        self.required_fields: List[str] = list(describer.required_fields(field))

    def __call__(self, record: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        try:
            described = self._describe(record, self._field)
            for name, prefixed in self._names:
                record[prefixed] = to_search_value(described[name])
        except Exception as error:  # noqa: BLE001 - one bad event must never stop the search
            record.update(self._blank)
            if self._error_field:
                record[self._error_field] = "internal error: %s" % type(error).__name__
        return record
