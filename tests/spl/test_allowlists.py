"""The saved searches of the BUILT app with allowlists and maintenance windows that hold rows, run
by the stand-in (tests/standin) over the project's sample events (detections/samples) and over
events made here from them, with lookup files written to a temporary folder (`lookups_dir`).
Each test names the SPL review finding it holds (../shared/reference/spl-review-2026-11.md); each
fails on the SPL as it was before that finding's fix. (The shipped, empty allowlists:
tests/detections/test_samples.py.)"""
import csv
import html
import json
import os
import re
from typing import Dict, List, Optional, Sequence

import pytest

from tests.harness import BUILT_APP, ensure_built
from tests.standin.evaluate import Row, Splunk
from tests.standin.events import corpus_paths, load, read_dataset
from tests.standin.functions import values_of

NETWORK = "LOTL - DTUtil Network Connection - Rule"
TRANSFER = "LOTL - DTUtil Remote Package Transfer - Rule"
STAGED = "LOTL - DTUtil Package Staged in User-Writable Path - Rule"
DTEXEC = "LOTL - DTExec Runs Staged Package - Rule"
REDIRECT = "LOTL - Impacket Output Redirect to Admin Share - Rule"
NOW = 1.9e9
HEADERS = {
    "lotl_dtutil_approved_servers.csv": ["host", "owner", "ticket", "expires", "comment"],
    "lotl_dtutil_approved_shares.csv": ["share", "owner", "ticket", "expires", "comment"],
    "lotl_maintenance_windows.csv": ["host", "start", "end", "ticket", "comment"],
    "lotl_admin_share_exec_allowlist.csv": ["src", "host", "owner", "ticket", "expires", "comment"],
}


def write_lookup(folder: str, name: str, rows: Sequence[Dict[str, str]]) -> None:
    with open(os.path.join(folder, name), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS[name])
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def sample(record: str) -> dict:
    """A sample event (detections/samples) by its RecordNumber, as in the file."""
    for path in corpus_paths("samples"):
        for _name, obj in read_dataset(path):
            if obj.get("RecordNumber") == record:
                return dict(obj)
    raise KeyError(record)


def with_data(obj: dict, record: str, **data: str) -> dict:
    """The event with EventData fields replaced, in the JSON and in `_raw` (XML-escaped as
    Windows writes them: `&`, `<`, `>`), under a new RecordNumber."""
    obj = dict(obj)
    raw = obj["_raw"]
    for name, value in data.items():
        obj[name] = value
        escaped = html.escape(value, quote=False)
        raw, count = re.subn(r"(<Data Name='%s'>)[^<]*(</Data>)" % name, lambda m: m.group(1) + escaped + m.group(2), raw)
        assert count == 1, name
    raw = re.sub(r"<EventRecordID>\d+</EventRecordID>", "<EventRecordID>%s</EventRecordID>" % record, raw)
    obj["_raw"] = raw
    obj["RecordNumber"] = record
    return obj


def run(tmp_path, name: str, events: Optional[List[dict]] = None, presentation: str = "addon",
        lookups: Optional[Dict[str, Sequence[Dict[str, str]]]] = None, tz: str = "UTC",
        now: float = NOW) -> List[Row]:
    """The saved search's rows over the samples (or the given events), with these lookups."""
    ensure_built()
    folder = tmp_path / "lookups"
    folder.mkdir(exist_ok=True)
    for lookup, rows in (lookups or {}).items():
        write_lookup(str(folder), lookup, rows)
    if events is None:
        paths = corpus_paths("samples")
    else:
        path = tmp_path / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        paths = [str(path)]
    loaded = load(paths, presentation=presentation)
    return Splunk(BUILT_APP, lookups_dir=str(folder), events=loaded, now=now, tz=tz).saved(name)[0]


def records(rows: List[Row]) -> List[str]:
    return sorted(record for row in rows for _file, record, _code in row.events)


def field(row: Row, name: str) -> List[str]:
    return values_of(row.fields.get(name))


# ---------------------------------------------------------------------------------------------
# S1: XML entities. A path holding `&` reaches the search as `&amp;` (the add-on's extraction);
# the approved-share row `\\fs01\r&d\*` must still match it.

DTEXEC_RD = r'"C:\Program Files\Microsoft SQL Server\160\DTS\Binn\DTExec.exe" /F "\\fs01\R&D\pkg.dtsx"'
SHARE_RD = {"lotl_dtutil_approved_shares.csv": [{"share": r"\\fs01\r&d\*", "owner": "bi", "ticket": "CHG-1"}]}


@pytest.mark.parametrize("presentation", ["addon", "decoded"])
def test_s1_dtexec_package_on_an_approved_share_with_an_ampersand(tmp_path, presentation):
    event = with_data(sample("5004"), "9001", CommandLine=DTEXEC_RD)
    assert "R&amp;D" in event["_raw"]
    assert records(run(tmp_path, DTEXEC, [event], presentation)) == ["9001"]  # UNC path: alerts
    assert run(tmp_path, DTEXEC, [event], presentation, SHARE_RD) == []  # approved share: does not


@pytest.mark.parametrize("presentation", ["addon", "decoded"])
def test_s1_the_alert_shows_the_decoded_command_line(tmp_path, presentation):
    event = with_data(sample("5004"), "9001", CommandLine=DTEXEC_RD)
    [row] = run(tmp_path, DTEXEC, [event], presentation)
    assert field(row, "process") == [DTEXEC_RD]
    assert field(row, "package_path") == [r"\\fs01\R&D\pkg.dtsx"]


def without(obj: dict, record: str, *names: str) -> dict:
    """The event without these EventData fields (in the JSON and in `_raw`), under a new RecordNumber."""
    obj = with_data(obj, record)
    for name in names:
        obj.pop(name, None)
        obj["_raw"], count = re.subn(r"<Data Name='%s'>[^<]*</Data>" % name, "", obj["_raw"])
        assert count == 1, name
    return obj


# ---------------------------------------------------------------------------------------------
# S9: a user is DOMAIN\name, or name when the domain field is missing; never null for that.

OUTPUT_FILE = "LOTL - Impacket Output File on Admin Share - Rule"


@pytest.mark.parametrize("presentation", ["addon", "decoded"])
def test_s9_user_without_a_domain_is_the_name(tmp_path, presentation):
    events = [without(sample("9002"), "9102", "SubjectDomainName"), without(sample("9003"), "9103", "SubjectDomainName")]
    [row] = run(tmp_path, OUTPUT_FILE, events, presentation)
    assert field(row, "user") == ["adm_bob"]
    [row] = run(tmp_path, OUTPUT_FILE, [sample("9002"), sample("9003")], presentation)
    assert field(row, "user") == ["CORP\\adm_bob"]


@pytest.mark.parametrize("presentation", ["addon", "decoded", "classic"])
def test_s9_s13_user_of_a_4688_in_every_presentation(tmp_path, presentation):
    rows = run(tmp_path, TRANSFER, None, presentation)
    users = {record: field(row, "user") for row in rows for _f, record, _c in row.events}
    assert users["7002"] == ["CORP\\mallory"] and users["7001"] == ["CORP\\svc_etl"]
