"""Events as a Splunk search sees them, built from the datasets' JSON Lines (test-only).

A detection that passes on the datasets' decoded JSON fields can return nothing in Splunk, which
extracts its fields from the event text at search time (../shared/reference/splunk-windows-fields.md).
This module gives every event in one of three presentations, so that the stand-in can run the
shipped SPL over each:

- ``addon``: what Splunk_TA_windows 8.1.2 extracts (its ``default/props.conf`` ``[XmlWinEventLog]``
  REPORTs and ``default/transforms.conf``, mirrored publicly, e.g. PMJeffery/splunk4windows), applied
  to ``_raw`` in the order Splunk applies REPORT classes (by class name). Entities stay encoded.
  Events whose ``_raw`` is a JSON line (the nxlog-collected OTRF files) get what ``KV_MODE = json``
  gives instead.
- ``decoded``: the dataset's JSON fields as they are (what the project's tests used to feed).
- ``classic``: DERIVED, not captured: the classic (non-XML) WinEventLog text rebuilt from the
  decoded fields with a plain label table, and its fields extracted the way Splunk's
  ``wel-message``/``wel-col-kv`` do (labels with spaces turned into underscores, a label seen twice
  becomes a multivalue). Use it to test that a search does not depend on XML field names, never as
  evidence of what a real classic event holds.

Index-time metadata (``host``, ``source``, ``sourcetype``, ``index``, ``_time``) comes from the
dataset object in every presentation, never from ``_raw``. ``sourcetype`` is what the add-ons
rename it to (``xmlwineventlog`` / ``wineventlog``), ``_sourcetype`` keeps the original (props.conf
``rename``). CIM aliases, lookups, FIELDALIAS and EVAL- fields of the add-ons are NOT modelled in
any presentation: the app's searches are written against the raw Windows names.

Choices where Splunk's behaviour is unsure (module-level, so that a test can run both ways):

- ``KEEP_EMPTY_EXTRACTIONS`` (default False): a search-time extraction whose capture is empty
  (``<Data Name='RuleName'/>``, ``<Data Name='X'></Data>``, a classic ``Label:`` with nothing after
  it, a JSON ``""``) creates no field, which is what Splunk does for REPORT/auto-kv captures by
  default (empty values are not added to an event). The ``decoded`` presentation keeps the
  dataset's ``""`` values: that is the point of presenting the JSON as it is.
- ``JSON_NULL_VALUE`` (default None): a JSON ``null`` under ``KV_MODE = json`` creates no field.
- System attributes keep their quotes: the add-on's ``system_props_xml_attributes`` transform
  captures ``('[^<']*'|"[^<"]*")`` and its FORMAT is ``$1::$2``, so ``ProcessID`` is ``'1964'``
  with the quotes (public searches strip them with ``replace(UserID, "'", "")``).
- ``UserData``: the add-on only isolates the block as ``UserData_Xml``; no generic transform turns
  its elements into fields (only ``updatelist``/``updatetitle`` for System update events, not
  modelled), so ``SubjectUserName`` of a 1102/104 event is not a field in ``addon``.
- nxlog JSON events: the index-time ``host`` (and ``source``, ``sourcetype``...) of the dataset
  win over the JSON keys of the same names, which are not applied; ``EventCode`` comes from the
  JSON ``EventID`` through the add-on's own ``EventID_as_EventCode`` transform (SOURCE_KEY =
  EventID), as it would on any event that has an ``EventID`` field.
"""
import csv
import datetime
import html
import json
import os
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

from tests.datasets import SHARED, iso_to_epoch

Value = Union[str, List[str]]
EventKey = Tuple[str, str, str]  # (file name, RecordNumber, EventCode) as in alerts.csv/labels.csv

PRESENTATIONS = ("addon", "decoded", "classic")
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SYSMON_SOURCES = {
    "xml": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
    "winevent": "WinEventLog:Microsoft-Windows-Sysmon/Operational",
}
DEFAULT_INDEX = "main"

KEEP_EMPTY_EXTRACTIONS = False
JSON_NULL_VALUE: Optional[str] = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS_DIRS = {
    "windows-events": os.path.join(SHARED, "datasets", "windows-events"),
    "windows-events-extra": os.path.join(SHARED, "datasets", "windows-events-extra"),
    "samples": os.path.join(ROOT, "detections", "samples"),
}


