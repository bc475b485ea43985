"""What the saved searches of the BUILT app read through the index (the stand-in's scan figures:
tests/standin/evaluate.py's index_admits, docs/performance.md's scan table) over both real
corpora: the SPL review's P1 and P2 (../shared/reference/spl-review-2026-11.md). Each bound
fails on the searches before their fix (the redirect rule read 88.2% of the events, the hunt
99.7%)."""
import functools

import pytest

from tests.harness import BUILT_APP, ensure_built
from tests.spl.corpora import require_corpora
from tests.standin.evaluate import Splunk
from tests.standin.events import corpus_paths, load

CORPORA = ("windows-events", "windows-events-extra")


@functools.lru_cache(maxsize=1)
def events():
    return tuple(load([p for c in CORPORA for p in corpus_paths(c)], presentation="addon"))


def scan(name: str):
    ensure_built()
    rows, figures = Splunk(BUILT_APP, events=events(), now=1.9e9).saved(name)
    return rows, figures


@pytest.mark.parametrize("name,bound", [
    ("LOTL - Impacket Output Redirect to Admin Share - Rule", 0.10),  # P1: "C$" was the token c
    ("LOTL - Impacket Session Timeline - Hunt", 0.70),  # P2: EventCode=1 and leading wildcards
])
def test_base_search_reads_only_what_it_needs(name, bound):
    require_corpora()
    rows, figures = scan(name)
    assert rows, name
    assert figures.scanned <= bound * len(events()), (name, figures)
