"""Where one command spends its time over one 50,000-record chunk, in process.

`make bench` measures separate processes, as splunkd runs them; this runs a command's class from
the BUILT app inside this interpreter over the bench's own chunk, so that its time can be split
(cProfile) or compared under a change (the SDK prototype of `tools/sdk_fast_paths.py`). The
figures of docs/performance.md's profile come from here.

    python tools/profile_chunk.py dtutilargs                 # CPU seconds, best of --repeats
    python tools/profile_chunk.py dtutilargs --narrowed      # as splunkd sends it
    python tools/profile_chunk.py 'floor(epochshare)' --narrowed
    python tools/profile_chunk.py epochshare --narrowed --profile
    python tools/profile_chunk.py passthrough --sdk-fast-paths --check
    python tools/profile_chunk.py passthrough --sdk-split      # the SDK's reading and writing
    python tools/profile_chunk.py dtutilargs --narrowed --core-split   # the command's own work
    python tools/profile_chunk.py 'values(dtutilargs)' --dtutil --narrowed   # the dtutil-only input
    python tools/profile_chunk.py dtutilargs --distinct   # a cache miss: one parse of each distinct line

Instruction counts, which the machine's load does not change: run a command under
`valgrind --tool=cachegrind --cache-sim=no` with `--repeats 1` and again with `--repeats 0` (the
same setup, the chunk not run); the difference is the chunk's.

`--check` runs the chunk with and without the SDK prototype and fails unless both answers are the
same bytes.
"""
import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import sys
import tempfile
import time
from typing import List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import harness  # noqa: E402
from tools import bench  # noqa: E402

CLASSES = {"dtutilargs": "DtutilArgsCommand", "epochshare": "EpochShareCommand",
           "passthrough": "PassthroughCommand", "precomputed": "PrecomputedCommand"}


def command_class(program: str, workdir: Optional[str] = None):
    """The command's class, loaded from the built app (the passthrough from tests/commands, the
    value floor from the bench's generated script)."""
    sys.path[:0] = [os.path.join(harness.BUILT_APP, "bin"), os.path.join(harness.BUILT_APP, "lib")]
    if program == "passthrough":
        path = harness.PASSTHROUGH
    elif program == "precomputed":
        path = bench.precomputed_script(workdir or tempfile.mkdtemp(prefix="lotl-profile-"))
    else:
        path = os.path.join(harness.BUILT_APP, "bin", program + ".py")
    spec = importlib.util.spec_from_file_location("profiled_" + program, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, CLASSES[program])


def conversation(command: str, args: Sequence[str], body: bytes, workdir: str) -> bytes:
    """What splunkd writes to the command: getinfo, one chunk, the final empty chunk."""
    return (harness.frame(harness.getinfo_metadata(args, workdir, bench.program(command)))
            + harness.frame({"action": "execute", "finished": False}, body)
            + harness.frame({"action": "execute", "finished": True}))


def answer(cls, name: str, request: bytes) -> bytes:
    output = io.BytesIO()
    try:
        cls().process([name], io.BytesIO(request), output)
    except SystemExit as stop:
        if stop.code:
            raise
    return output.getvalue()


def best_of(repeats: int, make, function) -> float:
    """The least CPU time of `function(make())` over `repeats` runs, `make()` not counted."""
    times = []
    for _ in range(repeats):
        argument = make()
        started = time.process_time()
        function(argument)
        times.append(time.process_time() - started)
    return min(times)


def core_split(command: str, body: bytes, repeats: int):
    """An app command's own work over one chunk's records (as the SDK reads them), piece by
    piece: its describer alone, the describer on the long values only, the whole annotation,
    and what the SDK's writer pays for the values the command adds."""
    from splunklib.searchcommands.internals import RecordWriterV2
    from splunklib.searchcommands.search_command import SearchCommand

    from lotl.annotate import Annotator

    describer, prefix = bench.describer(command)
    text = body.decode("utf-8")

    def records():
        return list(SearchCommand._read_csv_records(None, io.StringIO(text)))

    def long_records():
        return [r for r in records() if any(isinstance(v, str) and len(v) > 1500 for v in r.values())]

    def annotated():
        return list(Annotator(describer, prefix).annotate(records()))

    def write(chunk):
        writer = RecordWriterV2(io.BytesIO())
        writer.custom_fields.update(prefix + name for name in describer.OUTPUT_FIELDS)
        writer.write_records(chunk)

    return [
        ("describe, every record", best_of(repeats, records, lambda rs: [describer.describe(r) for r in rs])),
        ("describe, the %d records with a value over 1,500 characters" % len(long_records()),
         best_of(repeats, long_records, lambda rs: [describer.describe(r) for r in rs])),
        ("Annotator.annotate (describe included)",
         best_of(repeats, records, lambda rs: list(Annotator(describer, prefix).annotate(rs)))),
        ("SDK writing the records, outputs registered, none set", best_of(repeats, records, write)),
        ("SDK writing the annotated records", best_of(repeats, annotated, write)),
    ]


def distinct_lines(workload, repeats: int, core: Optional[str] = None) -> int:
    """dtutil's parse of each distinct CommandLine of the chunk, uncached: what a cache miss
    costs, the part of dtutilargs' time that grows with the number of distinct lines. `core`: a
    directory holding another `lotl` package to time instead of the built app's (an earlier
    version: `git archive <commit> package/bin/lotl | tar -x -C /tmp/before`)."""
    if core:
        sys.path.insert(0, core)
        from lotl import dtutil as describer
    else:
        describer, _prefix = bench.describer("dtutilargs")
    column = workload.fieldnames.index("CommandLine")
    lines = list(dict.fromkeys(row[column] for row in workload.rows[:bench.CHUNK] if row[column]))
    seconds = best_of(repeats, lambda: lines, lambda ls: [describer.parse_uncached(line) for line in ls])
    print("%d distinct lines, %.1f us a line (best of %d)" % (len(lines), seconds / len(lines) * 1e6, repeats))
    return 0