@dataclass(frozen=True)
class Event:
    """One event as a search sees it; `key` identifies it in the ground truth, outside the SPL."""

    key: EventKey
    fields: Dict[str, Value]
    raw: str  # _raw as indexed: what the index tokens come from

    def get(self, name: str) -> Optional[Value]:
        return self.fields.get(name)


# ---------------------------------------------------------------------------------------------
# Field sets with Splunk's MV_ADD semantics


class _FieldSet:
    """Search-time fields in extraction order. A transform with MV_ADD appends to a field that
    exists (making a multivalue); without it, a later value for an existing field is discarded
    (transforms.conf.spec, MV_ADD)."""

    def __init__(self) -> None:
        self.values: Dict[str, List[str]] = {}

    def add(self, name: str, value: Optional[str], mv_add: bool) -> None:
        if value is None or (value == "" and not KEEP_EMPTY_EXTRACTIONS):
            return
        if name in self.values:
            if mv_add:
                self.values[name].append(value)
            return
        self.values[name] = [value]

    def first(self, name: str) -> Optional[str]:
        found = self.values.get(name)
        return found[0] if found else None

    def as_fields(self) -> Dict[str, Value]:
        return {name: values[0] if len(values) == 1 else list(values)
                for name, values in self.values.items()}


# ---------------------------------------------------------------------------------------------
# addon: Splunk_TA_windows 8.1.2's [XmlWinEventLog] extractions, in REPORT class order

# REPORT-0xml_block_extract: (transform, regex, output field, MV_ADD), applied to _raw.
XML_BLOCKS = (
    ("system_xml_block", re.compile(r"(?ms)<System(?:\s+[^>]+)?>(.*?)<\/System>"), "System_Props_Xml", False),
    ("eventdata_xml_block", re.compile(r"(?ms)<EventData(?:\s+[^>]+)?>(.*?)<\/EventData>"), "EventData_Xml", True),
    ("userdata_xml_block", re.compile(r"(?ms)<UserData(?:\s+[^>]+)?>(.*?)<\/UserData>"), "UserData_Xml", False),
    ("debugdata_xml_block", re.compile(r"(?ms)<DebugData(?:\s+[^>]+)?>(.*?)<\/DebugData>"), "DebugData_Xml", False),
    ("renderinginfo_xml_block", re.compile(r"(?ms)<RenderingInfo(?:\s+[^>]+)?>(.*?)<\/RenderingInfo>"),
     "RenderingInfo_Xml", False),
)
# REPORT-0xml_kv_extract: (transform, SOURCE_KEY, regex with $1 name and $2 value, MV_ADD).
# eventdata_xml_data's trailing `(?:<\/\1>)?` refers to the Name, not the tag: it never matches
# and changes nothing, as in the add-on.
XML_KV = (
    ("system_props_xml_kv", "System_Props_Xml", re.compile(r"(?ms)<(\w*)>([^<]*)<\/\1>"), True),
    ("system_props_xml_attributes", "System_Props_Xml",
     re.compile(r"""(?ms)([^\s=]+)\s*=\s*('[^<']*'|"[^<"]*")"""), True),
    ("eventdata_xml_data", "EventData_Xml", re.compile(r"<(?:\w+)\sName='([^>]*)'\/?>([^<]*)(?:<\/\1>)?"), True),
    ("rendering_info_xml_data", "RenderingInfo_Xml", re.compile(r"(?ms)<(\w*)>([^<]*)<\/\1>"), True),
)
# REPORT-EventCode_from_xml, REPORT-RecordNumber_from_xml, REPORT-Sub_Status_from_xml (class name
# order): (SOURCE_KEY or None for _raw, regex whose group 1 is the value, output field).
XML_COPIES = (
    ("EventID", re.compile(r"(.+)"), "EventCode"),
    (None, re.compile(r"<EventID.*?>(.+?)<\/EventID>.*"), "EventCode"),
    ("EventRecordID", re.compile(r"(.+)"), "RecordNumber"),
    ("SubStatus", re.compile(r"(.+)"), "Sub_Status"),
)


