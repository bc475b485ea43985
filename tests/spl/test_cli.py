"""tools/spl.py as a new user runs it (a separate process, as documented in the README)."""
import json
import os
import subprocess
import sys

from tests.harness import ROOT, ensure_built
from tests.standin.events import corpus_paths

SPL = os.path.join(ROOT, "tools", "spl.py")


def spl(*args: str):
    ensure_built()
    return subprocess.run([sys.executable, SPL, "run", *args], capture_output=True, text=True, timeout=300)


def test_search_prints_one_json_object_per_row():
    done = spl("--search", '| makeresults count=2 | eval x=split("a,b", ","), y=1+1 | table x y', "--now", "1700000000")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows == [{"fields": {"x": ["a", "b"], "y": "2"}, "events": []}] * 2


def test_parse_error_exits_2_naming_the_position():
    done = spl("--search", "| makeresults | eval x=(1")
    assert done.returncode == 2
    assert "at character" in done.stderr and done.stdout == ""


def test_unsupported_command_exits_2_naming_it():
    done = spl("--search", "| makeresults | timechart count")
    assert done.returncode == 2 and "'timechart'" in done.stderr and "at character 16" in done.stderr


def test_saved_search_over_events_with_scan_figures():
    done = spl("--saved", "LOTL - DTUtil Package Staged in User-Writable Path - Rule",
               "--events", *corpus_paths("samples"), "--presentation", "decoded", "--scan", "--now", "1900000000")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[-1] == {"scan": {"scanned": 1, "matched": 1, "rows": 1}}
    assert lines[0]["events"] == [["dtutil_ssis_transfers.jsonl", "5003", "11"]]
    assert lines[0]["fields"]["file_path"] == "C:\\Users\\Public\\loader.dtsx"


def test_time_window_and_lookups_options(tmp_path):
    lookups = tmp_path / "lookups"
    lookups.mkdir()
    (lookups / "lotl_maintenance_windows.csv").write_text(
        "host,start,end,ticket,comment\nssis-ws01*,2025-06-02T09:00:00Z,2025-06-02T09:30:00Z,CHG-3,\n")
    common = ["--saved", "LOTL - DTUtil Package Staged in User-Writable Path - Rule", "--events",
              *corpus_paths("samples"), "--now", "1900000000"]
    assert spl(*common).stdout.count('"fields"') == 1
    assert spl(*common, "--lookups", str(lookups)).stdout.count('"fields"') == 0  # inside the window
    assert spl(*common, "--earliest", "1748856000", "--latest", "1748857000").stdout.count('"fields"') == 0