def sdk_split(body: bytes, repeats: int):
    """How the SDK's own cost of one chunk divides: reading (the CSV parse, then building the
    records) and writing (RecordWriter, and csv.writer alone on the parsed rows)."""
    import csv

    from splunklib.searchcommands.internals import CsvDialect, RecordWriterV2
    from splunklib.searchcommands.search_command import SearchCommand

    text = body.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), dialect=CsvDialect))
    records = list(SearchCommand._read_csv_records(None, io.StringIO(text)))

    def timed(function) -> float:
        return best_of(repeats, lambda: None, lambda _nothing: function())

    return [
        ("csv.reader over the body", timed(lambda: list(csv.reader(io.StringIO(text), dialect=CsvDialect)))),
        ("SDK reading records (csv.reader included)",
         timed(lambda: list(SearchCommand._read_csv_records(None, io.StringIO(text))))),
        ("SDK writing the records (RecordWriterV2.write_records)",
         timed(lambda: RecordWriterV2(io.BytesIO()).write_records(records))),
        ("csv.writer alone over the parsed rows",
         timed(lambda: csv.writer(io.StringIO(), dialect=CsvDialect).writerows(rows))),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", help="dtutilargs, epochshare, passthrough, floor(dtutilargs), ...")
    parser.add_argument("--narrowed", action="store_true", help="the chunk as splunkd sends it")
    parser.add_argument("--events", action="store_true", help="the real events of ../shared")
    parser.add_argument("--dtutil", action="store_true", help="the dtutil-only input")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--sdk-fast-paths", action="store_true", help="with the SDK prototype")
    parser.add_argument("--check", action="store_true", help="same bytes with and without it")
    parser.add_argument("--sdk-split", action="store_true",
                        help="time the SDK's reading and writing of the chunk alone")
    parser.add_argument("--core-split", action="store_true",
                        help="time an app command's own work on the chunk's records, piece by piece")
    parser.add_argument("--distinct", action="store_true",
                        help="dtutilargs: parse each distinct command line of the chunk once, uncached "
                             "(run it under valgrind --tool=cachegrind for instruction counts)")
    parser.add_argument("--core", help="with --distinct: the directory of another lotl package to time")
    options = parser.parse_args(argv)
    if options.core_split and options.command not in bench.APP_COMMANDS:
        parser.error("--core-split times an app command's own work: dtutilargs or epochshare")
    harness.ensure_built()
    if options.distinct:
        header, rows = bench.recorded_events()
        return distinct_lines(bench.Workload.dtutil_only(header, rows, bench.CHUNK, seed=bench.CHUNK),
                              options.repeats, options.core)
    program = bench.program(options.command)
    workdir = tempfile.mkdtemp(prefix="lotl-profile-")
    cls = command_class(program, workdir)
    fields: Optional[List[str]] = None
    if options.narrowed:  # as the bench narrows the row: a floor like its command
        shaped_like = bench.FLOORS.get(options.command) or bench.VALUE_FLOORS.get(options.command, options.command)
        if shaped_like in bench.APP_COMMANDS:
            fields = bench.required_fields(shaped_like)
        else:  # the plain passthrough reads the union of the two commands' fields
            fields = sorted({f for c in bench.APP_COMMANDS for f in bench.required_fields(c)})
    if options.events:
        workload = bench.Workload.real_events(bench.CHUNK)
    elif options.dtutil:
        header, rows = bench.recorded_events()
        workload = bench.Workload.dtutil_only(header, rows, bench.CHUNK, seed=bench.CHUNK)
    else:
        header, rows = bench.recorded_events()
        workload = bench.Workload.synthetic(header, rows, bench.CHUNK, seed=bench.CHUNK)
    request = conversation(options.command, bench.arguments(options.command, fields, workload),
                           workload.bodies(fields)[0], workdir)
    from tools import sdk_fast_paths  # after command_class: it imports the built app's splunklib

    if options.core_split:
        for label, seconds in core_split(options.command, workload.bodies(fields)[0], options.repeats):
            print("%-56s %.3f CPU-s" % (label, seconds))
        return 0
    if options.sdk_split:
        body = workload.bodies(fields)[0]
        print("%-56s %.1f MB" % ("chunk body", len(body) / 1e6))
        for label, seconds in sdk_split(body, options.repeats):
            print("%-56s %.3f CPU-s" % (label, seconds))
        return 0
    if options.check:
        stock = answer(cls, program, request)
        sdk_fast_paths.install()
        fast = answer(cls, program, request)
        sdk_fast_paths.uninstall()
        print("same answer with and without the SDK prototype: %s (%d bytes)" % (stock == fast, len(stock)))
        return 0 if stock == fast else 1
    if options.sdk_fast_paths:
        sdk_fast_paths.install()
    if options.profile:
        profiler = cProfile.Profile()
        profiler.runcall(answer, cls, program, request)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return 0
    times = []
    for _ in range(options.repeats):
        started = time.process_time()
        answer(cls, program, request)
        times.append(time.process_time() - started)
    if not times:  # --repeats 0: the setup alone, the baseline of an instruction count
        print("%s: the chunk built, not run" % options.command)
        return 0
    print("%s%s%s: %.3f CPU-s per %d-record chunk (best of %d; worst %.3f)" % (
        options.command, " narrowed" if options.narrowed else " full width",
        " +sdk-fast-paths" if options.sdk_fast_paths else "", min(times), bench.CHUNK,
        options.repeats, max(times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