def addon_xml_fields(raw: str) -> Dict[str, Value]:
    """The search-time fields Splunk_TA_windows extracts from an XML event, entities encoded."""
    found = _FieldSet()
    for _name, regex, field, mv_add in XML_BLOCKS:
        matches = regex.finditer(raw) if mv_add else [m for m in [regex.search(raw)] if m]
        for match in matches:
            found.add(field, match.group(1), mv_add)
    for _name, source_key, regex, mv_add in XML_KV:
        for text in list(found.values.get(source_key, [])):
            for match in regex.finditer(text):
                found.add(match.group(1), match.group(2), mv_add)
    for source_key, regex, field in XML_COPIES:
        text = raw if source_key is None else found.first(source_key)
        if text is None:
            continue
        match = regex.search(text)
        if match:
            found.add(field, match.group(1), False)
    return found.as_fields()


def _json_value_text(value: object) -> Optional[str]:
    if value is None:
        return JSON_NULL_VALUE
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _flatten_json(prefix: str, value: object, found: _FieldSet) -> None:
    """KV_MODE=json naming: objects as `a.b`, arrays as `a{}` (multivalue), arrays of objects as
    `a{}.b` (Splunk's spath paths)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten_json("%s.%s" % (prefix, key) if prefix else key, inner, found)
    elif isinstance(value, list):
        for inner in value:
            _flatten_json(prefix + "{}", inner, found)
    else:
        found.add(prefix, _json_value_text(value), True)


def addon_json_fields(raw: str) -> Dict[str, Value]:
    """What KV_MODE=json gives for an nxlog JSON line, plus EventCode from EventID. A JSON `host`
    (the collector's) is returned here, and present() puts the index-time metadata over it."""
    found = _FieldSet()
    _flatten_json("", json.loads(raw), found)
    event_id = found.first("EventID")
    if event_id is not None:
        found.add("EventCode", event_id, False)
    return found.as_fields()


# ---------------------------------------------------------------------------------------------
# classic: the WinEventLog text rebuilt from the decoded fields (a derivation)

_SUBJECT = (("Subject:", None), ("\tSecurity ID:", "SubjectUserSid"), ("\tAccount Name:", "SubjectUserName"),
            ("\tAccount Domain:", "SubjectDomainName"), ("\tLogon ID:", "SubjectLogonId"))
_SHARE_NETWORK = (("Network Information:", None), ("\tObject Type:", "ObjectType"),
                  ("\tSource Address:", "IpAddress"), ("\tSource Port:", "IpPort"))

# (channel, EventCode) -> (message first line, [(label, decoded field name or None for a heading)]).
# Labels as Windows renders them in English; the app's searches use 4688, 5140, 5145, 4697, 4698
# and 7045. A heading (field None) is written as is; blank lines separate blocks.
CLASSIC_MESSAGES: Dict[Tuple[str, str], Tuple[str, Tuple[Tuple[str, Optional[str]], ...]]] = {
    ("Security", "4688"): ("A new process has been created.", (
        ("Creator Subject:", None), ("\tSecurity ID:", "SubjectUserSid"), ("\tAccount Name:", "SubjectUserName"),
        ("\tAccount Domain:", "SubjectDomainName"), ("\tLogon ID:", "SubjectLogonId"), ("", None),
        ("Target Subject:", None), ("\tSecurity ID:", "TargetUserSid"), ("\tAccount Name:", "TargetUserName"),
        ("\tAccount Domain:", "TargetDomainName"), ("\tLogon ID:", "TargetLogonId"), ("", None),
        ("Process Information:", None), ("\tNew Process ID:", "NewProcessId"),
        ("\tNew Process Name:", "NewProcessName"), ("\tToken Elevation Type:", "TokenElevationType"),
        ("\tMandatory Label:", "MandatoryLabel"), ("\tCreator Process ID:", "ProcessId"),
        ("\tCreator Process Name:", "ParentProcessName"), ("\tProcess Command Line:", "CommandLine"))),
    ("Security", "5140"): ("A network share object was accessed.", _SUBJECT + (("", None),) + _SHARE_NETWORK + (
        ("", None), ("Share Information:", None), ("\tShare Name:", "ShareName"),
        ("\tShare Path:", "ShareLocalPath"), ("", None),
        ("Access Request Information:", None), ("\tAccess Mask:", "AccessMask"), ("\tAccesses:", "AccessList"))),
    ("Security", "5145"): (
        "A network share object was checked to see whether client can be granted desired access.",
        _SUBJECT + (("", None),) + _SHARE_NETWORK + (
            ("", None), ("Share Information:", None), ("\tShare Name:", "ShareName"),
            ("\tShare Path:", "ShareLocalPath"), ("\tRelative Target Name:", "RelativeTargetName"), ("", None),
            ("Access Request Information:", None), ("\tAccess Mask:", "AccessMask"),
            ("\tAccesses:", "AccessList"), ("\tAccess Check Results:", "AccessReason"))),
    ("Security", "4697"): ("A service was installed in the system.", _SUBJECT + (
        ("", None), ("Service Information:", None), ("\tService Name:", "ServiceName"),
        ("\tService File Name:", "ServiceFileName"), ("\tService Type:", "ServiceType"),
        ("\tService Start Type:", "ServiceStartType"), ("\tService Account:", "ServiceAccount"))),
    ("Security", "4698"): ("A scheduled task was created.", _SUBJECT + (
        ("", None), ("Task Information:", None), ("\tTask Name:", "TaskName"), ("\tTask Content:", "TaskContent"))),
    ("System", "7045"): ("A service was installed in the system.", (
        ("Service Name:", "ServiceName"), ("Service File Name:", "ImagePath"),
        ("Service Type:", "ServiceType"), ("Service Start Type:", "StartType"),
        ("Service Account:", "AccountName"))),
}
# Sysmon's Message is "<description>:" then one "Name: value" line per EventData field, the
# labels being the XML names.
SYSMON_DESCRIPTIONS = {
    "1": "Process Create", "3": "Network connection detected", "5": "Process terminated",
    "7": "Image loaded", "8": "CreateRemoteThread detected", "10": "Process accessed", "11": "File created",
    "12": "Registry object added or deleted", "13": "Registry value set", "17": "Pipe Created",
    "18": "Pipe Connected", "22": "Dns query",
}
CLASSIC_TASK_CATEGORIES = {
    "4688": "Process Creation", "5140": "File Share", "5145": "Detailed File Share",
    "4697": "Security System Extension", "4698": "Other Object Access Events",
}

# Keys of a dataset object that are not EventData: the System fields the conversion added and the
# nxlog collector's own keys (OTRF files). Used only where no table names the event's fields.
NON_EVENTDATA_KEYS = frozenset("""
_time _raw _source_path _source_commit TimeCreated EventCode EventID Computer host Channel source sourcetype
ProviderName ProviderGuid Version Level Task Opcode Keywords SystemTime RecordNumber ProcessID ThreadID UserID
ActivityID RelatedActivityID Qualifiers EventSourceName index
SourceName Hostname @timestamp SeverityValue EventReceivedTime ExecutionProcessID EventType EventTime
SourceModuleType SourceModuleName port @version OpcodeValue Severity tags Category AccountName AccountType
Domain Message ERROR_EVT_UNRESOLVED
""".split())

_XML_DATA = re.compile(r"<(?:\w+)\sName='([^>]*)'\/?>([^<]*)(?:<\/\1>)?")
_XML_EVENTDATA = re.compile(r"(?ms)<EventData(?:\s+[^>]+)?>(.*?)<\/EventData>")
# Splunk's wel-col-kv (system default transforms.conf) with CLEAN_KEYS: `\n<label>:<blanks><value>`.
_CLASSIC_LABEL = re.compile(r"\n([^:\n\r]+):[ \t]++([^\r\n]*)")
_CLASSIC_HEADER = re.compile(r"^(\w+)=(.*)$")


def _decoded_event_data(obj: dict) -> List[Tuple[str, str]]:
    """(name, decoded value) of each EventData field in document order: from the XML when there is
    one (entities decoded), else the dataset keys that are not System or collector keys."""
    raw = obj.get("_raw") or ""
    if raw.startswith("<"):
        pairs = []
        for block in _XML_EVENTDATA.findall(raw):
            for name, value in _XML_DATA.findall(block):
                pairs.append((name, html.unescape(value)))
        return pairs
    return [(key, str(value)) for key, value in obj.items()
            if key not in NON_EVENTDATA_KEYS and not key.startswith("_") and value is not None]


def _classic_line(label: str, value: str) -> str:
    """A label and its value; a value's own line breaks become continuation lines, indented as
    Windows indents them, so that only its first line is the field (as in Splunk)."""
    continuation = "\n\t\t\t\t"
    return "%s\t%s" % (label, continuation.join(value.replace("\r\n", "\n").split("\n")))


def _clean_key(label: str) -> str:
    """CLEAN_KEYS: non-alphanumerics to `_`, leading `_` and digits stripped (transforms.conf.spec)."""
    return re.sub(r"^[_0-9]+", "", re.sub(r"[^A-Za-z0-9_]", "_", label))


def classic_raw(obj: dict) -> str:
    """The classic WinEventLog text of a dataset event (derived)."""
    channel = obj.get("Channel") or "Unknown"
    code = str(obj.get("EventCode") or "")
    decoded = {k: "" if v is None else str(v) for k, v in obj.items()}
    data = dict(_decoded_event_data(obj))
    values = {**decoded, **data}
    if channel == SYSMON_CHANNEL:
        first = "%s:" % SYSMON_DESCRIPTIONS.get(code, "Sysmon event %s" % code)
        body = ["%s: %s" % (name, value.replace("\r\n", "\n").replace("\n", "\n\t"))
                for name, value in _decoded_event_data(obj)]
        task_category = SYSMON_DESCRIPTIONS.get(code, "None")
    elif (channel, code) in CLASSIC_MESSAGES:
        first, lines = CLASSIC_MESSAGES[(channel, code)]
        body = [""]
        for label, name in lines:
            if name is None:
                body.append(label)
            elif values.get(name, "") != "":
                body.append(_classic_line(label, values[name]))
        task_category = CLASSIC_TASK_CATEGORIES.get(code, "None")
    else:  # not in the table: the XML names as labels (a fallback, not Windows' text)
        first = "Event %s." % code
        body = [""] + [_classic_line("%s:" % name, value) for name, value in _decoded_event_data(obj)]
        task_category = "None"
    when = obj.get("_time") or ""
    stamp = ""
    if when:
        moment = datetime.datetime.fromtimestamp(float(iso_to_epoch(when)), tz=datetime.timezone.utc)
        stamp = moment.strftime("%m/%d/%Y %I:%M:%S %p")
    header = [
        stamp,
        "LogName=%s" % channel,
        "EventCode=%s" % code,
        "EventType=%s" % (decoded.get("Level") or "4"),
        "ComputerName=%s" % decoded.get("Computer", ""),
        "SourceName=%s" % (decoded.get("ProviderName") or decoded.get("SourceName", "")),
        "Type=Information",
        "RecordNumber=%s" % decoded.get("RecordNumber", ""),
        "Keywords=%s" % decoded.get("Keywords", ""),
        "TaskCategory=%s" % task_category,
        "OpCode=Info",
        "Message=%s" % first,
    ]
    return "\n".join(header + body)


def classic_fields(raw: str) -> Dict[str, Value]:
    """Fields of a classic event: header `key=value` lines up to Message= (wel-eq-kv), Message
    itself (wel-message), then every `Label:<blanks>value` line with CLEAN_KEYS (wel-col-kv,
    MV_ADD)."""
    found = _FieldSet()
    head, _sep, message = raw.partition("\nMessage=")
    for line in head.split("\n"):
        match = _CLASSIC_HEADER.match(line)
        if match:
            found.add(match.group(1), match.group(2), False)
    found.add("Message", message, False)
    for match in _CLASSIC_LABEL.finditer(raw):
        found.add(_clean_key(match.group(1)), match.group(2), True)
    return found.as_fields()


# ---------------------------------------------------------------------------------------------
# Presentation


def _stringified(obj: dict) -> Dict[str, str]:
    return {key: str(value) for key, value in obj.items() if value is not None}


def _renamed_sourcetype(sourcetype: str) -> str:
    """`XmlWinEventLog[:*]` -> `xmlwineventlog`, `WinEventLog[:*]` -> `wineventlog` (the add-ons'
    `rename`); anything else unchanged."""
    lowered = sourcetype.lower()
    for generic in ("xmlwineventlog", "wineventlog"):
        if lowered == generic or lowered.startswith(generic + ":"):
            return generic
    return sourcetype


def _metadata(obj: dict, presentation: str, sysmon_source: str) -> Dict[str, str]:
    channel = obj.get("Channel")
    source = str(obj.get("source") or "")
    sourcetype = str(obj.get("sourcetype") or "")
    if presentation == "classic":
        if source.startswith("XmlWinEventLog:"):
            source = source[len("Xml"):]
        original_sourcetype = source  # WinEventLog:<Channel>, before the add-on's rename
        if channel == SYSMON_CHANNEL:
            source = original_sourcetype = SYSMON_SOURCES["winevent"]
    else:
        original_sourcetype = sourcetype
        if channel == SYSMON_CHANNEL:
            source = SYSMON_SOURCES[sysmon_source]
    return {
        "_time": iso_to_epoch(str(obj["_time"])) if obj.get("_time") else "",
        "host": str(obj.get("host") or ""),
        "source": source,
        "sourcetype": _renamed_sourcetype(original_sourcetype),
        "_sourcetype": original_sourcetype,
        "index": str(obj.get("index") or DEFAULT_INDEX),
    }


def event_key(file_name: str, obj: dict) -> EventKey:
    return (file_name, str(obj.get("RecordNumber") or ""), str(obj.get("EventCode") or ""))


def present(file_name: str, obj: dict, presentation: str = "addon", sysmon_source: str = "xml") -> Event:
    """One dataset event in a presentation. `sysmon_source` spells the `source` of Sysmon events
    (Channel Microsoft-Windows-Sysmon/Operational); in `classic` it is always the WinEventLog one."""
    if presentation not in PRESENTATIONS:
        raise ValueError("unknown presentation %r (one of %s)" % (presentation, ", ".join(PRESENTATIONS)))
    if sysmon_source not in SYSMON_SOURCES:
        raise ValueError("unknown sysmon_source %r (one of %s)" % (sysmon_source, ", ".join(SYSMON_SOURCES)))
    raw = obj.get("_raw")
    if presentation == "addon" and not raw:
        raise ValueError("%s: an event without _raw cannot be presented as %s" % (file_name, presentation))
    fields: Dict[str, Value]
    if presentation == "decoded":
        fields = dict(_stringified(obj))
        raw = str(raw or "")
    elif presentation == "addon":
        assert raw is not None
        fields = addon_xml_fields(raw) if raw.lstrip().startswith("<") else addon_json_fields(raw)
    else:
        raw = classic_raw(obj)
        fields = classic_fields(raw)
    fields.update(_metadata(obj, presentation, sysmon_source))
    fields["_raw"] = raw
    return Event(key=event_key(file_name, obj), fields=fields, raw=raw)


def read_dataset(path: str) -> List[Tuple[str, dict]]:
    """(file name, the JSON object as in the file) for every line of a JSON Lines file."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as handle:
        return [(name, json.loads(line)) for line in handle if line.strip()]


def load(paths: Iterable[str], presentation: str = "addon", sysmon_source: str = "xml") -> List[Event]:
    return [present(name, obj, presentation, sysmon_source)
            for path in paths for name, obj in read_dataset(path)]


def corpus_paths(corpus: str) -> List[str]:
    """The event files of a corpus: "windows-events", "windows-events-extra" or "samples"."""
    if corpus not in CORPUS_DIRS:
        raise ValueError("unknown corpus %r (one of %s)" % (corpus, ", ".join(CORPUS_DIRS)))
    folder = CORPUS_DIRS[corpus]
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".jsonl"))


def ground_truth(corpus: str) -> Tuple[Dict[str, Set[EventKey]], Set[EventKey]]:
    """alerts.csv by rule name, and the events labels.csv names, of a dataset corpus."""
    if corpus not in ("windows-events", "windows-events-extra"):
        raise ValueError("no ground truth for corpus %r" % corpus)
    folder = CORPUS_DIRS[corpus]
    alerts: Dict[str, Set[EventKey]] = {}
    with open(os.path.join(folder, "alerts.csv"), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            alerts.setdefault(row["rule"], set()).add((row["file"], row["RecordNumber"], row["EventCode"]))
    with open(os.path.join(folder, "labels.csv"), newline="", encoding="utf-8") as handle:
        labelled = {(row["file"], row["RecordNumber"], row["EventCode"]) for row in csv.DictReader(handle)}
    return alerts, labelled
