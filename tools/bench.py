"""`make bench`: records per CPU-second of each command, from the BUILT app, through protocol v2.

Rows: the plain `csv` round trip with the same framing (the practical limit for Python), the
splunklib passthrough (the floor every splunklib command stands on), `dtutilargs`, `epochshare`.
Inputs: (a) full-width events, the 24 fields of the recorded `sum.map` search plus a
`CommandLine` and a `RelativeTargetName` column filled from a realistic mix; (b) the same events
narrowed as splunkd sends them to a command that declares `required_fields` (those fields plus
`_chunked_idx`). Sizes 10k, 100k and 1M records in 50,000-record chunks, as splunkd sends them.

What is measured is the command process's own CPU time (user + system, from wait4), which the
machine's noise moves far less than wall time, and its peak resident memory. Runs are
interleaved and repeated; the table shows the median and the spread (max/min - 1).

    python tools/bench.py [--sizes 10000,100000,1000000] [--repeats 3] [--markdown]
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
COMMANDS = ("csv", "passthrough", "passthrough+empty", "dtutilargs", "epochshare")
# The passthrough that also writes dtutilargs' 18 output fields, empty: splunklib's own floor for
# a command with that output, narrowed as dtutilargs is.
EMPTY_OUTPUTS = ["dtutil_%02d" % i for i in range(18)]


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
    """Chunk bodies for one input shape and size, built once and replayed to every command."""

    def __init__(self, header: List[str], rows: List[List[str]], size: int, seed: int) -> None:
        rng = random.Random(seed)
        self.fieldnames = header + ["CommandLine", "RelativeTargetName"]
        self.rows = [rows[i % len(rows)] + [command_line(rng), relative_name(rng)] for i in range(size)]
        self._bodies: Dict[Tuple[str, ...], List[bytes]] = {}

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


def script_for(command: str, workdir: str) -> str:
    if command == "csv":
        return CSV_FLOOR
    return harness.script_for(command.split("+")[0], workdir)


def required_fields(command: str, args: Sequence[str]) -> List[str]:
    if command == "csv" or command.startswith("passthrough"):
        return []
    return list(harness.run_command(command, [], args=args).getinfo.get("required_fields") or [])


def measure(command: str, args: Sequence[str], bodies: Sequence[bytes], records: int) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="lotl-bench-") as workdir:
        script = script_for(command, workdir)
        process = subprocess.Popen(harness.interpreter_command() + [script], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workdir)
        process.stdin.write(harness.frame(harness.getinfo_metadata(args, workdir, command.split("+")[0])))
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    options = parser.parse_args(argv)
    sizes = [int(s) for s in options.sizes.split(",")]
    commands = options.commands.split(",")
    harness.ensure_built()
    header, rows = recorded_events()
    # Each command's narrowed input is what splunkd would send it; the passthrough is narrowed
    # to the union of the two commands' fields for its own narrowed row.
    narrow = {c: required_fields(c, []) for c in commands if c in ("dtutilargs", "epochshare")}
    union = sorted({f for fields in narrow.values() for f in fields})
    narrow["passthrough"] = union
    if "dtutilargs" in narrow:
        narrow["passthrough+empty"] = narrow["dtutilargs"]
    runs: Dict[Tuple[str, int, str], List[Measurement]] = {}
    workloads = {size: Workload(header, rows, size, seed=size) for size in sizes}
    for repeat in range(options.repeats):
        for size in sizes:
            for shape in ("full", "narrowed"):
                for command in commands:
                    if shape == "narrowed" and command not in narrow:
                        continue
                    fields = narrow.get(command) if shape == "narrowed" else None
                    args = []
                    if command.startswith("passthrough") and fields:
                        args.append("fields=" + ",".join(fields))
                    if command == "passthrough+empty":
                        args.append("empty=" + ",".join(EMPTY_OUTPUTS))
                    result = measure(command, args, workloads[size].bodies(fields), size)
                    runs.setdefault((shape, size, command), []).append(result)
                    print("  run %d %-8s %8d %-11s %9.0f rec/CPU-s %7.1f MB" % (
                        repeat + 1, shape, size, command, result.rate, result.peak_kb / 1024), file=sys.stderr)
    print(render(runs, sizes, commands))
    return 0


def render(runs, sizes, commands) -> str:
    lines = ["| input | records | command | records/CPU-s (median) | spread | x passthrough (same input) "
             "| x passthrough (full width) | peak RSS MB | RSS x passthrough |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for shape in ("full", "narrowed"):
        for size in sizes:
            base = runs.get(("full", size, "passthrough"))
            same = runs.get((shape, size, "passthrough"))
            for command in commands:
                found = runs.get((shape, size, command))
                if not found:
                    continue
                rate = statistics.median(m.rate for m in found)
                peak = statistics.median(m.peak_kb for m in found) / 1024
                same_rate = statistics.median(m.rate for m in same) if same else None
                base_rate = statistics.median(m.rate for m in base) if base else None
                same_peak = statistics.median(m.peak_kb for m in same) / 1024 if same else None
                lines.append("| %s | %s | %s | %s | %.0f%% | %s | %s | %.1f | %s |" % (
                    "full width" if shape == "full" else "narrowed", "{:,}".format(size), command,
                    "{:,.0f}".format(rate), 100 * spread([m.rate for m in found]),
                    "%.2f" % (rate / same_rate) if same_rate else "",
                    "%.2f" % (rate / base_rate) if base_rate else "",
                    peak, "%.2f" % (peak / same_peak) if same_peak else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
