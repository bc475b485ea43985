"""Enterprise Security keys of the saved searches (issue 13).

Every `- Rule` is an ES detection: its metadata comes from its Sigma rule (id, version, date), its
risk and finding are filled in but shipped off (a Splunk without ES would log an error for an
enabled `risk` or `notable` action at every trigger), and every field that the risk objects, the
threat objects, the messages, the finding's title, its nes_fields and its drilldowns name is a
field of the rows the search returns: the names in its final `| table`. Scores are the
impact x confidence / 100 of the rationale table in docs/detections/README.md."""
import datetime
import json
import os
import re
from typing import Dict, List, Set

import pytest
import yaml

from detections.lab.sigma import DETECTIONS, Detection, normalize_spl, splunk_base_search
from tests.detections.test_static import RULES, searches

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "detections", "README.md")
HUNTS = [d for d in DETECTIONS if d.search.endswith("- Hunt")]

# Splunk's alert.severity (1 debug .. 6 critical) and ES's finding severity
SEVERITY = {"2": "informational", "3": "low", "4": "medium", "5": "high", "6": "critical"}
SECURITY_DOMAINS = {"endpoint", "network", "threat", "identity", "access", "audit"}
RISK_OBJECT_TYPES = {"system", "user", "other"}
# contentctl 5.6.2's ThreatObjectType (contentctl/objects/rba.py)
THREAT_OBJECT_TYPES = {
    "certificate_common_name", "certificate_organization", "certificate_serial", "certificate_unit",
    "command", "domain", "email_address", "email_subject", "file_hash", "file_name", "file_path",
    "http_user_agent", "ip_address", "process", "process_name", "parent_process",
    "parent_process_name", "process_hash", "registry_path", "registry_value_name",
    "registry_value_text", "service", "signature", "system", "tls_hash", "url"}
TOKEN = re.compile(r"\$([A-Za-z_][A-Za-z0-9_.]*)\$")
# tokens ES itself provides, not fields of the rows
ES_TOKENS = {"info_min_time", "info_max_time"}


def table_fields(search: str) -> List[str]:
    """The fields of the rows a search returns: the names of its last `| table` command."""
    tables = re.findall(r"\|\s*table\s+([^|]+)", search)
    assert tables, "no | table in the search"
    return tables[-1].split()


def tokens(text: str) -> Set[str]:
    return set(TOKEN.findall(text)) - ES_TOKENS


