"""Export the app's detections as an ESCU-style contentctl 5.x project (dev-only, never shipped).

    .venv/bin/python tools/contentctl_export.py [--out build/contentctl]

Everything is generated from the app's own sources, never edited by hand:
- package/default/savedsearches.conf: each `- Rule` becomes a TTP detection, the `- Hunt` a
  Hunting one: its search, description, throttling, and the Enterprise Security keys (risk
  objects, threat objects, risk message, finding severity, drilldowns);
- detections/sigma/*.yml: id, version (`x_detection_version`), date, author, references, false
  positives, and the data sources (from the event ids);
- package/default/macros.conf and transforms.conf, package/lookups/*.csv: the macros and lookups
  the searches use;
- detections/samples/*.jsonl: the project's own synthetic events, as the detections' test data
  (each rule's Sigma filter selects them; their `_raw` is written out as XmlWinEventLog data).
  A rule with no sample event is marked `manual_test` (contentctl then wants no test data).

`contentctl validate` (tests/detections/test_contentctl.py, in its own .venv-contentctl) checks
the result. What the export is for: contributing the detections to Splunk's security content
(ESCU) and handing them to teams that manage their Splunk content with contentctl. It is not how
the app is built (UCC is: vendored splunklib, user-owned allowlists): `contentctl build` renames
lookup files by date, which would point an upgraded allowlist at a new, empty file.
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import sys
import uuid
from typing import Dict, List, Tuple

import yaml
from addonfactory_splunk_conf_parser_lib import TABConfigParser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from detections.lab.events import EventStore, Loaded, read_jsonl  # noqa: E402
from detections.lab.sigma import DETECTIONS, Detection, sqlite_query  # noqa: E402

DEFAULT = os.path.join(ROOT, "package", "default")
LOOKUPS = os.path.join(ROOT, "package", "lookups")
SAMPLES = os.path.join(ROOT, "detections", "samples")
STORY = "Living Off The Land: DTUtil and Impacket"
AUTHOR = "SA-lotl-detections"
PRODUCTS = ["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"]
# a stable namespace for the ids of generated objects that have none in the sources
NAMESPACE = uuid.UUID("5b6f7c1e-2d3a-4f4b-9c8d-7e6f5a4b3c2d")

# Event ids of the Sigma rules -> ESCU's data source names, with their source
DATA_SOURCES: Dict[int, Tuple[str, str, str]] = {
    1: ("Sysmon EventID 1", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "Sysmon process creation"),
    3: ("Sysmon EventID 3", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "Sysmon network connection"),
    11: ("Sysmon EventID 11", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "Sysmon file create"),
    13: ("Sysmon EventID 13", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "Sysmon registry value set"),
    4688: ("Windows Event Log Security 4688", "XmlWinEventLog:Security", "process creation, with command lines"),
    4697: ("Windows Event Log Security 4697", "XmlWinEventLog:Security", "service installed (Audit Security System Extension)"),
    5145: ("Windows Event Log Security 5145", "XmlWinEventLog:Security", "detailed file share (Audit Detailed File Share)"),
    7045: ("Windows Event Log System 7045", "XmlWinEventLog:System", "service installed (Service Control Manager)"),
}
SOURCE_SLUG = {
    "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational": "sysmon",
    "XmlWinEventLog:Security": "security",
    "XmlWinEventLog:System": "system",
}


def read_conf(name: str) -> Dict[str, Dict[str, str]]:
    """A conf file as Splunk reads it: continued lines (`\\` at the end) joined with a line break."""
    parser = TABConfigParser()
    parser.read(os.path.join(DEFAULT, name))
    result = {}
    for section in parser.sections():
        result[section] = {k: re.sub(r"\\\r?\n", "\n", v) for k, v in parser.items(section) if k != "__name__"}
    return result


def content_name(search: str) -> str:
    """`LOTL - DTUtil Network Connection - Rule` -> `LOTL DTUtil Network Connection`: contentctl
    names the stanza `<app label> - <name> - Rule` itself, and derives the filter macro from the
    name, which gives the app's own `lotl_..._filter`."""
    return re.sub(r"^LOTL - (.*) - (Rule|Hunt)$", r"LOTL \1", search)


