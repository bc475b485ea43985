"""The triage dashboard's searches (package/default/data/ui/views/lotl_triage.xml), run by the
stand-in where it can, over the project's samples: the SPL review's S5, S6, T7 and P2
(../shared/reference/spl-review-2026-11.md)."""
import json
import os
import re
from collections import Counter
from typing import Dict

from tests.harness import BUILT_APP, ensure_built
from tests.standin.evaluate import Splunk
from tests.standin.events import corpus_paths, load
from tests.standin.functions import values_of

VIEW = os.path.join(BUILT_APP, "default", "data", "ui", "views", "lotl_triage.xml")


def definition() -> Dict:
    ensure_built()
    with open(VIEW, encoding="utf-8") as handle:
        return json.loads(re.search(r"<!\[CDATA\[(.*)\]\]>", handle.read(), re.S).group(1))


def query(name: str) -> str:
    return definition()["dataSources"][name]["options"]["query"]


def run(text: str):
    events = load(corpus_paths("samples"), presentation="addon")
    return Splunk(BUILT_APP, events=events, now=1.9e9).search(text)[0]


def test_s6_every_transfer_is_in_the_table_and_counted_once_in_the_pie():
    """SQL Server transfers (no share) and local ones (no remote host) are rows of the table; the
    pie counts each transfer once, whatever its number of hosts or shares."""
    table = run(query("ds_dtutil"))
    transfers = Counter()
    for row in run(query("ds_dtutil").split(" | eval dtutil_remote_host=")[0]):
        transfers[values_of(row.fields["dtutil_direction"])[0]] += 1
    assert transfers  # the samples hold transfers of several directions
    in_table = set().union(*[row.events for row in table])
    every = set().union(*[row.events for row in run(query("ds_dtutil").split(" | eval dtutil_remote_host=")[0])])
    assert in_table == every
    pie = {values_of(row.fields["dtutil_direction"])[0]: int(values_of(row.fields["transfers"])[0])
           for row in run(query("ds_dtutil_direction"))}
    assert pie == dict(transfers)


def test_s5_alert_history_reads_the_audit_index_not_the_24_hour_listing():
    text = query("ds_alerts")
    assert "| rest" not in text and "fired_alerts" not in text
    assert text.startswith("index=_audit action=alert_fired") and "ss_name=\"LOTL - *\"" in text
    assert definition()["dataSources"]["ds_alerts"]["options"]["queryParameters"]["earliest"] == "$global_time.earliest$"


def test_t7_p2_hunt_panel_without_substitution_over_a_day_by_default():
    assert query("ds_sessions") == '| savedsearch "LOTL - Impacket Session Timeline - Hunt" nosubstitution=true'
    assert definition()["inputs"]["input_time"]["options"]["defaultValue"] == "-24h@h,now"
