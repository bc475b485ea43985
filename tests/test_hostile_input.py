"""Hostile input and protocol faults, through the splunkd harness: every event goes out, always.

Event data is attacker-controlled. A command that raises stops the customer's whole search, one
that hangs holds a search slot, one that drops records hides attacks. The bar is Splunk's own
built-in commands. docs/reliability.md summarises what these tests put the commands through.
"""
import json
import os
import random

import pytest

from tests import harness

COMMANDS = ["dtutilargs", "epochshare"]
OUTPUT_PREFIX = {"dtutilargs": "dtutil_", "epochshare": "epoch_"}
MEGABYTE = 1024 * 1024

DTUTIL = r'dtutil /FILE \\fs01\ssis$\p.dtsx /COPY FILE;"C:\My Packages\p.dtsx"'
WMIEXEC = r"cmd.exe /Q /c dir 1> \\127.0.0.1\ADMIN$\__1684944005.9400265 2>&1"


def hostile_records():
    """Events a command must pass through whatever they hold."""
    return [
        {"id": "empty", "CommandLine": "", "RelativeTargetName": "", "_time": ""},
        {"id": "missing"},
        {"id": "megabyte-quotes", "CommandLine": "dtutil " + '\\"' * (MEGABYTE // 2), "_time": "1700000000"},
        {"id": "megabyte-backslashes", "CommandLine": "\\" * MEGABYTE},
        {"id": "megabyte-digits", "RelativeTargetName": "__" + "1" * MEGABYTE},
        {"id": "megabyte-underscores", "CommandLine": "_" * MEGABYTE + WMIEXEC},
        {"id": "invalid-utf8", "CommandLine": b"dtutil /FILE \xff\xfe\\\\h\xc3\\s\\p.dtsx /COPY FILE;C:\\x.dtsx"},
        {"id": "nul", "CommandLine": "dtutil /FILE a\x00b /COPY FILE;c\x00d", "RelativeTargetName": "__\x001684944005.1"},
        {"id": "newlines-quotes", "CommandLine": 'dtutil /FILE "a\nb" /COPY FILE;"c\r\nd"\n' + WMIEXEC},
        {"id": "multivalue", "CommandLine": ["whoami", DTUTIL, WMIEXEC]},
        {"id": "time-missing", "CommandLine": WMIEXEC},
        {"id": "time-garbage", "CommandLine": WMIEXEC, "_time": "yesterday"},
        {"id": "time-nan", "CommandLine": WMIEXEC, "_time": "nan"},
        {"id": "time-inf", "CommandLine": WMIEXEC, "_time": "-inf"},
        {"id": "time-huge", "CommandLine": WMIEXEC, "_time": "1e400"},
        {"id": "option-soup", "CommandLine": "dtutil " + "/F /D -S /Encrypt ; " * 20000},
        {"id": "dtutil-repeated", "CommandLine": "dtutil " * 100000},
        {"id": "artifact-soup", "RelativeTargetName": "__12345" * 100000, "ShareName": "\\\\*\\ADMIN$"},
        {"id": "dollars", "CommandLine": ["$", "$$", "$;$"]},
    ]


def _expected_passthrough(record):
    """What splunkd would show for an input value after the round trip: invalid UTF-8 is
    replaced by U+FFFD on the way in (splunklib decodes with errors="replace")."""
    return {name: value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            for name, value in record.items()}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("narrowed", [True, False], ids=["as-splunkd-sends", "full-width"])
def test_every_hostile_record_goes_out_unchanged_but_for_the_new_fields(command, narrowed):
    records = hostile_records()
    result = harness.run_command(command, records, honour_required_fields=narrowed, timeout=300)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert result.errors() == []
    assert [r.get("id") for r in result.records] == [r["id"] for r in records]
    prefix = OUTPUT_PREFIX[command]
    for sent, got in zip(records, result.records):
        original = {k: v for k, v in got.items() if not k.startswith(prefix) and (k in sent or v != "")}
        assert original == _expected_passthrough(sent), sent["id"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("size", [0, 1, 50000])
def test_chunks_of_zero_one_and_fifty_thousand_records(command, size):
    rng = random.Random(size)
    pool = [DTUTIL, WMIEXEC, "", "notepad.exe", "cmd /c echo hi", "__17249"]
    records = [{"i": str(i), "CommandLine": rng.choice(pool), "RelativeTargetName": rng.choice(pool)}
               for i in range(size)]
    result = harness.run_command(command, records, timeout=600)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert [r["i"] for r in result.records] == [str(i) for i in range(size)]


@pytest.mark.parametrize("command", COMMANDS)
def test_many_small_chunks(command):
    records = [{"i": str(i), "CommandLine": [DTUTIL, WMIEXEC, ""][i % 3]} for i in range(600)]
    result = harness.run_command(command, records, chunk_size=1)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert [r["i"] for r in result.records] == [str(i) for i in range(600)]
    assert len(result.replies) == 1 + 600 + 1


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_chunks_between_full_ones(command):
    chunks = [[{"i": "0", "CommandLine": DTUTIL}], [], [{"i": "1", "CommandLine": WMIEXEC}], []]
    result = harness.run_command(command, chunks=chunks)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert [r["i"] for r in result.records] == ["0", "1"]


# ---------------------------------------------------------------------------------------------
# Protocol faults: the command must end, with a message for search.log, within seconds.


def _getinfo(command, args=()):
    return lambda dispatch_dir: harness.frame(harness.getinfo_metadata(list(args), dispatch_dir, command))


def _execute(body: bytes, finished=False) -> bytes:
    return harness.frame({"action": "execute", "finished": finished}, body)


GOOD_BODY = b"CommandLine,__mv_CommandLine\ndtutil /FILE a /COPY FILE;b,\n"
FAULTS = {
    "truncated-body": lambda g: lambda d: g(d) + _execute(GOOD_BODY)[:-10],
    "header-announces-more": lambda g: lambda d: g(d) + b'chunked 1.0,20,5000\n{"action":"execute"}' + GOOD_BODY,
    "metadata-not-json": lambda g: lambda d: g(d) + b"chunked 1.0,9,0\n{not json",
    "unknown-action": lambda g: lambda d: g(d) + harness.frame({"action": "dance", "finished": False}, GOOD_BODY),
    "garbage-header": lambda g: lambda d: g(d) + b"HELLO SPLUNK\n" + GOOD_BODY,
    "no-getinfo": lambda g: lambda d: _execute(GOOD_BODY),
    "stdin-closed-at-once": lambda g: lambda d: b"",
    "bad-csv-quote": lambda g: lambda d: g(d) + _execute(b'CommandLine,__mv_CommandLine\n"dtutil /FILE a\n'),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_protocol_faults_end_the_command_quickly_with_a_message(command, fault):
    result = harness.run_raw(command, FAULTS[fault](_getinfo(command)), timeout=20)
    said = result.stderr + json.dumps(result.messages())
    if fault == "stdin-closed-at-once":
        assert result.exit_code in (0, 1)  # nothing was asked; nothing to say
        return
    if fault == "bad-csv-quote":
        # An unterminated quote in the body is valid CSV up to the end of the body: the record
        # goes out, whole, with the rest of the body as its value.
        assert result.exit_code == 0, said
        return
    assert result.exit_code != 0, (fault, said)
    assert said.strip(), "no message for search.log"
    if fault in ("truncated-body", "header-announces-more"):
        # splunklib alone would process the short body and exit 0: records silently lost
        assert "cut short" in said, said


# ---------------------------------------------------------------------------------------------
# The commands touch nothing outside the dispatch directory.


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_write_nothing_into_the_app(command):
    def snapshot():
        found = {}
        for folder, _subfolders, files in os.walk(harness.BUILT_APP):
            for name in files:
                path = os.path.join(folder, name)
                found[path] = os.stat(path).st_mtime_ns
        return found

    before = snapshot()
    harness.run_command(command, hostile_records()[:12])
    assert snapshot() == before


def test_app_code_has_no_network_eval_or_file_writes():
    source_dir = os.path.join(harness.ROOT, "package", "bin")
    forbidden = ("import socket", "import urllib", "import http", "import requests", "eval(", "exec(",
                 "subprocess", "open(", "os.system", "self.service")
    for folder, _subfolders, files in os.walk(source_dir):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    text = handle.read()
                for needle in forbidden:
                    assert needle not in text, (name, needle)