def file_stem(name: str) -> str:
    """contentctl's contentNameToFileName, without the extension."""
    return name.replace(" ", "_").replace("-", "_").replace(".", "_").replace("/", "_").lower()


def sigma_rule(detection: Detection) -> dict:
    with open(detection.rule_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def sigma_date(rule: dict) -> datetime.date:
    value = rule.get("modified") or rule["date"]
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def event_ids(node) -> List[int]:
    """Every EventID value in a Sigma detection section."""
    found: List[int] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.split("|")[0] == "EventID":
                found += [int(v) for v in (value if isinstance(value, list) else [value])]
            else:
                found += event_ids(value)
    elif isinstance(node, list):
        for item in node:
            found += event_ids(item)
    return found


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the searches) as YAML literal blocks, as ESCU writes them."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(path: str, data) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.dump(data, handle, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def samples() -> List[Loaded]:
    events: List[Loaded] = []
    for name in sorted(os.listdir(SAMPLES)):
        if name.endswith(".jsonl"):
            events += read_jsonl(os.path.join(SAMPLES, name))
    return events


def how_to_implement(sources: List[str]) -> str:
    needs = "; ".join("%s (%s)" % (name, DATA_SOURCES[code][2])
                      for code, (name, _s, _d) in sorted(DATA_SOURCES.items()) if name in sources)
    return ("Install the SA-lotl-detections app (its `dtutilargs` and `epochshare` search commands, "
            "macros and allowlist lookups) on the search heads and indexers, and point its data-source "
            "macros `lotl_sysmon`, `lotl_wineventlog_security` and `lotl_wineventlog_system` at your "
            "indexes. Collect, in XmlWinEventLog format: %s." % needs)


def detection_yaml(detection: Detection, saved: Dict[str, str], store: EventStore, out: str) -> dict:
    rule = sigma_rule(detection)
    name = content_name(detection.search)
    stem = file_stem(name)
    if stem + "_filter" != detection.filter_macro:
        raise SystemExit("%s: contentctl wants the filter macro %s_filter, the search ends with %s"
                         % (detection.search, stem, detection.filter_macro))
    hunting = detection.search.endswith("- Hunt")
    annotations = json.loads(saved["action.correlationsearch.annotations"])
    codes = sorted(set(event_ids(rule["detection"])))
    sources = [DATA_SOURCES[c][0] for c in codes]
    result = {
        "name": name,
        "id": rule["id"],
        "version": rule["x_detection_version"],
        "date": sigma_date(rule).isoformat(),
        "author": rule["author"],
        "status": "production",
        "type": "Hunting" if hunting else "TTP",
        "description": saved["description"],
        "data_source": sources,
        "search": re.sub(r"[ \t]+\n", "\n", saved["search"].strip()),
        "how_to_implement": how_to_implement(sources),
        "known_false_positives": "; ".join(rule["falsepositives"]),
        "references": rule["references"],
    }
    if not hunting:
        drilldowns = json.loads(saved["action.notable.param.drilldown_searches"])
        result["drilldown_searches"] = [
            {"name": "View the detection results for $dest$",
             "search": '%original_detection_search% | search dest = "$dest$"',
             "earliest_offset": "$info_min_time$", "latest_offset": "$info_max_time$"},
        ] + drilldowns[1:]
        risk = json.loads(saved["action.risk.param._risk"])
        result["rba"] = {
            "message": saved["action.risk.param._risk_message"],
            "risk_objects": [{"field": e["risk_object_field"], "type": e["risk_object_type"], "score": e["risk_score"]}
                             for e in risk if "risk_object_field" in e],
            "threat_objects": [{"field": e["threat_object_field"], "type": e["threat_object_type"]}
                               for e in risk if "threat_object_field" in e],
        }
    tags = {
        "analytic_story": annotations["analytic_story"],
        "asset_type": "Endpoint",
        "mitre_attack_id": annotations["mitre_attack"],
        "product": PRODUCTS,
        "security_domain": saved.get("action.notable.param.security_domain", "endpoint"),
    }
    if saved.get("alert.suppress") == "1":
        tags["throttling"] = {"fields": saved["alert.suppress.fields"].split(","),
                              "period": saved["alert.suppress.period"]}
    selected = store.select(sqlite_query(detection))
    if selected:
        by_source: Dict[str, List[str]] = {}
        for _file, event in selected:
            by_source.setdefault(event["source"], []).append(event["_raw"])
        attack_data = []
        for source, raws in sorted(by_source.items()):
            relative = os.path.join("attack_data", stem, SOURCE_SLUG[source] + ".log")
            os.makedirs(os.path.join(out, os.path.dirname(relative)), exist_ok=True)
            with open(os.path.join(out, relative), "w", encoding="utf-8") as handle:
                handle.write("\n".join(raws) + "\n")
            attack_data.append({"data": relative, "source": source, "sourcetype": "XmlWinEventLog"})
        result["tests"] = [{"name": "True Positive Test", "attack_data": attack_data}]
    else:
        tags["manual_test"] = ("No sample event in detections/samples yet: tested on real events by the "
                               "project's suite (tests/detections), whose data cannot be redistributed.")
    result["tags"] = tags
    return result


