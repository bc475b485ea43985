"""Static checks of the detections: Sigma rules, saved searches, macros, lookups.

The base search of every saved search must be what pySigma's Splunk backend makes of its Sigma
rule (behind the data-source macros): that is how the two never drift."""
import csv
import json
import os
import re
import subprocess
import sys
from typing import Dict

import pytest
import yaml

from detections.lab.sigma import DETECTIONS, SIGMA_DIR, Detection, normalize_spl, splunk_base_search
from tests.test_conf import conf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "package")
DATA_MACROS = {"lotl_sysmon", "lotl_wineventlog_security", "lotl_wineventlog_system"}
# The app's health alert reads Splunk's own scheduler records, not Windows events: no Sigma rule.
HEALTH = "LOTL - App Health - Rule"
HEALTH_MACROS = {"lotl_scheduler_log"}
RULES = [d for d in DETECTIONS if d.search.endswith("- Rule")]


def searches() -> Dict[str, Dict[str, str]]:
    """savedsearches.conf with each search as Splunk reads it: a line ending in `\\` continues on
    the next line (the parser keeps the backslash; Splunk drops it and keeps the line break)."""
    result = conf("savedsearches.conf")
    for settings in result.values():
        if "search" in settings:
            settings["search"] = re.sub(r"\\\r?\n", "\n", settings["search"])
    return result


def test_every_detection_is_a_saved_search_and_back():
    assert set(searches()) == {d.search for d in DETECTIONS} | {HEALTH}
    assert len(RULES) == 8


def test_every_sigma_file_belongs_to_one_detection():
    files = sorted(name for name in os.listdir(SIGMA_DIR) if name.endswith(".yml"))
    assert files == sorted(d.sigma for d in DETECTIONS)


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: d.sigma)
def test_sigma_rule_metadata(detection: Detection):
    with open(detection.rule_path, encoding="utf-8") as handle:
        rule = yaml.safe_load(handle)
    for key in ("title", "id", "status", "description", "references", "author", "date", "tags",
                "logsource", "detection", "falsepositives", "level"):
        assert rule.get(key), (detection.sigma, key)
    assert rule["author"] == "SA-lotl-detections"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rule["id"])
    assert any(tag.startswith("attack.t") or tag.startswith("attack.s") for tag in rule["tags"])


def test_sigma_ids_are_unique():
    ids = []
    for detection in DETECTIONS:
        with open(detection.rule_path, encoding="utf-8") as handle:
            ids.append(yaml.safe_load(handle)["id"])
    assert len(set(ids)) == len(ids)


def test_sigma_check_passes():
    # The ATT&CK and D3FEND tag validators download MITRE's data: skipped offline.
    sigma = os.path.join(os.path.dirname(sys.executable), "sigma")
    run = subprocess.run([sigma, "check", "-x", "attacktag", "-x", "d3_fendtag", SIGMA_DIR],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Found 0 errors, 0 condition errors" in run.stdout, run.stdout


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: d.search)
def test_base_search_is_the_sigma_conversion(detection: Detection):
    search = normalize_spl(searches()[detection.search]["search"])
    base = normalize_spl(splunk_base_search(detection))
    assert search.startswith(base + " | "), "savedsearches.conf [%s] must start with\n%s\nnot\n%s" % (
        detection.search, base, search[:len(base) + 40])
    # nothing but the base search comes before the first hand-written stage
    assert search[len(base):].startswith(" | eval ")


def test_base_search_check_can_fail():
    detection = DETECTIONS[0]
    base = normalize_spl(splunk_base_search(detection))
    assert not normalize_spl(base.replace("EventCode IN (1, 3)", "EventCode=3") + " | eval x=1").startswith(base + " | ")


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: d.search)
def test_search_ends_with_its_filter_macro(detection: Detection):
    search = normalize_spl(searches()[detection.search]["search"])
    assert search.endswith("| `%s`" % detection.filter_macro)
    assert conf("macros.conf")[detection.filter_macro]["definition"] == "search *"


def test_no_index_outside_the_data_source_macros():
    for name, settings in searches().items():
        assert not re.search(r"\bindex\s*=", settings["search"]), name
    for name, settings in conf("macros.conf").items():
        if name not in DATA_MACROS | HEALTH_MACROS:
            assert not re.search(r"\bindex\s*=", settings["definition"]), name


def test_sysmon_macro_covers_both_conventions():
    definition = conf("macros.conf")["lotl_sysmon"]["definition"]
    # both source spellings of XML-rendered Sysmon (review finding S3)
    assert 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"' in definition
    assert 'source="WinEventLog:Microsoft-Windows-Sysmon/Operational"' in definition
    for name, channel in (("lotl_wineventlog_security", "Security"), ("lotl_wineventlog_system", "System")):
        definition = conf("macros.conf")[name]["definition"]
        assert 'source="XmlWinEventLog:%s"' % channel in definition and 'source="WinEventLog:%s"' % channel in definition
    # no sourcetype clause: the add-ons rename XmlWinEventLog:<channel> (review finding T4)
    for name in DATA_MACROS:
        assert "sourcetype" not in conf("macros.conf")[name]["definition"], name


def _cron_runs_per_hour(cron: str) -> int:
    minute = cron.split()[0]
    if minute.startswith("*/"):
        return 60 // int(minute[2:])
    return len(minute.split(","))


