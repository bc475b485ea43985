"""A prototype of two changes proposed to splunk-sdk-python (docs/performance.md), for measuring
them in process with `tools/profile_chunk.py --sdk-fast-paths`. Never shipped, never used by
the app: the commands run on the SDK as it is.

1. `RecordWriter._write_record`: when every value of a record is a `str` or None (what a
   streaming command's records nearly always hold), build the row with C-level calls instead
   of the per-value type dispatch; anything else takes the SDK's own path.
2. `SearchCommand._read_csv_records`: build each record with one `OrderedDict(zip(...))` and
   decode `__mv_` columns only when the record has one that is not empty; a chunk whose header
   is not laid out as splunkd lays it out (plain fields first, each `__mv_` twin after its
   field, no name twice) takes the SDK's own path, as does a row of the wrong length.

Both give the same bytes as the SDK: `profile_chunk.py --sdk-fast-paths --check` compares.
"""
import csv
from collections import OrderedDict

from splunklib.searchcommands.internals import CsvDialect, RecordWriter
from splunklib.searchcommands.search_command import SearchCommand

_STR_OR_NONE = frozenset((str, type(None)))
_sdk_write_record = RecordWriter._write_record
_sdk_read_csv_records = SearchCommand._read_csv_records


def _write_record(self, record):
    fieldnames = self._fieldnames
    if fieldnames is None:  # the chunk's first record: the SDK writes the header too
        return _sdk_write_record(self, record)
    values = list(map(record.get, fieldnames))
    if not _STR_OR_NONE.issuperset(map(type, values)):
        return _sdk_write_record(self, record)
    row = [None] * (2 * len(values))
    row[::2] = values
    self._writerow(row)
    self._pending_record_count += 1
    if self._pending_record_count >= self._maxresultrows:
        self.flush(partial=True)


def _splunkd_layout(header):
    """(plain names, [(column, name)] of the __mv_ columns), or None for another layout."""
    plain = [name for name in header if not name.startswith("__mv_")]
    twins = header[len(plain):]
    if header[:len(plain)] != plain or len(set(header)) != len(header):
        return None
    if any(not twin.startswith("__mv_") or twin[5:] not in plain for twin in twins):
        return None
    return plain, [(len(plain) + i, twin[5:]) for i, twin in enumerate(twins)]


def _read_csv_records(self, ifile):
    reader = csv.reader(ifile, dialect=CsvDialect)
    header = next(reader, None)
    if header is None:
        return
    layout = _splunkd_layout(header)
    if layout is None:
        ifile.seek(0)
        yield from _sdk_read_csv_records(self, ifile)
        return
    names, twins = layout
    width, first_twin = len(header), len(names)
    decode = self._decode_list
    for values in reader:
        if len(values) != width:  # the SDK's own reading of an odd row: zip and skip
            record = OrderedDict()
            for name, value in zip(header, values):
                if name.startswith("__mv_"):
                    if value:
                        record[name[5:]] = decode(value)
                elif name not in record:
                    record[name] = value
            yield record
            continue
        record = OrderedDict(zip(names, values))
        if any(values[first_twin:]):
            for column, name in twins:
                if values[column]:
                    record[name] = decode(values[column])
        yield record


def install() -> None:
    RecordWriter._write_record = _write_record
    SearchCommand._read_csv_records = _read_csv_records


def uninstall() -> None:
    RecordWriter._write_record = _sdk_write_record
    SearchCommand._read_csv_records = _sdk_read_csv_records
