"""`make bench`: records per CPU-second of each command, from the BUILT app, through protocol v2.

Rows: the plain `csv` round trip with the same framing (the practical limit for Python), the
splunklib passthrough (the floor every splunklib command stands on), `dtutilargs`, `epochshare`.
Inputs: (a) full-width events, the 24 fields of the recorded `sum.map` search plus a
`CommandLine` and a `RelativeTargetName` column filled from a realistic mix; (b) the same events
narrowed as splunkd sends them to a command that declares `required_fields` (those fields plus
`_chunked_idx`). Sizes 10k, 100k and 1M records in 50,000-record chunks, as splunkd sends them.
Also, for comparison, the real Windows events of ../shared, full width and narrowed (100k).
A floor row per command: the passthrough reading what the command reads and writing as many
(empty) output fields: splunklib's own cost for a command of that shape.
(c) dtutil only: the same recorded events with a `CommandLine` column in which every value is a
dtutil command line, jobs repeating (about 30% distinct lines), full width and narrowed (100k),
run by `dtutilargs`, its floor, and `values(dtutilargs)`: a splunklib command that reads the same
records and writes the same output values, precomputed in the bench (splunklib's own cost for
that output: the most dtutilargs can reach on that input).

What is measured is the command process's own CPU time (user + system, from wait4), which the
machine's noise moves far less than wall time, and its peak resident memory. Runs are
interleaved and repeated; the table shows the median and the spread (max/min - 1).

    python tools/bench.py [--sizes 10000,100000,1000000] [--event-sizes 100000] [--repeats 3]
                          [--dtutil-sizes 100000] [--commands csv,passthrough,...]
"""
import argparse
import csv
import gzip
import io
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import harness  # noqa: E402

SUM_MAP = os.path.join(os.path.dirname(ROOT), "shared", "splunkd-recordings", "scpv2-splunk-6.3",
                       "sum.map.input.gz")
CHUNK = harness.MAX_RESULT_ROWS
CSV_FLOOR = os.path.join(ROOT, "tests", "commands", "csv_roundtrip.py")
APP_COMMANDS = ("dtutilargs", "epochshare")
# floor(<command>): the passthrough reading what the command reads and writing as many output
# fields as it does, all empty (registered as the command registers its own): what splunklib
# alone costs a command of that shape, the most the command can reach.
FLOORS = {"floor(%s)" % command: command for command in APP_COMMANDS}
COMMANDS = ("csv", "passthrough") + tuple(FLOORS) + APP_COMMANDS
# values(<command>): a splunklib command reading what the command reads and writing, on each
# record, the very output values the command writes there, computed beforehand by the bench
# (PRECOMPUTED_FLOOR below): splunklib's own cost for that output, with no work of the command.
VALUE_FLOORS = {"values(%s)" % command: command for command in APP_COMMANDS}
# The rows run on the dtutil-only input (the issue-14 target: dtutilargs >= 0.7x its value floor).
DTUTIL_INPUT_COMMANDS = ("passthrough", "floor(dtutilargs)", "values(dtutilargs)", "dtutilargs")


# ---------------------------------------------------------------------------------------------
# Inputs


def recorded_events() -> Tuple[List[str], List[List[str]]]:
    """The 24 plain fields of the recorded sum.map chunk (its __mv_ columns are all empty)."""
    if not os.path.isfile(SUM_MAP):
        raise SystemExit("the sum.map recording is needed: %s (../shared is absent)" % SUM_MAP)
    with gzip.open(SUM_MAP, "rb") as handle:
        harness.read_message(handle)  # getinfo
        _metadata, body = harness.read_message(handle)
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    header = next(reader)
    plain = [i for i, name in enumerate(header) if not name.startswith("__mv_")]
    rows = [[row[i] for i in plain] for row in reader]
    return [header[i] for i in plain], rows


