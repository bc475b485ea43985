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
           "passthrough": "PassthroughCommand"}


def command_class(program: str):
    """The command's class, loaded from the built app (the passthrough from tests/commands)."""
    sys.path[:0] = [os.path.join(harness.BUILT_APP, "bin"), os.path.join(harness.BUILT_APP, "lib")]
    path = harness.PASSTHROUGH if program == "passthrough" else os.path.join(harness.BUILT_APP, "bin", program + ".py")
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", help="dtutilargs, epochshare, passthrough, floor(dtutilargs), ...")
    parser.add_argument("--narrowed", action="store_true", help="the chunk as splunkd sends it")
    parser.add_argument("--events", action="store_true", help="the real events of ../shared")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--sdk-fast-paths", action="store_true", help="with the SDK prototype")
    parser.add_argument("--check", action="store_true", help="same bytes with and without it")
    options = parser.parse_args(argv)
    harness.ensure_built()
    program = bench.program(options.command)
    cls = command_class(program)
    fields: Optional[List[str]] = None
    if options.narrowed:
        fields = (bench.required_fields(bench.FLOORS.get(options.command, options.command))
                  if program != "passthrough" or options.command in bench.FLOORS else
                  sorted({f for c in bench.APP_COMMANDS for f in bench.required_fields(c)}))
    if options.events:
        workload = bench.Workload.real_events(bench.CHUNK)
    else:
        header, rows = bench.recorded_events()
        workload = bench.Workload.synthetic(header, rows, bench.CHUNK, seed=bench.CHUNK)
    workdir = tempfile.mkdtemp(prefix="lotl-profile-")
    request = conversation(options.command, bench.arguments(options.command, fields),
                           workload.bodies(fields)[0], workdir)
    from tools import sdk_fast_paths  # after command_class: it imports the built app's splunklib

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
    print("%s%s%s: %.3f CPU-s per %d-record chunk (best of %d; worst %.3f)" % (
        options.command, " narrowed" if options.narrowed else " full width",
        " +sdk-fast-paths" if options.sdk_fast_paths else "", min(times), bench.CHUNK,
        options.repeats, max(times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
