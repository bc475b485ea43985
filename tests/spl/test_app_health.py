"""LOTL - App Health - Rule (SPL review finding B1), run by the stand-in over scheduler records
made here in scheduler.log's key=value shape (fields as Splunk's automatic key-value extraction
gives them): a skipped or failed LOTL search raises one row per saved search, a lookup error
is named with what to do, successful runs and other apps' searches raise nothing."""
import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

from tests.harness import BUILT_APP, ensure_built
from tests.standin.evaluate import Splunk
from tests.standin.functions import values_of

HEALTH = "LOTL - App Health - Rule"
LOOKUP_ERROR = "Error in 'lookup' command: Could not find all of the specified lookup fields in the lookup table."


@dataclass(frozen=True)
class SchedulerRecord:
    key: Tuple[str, str, str]
    fields: Dict[str, str]
    raw: str


def record(number: int, **values: str) -> SchedulerRecord:
    """One scheduler.log line: `key=value` / `key="value"` pairs, extracted as KV_MODE=auto does."""
    raw = "11-30-2026 10:%02d:00.000 +0000 INFO  SavedSplunker - " % number + ", ".join(
        '%s="%s"' % (k, v) if re.search(r"[\s,]", v) else "%s=%s" % (k, v) for k, v in values.items())
    fields = {k: v for k, v in re.findall(r'(\w+)="?((?<=")[^"]*|[^,\s]*)"?', raw.split(" - ", 1)[1])}
    fields.update({"_raw": raw, "_time": str(1796000000 + number * 60), "index": "_internal",
                   "sourcetype": "scheduler", "source": "/opt/splunk/var/log/splunk/scheduler.log", "host": "sh01"})
    return SchedulerRecord(("scheduler.log", str(number), "scheduler"), fields, raw)


def run(records: List[SchedulerRecord]):
    ensure_built()
    return Splunk(BUILT_APP, events=records, now=1.9e9).saved(HEALTH)[0]


def test_a_failed_search_with_a_lookup_error_is_named_with_what_to_do():
    rows = run([
        record(1, app="SA-lotl-detections", savedsearch_name="LOTL - DTUtil Network Connection - Rule",
               status="failed", message=LOOKUP_ERROR, log_level="ERROR"),
        record(2, app="SA-lotl-detections", savedsearch_name="LOTL - DTUtil Network Connection - Rule",
               status="failed", message=LOOKUP_ERROR, log_level="ERROR"),
        record(3, app="SA-lotl-detections", savedsearch_name="LOTL - DTUtil Network Connection - Rule",
               status="success"),
    ])
    assert len(rows) == 1
    row = rows[0]
    assert row.fields["savedsearch_name"] == "LOTL - DTUtil Network Connection - Rule"
    assert row.fields["count"] == 2
    assert values_of(row.fields["problem"]) == ["failed: " + LOOKUP_ERROR]
    assert "allowlist is missing a column" in " ".join(values_of(row.fields["action"]))
    assert row.events == {("scheduler.log", "1", "scheduler"), ("scheduler.log", "2", "scheduler")}


def test_skipped_searches_one_row_each_and_success_is_quiet():
    rows = run([
        record(1, savedsearch_name="LOTL - Impacket Output File on Admin Share - Rule", status="skipped",
               reason="The maximum number of concurrent running jobs for this historical scheduled search has been reached"),
        record(2, savedsearch_name="LOTL - DTExec Runs Staged Package - Rule", status="deferred"),
        record(3, savedsearch_name="LOTL - DTExec Runs Staged Package - Rule", status="success"),
        record(4, savedsearch_name="Some Other App Search", status="failed", message="boom"),
        record(5, savedsearch_name="LOTL - App Health - Rule", status="skipped"),
    ])
    by_name = {row.fields["savedsearch_name"]: row for row in rows}
    assert sorted(by_name) == ["LOTL - DTExec Runs Staged Package - Rule",
                               "LOTL - Impacket Output File on Admin Share - Rule"]
    assert values_of(by_name["LOTL - DTExec Runs Staged Package - Rule"].fields["problem"]) == [
        "deferred: no reason logged"]
    assert "concurrent running jobs" in by_name["LOTL - Impacket Output File on Admin Share - Rule"].fields["problem"]
    assert "concurrency" in by_name["LOTL - Impacket Output File on Admin Share - Rule"].fields["action"]


def test_nothing_to_report():
    assert run([record(1, savedsearch_name="LOTL - DTExec Runs Staged Package - Rule", status="success")]) == []


def test_scheduled_disabled_and_throttled_per_search():
    from tests.detections.test_static import searches

    settings = searches()[HEALTH]
    assert (settings["enableSched"], settings["disabled"]) == ("1", "1")
    assert settings["alert.suppress.fields"] == "savedsearch_name"
    assert "savedsearch_name" in re.findall(r"\| table ([^|]+)", settings["search"])[-1].split()