ORDINARY_COMMANDS = [
    r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
    r'"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --field-trial-handle=1636,{} /prefetch:1',
    r"C:\Windows\System32\RuntimeBroker.exe -Embedding",
    r'"C:\Windows\system32\cmd.exe" /c "C:\ProgramData\agent\collect.bat {}"',
    r"powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\scripts\inventory.ps1 -Id {}",
    r'"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTExec.exe" /F C:\etl\load_{}.dtsx',
    r"C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
    r"net use \\fileserver{}\share /persistent:no",
    r"C:\Windows\System32\msiexec.exe /V",
    r'"C:\Users\jdoe\AppData\Local\Microsoft\Teams\current\Teams.exe" --process-start-args "--system-initiated" {}',
]
DTUTIL_COMMANDS = [
    r"dtutil /FILE c:\myPackages\mypackage{}.dtsx /COPY FILE;c:\myTestPackages\mynewpackage.dtsx",
    r'"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTUtil.exe" /FILE \\fs{}\ssis$\pkgs\etl.dtsx /COPY FILE;C:\Users\Public\etl.dtsx',
    r"dtutil /SQL srcPackage{} /SOURCEUSER srcUserName /SOURCEPASSWORD $Hj45jhd@X /MOVE SQL;destPackage /DESTUSER destUserName /DESTPASSWORD !38dsFH@v",
    r"dtutil /FILE \\files.example.com@SSL@8443\DavWWWRoot\p{}.dtsx /DestServer 10.1.2.3,1444 /COPY SQL;p",
    r'cmd.exe /c "dtutil /I /FILE C:\pkgs\job{}.dtsx /Q"',
    r"dtutil.exe /FILE C:\Windows\System32\calc.exe /COPY FILE;C:\Users\Public\calc{}.exe",
]
IMPACKET_COMMANDS = [
    r"cmd.exe /Q /c whoami 1> \\127.0.0.1\ADMIN$\__{}.9400265 2>&1",
    r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__{}.61 2>&1",
    r"cmd.exe /C tasklist /v > %windir%\Temp\bouWFQYO.tmp 2>&1",
    r"%COMSPEC% /Q /c echo cd ^> \\%COMPUTERNAME%\C$\__output 2^>^&1 > %SYSTEMROOT%\aBcDeFgH.bat & %COMSPEC% /Q /c %SYSTEMROOT%\aBcDeFgH.bat & del %SYSTEMROOT%\aBcDeFgH.bat",
]
ORDINARY_SHARE_PATHS = [
    r"Users\jdoe\Documents\report{}.docx", r"Windows\assembly\GAC_MSIL\System\2.0.0.0__b77a5c561934e089",
    r"Program Files\App\config{}.xml", r"__test__\fixtures\data.json", "IPC$", r"srvsvc",
    r"Users\jdoe\AppData\Local\Temp\abcdefgh.tmp",
]
ARTIFACTS = [r"__{}.894209", r"SYSTEM32\NMdzZfem.tmp", r"Temp\CYAlyNSS.tmp", "__output", "__{}"]


def hostile(rng: random.Random) -> str:
    unit = rng.choice(['\\', '"', '\\"', "/", "-", "__1", "dtutil ", "/FILE ", "^", "%"])
    return unit * rng.randint(500, 5000)


def pick(rng: random.Random, pool: Sequence[str], variety: int) -> str:
    """A value from the pool, with one of `variety` fillers: few distinct values, many repeats."""
    return rng.choice(pool).replace("{}", str(1_600_000_000 + rng.randrange(variety)), 1)


