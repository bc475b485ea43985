"""The searches users read outside savedsearches.conf: the dashboard's data sources and the
README's example searches. Each parses (macros of the built app expanded); each runs in the
stand-in where its commands allow: `| rest` and `timechart` are not modelled (the stand-in has
no splunkd REST endpoints and no charting), so those are checked to be refused by name."""
import json
import os
import re
from typing import List, Tuple

import pytest

from tests.harness import BUILT_APP, ROOT, ensure_built
from tests.standin.evaluate import Splunk
from tests.standin.events import corpus_paths, load
from tests.standin.spl import SplError

DASHBOARD = os.path.join(ROOT, "package", "default", "data", "ui", "views", "lotl_triage.xml")
NOT_MODELLED = ("rest", "timechart")


def dashboard_searches() -> List[Tuple[str, str]]:
    with open(DASHBOARD, encoding="utf-8") as handle:
        definition = json.loads(re.search(r"<!\[CDATA\[(.*)\]\]>", handle.read(), re.S).group(1))
    found = []
    for name, source in definition["dataSources"].items():
        query = source["options"]["query"]
        if source["type"] == "ds.chain":  # a chained search extends its base search
            query = definition["dataSources"][source["options"]["extend"]]["options"]["query"] + " " + query
        found.append((name, query))
    return found


def readme_searches() -> List[Tuple[str, str]]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    found = []
    for block in re.findall(r"```\n(.*?)```", text, re.S):
        if "`lotl_" not in block and "| makeresults" not in block:
            continue
        for index, search in enumerate(re.split(r"\n\s*\n", block.strip())):
            if not search.lstrip().startswith(("`", "|")):
                continue  # a syntax line (`... | dtutilargs ...`) or a shell command, not a search
            found.append(("README %d" % index, " ".join(line.strip() for line in search.splitlines())))
    return found


SEARCHES = dashboard_searches() + readme_searches()


@pytest.fixture(scope="module")
def splunk() -> Splunk:
    ensure_built()
    return Splunk(BUILT_APP, events=load(corpus_paths("samples")), now=1.9e9)


def test_the_searches_were_found():
    names = [name for name, _q in SEARCHES]
    assert {"ds_alerts", "ds_dtutil", "ds_dtutil_direction", "ds_sessions"} <= set(names)
    assert sum(name.startswith("README") for name in names) >= 5


@pytest.mark.parametrize("name,query", SEARCHES, ids=[n for n, _q in SEARCHES])
def test_search_parses_and_runs_where_it_can(splunk: Splunk, name: str, query: str):
    pipeline = splunk.parse(query)  # a parse error fails here
    names = [command.name for command in pipeline.commands]
    refused = [n for n in names if n in NOT_MODELLED]
    if refused:
        with pytest.raises(SplError, match="'%s' is not implemented" % refused[0]):
            splunk.search(query)
        return
    rows, _scan = splunk.search(query)
    assert isinstance(rows, list)
