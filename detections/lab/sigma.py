"""Each detection's event filter, written once as a Sigma rule and converted by pySigma:

- to SPL with the Splunk backend and its Windows pipeline (`EventID` becomes `EventCode`); the
  pipeline's `source="WinEventLog:..."` condition is replaced by the app's data-source macros,
  which is the only edit made to the backend's output;
- to SQL with the SQLite backend, for the tests and the demo to run over real events.

Sigma keywords (search terms Splunk looks up in its index) have no SQLite equivalent in the
backend; here they become `_raw LIKE '%term%'`, which is what a Splunk term does to the raw
event, give or take Splunk's token boundaries.
"""
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

from sigma.backends.splunk import SplunkBackend
from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionValueExpression
from sigma.conversion.state import ConversionState
from sigma.pipelines.splunk import splunk_windows_pipeline
from sigma.rule import SigmaRule

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIGMA_DIR = os.path.join(ROOT, "detections", "sigma")

SYSMON = "`lotl_sysmon`"
SECURITY = "`lotl_wineventlog_security`"
SYSTEM = "`lotl_wineventlog_system`"


@dataclass(frozen=True)
class Detection:
    """One saved search and the Sigma rule that is its event filter."""

    search: str  # the saved search's name in savedsearches.conf
    sigma: str  # file name under detections/sigma
    sources: Tuple[str, ...]  # the data-source macros that replace the pipeline's source condition

    @property
    def rule_path(self) -> str:
        return os.path.join(SIGMA_DIR, self.sigma)

    @property
    def filter_macro(self) -> str:
        """The `<search>_filter` macro each saved search ends with, in a macro-safe spelling."""
        stem = re.sub(r"[^a-z0-9]+", "_", self.search.lower()).strip("_")
        stem = re.sub(r"_(rule|hunt)$", "", stem)
        return stem + "_filter"


DETECTIONS: List[Detection] = [
    Detection("LOTL - DTUtil Network Connection - Rule",
              "lotl_dtutil_network_connection.yml", (SYSMON,)),
    Detection("LOTL - DTUtil Remote Package Transfer - Rule",
              "lotl_dtutil_remote_package_transfer.yml", (SYSMON, SECURITY)),
    Detection("LOTL - DTUtil Package Staged in User-Writable Path - Rule",
              "lotl_dtutil_package_staged_user_writable.yml", (SYSMON,)),
    Detection("LOTL - DTExec Runs Staged Package - Rule",
              "lotl_dtexec_runs_staged_package.yml", (SYSMON, SECURITY)),
    Detection("LOTL - Impacket Output Redirect to Admin Share - Rule",
              "lotl_impacket_output_redirect_admin_share.yml", (SYSMON, SECURITY)),
    Detection("LOTL - Impacket Output File on Admin Share - Rule",
              "lotl_impacket_output_file_admin_share.yml", (SECURITY,)),
    Detection("LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule",
              "lotl_impacket_remote_registry_hive_dump.yml", (SECURITY,)),
    Detection("LOTL - Impacket Service Installed with Output Redirect - Rule",
              "lotl_impacket_service_output_redirect.yml", (SYSMON, SECURITY, SYSTEM)),
    Detection("LOTL - Impacket Session Timeline - Hunt",
              "lotl_impacket_session_timeline.yml", (SYSMON, SECURITY, SYSTEM)),
]
BY_SEARCH: Dict[str, Detection] = {d.search: d for d in DETECTIONS}


def load_rule(path: str) -> SigmaRule:
    """A fresh rule object: pySigma's pipelines transform rules in place, so a rule converted by
    one backend must not be handed to the other."""
    with open(path, encoding="utf-8") as handle:
        rules = SigmaCollection.from_yaml(handle.read()).rules
    if len(rules) != 1 or not isinstance(rules[0], SigmaRule):
        raise ValueError("%s must hold exactly one Sigma rule" % path)
    return rules[0]


_PIPELINE_SOURCE = re.compile(r'^source="WinEventLog:[^"]*"\s*')


def splunk_base_search(detection: Detection) -> str:
    """The saved search's base search: the data-source macros, then the Splunk backend's output
    for the rule with its `source=` condition removed."""
    [query] = SplunkBackend(splunk_windows_pipeline()).convert_rule(load_rule(detection.rule_path))
    query = _PIPELINE_SOURCE.sub("", query)
    if "source=" in query:
        raise ValueError("unexpected source condition left in %r" % query)
    macros = detection.sources[0] if len(detection.sources) == 1 else "(%s)" % " OR ".join(detection.sources)
    return "%s %s" % (macros, query)


class LabSqliteBackend(sqliteBackend):
    """pySigma's SQLite backend, with Sigma keywords matched against `_raw` as Splunk does."""

    def convert_condition_val_str(self, cond: ConditionValueExpression, state: ConversionState) -> str:
        value = self.convert_value_str(cond.value, state, no_quote=True)  # LIKE-escaped
        return "_raw LIKE '%%%s%%' ESCAPE '\\'" % value


def sqlite_query(detection: Detection) -> str:
    """`SELECT * FROM logs WHERE ...` for the rule's filter, on Sigma's (Windows') field names."""
    [query] = LabSqliteBackend().convert_rule(load_rule(detection.rule_path))
    return query


def normalize_spl(text: str) -> str:
    """Whitespace only: a conf's multi-line search and the converter's output compare equal when
    they differ in spacing and line breaks alone."""
    return re.sub(r"\s+", " ", text).strip()