def story_yaml(rules: List[dict]) -> dict:
    return {
        "name": STORY,
        "id": str(uuid.uuid5(NAMESPACE, "story:" + STORY)),
        "version": 1,
        "date": max(r["date"] for r in rules),
        "author": AUTHOR,
        "status": "production",
        "description": ("Living-off-the-land transfer and execution: SQL Server's dtutil.exe and dtexec.exe "
                        "moving and running SSIS packages (T1105), and Impacket's remote execution and "
                        "credential tools (MITRE ATT&CK software S0357) leaving output files on admin shares."),
        "narrative": ("dtutil.exe, signed by Microsoft and present on every SSIS host, copies packages from "
                      "remote SMB, WebDAV or SQL Server locations; dtexec.exe runs them. Impacket (S0357) runs "
                      "commands through WMI, DCOM, the Service Control Manager and the Task Scheduler, writes "
                      "their output to the target's own ADMIN$ or C$ share and reads it back over SMB; "
                      "secretsdump saves registry hives there. The detections read the command lines with the "
                      "app's dtutilargs command and name Impacket's artifacts (and decode the attacker's clock "
                      "from wmiexec's file names) with epochshare."),
        "references": ["https://attack.mitre.org/software/S0357/", "https://attack.mitre.org/techniques/T1105/"],
        "tags": {"category": ["Adversary Tactics", "Lateral Movement"], "product": PRODUCTS,
                 "usecase": "Advanced Threat Detection"},
    }


def macro_yamls() -> List[dict]:
    result = []
    for stanza, settings in read_conf("macros.conf").items():
        name = re.sub(r"\(\d+\)$", "", stanza)
        macro = {"name": name, "definition": settings["definition"],
                 "description": settings.get("description", name)}
        if settings.get("args"):
            macro["arguments"] = [a.strip() for a in settings["args"].split(",")]
        result.append(macro)
    return result