def _minutes(relative: str) -> int:
    match = re.fullmatch(r"-(\d+)([mh])@m", relative)
    assert match, relative
    return int(match.group(1)) * (60 if match.group(2) == "h" else 1)


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_rule_schedule_and_alerting(detection: Detection):
    s = searches()[detection.search]
    assert s["enableSched"] == "1" and s["disabled"] == "1"
    runs = _cron_runs_per_hour(s["cron_schedule"])
    assert 1 <= runs <= 12
    interval = 60 // runs
    earliest, latest = _minutes(s["dispatch.earliest_time"]), _minutes(s["dispatch.latest_time"])
    assert latest >= 1, "the window must end in the past, for indexing lag"
    assert earliest - latest >= interval, "the window must cover the interval: no gap"
    assert s["alert.track"] == "1" and s["alert.severity"] in {"1", "2", "3", "4", "5", "6"}
    assert s["alert.suppress"] == "1" and s["alert.suppress.fields"] and s["alert.suppress.period"]
    assert (s["counttype"], s["relation"], s["quantity"]) == ("number of events", "greater than", "0")
    assert s["description"] and s["request.ui_dispatch_app"] == "SA-lotl-detections"
    annotations = json.loads(s["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"]
    # the throttling fields are fields the search outputs
    table = re.findall(r"\| table ([^|]+)", s["search"])[-1].split()
    for name in s["alert.suppress.fields"].split(","):
        assert name.strip() in table, (detection.search, name)


def test_annotations_name_the_techniques():
    annotations = {name: json.loads(s["action.correlationsearch.annotations"]) for name, s in searches().items()
                   if name != HEALTH}
    assert "action.correlationsearch.annotations" not in searches()[HEALTH]  # not an attack detection
    marks = {name: a["mitre_attack"] for name, a in annotations.items()}
    for name, techniques in marks.items():
        # technique ids only (ES and contentctl): the software id has a key of its own
        assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", t) for t in techniques), (name, techniques)
        if "DTUtil" in name or "DTExec" in name:
            assert "T1105" in techniques
        else:
            assert annotations[name]["mitre_attack_software"] == ["S0357"], name
    assert "T1003.002" in marks["LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule"]
    assert "T1047" in marks["LOTL - Impacket Output Redirect to Admin Share - Rule"]


def test_annotations_are_the_sigma_rules_technique_tags():
    """The ATT&CK techniques of a saved search are its Sigma rule's, written once in each."""
    for detection in DETECTIONS:
        with open(detection.rule_path, encoding="utf-8") as handle:
            tags = yaml.safe_load(handle).get("tags", [])
        techniques = {t.split(".", 1)[1].upper() for t in tags if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)}
        annotations = json.loads(searches()[detection.search]["action.correlationsearch.annotations"])
        assert set(annotations["mitre_attack"]) == techniques, detection.search


def test_hunt_is_a_report():
    s = searches()["LOTL - Impacket Session Timeline - Hunt"]
    assert s["enableSched"] == "0"
    assert "epoch_artifact dest" in s["search"]


def test_custom_commands_come_after_the_base_search():
    for detection in DETECTIONS:
        search = normalize_spl(searches()[detection.search]["search"])
        base = normalize_spl(splunk_base_search(detection))
        assert not re.search(r"dtutilargs|epochshare", base)
        assert re.search(r"\| (dtutilargs|epochshare)\b", search) or "Staged" in detection.search


LOOKUP_COLUMNS = {
    "lotl_dtutil_approved_servers.csv": ["host", "owner", "ticket", "expires", "comment"],
    "lotl_dtutil_approved_shares.csv": ["share", "owner", "ticket", "expires", "comment"],
    "lotl_maintenance_windows.csv": ["host", "start", "end", "ticket", "comment"],
    "lotl_admin_share_exec_allowlist.csv": ["src", "host", "owner", "ticket", "expires", "comment"],
}


@pytest.mark.parametrize("name", sorted(LOOKUP_COLUMNS))
def test_lookups_ship_header_only(name: str):
    with open(os.path.join(PACKAGE, "lookups", name), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [LOOKUP_COLUMNS[name]]


def test_transforms_match_case_insensitively_with_wildcards():
    transforms = conf("transforms.conf")
    for stanza, settings in transforms.items():
        assert settings["case_sensitive_match"] == "false", stanza
        assert settings["filename"] in LOOKUP_COLUMNS, stanza
    assert transforms["lotl_dtutil_approved_servers"]["match_type"] == "WILDCARD(host)"
    assert transforms["lotl_dtutil_approved_shares"]["match_type"] == "WILDCARD(share)"
    assert "CIDR(src)" in transforms["lotl_admin_share_exec_allowlist"]["match_type"]


def test_dashboard_is_dashboard_studio_and_the_home_page():
    views = os.path.join(PACKAGE, "default", "data", "ui")
    with open(os.path.join(views, "views", "lotl_triage.xml"), encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith('<dashboard version="2" theme="dark">') and "<label>" in text
    definition = json.loads(re.search(r"<!\[CDATA\[(.*)\]\]>", text, re.S).group(1))
    kinds = {viz["type"] for viz in definition["visualizations"].values()}
    assert {"splunk.table", "splunk.column"} <= kinds
    drilldowns = [viz for viz in definition["visualizations"].values() if viz.get("eventHandlers")]
    assert len(drilldowns) >= 2
    for viz in definition["visualizations"].values():
        for source in viz.get("dataSources", {}).values():
            assert source in definition["dataSources"]
    with open(os.path.join(views, "nav", "default.xml"), encoding="utf-8") as handle:
        assert '<view name="lotl_triage" default="true" />' in handle.read()