def command_line(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return pick(rng, ORDINARY_COMMANDS, 50)
    if roll < 0.65:
        return pick(rng, DTUTIL_COMMANDS, 20)
    if roll < 0.72:
        return pick(rng, IMPACKET_COMMANDS, 20)
    if roll < 0.74:
        return pick(rng, ORDINARY_COMMANDS, 10**6) + " " + "x" * rng.randint(2000, 8000)
    if roll < 0.75:
        return hostile(rng)
    return ""


def relative_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return ""
    if roll < 0.95:
        return pick(rng, ORDINARY_SHARE_PATHS, 100)
    if roll < 0.99:
        return pick(rng, ARTIFACTS, 20)
    return hostile(rng)

# The dtutil-only input: what the saved searches feed dtutilargs (every event a dtutil command
# line). Scheduled jobs repeat their lines, so each new line recurs at random later on: about
# DTUTIL_DISTINCT of the records hold a line not seen before. The templates follow Microsoft's
# documented syntax and the places dtutil is started from (a batch file, cmd /c, PowerShell,
# SQL Server Agent's CmdExec steps with the full image path).
DTUTIL_DISTINCT = 0.3
DTUTIL_JOBS = [
    r"dtutil /FILE C:\etl\{n}\load.dtsx /COPY SQL;etl/{n}/load /DestServer sql{k}.corp.example.com /Q",
    r'"C:\Program Files\Microsoft SQL Server\{v}\DTS\Binn\DTUtil.exe" /SQL "\etl\{n}" /SourceServer SQL{k}\INST1 /COPY FILE;D:\backup\{n}.dtsx /Q',
    r"dtutil.exe /FILE \\fs{k}.corp.example.com\ssis$\releases\{n}.dtsx /COPY FILE;C:\SSIS\{n}.dtsx /Quiet",
    r"dtutil /SQL {n} /SOURCEUSER etl_{k} /SOURCEPASSWORD Pw{n}x! /MOVE SQL;archive/{n} /DESTUSER etl_{k} /DESTPASSWORD Qw{n}y?",
    r'cmd.exe /c "dtutil /FILE C:\pkgs\{n}.dtsx /ENCRYPT file;C:\pkgs\enc\{n}.dtsx;3;Enc{n} /Q"',
    r'cmd /c dtutil /DTS "File System\{n}" /EXISTS & if errorlevel 1 echo missing {n}',
    r"dtutil /FILE \\files{k}.example.com@SSL@8443\DavWWWRoot\ssis\{n}.dtsx /DestServer 10.{k}.2.3,1444 /COPY SQL;{n}",
    r'powershell.exe -NoProfile -Command "& dtutil /SQL {n} /SourceServer tcp:db{k},1433 /DELETE /Q"',
    r"dtutil /I /FILE C:\Deploy\{v}\{n}.dtsx",
    r'"D:\MSSQL\{v}\DTS\Binn\dtutil.exe" /FDirectory SQL;\{n};S /SourceServer (local)',
    r"dtutil /FILE C:\Users\svc_etl{k}\AppData\Local\Temp\{n}.dtsx /COPY FILE;\\nas{k}\drop\{n}.dtsx",
    r"dtutil /FCreate SQL;\;{n} /SourceServer SQL{k} /SourceUser sa /SourcePassword S{n}",
]


def dtutil_lines(rng: random.Random, size: int) -> List[str]:
    """`size` dtutil command lines: a new job's line with probability DTUTIL_DISTINCT, else one
    of the lines seen so far, uniformly (a job running again)."""
    lines: List[str] = []
    seen: List[str] = []
    for _ in range(size):
        if not seen or rng.random() < DTUTIL_DISTINCT:
            template = rng.choice(DTUTIL_JOBS)
            line = template.replace("{n}", "job%05d" % len(seen)).replace(
                "{k}", str(rng.randrange(1, 40))).replace("{v}", rng.choice(("130", "140", "150", "160")))
            seen.append(line)
        else:
            line = rng.choice(seen)
        lines.append(line)
    return lines


class Workload:
    """Chunk bodies for one input and size, built once and replayed to every command."""

    def __init__(self, fieldnames: List[str], rows: List[List[str]]) -> None:
        self.fieldnames = fieldnames
        self.rows = rows
        self._bodies: Dict[Tuple[str, ...], List[bytes]] = {}
        self._values: Dict[str, str] = {}
        self._values_dir: Optional[tempfile.TemporaryDirectory] = None

    def values_file(self, command: str) -> str:
        """A pickle of `precomputed_values(command, self)`, written once."""
        if command not in self._values:
            if self._values_dir is None:
                self._values_dir = tempfile.TemporaryDirectory(prefix="lotl-bench-values-")
            path = os.path.join(self._values_dir.name, command + ".pickle")
            with open(path, "wb") as handle:
                pickle.dump(precomputed_values(command, self), handle, protocol=4)
            self._values[command] = path
        return self._values[command]

    @classmethod
    def synthetic(cls, header: List[str], rows: List[List[str]], size: int, seed: int) -> "Workload":
        """The recorded sum.map events with a command-line and a relative-name column."""
        rng = random.Random(seed)
        return cls(header + ["CommandLine", "RelativeTargetName"],
                   [rows[i % len(rows)] + [command_line(rng), relative_name(rng)] for i in range(size)])

    @classmethod
    def dtutil_only(cls, header: List[str], rows: List[List[str]], size: int, seed: int) -> "Workload":
        """The recorded sum.map events with a `CommandLine` column of dtutil lines only."""
        lines = dtutil_lines(random.Random(seed), size)
        return cls(header + ["CommandLine"], [rows[i % len(rows)] + [lines[i]] for i in range(size)])

    @classmethod
    def real_events(cls, size: int) -> "Workload":
        """The 7,714 real Windows events of ../shared (Sysmon, Security, System; every field
        but _raw, which the files do not hold), in file order, repeated up to `size`."""
        from tests import datasets

        if not datasets.datasets_present():
            raise SystemExit("the real events are needed: %s (../shared is absent)" % datasets.DATASETS_DIR)
        events = [event for _name, event in datasets.iter_events()]
        fieldnames = list(dict.fromkeys(name for event in events for name in event))
        table = [[event.get(name, "") for name in fieldnames] for event in events]
        return cls(fieldnames, [table[i % len(table)] for i in range(size)])

    def bodies(self, fields: Optional[Sequence[str]]) -> List[bytes]:
        """CSV bodies of at most CHUNK records: every field, or only `fields` + _chunked_idx."""
        key = tuple(fields) if fields else ()
        if key not in self._bodies:
            if fields:
                present = [f for f in fields if f in self.fieldnames]
                columns = [self.fieldnames.index(f) for f in present]
                names = present + ["_chunked_idx"]
            else:
                columns, names = list(range(len(self.fieldnames))), list(self.fieldnames)
            chunks = []
            for start in range(0, len(self.rows), CHUNK):
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(names + ["__mv_" + n for n in names])
                blanks = [""] * len(names)
                for index, row in enumerate(self.rows[start:start + CHUNK]):
                    values = [row[c] for c in columns]
                    if fields:
                        values.append(str(index))
                    writer.writerow(values + blanks)
                chunks.append(out.getvalue().encode("utf-8"))
            self._bodies[key] = chunks
        return self._bodies[key]


# ---------------------------------------------------------------------------------------------
# Running one command over one workload


class Measurement:
    def __init__(self, records: int, cpu: float, peak_kb: int) -> None:
        self.records, self.cpu, self.peak_kb = records, cpu, peak_kb

    @property
    def rate(self) -> float:
        return self.records / self.cpu if self.cpu > 0 else float("inf")


def program(command: str) -> str:
    """The command that runs for a row: a floor row runs the passthrough, a value floor the
    precomputed-values command."""
    if command in FLOORS:
        return "passthrough"
    if command in VALUE_FLOORS:
        return "precomputed"
    return command


# The value floor's command, written beside the built app's lib/ as the passthrough is: it
# declares the fields it is told to (as the app's command does), registers the output fields,
# and sets on each record, in order, the values the bench computed with the app's own code.
PRECOMPUTED_FLOOR = '''"""precomputed: the value floor of tools/bench.py (generated; never shipped)."""
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from splunklib.searchcommands import Configuration, Option, StreamingCommand, dispatch, validators  # noqa: E402


@Configuration(distributed=True)
class PrecomputedCommand(StreamingCommand):
    fields = Option(require=False, validate=validators.List())
    values = Option(require=True)

    def prepare(self):
        with open(self.values, "rb") as handle:
            names, per_record = pickle.load(handle)
        if self.fields:
            self.configuration.required_fields = list(self.fields)
        self.gen_record(**dict.fromkeys(names))
        self._take = iter(per_record).__next__

    def stream(self, records):
        take = self._take
        for record in records:
            values = take()
            if values:
                record.update(values)
            yield record


if __name__ == "__main__":
    dispatch(PrecomputedCommand, sys.argv, sys.stdin, sys.stdout, __name__)
'''


def precomputed_script(workdir: str) -> str:
    """The value floor's command, in a bin/ beside the built app's lib/."""
    harness.ensure_built()
    bin_dir = os.path.join(workdir, "app", "bin")
    os.makedirs(bin_dir, exist_ok=True)
    os.symlink(os.path.join(harness.BUILT_APP, "lib"), os.path.join(workdir, "app", "lib"))
    script = os.path.join(bin_dir, "precomputed.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(PRECOMPUTED_FLOOR)
    return script


def script_for(command: str, workdir: str) -> str:
    if command == "csv":
        return CSV_FLOOR
    if command in VALUE_FLOORS:
        return precomputed_script(workdir)
    return harness.script_for(program(command), workdir)


def precomputed_values(command: str, workload: "Workload") -> Tuple[List[str], list]:
    """(output field names, per record the values the app command writes there), computed by the
    built app's own describer and Annotator: what the value floor writes."""
    sys.path.insert(0, os.path.join(harness.BUILT_APP, "bin"))
    try:
        from lotl.annotate import Annotator
    finally:
        sys.path.pop(0)
    module, prefix = describer(command)
    annotator = Annotator(module, prefix)
    names = workload.fieldnames
    values = [annotator.converted(module.describe(dict(zip(names, row)))) for row in workload.rows]
    return annotator.output_fields, values


def describer(command: str):
    """(the built app's core module, the default prefix) of an app command."""
    sys.path.insert(0, os.path.join(harness.BUILT_APP, "bin"))
    try:
        from lotl import dtutil, impacket
    finally:
        sys.path.pop(0)
    return {"dtutilargs": (dtutil, "dtutil_"), "epochshare": (impacket, "epoch_")}[command]


def output_fields(command: str) -> List[str]:
    """The output field names an app command registers."""
    module, prefix = describer(command)
    return [prefix + name for name in module.OUTPUT_FIELDS]


def required_fields(command: str) -> List[str]:
    return list(harness.run_command(command, []).getinfo.get("required_fields") or [])


def arguments(command: str, fields: Optional[Sequence[str]], workload: Optional["Workload"] = None) -> List[str]:
    """A floor's options for a row: narrowed like the command, writing its outputs (empty, or
    for a value floor the workload's precomputed values)."""
    args = []
    if program(command) in ("passthrough", "precomputed") and fields:
        args.append("fields=" + ",".join(fields))
    if command in FLOORS:
        args.append("empty=" + ",".join(output_fields(FLOORS[command])))
    if command in VALUE_FLOORS:
        if workload is None:
            raise ValueError("a value floor needs its workload")
        args.append("values=" + workload.values_file(VALUE_FLOORS[command]))
    return args


def measure(command: str, args: Sequence[str], bodies: Sequence[bytes], records: int) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="lotl-bench-") as workdir:
        script = script_for(command, workdir)
        process = subprocess.Popen(harness.interpreter_command() + [script], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workdir)
        process.stdin.write(harness.frame(harness.getinfo_metadata(args, workdir, program(command))))
        process.stdin.flush()
        harness.read_message(process.stdout)
        for body in bodies:
            process.stdin.write(harness.frame({"action": "execute", "finished": False}, body))
            process.stdin.flush()
            if harness.read_message(process.stdout) is None:
                raise SystemExit("%s stopped answering" % command)
        peak_kb = high_water_kb(process.pid)  # every record is through: the peak is reached
        process.stdin.write(harness.frame({"action": "execute", "finished": True}))
        process.stdin.close()
        process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit("%s exited with %d" % (command, process.returncode))
        return Measurement(records, usage.ru_utime + usage.ru_stime, peak_kb)


def high_water_kb(pid: int) -> int:
    """The process's peak resident memory, VmHWM. Not wait4's ru_maxrss: Linux carries the
    parent's high-water mark across fork and exec into it, and this parent holds the inputs."""
    with open("/proc/%d/status" % pid, encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise SystemExit("no VmHWM for process %d" % pid)


# ---------------------------------------------------------------------------------------------
# The table


def spread(values: Sequence[float]) -> float:
    return max(values) / min(values) - 1 if min(values) > 0 else float("inf")


INPUTS = ("synthetic", "events", "dtutil")
INPUT_LABELS = {"synthetic": "", "events": "real events, ", "dtutil": "dtutil only, "}
SHAPES = ("full", "narrowed")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--event-sizes", default="100000",
                        help="sizes of the real-events input; empty for none")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtutil-sizes", default="100000",
                        help="sizes of the dtutil-only input; empty for none")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--dtutil-commands", default=",".join(DTUTIL_INPUT_COMMANDS),
                        help="the rows run on the dtutil-only input")
    options = parser.parse_args(argv)
    sizes = {"synthetic": [int(s) for s in options.sizes.split(",") if s],
             "events": [int(s) for s in options.event_sizes.split(",") if s],
             "dtutil": [int(s) for s in options.dtutil_sizes.split(",") if s]}
    commands = {"synthetic": options.commands.split(","), "events": options.commands.split(","),
                "dtutil": options.dtutil_commands.split(",")}
    harness.ensure_built()
    header, rows = recorded_events()
    # Each command's narrowed input is what splunkd would send it, and its floor's too; the
    # passthrough is narrowed to the union of the two commands' fields for its own narrowed row.
    narrow = {c: required_fields(c) for c in APP_COMMANDS}
    narrow["passthrough"] = sorted({f for fields in narrow.values() for f in fields})
    narrow.update((floor, narrow[command]) for floor, command in FLOORS.items())
    narrow.update((floor, narrow[command]) for floor, command in VALUE_FLOORS.items())
    workloads = {("synthetic", size): Workload.synthetic(header, rows, size, seed=size) for size in sizes["synthetic"]}
    workloads.update((("events", size), Workload.real_events(size)) for size in sizes["events"])
    workloads.update((("dtutil", size), Workload.dtutil_only(header, rows, size, seed=size))
                     for size in sizes["dtutil"])
    runs: Dict[Tuple[str, str, int, str], List[Measurement]] = {}
    for repeat in range(options.repeats):
        for (source, size), workload in workloads.items():
            for shape in SHAPES:
                for command in commands[source]:
                    if shape == "narrowed" and command not in narrow:
                        continue
                    fields = narrow.get(command) if shape == "narrowed" else None
                    result = measure(command, arguments(command, fields, workload), workload.bodies(fields), size)
                    runs.setdefault((source, shape, size, command), []).append(result)
                    print("  run %d %-9s %-8s %8d %-18s %9.0f rec/CPU-s %7.1f MB" % (
                        repeat + 1, source, shape, size, command, result.rate, result.peak_kb / 1024),
                        file=sys.stderr)
    print(render(runs, sizes, commands))
    return 0


