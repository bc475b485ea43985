"""The detections' Sigma filters on the real Windows events of ../shared/datasets/windows-events
(skipped, saying so, when absent), converted by pySigma's SQLite backend: each rule's filter
selects every event alerts.csv lists for it. (What the saved searches raise, as written, is
tests/spl/test_detections.py's: the stand-in runs the shipped SPL.)"""
from typing import Dict, List, Set, Tuple

import pytest

from detections.lab.events import EventStore, Loaded
from detections.lab.sigma import DETECTIONS, sqlite_query
from tests.datasets import alerts, event_key, iter_events, require_datasets

IMPACKET_RULES = [d.search for d in DETECTIONS if "Impacket" in d.search and d.search.endswith("- Rule")]
Key = Tuple[str, str]


@pytest.fixture(scope="module")
def store() -> EventStore:
    require_datasets()
    return EventStore(iter_events())


@pytest.fixture(scope="module")
def selections(store: EventStore) -> Dict[str, List[Loaded]]:
    return {d.search: store.select(sqlite_query(d)) for d in DETECTIONS}


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
    assert sum(len(v) for v in alerts().values()) == 90
    assert sorted(len(expected(rule)) for rule in IMPACKET_RULES) == [4, 19, 31, 36]


@pytest.mark.parametrize("rule", IMPACKET_RULES)
def test_sigma_filter_selects_every_event_of_its_rule(selections, rule: str):
    selected = selections[rule]
    missing = expected(rule) - keys(selected)
    assert not missing, sorted(missing)
