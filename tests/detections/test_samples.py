"""The DTUtil detections on the project's own synthetic events (detections/samples), built from
dtutil's documented command line (no real dtutil event data exists), with the commands run from
the built app through the splunkd harness; and the allowlists' rules: wildcards, case, expiry,
maintenance windows."""
import csv
import datetime
import os
from typing import Dict, List

import pytest

from detections.lab.demo import load_events
from detections.lab.events import EventStore
from detections.lab.rules import DECISIONS, Alert, Allowlists, read_lookup, server_host, unc_host, wildcard
from detections.lab.sigma import BY_SEARCH, sqlite_query

NETWORK = "LOTL - DTUtil Network Connection - Rule"
TRANSFER = "LOTL - DTUtil Remote Package Transfer - Rule"
STAGED = "LOTL - DTUtil Package Staged in User-Writable Path - Rule"
DTEXEC = "LOTL - DTExec Runs Staged Package - Rule"


@pytest.fixture(scope="module")
def store() -> EventStore:
    return EventStore(load_events(samples_only=True))


def run(store: EventStore, search: str, lists: Allowlists) -> List[Alert]:
    return DECISIONS[search](store.select(sqlite_query(BY_SEARCH[search])), lists)


def records(alerts: List[Alert]) -> List[str]:
    return sorted(e.get("RecordNumber", "") for a in alerts for _n, e in a.events)


def test_network_rule_on_samples(store):
    raised = run(store, NETWORK, Allowlists())
    assert records(raised) == ["5002", "5006"]  # not the loopback SQL connection 5011
    by_port = {a.fields["remote_port"]: a for a in raised}
    assert by_port["445"].fields["remote_scope"] == "external"
    assert by_port["445"].fields["dtutil_direction"] == "ingress"
    assert "nonstandard_port" in by_port["8443"].fields["dtutil_signals"]


def test_transfer_rule_on_samples(store):
    raised = run(store, TRANSFER, Allowlists())
    assert records(raised) == ["5001", "5005", "7001", "7002"]  # not the local copy 5010
    webdav = [a for a in raised if a.events[0][1]["RecordNumber"] == "7002"][0]
    assert "webdav" in webdav.fields["dtutil_signals"] and webdav.fields["user"] == "CORP\\mallory"
    for alert in raised:  # no password from the command line reaches an output field
        assert "Xy7!demo" not in repr({k: v for k, v in alert.fields.items() if k.startswith("dtutil_")})


def test_staged_and_dtexec_rules_on_samples(store):
    assert records(run(store, STAGED, Allowlists())) == ["5003"]
    dtexec = run(store, DTEXEC, Allowlists())
    assert records(dtexec) == ["5004"]  # not the SQL Agent run of D:\Build\... (5012)
    assert dtexec[0].fields["package_location"].startswith("written by dtutil.exe")


def _lists(**rows: List[Dict[str, str]]) -> Allowlists:
    return Allowlists(today=datetime.date(2025, 6, 2), **rows)


def test_approved_server_suppresses_and_expired_one_says_so(store):
    ok = [{"host": "203.0.113.*", "ticket": "CHG-1", "expires": "2025-12-31"}]
    assert records(run(store, NETWORK, _lists(servers=ok))) == ["5006"]
    stale = [{"host": "203.0.113.50", "ticket": "CHG-0", "expires": "2025-01-31"}]
    raised = run(store, NETWORK, _lists(servers=stale))
    assert records(raised) == ["5002", "5006"]
    assert [a.fields["allowlist_expired"] for a in raised if a.fields["remote_port"] == "445"] == [["CHG-0"]]


def test_approved_share_matches_case_insensitively(store):
    shares = [{"share": "\\\\FILES.EXAMPLE.NET@ssl\\davwwwroot\\PKGS\\*", "ticket": "CHG-2", "expires": ""}]
    assert "7002" not in records(run(store, TRANSFER, _lists(shares=shares)))


def test_maintenance_window_suppresses_only_inside_it(store):
    inside = [{"host": "ssis-ws01*", "start": "2025-06-02T09:00:00Z", "end": "2025-06-02T09:30:00+00:00", "ticket": "CHG-3"}]
    assert records(run(store, TRANSFER, _lists(windows=inside))) == ["5005", "7001", "7002"]
    assert records(run(store, NETWORK, _lists(windows=inside))) == ["5006"]


def test_allowlist_helpers_match_the_macros():
    assert wildcard("\\\\fs01\\ssis$\\*", "\\\\FS01\\SSIS$\\a\\b.dtsx")
    assert not wildcard("fs01", "fs012")
    assert unc_host("\\\\?\\UNC\\Fs01\\share\\p.dtsx") == "fs01"
    assert unc_host("\\\\files@SSL@8443\\DavWWWRoot\\p") == "files"
    assert unc_host("C:\\x") is None
    assert server_host("tcp:SQL01\\INST,1433") == "sql01"


def test_shipped_lookups_are_empty(tmp_path):
    for name in ("lotl_dtutil_approved_servers.csv", "lotl_maintenance_windows.csv"):
        assert read_lookup(name) == []
    path = os.path.join(str(tmp_path), "x.csv")
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([["host", "ticket"], ["a", "b"]])
    assert read_lookup("x.csv", str(tmp_path)) == [{"host": "a", "ticket": "b"}]
