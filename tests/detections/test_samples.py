"""The DTUtil detections on the project's own synthetic events (detections/samples), built from
dtutil's documented command line (no real dtutil event data exists): the saved searches as
written, run by the stand-in (tests/standin) with the commands from the built app through the
splunkd harness and the shipped (empty) allowlists, in each presentation. (Allowlists with rows,
expired entries and maintenance windows: tests/spl/test_allowlists.py.)"""
import functools
from typing import List

import pytest

from tests.harness import BUILT_APP, ensure_built
from tests.spl.test_allowlists import field
from tests.spl.test_allowlists import run as run_with
from tests.standin.evaluate import Row, Splunk
from tests.standin.events import PRESENTATIONS, corpus_paths, load
from tests.standin.functions import values_of

NETWORK = "LOTL - DTUtil Network Connection - Rule"
TRANSFER = "LOTL - DTUtil Remote Package Transfer - Rule"
STAGED = "LOTL - DTUtil Package Staged in User-Writable Path - Rule"
DTEXEC = "LOTL - DTExec Runs Staged Package - Rule"
NOW = 1.9e9


@functools.lru_cache(maxsize=None)
def run(name: str, presentation: str) -> List[Row]:
    ensure_built()
    events = load(corpus_paths("samples"), presentation=presentation)
    return Splunk(BUILT_APP, events=events, now=NOW).saved(name)[0]


def records(rows: List[Row]) -> List[str]:
    return sorted(record for row in rows for _file, record, _code in row.events)


@pytest.mark.parametrize("presentation", PRESENTATIONS)
def test_network_rule_on_samples(presentation):
    raised = run(NETWORK, presentation)
    assert records(raised) == ["5002", "5006"]  # not the loopback SQL connection 5011
    by_port = {r.fields["remote_port"]: r for r in raised}
    assert by_port["445"].fields["remote_scope"] == "external"
    assert by_port["445"].fields["dtutil_direction"] == "ingress"
    assert "nonstandard_port" in values_of(by_port["8443"].fields["dtutil_signals"])


@pytest.mark.parametrize("presentation", PRESENTATIONS)
def test_transfer_rule_on_samples(presentation):
    raised = run(TRANSFER, presentation)
    assert records(raised) == ["5001", "5005", "7001", "7002"]  # not the local copy 5010
    webdav = [r for r in raised if any(record == "7002" for _f, record, _c in r.events)][0]
    assert "webdav" in values_of(webdav.fields["dtutil_signals"])
    assert webdav.fields["user"] == "CORP\\mallory"
    for row in raised:  # no password from the command line reaches a dtutil_ field
        assert "Xy7!demo" not in repr({k: v for k, v in row.fields.items() if k.startswith("dtutil_")})


@pytest.mark.parametrize("presentation", PRESENTATIONS)
def test_staged_and_dtexec_rules_on_samples(presentation):
    assert records(run(STAGED, presentation)) == ["5003"]
    dtexec = run(DTEXEC, presentation)
    assert records(dtexec) == ["5004"]  # not the SQL Agent run of D:\Build\... (5012)
    assert str(dtexec[0].fields["package_location"]).startswith("written by dtutil.exe")


# ---------------------------------------------------------------------------------------------
# The allowlists' own rules on the samples, with test lookup files (tests/spl/test_allowlists.py
# holds the findings' cases): an active row hides, an expired row or one whose date does not
# parse hides nothing and is named, matching ignores case and takes wildcards and CIDR ranges.

OUTPUT_FILE = "LOTL - Impacket Output File on Admin Share - Rule"


def _fresh(tmp_path, name: str):
    """A folder of its own for each run's lookup files."""
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _server(host: str, ticket: str, expires: str):
    return {"lotl_dtutil_approved_servers.csv": [{"host": host, "ticket": ticket, "expires": expires}]}


def test_approved_server_active_expired_and_unparsable(tmp_path):
    active = run_with(_fresh(tmp_path, "active"), NETWORK, lookups=_server("203.0.113.*", "CHG-1", "2099-12-31"))
    assert records(active) == ["5006"]
    for expires in ("2025-01-31", "31/12/2099", "soon"):
        raised = run_with(_fresh(tmp_path, expires.replace("/", "-")), NETWORK,
                          lookups=_server("203.0.113.50", "CHG-0", expires))
        assert records(raised) == ["5002", "5006"], expires
        assert [field(r, "allowlist_expired") for r in raised if r.fields["remote_port"] == "445"] == [["CHG-0"]]


def test_approved_share_matches_case_insensitively_with_wildcards(tmp_path):
    shares = {"lotl_dtutil_approved_shares.csv": [
        {"share": "\\\\FILES.EXAMPLE.NET@ssl\\davwwwroot\\PKGS\\*", "ticket": "CHG-2", "expires": ""}]}
    assert "7002" not in records(run_with(_fresh(tmp_path, "approved"), TRANSFER, lookups=shares))
    assert "7002" in records(run_with(_fresh(tmp_path, "empty"), TRANSFER))


def test_admin_share_allowlist_by_cidr_and_host(tmp_path):
    baseline = run_with(_fresh(tmp_path, "empty"), OUTPUT_FILE)
    assert {"9002", "9003"} <= set(records(baseline))
    scanner = {"lotl_admin_share_exec_allowlist.csv": [
        {"src": "192.0.2.0/24", "host": "WS07*", "ticket": "VULN-7", "expires": ""}]}
    allowed = run_with(_fresh(tmp_path, "scanner"), OUTPUT_FILE, lookups=scanner)
    assert not {"9002", "9003"} & set(records(allowed))  # the loopback write goes with its session
    elsewhere = {"lotl_admin_share_exec_allowlist.csv": [
        {"src": "198.51.100.0/24", "host": "*", "ticket": "VULN-8", "expires": ""}]}
    assert records(run_with(_fresh(tmp_path, "elsewhere"), OUTPUT_FILE, lookups=elsewhere)) == records(baseline)
