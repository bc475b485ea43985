"""What the app's two search commands share: their options, their error messages and the loop.

This is the splunklib edge; the parsing and decoding live in the pure `lotl` package.
"""
import gc
import sys
from types import ModuleType

from splunklib.searchcommands import Option, StreamingCommand, validators

from lotl.annotate import Annotator

# A prefix makes field names: it starts with a letter (a leading `_` would hide the fields as
# internal ones) and holds only what Splunk field names hold.
PREFIX_PATTERN = r"^[A-Za-z][A-Za-z0-9_.]{0,63}$"


def prefix_option(default: str) -> Option:
    """The `prefix=` option, with the command's own default."""
    return Option(
        doc="Prefix of the output fields. Default: " + default,
        require=False,
        default=default,
        validate=validators.Match("a prefix of letters, digits, _ and .", PREFIX_PATTERN),
    )


class ExactReader:
    """A binary input stream whose read(n) returns n bytes or raises.

    splunklib reads a chunk's metadata and body with read(n) and does not check the length it
    got: a chunk cut short (splunkd killed, a pipe closed mid-chunk) would be processed as a
    shorter body, records silently lost, and the command would exit 0. Through this reader it
    stops with an error in search.log instead.
    """

    def __init__(self, stream) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if size > 0 and len(data) < size:
            raise EOFError("input ended %d bytes into a %d-byte read: the chunk was cut short"
                           % (len(data), size))
        return data

    def readline(self, *args) -> bytes:
        return self._stream.readline(*args)


def without_collector(records):
    """`records`, with Python's cyclic garbage collector paused while they are read.

    splunklib lists a whole chunk's records before writing any (`write_records`:
    `list(records)`), so none of them can be freed before the chunk ends, and neither the
    commands nor splunklib's reading create cycles per record (after a 50,000-record chunk run
    with the collector paused, a collection finds a few thousand objects at most, from the
    exceptions `ipaddress` raises for host names, cached per host). A collection mid-chunk can
    only walk the records: with dtutilargs it was one full collection per chunk, up to 0.2 CPU-s
    of 1.5 (docs/performance.md). Reference counting frees everything else as before, and the
    collector resumes as it was once the chunk is read, or if reading it fails."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield from records
    finally:
        if collecting:
            gc.enable()


class AnnotatingCommand(StreamingCommand):
    """A distributed streaming command that adds `<prefix><name>` fields to every record.

    Subclasses set `describer` (a pure module) and `prefix = prefix_option(<default>)`.
    """

    describer: ModuleType

    field = Option(
        doc="The field to read. Default: the describer's own list of fields, in order.",
        require=False,
        validate=validators.Fieldname(),
    )

    @property
    def usage(self) -> str:
        # splunklib names the command from its class (DtutilArgsCommand -> dtutilargs)
        return "%s [field=<field name>] [prefix=<string>]; valid options: field, prefix" % self.name

    def prepare(self) -> None:
        if self.fieldnames:
            self.write_error(
                "%s takes no positional arguments (got %s). Usage: %s"
                % (self.name, " ".join(self.fieldnames), self.usage)
            )
            sys.exit(1)
        self._annotate = Annotator(self.describer, self.prefix, self.field)
        # splunkd then sends only these fields (plus _chunked_idx) and merges the answer back:
        # the largest saving there is on wide events.
        self.configuration.required_fields = self._annotate.required_fields
        # Registers every output field with the record writer (splunklib's remedy for fields
        # missing from a chunk's first record, SDK issues #401/#407): each is then written on
        # every record, empty where it does not apply, and a record with nothing to report can
        # go out as it came.
        self.gen_record(**dict.fromkeys(self._annotate.output_fields))

    def stream(self, records):
        return without_collector(self._annotate.annotate(records))

    @staticmethod
    def _as_binary_stream(ifile):
        stream = StreamingCommand._as_binary_stream(ifile)
        return stream if isinstance(stream, ExactReader) else ExactReader(stream)

    def write_error(self, message, *args):
        # splunklib reports a bad option as "Unrecognized option: x=y" or "Illegal value: x=y";
        # say what is accepted, so the user can fix the search from the message alone.
        if message.startswith(("Unrecognized option", "Illegal value")):
            message = "%s. Usage: %s" % (message, self.usage)
        super().write_error(message, *args)
