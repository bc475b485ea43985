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
from tests.standin.functions import DEFAULT_SEMANTICS, Semantics, values_of

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
        raw, count = re.subn(r"(<Data Name='%s'>)[^<]*(</Data>)" % name, lambda m, text=escaped: m.group(1) + text + m.group(2), raw)
        assert count == 1, name
    raw = re.sub(r"<EventRecordID>\d+</EventRecordID>", "<EventRecordID>%s</EventRecordID>" % record, raw)
    obj["_raw"] = raw
    obj["RecordNumber"] = record
    return obj


def run(tmp_path, name: str, events: Optional[List[dict]] = None, presentation: str = "addon",
        lookups: Optional[Dict[str, Sequence[Dict[str, str]]]] = None, tz: str = "UTC",
        now: float = NOW, semantics: Semantics = DEFAULT_SEMANTICS, search: Optional[str] = None) -> List[Row]:
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
    splunk = Splunk(BUILT_APP, lookups_dir=str(folder), events=loaded, now=now, tz=tz, semantics=semantics)
    return splunk.search(search)[0] if search else splunk.saved(name)[0]


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


# ---------------------------------------------------------------------------------------------
# S2: maintenance windows. A window is one row (start, end, ticket together); a malformed row never
# suppresses and is named in allowlist_expired. Whether Splunk drops an empty cell from a
# multivalue lookup output is undocumented: every test runs both ways.

EMPTY_CELLS = [Semantics(lookup_empty_cells="drop"), Semantics(lookup_empty_cells="keep")]
CELLS_IDS = ["empty_cells_dropped", "empty_cells_kept"]
WS01 = "ssis-ws01*"
MALFORMED = "malformed maintenance window row for this host (lotl_maintenance_windows)"


def windows(*rows) -> Dict[str, Sequence[Dict[str, str]]]:
    return {"lotl_maintenance_windows.csv": [dict(zip(("host", "start", "end", "ticket"), row)) for row in rows]}


def transfer(tmp_path, lookups, semantics) -> Dict[str, List[str]]:
    """Transfer rule over the samples: the records that alert, with their allowlist_expired."""
    rows = run(tmp_path, TRANSFER, None, "addon", lookups, semantics=semantics)
    return {record: field(row, "allowlist_expired") for row in rows for _f, record, _c in row.events}


@pytest.mark.parametrize("semantics", EMPTY_CELLS, ids=CELLS_IDS)
def test_s2_a_window_suppresses_inside_it_only(tmp_path, semantics):
    raised = transfer(tmp_path, windows((WS01, "2025-06-02T09:00:00Z", "2025-06-02T10:00:00Z", "CHG-9")), semantics)
    assert "5001" not in raised  # 09:14, inside
    assert raised["5005"] == []  # 10:02, outside: alerts, nothing malformed
    # a zone other than Z: 11:00+02:00 is 09:00Z
    raised = transfer(tmp_path, windows((WS01, "2025-06-02T11:00:00+02:00", "2025-06-02T11:20:00+02:00", "CHG-9")), semantics)
    assert "5001" not in raised and "5005" in raised


@pytest.mark.parametrize("semantics", EMPTY_CELLS, ids=CELLS_IDS)
def test_s2_start_and_end_of_different_rows_make_no_window(tmp_path, semantics):
    """The review's example: row 1 has a start and no end, row 2 a window that does not cover the
    event. Pairing row 1's start with row 2's end would make a window that covers it."""
    lookups = windows(("*", "2025-06-02T09:00:00Z", "", "CHG-1"),
                      (WS01, "2025-06-03T09:00:00Z", "2025-06-03T10:00:00Z", "CHG-2"))
    raised = transfer(tmp_path, lookups, semantics)
    assert MALFORMED in raised["5001"] and MALFORMED in raised["5005"]
    assert raised["7001"] == [MALFORMED]  # row 1 (host *) matches every host


