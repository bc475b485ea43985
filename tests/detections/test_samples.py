"""The DTUtil detections on the project's own synthetic events (detections/samples), built from
dtutil's documented command line (no real dtutil event data exists): the saved searches as
written, run by the stand-in (tests/standin) with the commands from the built app through the
splunkd harness and the shipped (empty) allowlists, in each presentation. (Allowlists with rows,
expired entries and maintenance windows: tests/spl/test_allowlists.py.)"""
import functools
from typing import List

import pytest

from tests.harness import BUILT_APP, ensure_built
from tests.standin.evaluate import Row, Splunk
from tests.standin.events import PRESENTATIONS, corpus_paths, load
from tests.standin.functions import values_of

NETWORK = "LOTL - DTUtil Network Connection - Rule"
TRANSFER = "LOTL - DTUtil Remote Package Transfer - Rule"
STAGED = "LOTL - DTUtil Package Staged in User-Writable Path - Rule"
DTEXEC = "LOTL - DTExec Runs Staged Package - Rule"
NOW = 1.9e9
# Classic events carry the WinEventLog source (review finding S3) and classic field names (S13).
VIEWS = [p if p != "classic" else pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="SPL review S3, S13"))
         for p in PRESENTATIONS]


@functools.lru_cache(maxsize=None)
def run(name: str, presentation: str) -> List[Row]:
    ensure_built()
    events = load(corpus_paths("samples"), presentation=presentation)
    return Splunk(BUILT_APP, events=events, now=NOW).saved(name)[0]


def records(rows: List[Row]) -> List[str]:
    return sorted(record for row in rows for _file, record, _code in row.events)


@pytest.mark.parametrize("presentation", VIEWS)
def test_network_rule_on_samples(presentation):
    raised = run(NETWORK, presentation)
    assert records(raised) == ["5002", "5006"]  # not the loopback SQL connection 5011
    by_port = {r.fields["remote_port"]: r for r in raised}
    assert by_port["445"].fields["remote_scope"] == "external"
    assert by_port["445"].fields["dtutil_direction"] == "ingress"
    assert "nonstandard_port" in values_of(by_port["8443"].fields["dtutil_signals"])


@pytest.mark.parametrize("presentation", VIEWS)
def test_transfer_rule_on_samples(presentation):
    raised = run(TRANSFER, presentation)
    assert records(raised) == ["5001", "5005", "7001", "7002"]  # not the local copy 5010
    webdav = [r for r in raised if any(record == "7002" for _f, record, _c in r.events)][0]
    assert "webdav" in values_of(webdav.fields["dtutil_signals"])
    assert webdav.fields["user"] == "CORP\\mallory"
    for row in raised:  # no password from the command line reaches a dtutil_ field
        assert "Xy7!demo" not in repr({k: v for k, v in row.fields.items() if k.startswith("dtutil_")})


@pytest.mark.parametrize("presentation", VIEWS)
def test_staged_and_dtexec_rules_on_samples(presentation):
    assert records(run(STAGED, presentation)) == ["5003"]
    dtexec = run(DTEXEC, presentation)
    assert records(dtexec) == ["5004"]  # not the SQL Agent run of D:\Build\... (5012)
    assert str(dtexec[0].fields["package_location"]).startswith("written by dtutil.exe")