def sigma(detection: Detection) -> dict:
    with open(detection.rule_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def severity_of_score(score: int) -> str:
    """How contentctl 5.x derives a finding's severity from its highest risk score."""
    for bound, name in ((20, "informational"), (40, "low"), (60, "medium"), (80, "high"), (100, "critical")):
        if score <= bound:
            return name
    raise ValueError(score)


def rationale() -> Dict[str, Dict[str, int]]:
    """The RBA score table of docs/detections/README.md: rule -> impact, confidence, score."""
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    rows = {}
    for name, impact, confidence, score in re.findall(
            r"^\|\s*(LOTL - [^|]+? - Rule)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", text, re.M):
        rows[name] = {"impact": int(impact), "confidence": int(confidence), "score": int(score)}
    return rows


def risk_parts(settings: Dict[str, str]):
    entries = json.loads(settings["action.risk.param._risk"])
    risk = [e for e in entries if "risk_object_field" in e]
    threat = [e for e in entries if "threat_object_field" in e]
    assert len(risk) + len(threat) == len(entries), entries
    return risk, threat


def fields_named(settings: Dict[str, str]) -> Dict[str, Set[str]]:
    """Every field an ES key names, by key."""
    risk, threat = risk_parts(settings)
    named = {
        "risk objects": {e["risk_object_field"] for e in risk},
        "threat objects": {e["threat_object_field"] for e in threat},
        "risk message": tokens(settings["action.risk.param._risk_message"]),
        "finding title": tokens(settings["action.notable.param.rule_title"]),
        "finding description": tokens(settings["action.notable.param.rule_description"]),
        "nes_fields": {f.strip() for f in settings["action.notable.param.nes_fields"].split(",")},
    }
    for drilldown in json.loads(settings["action.notable.param.drilldown_searches"]):
        named["drilldown " + drilldown["name"]] = tokens(drilldown["name"]) | tokens(drilldown["search"])
    return named


# ---------------------------------------------------------------------------------------------
# The helpers can fail


def test_table_fields_and_tokens_can_fail():
    search = "a | table x y | eval z=1 | table dest user | `m_filter`"
    assert table_fields(search) == ["dest", "user"]
    assert tokens("on $dest$ by $user$ at $info_min_time$") == {"dest", "user"}
    settings = {
        "action.risk.param._risk": json.dumps([{"risk_object_field": "dest", "risk_object_type": "system", "risk_score": 10},
                                                {"threat_object_field": "src", "threat_object_type": "ip_address"}]),
        "action.risk.param._risk_message": "x on $dest$ from $src_ip$",
        "action.notable.param.rule_title": "t", "action.notable.param.rule_description": "d",
        "action.notable.param.nes_fields": "dest", "action.notable.param.drilldown_searches": "[]",
    }
    missing = set().union(*fields_named(settings).values()) - set(table_fields(search))
    assert missing == {"src", "src_ip"}
    assert severity_of_score(72) == "high" and severity_of_score(60) == "medium" and severity_of_score(81) == "critical"


def test_the_rationale_table_lists_every_rule():
    assert set(rationale()) == {d.search for d in RULES}


# ---------------------------------------------------------------------------------------------
# Detection keys and version metadata


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_rule_is_an_es_detection(detection: Detection):
    s = searches()[detection.search]
    assert s["action.correlationsearch.enabled"] == "1"
    assert s["action.correlationsearch.label"] == detection.search
    assert s["action.correlationsearch.detection_type"] == "ebd"
    annotations = json.loads(s["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"] and all(re.fullmatch(r"T\d{4}(\.\d{3})?", t) for t in annotations["mitre_attack"])
    assert annotations["analytic_story"] == ["Living Off The Land: DTUtil and Impacket"]


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_metadata_is_the_sigma_rules(detection: Detection):
    """detection_id is the Sigma rule's id, detection_version its x_detection_version (the one
    place the version is kept), publish_time the start (UTC) of its date, or of `modified`."""
    rule = sigma(detection)
    metadata = json.loads(searches()[detection.search]["action.correlationsearch.metadata"])
    assert metadata["detection_id"] == rule["id"]
    version = rule["x_detection_version"]
    assert isinstance(version, int) and version >= 1
    assert metadata["detection_version"] == str(version)
    date = rule.get("modified") or rule["date"]
    date = datetime.date.fromisoformat(date) if isinstance(date, str) else date
    start = datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.timezone.utc)
    assert metadata["publish_time"] == int(start.timestamp())
    assert metadata["deprecated"] == "0"
    # the version lives in the Sigma rule only: nothing else in the conf restates it
    assert searches()[detection.search]["action.correlationsearch.metadata"].count("detection_version") == 1


def test_detection_ids_are_unique():
    ids = [json.loads(searches()[d.search]["action.correlationsearch.metadata"])["detection_id"] for d in RULES]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------------------------------------
# A Splunk without ES stays quiet


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_risk_and_finding_ship_off_with_their_parameters(detection: Detection):
    s = searches()[detection.search]
    assert s["action.risk"] == "0" and s["action.notable"] == "0"
    assert s["action.risk.param._risk"] and s["action.notable.param.rule_title"]
    # no other alert action is switched on in default/
    enabled = [k for k, v in s.items() if re.fullmatch(r"action\.[^.]+", k) and v.strip() not in ("0", "false")]
    assert not enabled, enabled


def test_the_hunt_stays_a_report():
    for detection in HUNTS:
        s = searches()[detection.search]
        assert not [k for k in s if k.startswith(("action.risk", "action.notable", "action.correlationsearch.enabled"))]
        assert "mitre_attack_software" in json.loads(s["action.correlationsearch.annotations"])


# ---------------------------------------------------------------------------------------------
# Risk


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_risk_objects_and_scores(detection: Detection):
    s = searches()[detection.search]
    risk, threat = risk_parts(s)
    assert risk, "at least one risk object"
    assert {e["risk_object_field"] for e in risk} >= {"dest"}
    for entry in risk:
        assert entry["risk_object_type"] in RISK_OBJECT_TYPES
        assert isinstance(entry["risk_score"], int) and 1 <= entry["risk_score"] <= 100
    for entry in threat:
        assert entry["threat_object_type"] in THREAT_OBJECT_TYPES, entry
    # the host is a system, the account a user
    types = {e["risk_object_field"]: e["risk_object_type"] for e in risk}
    assert types["dest"] == "system" and types.get("user", "user") == "user"
    row = rationale()[detection.search]
    assert row["score"] == row["impact"] * row["confidence"] // 100
    assert {e["risk_score"] for e in risk} == {row["score"]}, "scores as stated in docs/detections/README.md"


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_finding(detection: Detection):
    s = searches()[detection.search]
    risk, _threat = risk_parts(s)
    assert s["action.notable.param.security_domain"] in SECURITY_DOMAINS
    severity = s["action.notable.param.severity"]
    assert severity == SEVERITY[s["alert.severity"]], "the finding's severity is the alert's"
    assert severity == severity_of_score(max(e["risk_score"] for e in risk)), "and the one contentctl derives from the score"
    assert s["action.notable.param.rule_description"] == s["description"]
    assert tokens(s["action.notable.param.rule_title"]), "a title with tokens"
    assert tokens(s["action.risk.param._risk_message"]), "a risk message with tokens"
    assert s["action.notable.param.nes_fields"] == s["alert.suppress.fields"], "findings dedupe as the alert throttles"


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_drilldowns(detection: Detection):
    s = searches()[detection.search]
    drilldowns = json.loads(s["action.notable.param.drilldown_searches"])
    assert len(drilldowns) >= 2
    for drilldown in drilldowns:
        assert set(drilldown) == {"name", "search", "earliest_offset", "latest_offset"}
    events, risk = drilldowns[0], drilldowns[1]
    # the entity's events for this detection: the rule's own base search (its Sigma rule), on that host
    expected = normalize_spl(splunk_base_search(detection)) + ' | eval dest=lower(coalesce(Computer, host)) | search dest="$dest$"'
    assert events["search"] == expected, "update the drilldown to:\n" + json.dumps(expected)
    assert (events["earliest_offset"], events["latest_offset"]) == ("$info_min_time$", "$info_max_time$")
    # the entity's risk over 7 days (ESCU's drilldown as fixed for ES 8: offsets, no starthoursago)
    assert risk["search"].startswith("| from datamodel Risk.All_Risk | search normalized_risk_object IN (")
    assert "starthoursago" not in risk["search"]
    assert (risk["earliest_offset"], risk["latest_offset"]) == ("7d", "0")


@pytest.mark.parametrize("detection", RULES, ids=lambda d: d.search)
def test_every_field_named_is_a_field_of_the_rows(detection: Detection):
    s = searches()[detection.search]
    fields = set(table_fields(s["search"]))
    problems = {key: sorted(names - fields) for key, names in fields_named(s).items() if names - fields}
    assert not problems, problems