@pytest.mark.parametrize("semantics", EMPTY_CELLS, ids=CELLS_IDS)
@pytest.mark.parametrize("start", ["", "yesterday", "2025-06-02 09:00:00", "2025-06-02T09:00:00"])
def test_s2_a_malformed_row_never_suppresses_and_is_named(tmp_path, semantics, start):
    lookups = windows((WS01, start, "2025-06-02T10:00:00Z", "CHG-3"),
                      (WS01, "2025-06-02T09:00:00Z", "2025-06-02T10:00:00Z", "CHG-4"))
    raised = transfer(tmp_path, lookups, semantics)
    assert raised["5001"] == [MALFORMED]  # inside the good window, but a row of the host is malformed
    assert "7001" in raised and raised["7001"] == []  # another host: unaffected


@pytest.mark.parametrize("semantics", EMPTY_CELLS, ids=CELLS_IDS)
def test_s2_the_ticket_is_the_matching_rows(tmp_path, semantics):
    lookups = windows((WS01, "2025-06-01T00:00:00Z", "2025-06-01T01:00:00Z", "CHG-OLD"),
                      (WS01, "2025-06-02T09:00:00Z", "2025-06-02T10:00:00Z", "CHG-NOW"),
                      (WS01, "2025-06-02T10:00:00Z", "2025-06-02T11:00:00Z", ""))
    rows = run(tmp_path, "", None, "addon", lookups, semantics=semantics, search=(
        '`lotl_sysmon` "dtutil" EventCode=1 | eval dest=lower(Computer) | `lotl_maintenance_window(dest)` '
        '| table RecordNumber maintenance_ticket maintenance_malformed'))
    tickets = {field(row, "RecordNumber")[0]: field(row, "maintenance_ticket") for row in rows}
    assert tickets["5001"] == ["CHG-NOW"]
    assert tickets["5005"] == ["(no ticket)"]  # the third row's window, whose ticket is empty
    assert tickets["5010"] == []  # another host
    assert all(field(row, "maintenance_malformed") == [] for row in rows)


def epoch(text: str) -> float:
    import datetime
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------------------------------------
# S8: an allowlist row's `expires` day ends at the next midnight of the search's time zone, also
# on a 25-hour DST day.

SHARE_5001 = r"\\203.0.113.50\pkgs$\*"


@pytest.mark.parametrize("tz,expires,now,active", [
    ("America/New_York", "2025-11-02", "2025-11-03T04:30:00Z", True),   # 23:30 on Nov 2 in New York (25-hour day)
    ("America/New_York", "2025-11-02", "2025-11-03T05:30:00Z", False),  # 00:30 on Nov 3
    ("UTC", "2025-06-02", "2025-06-02T23:59:00Z", True),
    ("UTC", "2025-06-02", "2025-06-03T00:01:00Z", False),
    ("Europe/Paris", "2025-06-02", "2025-06-02T21:59:00Z", True),       # 23:59 in Paris
    ("Europe/Paris", "2025-06-02", "2025-06-02T22:01:00Z", False),
])
def test_s8_expiry_is_the_end_of_the_day_in_the_search_time_zone(tmp_path, tz, expires, now, active):
    lookups = {"lotl_dtutil_approved_shares.csv": [{"share": SHARE_5001, "ticket": "CHG-8", "expires": expires}]}
    rows = run(tmp_path, TRANSFER, None, "addon", lookups, tz=tz, now=epoch(now))
    raised = {record: field(row, "allowlist_expired") for row in rows for _f, record, _c in row.events}
    if active:
        assert "5001" not in raised
    else:
        assert raised["5001"] == ["CHG-8"]


# ---------------------------------------------------------------------------------------------
# S10: the DTExec rule's first run that sees a dtexec event still reaches back 4 hours for the
# dtutil.exe file creation that staged its package.