def render(runs, sizes, commands) -> str:
    """The table: per row the median rate and memory, and the ratios the targets are stated in.
    `sizes` and `commands`: per input."""
    lines = ["| input | records | command | records/CPU-s (median) | spread | x passthrough (same input) "
             "| x passthrough (full width) | x its floor | x its value floor | peak RSS MB | RSS x passthrough |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def median(key, attribute):
        found = runs.get(key)
        return statistics.median(getattr(m, attribute) for m in found) if found else None

    def ratio(value, reference):
        return "%.2f" % (value / reference) if value and reference else ""

    for source in INPUTS:
        for shape in SHAPES:
            for size in sizes[source]:
                for command in commands[source]:
                    found = runs.get((source, shape, size, command))
                    if not found:
                        continue
                    rate = median((source, shape, size, command), "rate")
                    peak = median((source, shape, size, command), "peak_kb")
                    label = INPUT_LABELS[source] + ("full width" if shape == "full" else "narrowed")
                    lines.append("| %s | %s | %s | %s | %.0f%% | %s | %s | %s | %s | %.1f | %s |" % (
                        label, "{:,}".format(size), command,
                        "{:,.0f}".format(rate), 100 * spread([m.rate for m in found]),
                        ratio(rate, median((source, shape, size, "passthrough"), "rate")),
                        ratio(rate, median((source, "full", size, "passthrough"), "rate")),
                        ratio(rate, median((source, shape, size, "floor(%s)" % command), "rate")),
                        ratio(rate, median((source, shape, size, "values(%s)" % command), "rate")),
                        peak / 1024, ratio(peak, median((source, shape, size, "passthrough"), "peak_kb"))))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
