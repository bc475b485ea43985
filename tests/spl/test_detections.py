"""Every saved search of the BUILT app, as written (macros expanded), run by the stand-in over
every event of ../shared/datasets/windows-events and windows-events-extra, in each presentation
and Sysmon `source` spelling, with the shipped (empty) allowlists:

- the events behind each rule's rows are exactly the events alerts.csv lists for it;
- nothing fires outside alerts.csv and labels.csv (the hunt may show any labelled event);
- and the same under each choice Splunk's documentation leaves unsure (functions.Semantics).

Where today's SPL fails, the test stays and is marked as an expected failure naming the SPL
review's finding (../shared/reference/spl-review-2026-11.md); `strict` marks make a fixed finding
fail until its mark is removed.
"""
import functools
from dataclasses import replace
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import pytest

from tests.harness import BUILT_APP, ensure_built
from tests.spl.corpora import require_corpora
from tests.standin.evaluate import Row, Splunk
from tests.standin.events import EventKey, corpus_paths, ground_truth, load
from tests.standin.functions import DEFAULT_SEMANTICS, Semantics
from tests.standin.spl import SplError

CORPORA = ("windows-events", "windows-events-extra")
# (presentation, Sysmon source spelling): classic events always carry the WinEventLog source.
VIEWS = [("addon", "xml"), ("addon", "winevent"), ("decoded", "xml"), ("decoded", "winevent"), ("classic", "winevent")]
NOW = 1.9e9  # after every event; the saved searches run over all events (no dispatch window)

# Known failures of today's SPL, by (saved search, presentation, Sysmon source): the finding's id.
# A key with None matches any value of that position. Empty since the SPL review's findings were
# fixed (it held S1 for the redirect rule in the add-on view, S3 for every Sysmon rule with the
# WinEventLog source, S13 for every rule in the classic view); a new finding goes here, e.g.
#     ("LOTL - ... - Rule", "addon", None): "S1",
KNOWN: Dict[Tuple[str, Optional[str], Optional[str]], str] = {}


def known_finding(search: str, presentation: str, source: str) -> str:
    for (name, view, spelling), finding in KNOWN.items():
        if name == search and view == presentation and spelling in (None, source):
            return finding
    return ""


@functools.lru_cache(maxsize=None)
def events_of(presentation: str, source: str):
    return tuple(load([p for c in CORPORA for p in corpus_paths(c)], presentation=presentation, sysmon_source=source))


@functools.lru_cache(maxsize=1)
def truth() -> Tuple[Dict[str, Set[EventKey]], Set[EventKey]]:
    alerts: Dict[str, Set[EventKey]] = {}
    labelled: Set[EventKey] = set()
    for corpus in CORPORA:
        rules, labels = ground_truth(corpus)
        for rule, keys in rules.items():
            alerts.setdefault(rule, set()).update(keys)
        labelled |= labels
    return alerts, labelled


BASE_MATCHED: Dict[Tuple[str, str], Set[EventKey]] = {}


@functools.lru_cache(maxsize=None)
def outcome(presentation: str, source: str, semantics: Semantics = DEFAULT_SEMANTICS) -> Dict[str, object]:
    """Each saved search's rows (or the SplError it raised) in one view. The unsure behaviours
    all come after the base search, so a run under other semantics reads only the events some
    base search matched under the default ones (the same rows, in a fraction of the time)."""
    ensure_built()
    events = events_of(presentation, source)
    if semantics != Semantics():
        outcome(presentation, source)
        events = tuple(e for e in events if e.key in BASE_MATCHED[(presentation, source)])
    splunk = Splunk(BUILT_APP, events=events, now=NOW, semantics=semantics)
    result: Dict[str, object] = {}
    matched: Set[EventKey] = set()
    for name in splunk.app.saved_searches:
        try:
            result[name], scan = splunk.saved(name)
            matched |= scan.matched_events
        except SplError as error:
            result[name] = error
    if semantics == Semantics():
        BASE_MATCHED[(presentation, source)] = matched
    return result


def fired(rows: List[Row]) -> FrozenSet[EventKey]:
    return frozenset().union(*[row.events for row in rows]) if rows else frozenset()


def saved_search_names() -> List[str]:
    from tests.standin.app import App

    ensure_built()
    return sorted(App(BUILT_APP).saved_searches)


def check(name: str, rows, presentation: str, source: str) -> None:
    if isinstance(rows, SplError):
        raise rows
    alerts, labelled = truth()
    raised = fired(rows)
    if name.endswith("- Rule"):
        expected = alerts.get(name, set())
        assert sorted(expected - raised) == [], "%s missed events (%s/%s)" % (name, presentation, source)
        assert sorted(raised - expected) == [], "%s fired outside alerts.csv (%s/%s)" % (name, presentation, source)
    else:
        everything = set().union(*alerts.values()) | labelled
        assert sorted(raised - everything) == [], "%s shows events outside the ground truth" % name
        assert raised, "the hunt found nothing"


CASES = []
for _presentation, _source in VIEWS:
    for _name in saved_search_names():
        _finding = known_finding(_name, _presentation, _source)
        _marks = [pytest.mark.xfail(strict=True, reason="SPL review finding %s" % _finding)] if _finding else []
        CASES.append(pytest.param(_name, _presentation, _source, id="%s-%s-%s" % (_name, _presentation, _source),
                                  marks=_marks))


@pytest.mark.parametrize("name,presentation,source", CASES)
def test_saved_search_raises_exactly_its_ground_truth(name: str, presentation: str, source: str):
    require_corpora()
    check(name, outcome(presentation, source)[name], presentation, source)


UNSURE = [(field, choice) for field, choices in Semantics.choices().items() for choice in choices[1:]]


@pytest.mark.parametrize("field,choice", UNSURE, ids=["%s=%s" % u for u in UNSURE])
def test_same_alerts_under_each_unsure_behaviour(field: str, choice: str):
    """Where the documentation is unsure, the other choice gives the same alerts (decoded view,
    where no finding stands in the way)."""
    require_corpora()
    semantics = replace(Semantics(), **{field: choice})
    for name, rows in outcome("decoded", "xml", semantics).items():
        if not known_finding(name, "decoded", "xml"):
            check(name, rows, "decoded", "xml")


def test_ground_truth_counts():
    """The ground truth as ../shared says: 90 rows in windows-events (4 for the service rule), 7 in
    the extra corpus."""
    require_corpora()
    rows = {corpus: ground_truth(corpus)[0] for corpus in CORPORA}
    assert sum(len(v) for v in rows["windows-events"].values()) == 90
    assert sum(len(v) for v in rows["windows-events-extra"].values()) == 7