def test_s10_dtexec_look_back_covers_four_hours(tmp_path):
    ensure_built()
    staged = dict(sample("5003"), _time="2025-06-02T05:27:40.000Z")  # 3 h 59 min before dtexec (09:26:40)
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in [staged, sample("5004")]), encoding="utf-8")
    splunk = Splunk(BUILT_APP, events=load([str(path)]), now=epoch("2025-06-02T09:45:00Z"))  # the first */15 run after it
    conf = splunk.app.saved_searches[DTEXEC]
    splunk.earliest = splunk.time_bound(conf["dispatch.earliest_time"])
    splunk.latest = splunk.time_bound(conf["dispatch.latest_time"])
    [row] = splunk.saved(DTEXEC)[0]
    assert field(row, "package_location") == ["written by dtutil.exe on this host in the preceding 4 hours"]


# ---------------------------------------------------------------------------------------------
# S11: named-pipe server names and //host/share paths can be allowlisted; an empty host is null.

@pytest.mark.parametrize("presentation", ["addon", "decoded"])
@pytest.mark.parametrize("command,lookup", [
    (r"dtutil /SourceServer np:\\sql01\pipe\sql\query /SQL pkg /COPY FILE;C:\Users\Public\x.dtsx",
     {"lotl_dtutil_approved_servers.csv": [{"host": "sql01", "ticket": "CHG-11"}]}),
    (r"dtutil /FILE //fs01/ssis$/pkg.dtsx /COPY FILE;C:\Users\Public\pkg.dtsx",
     {"lotl_dtutil_approved_shares.csv": [{"share": r"\\fs01\ssis$\*", "ticket": "CHG-11"}]}),
    (r"dtutil /FILE //fs01/ssis$/pkg.dtsx /COPY FILE;C:\Users\Public\pkg.dtsx",
     {"lotl_dtutil_approved_servers.csv": [{"host": "fs01", "ticket": "CHG-11"}]}),
])
def test_s11_named_pipe_servers_and_slash_paths_can_be_allowlisted(tmp_path, presentation, command, lookup):
    event = with_data(sample("5001"), "9111", CommandLine=command)
    assert records(run(tmp_path, TRANSFER, [event], presentation)) == ["9111"]
    assert run(tmp_path, TRANSFER, [event], presentation, lookup) == []


# ---------------------------------------------------------------------------------------------
# S7: a network connection without a destination port or address still alerts (stats drops rows
# whose by-field is null; where drops rows whose test is null).

@pytest.mark.parametrize("presentation", ["addon", "decoded"])
@pytest.mark.parametrize("missing", ["DestinationPort", "DestinationIp"])
def test_s7_connection_with_a_missing_field_still_alerts(tmp_path, presentation, missing):
    events = [sample("5001"), without(sample("5002"), "9702", missing)]
    rows = run(tmp_path, NETWORK, events, presentation)
    assert records(rows) == ["9702"]
    assert field(rows[0], "remote_port" if missing == "DestinationPort" else "remote_ip") == ["-"]


# ---------------------------------------------------------------------------------------------
# T5: no alert row (and so no throttle key, finding field or email token) carries a password
# from a dtutil or dtexec command line; the rows show it as ****.

SECRET = "S3cr3t!x9"
DTUTIL = r'"C:\Program Files\Microsoft SQL Server\160\DTS\Binn\DTUtil.exe"'
TRANSFER_LINES = [
    DTUTIL + r" /SourceServer sql9 /SQL pkg /SourceUser sa /SourcePassword %s /COPY FILE;C:\Users\Public\x.dtsx",
    DTUTIL + r" /SOURCEP %s /SourceServer sql9 /SQL pkg /COPY FILE;C:\Users\Public\x.dtsx",
    DTUTIL + r' /SourceServer sql9 /SQL pkg -sourcepassword "%s and more" /COPY FILE;C:\Users\Public\x.dtsx',
    DTUTIL + r" /FILE C:\p\a.dtsx /DestServer sql9 /DestUser sa /DESTPASSWORD %s /COPY SQL;pkg",
    DTUTIL + r" /FILE C:\p\a.dtsx /DestServer sql9 /COPY SQL;pkg /DestP %s",
    DTUTIL + r" /FILE \\fs9\s\a.dtsx /Decrypt %s /COPY FILE;C:\Users\Public\x.dtsx",
    DTUTIL + r" /FILE \\fs9\s\a.dtsx /Dec %s /COPY FILE;C:\Users\Public\x.dtsx",
    DTUTIL + r" /FILE \\fs9\s\a.dtsx /ENCRYPT FILE;C:\Users\Public\x.dtsx;3;%s",
    DTUTIL + r" /FILE \\fs9\s\a.dtsx /En file;C:\Users\Public\x.dtsx;3;%s /Q",
    r'cmd.exe /c "' + DTUTIL + r' /SourceServer sql9 /SQL pkg /SourcePassword %s /COPY FILE;C:\Users\Public\x.dtsx" > nul',
]


