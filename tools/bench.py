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

What is measured is the command process's own CPU time (user + system, from wait4), which the
machine's noise moves far less than wall time, and its peak resident memory. Runs are
interleaved and repeated; the table shows the median and the spread (max/min - 1).

    python tools/bench.py [--sizes 10000,100000,1000000] [--event-sizes 100000] [--repeats 3]
                          [--commands csv,passthrough,...]
"""
import argparse
import csv
import gzip
import io
import os
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


class Workload:
    """Chunk bodies for one input and size, built once and replayed to every command."""

    def __init__(self, fieldnames: List[str], rows: List[List[str]]) -> None:
        self.fieldnames = fieldnames
        self.rows = rows
        self._bodies: Dict[Tuple[str, ...], List[bytes]] = {}

    @classmethod
    def synthetic(cls, header: List[str], rows: List[List[str]], size: int, seed: int) -> "Workload":
        """The recorded sum.map events with a command-line and a relative-name column."""
        rng = random.Random(seed)
        return cls(header + ["CommandLine", "RelativeTargetName"],
                   [rows[i % len(rows)] + [command_line(rng), relative_name(rng)] for i in range(size)])

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
    """The command that runs for a row: a floor row runs the passthrough."""
    return "passthrough" if command in FLOORS else command


def script_for(command: str, workdir: str) -> str:
    if command == "csv":
        return CSV_FLOOR
    return harness.script_for(program(command), workdir)


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


def arguments(command: str, fields: Optional[Sequence[str]]) -> List[str]:
    """The passthrough's options for a row: narrowed like the command, writing its outputs."""
    args = []
    if program(command) == "passthrough" and fields:
        args.append("fields=" + ",".join(fields))
    if command in FLOORS:
        args.append("empty=" + ",".join(output_fields(FLOORS[command])))
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


INPUTS = ("synthetic", "events")
SHAPES = ("full", "narrowed")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--event-sizes", default="100000",
                        help="sizes of the real-events input; empty for none")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    options = parser.parse_args(argv)
    sizes = {"synthetic": [int(s) for s in options.sizes.split(",") if s],
             "events": [int(s) for s in options.event_sizes.split(",") if s]}
    commands = options.commands.split(",")
    harness.ensure_built()
    header, rows = recorded_events()
    # Each command's narrowed input is what splunkd would send it, and its floor's too; the
    # passthrough is narrowed to the union of the two commands' fields for its own narrowed row.
    narrow = {c: required_fields(c) for c in APP_COMMANDS}
    narrow["passthrough"] = sorted({f for fields in narrow.values() for f in fields})
    narrow.update((floor, narrow[command]) for floor, command in FLOORS.items())
    workloads = {("synthetic", size): Workload.synthetic(header, rows, size, seed=size) for size in sizes["synthetic"]}
    workloads.update((("events", size), Workload.real_events(size)) for size in sizes["events"])
    runs: Dict[Tuple[str, str, int, str], List[Measurement]] = {}
    for repeat in range(options.repeats):
        for (source, size), workload in workloads.items():
            for shape in SHAPES:
                for command in commands:
                    if shape == "narrowed" and command not in narrow:
                        continue
                    fields = narrow.get(command) if shape == "narrowed" else None
                    result = measure(command, arguments(command, fields), workload.bodies(fields), size)
                    runs.setdefault((source, shape, size, command), []).append(result)
                    print("  run %d %-9s %-8s %8d %-18s %9.0f rec/CPU-s %7.1f MB" % (
                        repeat + 1, source, shape, size, command, result.rate, result.peak_kb / 1024),
                        file=sys.stderr)
    print(render(runs, sizes, commands))
    return 0


def render(runs, sizes, commands) -> str:
    """The table: per row the median rate and memory, and the ratios the targets are stated in."""
    lines = ["| input | records | command | records/CPU-s (median) | spread | x passthrough (same input) "
             "| x passthrough (full width) | x its floor | peak RSS MB | RSS x passthrough |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]

    def median(key, attribute):
        found = runs.get(key)
        return statistics.median(getattr(m, attribute) for m in found) if found else None

    def ratio(value, reference):
        return "%.2f" % (value / reference) if value and reference else ""

    for source in INPUTS:
        for shape in SHAPES:
            for size in sizes[source]:
                for command in commands:
                    found = runs.get((source, shape, size, command))
                    if not found:
                        continue
                    rate = median((source, shape, size, command), "rate")
                    peak = median((source, shape, size, command), "peak_kb")
                    label = ("full width" if shape == "full" else "narrowed")
                    if source == "events":
                        label = "real events, " + label
                    lines.append("| %s | %s | %s | %s | %.0f%% | %s | %s | %s | %.1f | %s |" % (
                        label, "{:,}".format(size), command,
                        "{:,.0f}".format(rate), 100 * spread([m.rate for m in found]),
                        ratio(rate, median((source, shape, size, "passthrough"), "rate")),
                        ratio(rate, median((source, "full", size, "passthrough"), "rate")),
                        ratio(rate, median((source, shape, size, "floor(%s)" % command), "rate")),
                        peak / 1024, ratio(peak, median((source, shape, size, "passthrough"), "peak_kb"))))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