def lookup_yamls(out: str) -> List[dict]:
    result = []
    for stanza, settings in read_conf("transforms.conf").items():
        with open(os.path.join(LOOKUPS, settings["filename"]), newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        os.makedirs(os.path.join(out, "lookups"), exist_ok=True)
        with open(os.path.join(out, "lookups", stanza + ".csv"), "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(header)
        lookup = {
            "name": stanza,
            "id": str(uuid.uuid5(NAMESPACE, "lookup:" + stanza)),
            "version": 1,
            "date": "2025-11-20",
            "author": AUTHOR,
            "description": ("Allowlist the user fills in (header only as shipped; file %s in the app). "
                            "Do not build it with contentctl: the build renames the file by date."
                            % settings["filename"]),
            "lookup_type": "csv",
            "case_sensitive_match": settings.get("case_sensitive_match", "true") == "true",
        }
        if settings.get("match_type"):
            lookup["match_type"] = [m.strip() for m in re.split(r",\s*(?=[A-Z]+\()", settings["match_type"])]
        if settings.get("max_matches"):
            lookup["max_matches"] = int(settings["max_matches"])
        result.append(lookup)
    return result


def data_source_yaml(code: int) -> dict:
    name, source, what = DATA_SOURCES[code]
    return {
        "name": name,
        "id": str(uuid.uuid5(NAMESPACE, "data_source:" + name)),
        "version": 1,
        "date": "2025-11-20",
        "author": AUTHOR,
        "description": "Windows event %d: %s." % (code, what),
        "source": source,
        "sourcetype": "XmlWinEventLog",
        "separator": "EventCode",
        "supported_TA": ([{"name": "Splunk Add-on for Sysmon", "url": "https://splunkbase.splunk.com/app/5709/", "version": "4.0.0"}]
                         if "Sysmon" in source else
                         [{"name": "Splunk Add-on for Microsoft Windows", "url": "https://splunkbase.splunk.com/app/742/", "version": "8.8.0"}]),
    }


def deployment_yamls() -> List[dict]:
    base = {"date": "2025-11-20", "author": AUTHOR,
            "scheduling": {"cron_schedule": "*/10 * * * *", "earliest_time": "-25m@m", "latest_time": "-5m@m",
                           "schedule_window": "auto"}}
    # contentctl looks deployments up by these names, one per detection type
    ttp = dict(base, name="ESCU Default Configuration TTP", id=str(uuid.uuid5(NAMESPACE, "deployment:TTP")), type="TTP",
               description="The app's alerts: a finding and risk each.",
               alert_action={"notable": {"rule_description": "%description%", "rule_title": "%name%",
                                         "nes_fields": ["dest"]},
                             "rba": {"enabled": "true"}})
    hunting = dict(base, name="ESCU Default Configuration Hunting", id=str(uuid.uuid5(NAMESPACE, "deployment:Hunting")),
                   type="Hunting", description="The app's hunting report: no finding, no risk.", alert_action={})
    return [ttp, hunting]


def config_yaml(version: str) -> dict:
    return {
        "path": ".",
        "app": {"uid": 9999, "title": "SA-lotl-detections (contentctl export)", "appid": "SA_lotl_detections_export",
                "version": version, "description": "The detections of SA-lotl-detections, for contentctl.",
                "prefix": "LOTL", "label": "LOTL", "author_name": AUTHOR, "author_email": "noreply@example.com",
                "author_company": AUTHOR},
        "enrichments": False,
        "build_app": True,
        "build_api": False,
        "data_source_TA_validation": False,
        "test_data_caches": [],
        "build_path": "dist",
        # contentctl test would install these; validate only notes CIM's absence
        "apps": [{"uid": 1621, "title": "Splunk Common Information Model (CIM)", "appid": "Splunk_SA_CIM",
                  "version": "5.2.0", "description": "CIM",
                  "hardcoded_path": "https://attack-range-appbinaries.s3.us-west-2.amazonaws.com/Latest/"
                                    "splunk-common-information-model-cim_520.tgz"}],
    }


def export(out: str) -> List[str]:
    """Write the project under `out` (replaced); returns the detection files written."""
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    saved = read_conf("savedsearches.conf")
    store = EventStore(samples())
    with open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8") as handle:
        version = json.load(handle)["meta"]["version"]
    dump(os.path.join(out, "contentctl.yml"), config_yaml(version))
    written, rules, codes = [], [], set()
    for detection in DETECTIONS:
        data = detection_yaml(detection, saved[detection.search], store, out)
        codes.update(code for code, entry in DATA_SOURCES.items() if entry[0] in data["data_source"])
        path = os.path.join(out, "detections", "endpoint", file_stem(data["name"]) + ".yml")
        dump(path, data)
        written.append(path)
        rules.append(data)
    dump(os.path.join(out, "stories", file_stem(STORY) + ".yml"), story_yaml(rules))
    for macro in macro_yamls():
        dump(os.path.join(out, "macros", macro["name"] + ".yml"), macro)
    for lookup in lookup_yamls(out):
        dump(os.path.join(out, "lookups", lookup["name"] + ".yml"), lookup)
    for code in sorted(codes):
        dump(os.path.join(out, "data_sources", file_stem(DATA_SOURCES[code][0]) + ".yml"), data_source_yaml(code))
    for deployment in deployment_yamls():
        dump(os.path.join(out, "deployments", file_stem(deployment["name"]) + ".yml"), deployment)
    for folder in ("baselines", "investigations", "playbooks", "dashboards", "removed", "app_template"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as handle:
        handle.write("Generated by tools/contentctl_export.py from SA-lotl-detections' conf files and Sigma "
                     "rules. Do not edit: regenerate.\n")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "contentctl"))
    args = parser.parse_args()
    written = export(os.path.abspath(args.out))
    print("%d detections written under %s" % (len(written), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
