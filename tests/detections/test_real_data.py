"""The detections on the real Windows events of ../shared/datasets/windows-events (skipped, saying
so, when absent): each rule's Sigma filter, run by SQLite, selects every event alerts.csv lists for
it; after the search's decision (the commands run from the built app through the splunkd
harness) exactly those events raise the rule; no event outside alerts.csv and labels.csv comes
out of any rule or of the hunt."""
from typing import Dict, List, Set, Tuple

import pytest

from detections.lab.events import EventStore, Loaded
from detections.lab.rules import DECISIONS, Alert, Allowlists
from detections.lab.sigma import BY_SEARCH, DETECTIONS, sqlite_query
from tests.datasets import alerts, event_key, iter_events, labels, require_datasets

IMPACKET_RULES = [d.search for d in DETECTIONS if "Impacket" in d.search and d.search.endswith("- Rule")]
Key = Tuple[str, str]


@pytest.fixture(scope="module")
def store() -> EventStore:
    require_datasets()
    return EventStore(iter_events())


@pytest.fixture(scope="module")
def selections(store: EventStore) -> Dict[str, List[Loaded]]:
    return {d.search: store.select(sqlite_query(d)) for d in DETECTIONS}


@pytest.fixture(scope="module")
def outcome(selections: Dict[str, List[Loaded]]) -> Dict[str, Tuple[List[Loaded], List[Alert]]]:
    lists = Allowlists()  # the shipped allowlists are empty
    return {search: (selected, DECISIONS[search](selected, lists)) for search, selected in selections.items()}


def expected(rule: str) -> Set[Key]:
    return {key for key, rules in alerts().items() if rule in rules}


def keys(events: List[Loaded]) -> Set[Key]:
    return {event_key(name, event) for name, event in events}


def test_sigma_filters_on_real_data(selections):
    # what the filters alone keep: the output-file filter is exact (36 of 7,714 events)
    assert len(selections["LOTL - Impacket Output File on Admin Share - Rule"]) == 36
    assert len(selections["LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule"]) == 19
    assert len(selections["LOTL - DTUtil Network Connection - Rule"]) == 0


def test_the_ground_truth_is_what_the_issue_says():
    require_datasets()
    assert sum(len(v) for v in alerts().values()) == 86
    assert {len(expected(rule)) for rule in IMPACKET_RULES} == {31, 36, 19}


@pytest.mark.parametrize("rule", IMPACKET_RULES)
def test_sigma_filter_selects_every_event_of_its_rule(selections, rule: str):
    selected = selections[rule]
    missing = expected(rule) - keys(selected)
    assert not missing, sorted(missing)


@pytest.mark.parametrize("rule", IMPACKET_RULES)
def test_rule_alerts_on_exactly_its_events(outcome, rule: str):
    _selected, raised = outcome[rule]
    alerted = set().union(*(keys(a.events) for a in raised)) if raised else set()
    assert alerted == expected(rule), {"missed": sorted(expected(rule) - alerted),
                                       "extra": sorted(alerted - expected(rule))}


def test_no_rule_fires_outside_the_ground_truth(outcome):
    known = set(alerts()) | set(labels())
    for search, (_selected, raised) in outcome.items():
        for alert in raised:
            assert keys(alert.events) <= known, (search, sorted(keys(alert.events) - known))


def test_dtutil_rules_raise_nothing_on_real_data(outcome):
    # no dtutil activity exists in the datasets (the SQL Server neighbours must stay silent)
    for search in ("LOTL - DTUtil Network Connection - Rule", "LOTL - DTUtil Remote Package Transfer - Rule",
                   "LOTL - DTUtil Package Staged in User-Writable Path - Rule", "LOTL - DTExec Runs Staged Package - Rule"):
        assert outcome[search][1] == [], search


def test_smbmap_redirect_is_caught_but_not_named_impacket(outcome):
    _selected, raised = outcome["LOTL - Impacket Output Redirect to Admin Share - Rule"]
    smbmap = [a for a in raised if any(name.startswith("neighbour_smbmap") for name, _e in a.events)]
    assert len(smbmap) == 1 and len(smbmap[0].events) == 3
    assert smbmap[0].fields["epoch_artifact"] == [] and "unknown" in str(smbmap[0].fields["tool"])


def test_redirect_rows_carry_parent_and_launch_time(outcome):
    _selected, raised = outcome["LOTL - Impacket Output Redirect to Admin Share - Rule"]
    wmiexec = [a for a in raised if "__1619425227.894209" in str(a.fields["output_file"])]
    assert wmiexec and wmiexec[0].fields["epoch_time"]
    dcom = [a for a in raised if "__1556656511.61" in str(a.fields["output_file"])]
    assert dcom and "mmc.exe" in dcom[0].fields["parent_process_name"]


def test_hive_dump_names_both_candidates_for_temp_tmp(outcome):
    _selected, raised = outcome["LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule"]
    temp = [a for a in raised if str(a.fields["epoch_artifact"]).lower().startswith("temp\\")]
    assert temp
    for alert in temp:
        tools = " ".join(alert.fields["candidate_tools"]).lower()
        assert "atexec" in tools and "secretsdump" in tools


def test_output_file_rows_tell_loopback_write_from_remote_read(outcome):
    _selected, raised = outcome["LOTL - Impacket Output File on Admin Share - Rule"]
    session = [a for a in raised if a.fields["epoch_artifact"] == "__1619090610.0007844"][0]
    assert "10.23.123.11" in session.fields["src"]
    assert len(session.fields["access"]) == 2


def test_hunt_has_one_row_per_artifact_and_host(outcome):
    _selected, rows = outcome[BY_SEARCH["LOTL - Impacket Session Timeline - Hunt"].search]
    pairs = [(r.fields["epoch_artifact"], r.fields["dest"]) for r in rows]
    assert len(pairs) == len(set(pairs)) and len(rows) >= 10
    assert all(r.fields["epoch_artifact"] for r in rows)