def no_secret(rows: List[Row]) -> None:
    assert rows
    for row in rows:
        assert SECRET not in repr(row.fields)
        assert SECRET.replace("!", "&#33;") not in repr(row.fields)


@pytest.mark.parametrize("presentation", ["addon", "decoded"])
@pytest.mark.parametrize("line", TRANSFER_LINES)
def test_t5_transfer_rows_carry_no_password(tmp_path, presentation, line):
    event = with_data(sample("5001"), "9501", CommandLine=line % SECRET, ParentCommandLine="cmd.exe /c " + line % SECRET)
    rows = run(tmp_path, TRANSFER, [event], presentation)
    no_secret(rows)
    assert "****" in field(rows[0], "process")[0] and "****" in field(rows[0], "parent_process")[0]


@pytest.mark.parametrize("presentation", ["addon", "decoded"])
def test_t5_network_and_dtexec_rows_carry_no_password(tmp_path, presentation):
    line = TRANSFER_LINES[0] % SECRET
    rows = run(tmp_path, NETWORK, [with_data(sample("5001"), "9511", CommandLine=line), sample("5002")], presentation)
    no_secret(rows)
    assert "/SourcePassword ****" in field(rows[0], "process")[0]
    dtexec = r'"C:\Program Files\Microsoft SQL Server\160\DTS\Binn\DTExec.exe" /F "\\fs01\s\pkg.dtsx" /De %s' % SECRET
    rows = run(tmp_path, DTEXEC, [with_data(sample("5004"), "9512", CommandLine=dtexec)], presentation)
    no_secret(rows)
    assert field(rows[0], "process") == [dtexec.replace(SECRET, "****")]


def test_t5_throttle_fields_are_redacted_output_fields():
    """Every alert.suppress.fields entry of a dtutil/dtexec rule is a field the rows show, and the
    rows' process is the redacted one (above): no throttle key holds the raw command line."""
    ensure_built()
    app = Splunk(BUILT_APP).app
    for name in (NETWORK, TRANSFER, DTEXEC, REDIRECT):
        text = app.saved_searches[name]["search"]
        fields = app.saved_searches[name]["alert.suppress.fields"].split(",")
        if "process" in fields:
            assert "lotl_redact(process)" in text, name


# ---------------------------------------------------------------------------------------------
# secretsdump -use-vss reads its command output as ADMIN$\Temp\__output: epochshare's vss_output
# kind, which the output-file rule reports with the other output files.

OUTPUT_FILE = "LOTL - Impacket Output File on Admin Share - Rule"


@pytest.mark.parametrize("presentation", ["addon", "decoded", "classic"])
def test_vss_output_read_over_admin_share_raises_the_output_file_rule(tmp_path, presentation):
    vss = with_data(sample("9003"), "9901", RelativeTargetName="Temp\\__output")
    rows = run(tmp_path, OUTPUT_FILE, events=[vss], presentation=presentation)
    assert records(rows) == ["9901"]
    assert field(rows[0], "epoch_kind") == ["vss_output"] and field(rows[0], "epoch_tools") == ["secretsdump"]
