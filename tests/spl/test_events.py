"""Event presentation (tests/standin/events.py): the fields a search sees, per presentation.

The real events are read from ../shared/datasets (skipped, naming the folder, when absent); the
add-on extraction is cross-checked against the datasets' decoded JSON on every EventData field.
"""
import collections
import html
import os
import re
from typing import Dict, Iterator, List, Tuple

import pytest

from tests.datasets import SHARED
from tests.standin import events as ev

WMIEXEC_SYSMON = "impacket_wmiexec_sysmon_1_3__sbousseaden_IEWIN7.jsonl"
CORPORA = ("windows-events", "windows-events-extra")
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def require_corpus(corpus: str) -> None:
    folder = ev.CORPUS_DIRS[corpus]
    if not os.path.isdir(folder) or not os.path.isfile(os.path.join(folder, "alerts.csv")):
        pytest.skip("real event data not found at %s (../shared is absent; SHARED=%s)" % (folder, SHARED))


def dataset_objects(corpus: str) -> Iterator[Tuple[str, dict]]:
    for path in ev.corpus_paths(corpus):
        yield from ev.read_dataset(path)


def find(corpus: str, file_name: str, predicate) -> Tuple[str, dict]:
    for name, obj in ev.read_dataset(os.path.join(ev.CORPUS_DIRS[corpus], file_name)):
        if predicate(obj):
            return name, obj
    raise AssertionError("no event of %s satisfies the predicate" % file_name)


def first_event(predicate) -> Tuple[str, dict]:
    for corpus in CORPORA:
        for name, obj in dataset_objects(corpus):
            if predicate(obj):
                return name, obj
    raise AssertionError("no event in the corpora satisfies the predicate")


def as_list(value) -> List[str]:
    return [] if value is None else (value if isinstance(value, list) else [value])


# ---------------------------------------------------------------------------------------------
# The seed finding: entities stay encoded in the add-on's fields


def test_wmiexec_command_line_keeps_entities_in_addon_and_is_decoded_in_decoded():
    require_corpus("windows-events")
    name, obj = find("windows-events", WMIEXEC_SYSMON,
                     lambda o: o.get("EventCode") == "1" and "ADMIN$" in o.get("CommandLine", ""))
    addon = ev.present(name, obj, "addon")
    decoded = ev.present(name, obj, "decoded")
    assert "1&gt; \\\\127.0.0.1\\ADMIN$\\__" in addon.fields["CommandLine"]
    assert addon.fields["CommandLine"].endswith("2&gt;&amp;1")
    assert "1> \\\\127.0.0.1\\ADMIN$\\__" in decoded.fields["CommandLine"]
    assert decoded.fields["CommandLine"].endswith("2>&1")
    assert "&gt;" not in decoded.fields["CommandLine"]
    assert addon.raw == obj["_raw"] and addon.fields["_raw"] == obj["_raw"]
    assert addon.key == (WMIEXEC_SYSMON, obj["RecordNumber"], "1")


# ---------------------------------------------------------------------------------------------
# Every event loads, in every presentation, with its key and metadata


@pytest.mark.parametrize("presentation", ev.PRESENTATIONS)
def test_every_event_of_both_corpora_and_the_samples_loads(presentation):
    require_corpus("windows-events")
    require_corpus("windows-events-extra")
    counts: Dict[str, int] = {}
    for corpus in CORPORA + ("samples",):
        loaded = ev.load(ev.corpus_paths(corpus), presentation)
        counts[corpus] = len(loaded)
        for event in loaded:
            fields = event.fields
            for name in ("_raw", "_time", "host", "source", "sourcetype", "_sourcetype", "index"):
                assert isinstance(fields.get(name), str), (event.key, name)
            assert fields["_raw"] == event.raw and event.raw
            assert fields["index"] == "main"
            assert float(fields["_time"]) > 0 and fields["_time"].count(".") == 1
            # the key's EventCode is what the presentation's own EventCode says (Channel-less
            # forwarder bookmark events included)
            assert fields.get("EventCode") == event.key[2], (event.key, fields.get("EventCode"))
            if event.key[1] and not fields["_raw"].startswith("{"):
                assert fields.get("RecordNumber") == event.key[1], event.key
            assert all(value != "" for value in fields.values()) or presentation == "decoded", event.key
    # every line of the files (7,714 and 2,776 events today); the samples are the project's own
    assert counts["windows-events"] == 7714 and counts["windows-events-extra"] == 2776
    assert counts["samples"] > 0


def test_samples_have_xml_raw():
    for path in ev.corpus_paths("samples"):
        for name, obj in ev.read_dataset(path):
            assert obj.get("_raw", "").startswith("<Event"), (name, obj.get("RecordNumber"))
            addon = ev.present(name, obj, "addon")
            assert addon.fields["EventCode"] == obj["EventCode"]
            for field in ("CommandLine", "TargetFilename", "RelativeTargetName", "ShareName"):
                if field in obj:
                    assert html.unescape(addon.fields[field]) == obj[field], (name, field)


def test_every_ground_truth_event_exists_in_its_corpus():
    for corpus in CORPORA:
        require_corpus(corpus)
        keys = {ev.event_key(name, obj) for name, obj in dataset_objects(corpus)}
        alerts, labelled = ev.ground_truth(corpus)
        wanted = set().union(*alerts.values()) | labelled
        assert wanted and wanted <= keys, sorted(wanted - keys)[:5]


def test_ground_truth_counts():
    require_corpus("windows-events")
    require_corpus("windows-events-extra")
    alerts, labelled = ev.ground_truth("windows-events")
    assert sum(len(keys) for keys in alerts.values()) == 90
    assert len(labelled) == 87
    assert "LOTL - Impacket Output Redirect to Admin Share - Rule" in alerts
    extra_alerts, extra_labelled = ev.ground_truth("windows-events-extra")
    assert sum(len(keys) for keys in extra_alerts.values()) == 7
    assert len(extra_labelled) == 7


# ---------------------------------------------------------------------------------------------
# The add-on's extraction, cross-checked against the decoded JSON


def test_addon_data_fields_agree_with_the_decoded_json_after_entity_decoding():
    """Every `<Data Name='X'>` of every XML event: the add-on's field, entities decoded, equals the
    dataset's JSON `X`. Three kinds of difference are explained, and counted, and nothing else may
    differ:
    - crlf: the `_raw` keeps Windows' CR LF inside values; the JSON came through an XML parser,
      which turns CR LF into LF (XML 1.0, 2.11 End-of-Line Handling);
    - blank: DATASETS.md: the `_raw` was re-rendered, and a white-space-only value is an empty
      `<Data Name='X'/>` there, so the add-on (which creates no field from an empty capture) has
      none where the JSON has the blanks;
    - control: a control character XML forbids (`\x0f` in a 4674 PrivilegeList) is in the
      `_raw` as Windows rendered it; the converter's XML parser gave U+FFFD instead;
    - name_clash: an EventData field called `Name` meets the System `<Provider Name='...'>`
      attribute, extracted first (system_props_xml_attributes), and eventdata_xml_data's MV_ADD
      appends to it: a multivalue whose last value is the Data one.
    """
    require_corpus("windows-events")
    require_corpus("windows-events-extra")
    explained: Dict[str, int] = collections.Counter()
    unexplained: List[Tuple[str, str, str, object, object]] = []
    compared = 0
    for corpus in CORPORA + ("samples",):
        for name, obj in dataset_objects(corpus):
            if not obj["_raw"].startswith("<"):
                continue
            addon = ev.present(name, obj, "addon").fields
            for block in ev._XML_EVENTDATA.findall(obj["_raw"]):
                for data_name, _value in ev._XML_DATA.findall(block):
                    compared += 1
                    extracted = addon.get(data_name)
                    expected = obj.get(data_name)
                    got = [html.unescape(value) for value in as_list(extracted)]
                    if got == as_list(expected) or (not got and expected == ""):
                        continue
                    if [value.replace("\r\n", "\n") for value in got] == [expected]:
                        explained["crlf"] += 1
                    elif not got and expected is not None and expected.strip() == "":
                        explained["blank"] += 1
                    elif [CONTROL_CHARACTER.sub("\ufffd", value) for value in got] == [expected]:
                        explained["control"] += 1
                    elif data_name == "Name" and len(got) == 2 and got[1] == expected \
                            and got[0].startswith("'"):
                        explained["name_clash"] += 1
                    else:
                        unexplained.append((name, obj.get("RecordNumber"), data_name, extracted, expected))
    print("compared %d Data fields; explained differences %s; unexplained %d"
          % (compared, dict(explained), len(unexplained)))
    assert compared > 100000
    assert not unexplained, unexplained[:10]
    # the explained kinds are real and few: a change in them is worth a look
    assert explained["name_clash"] == 4 and explained["control"] < 10
    assert 0 < explained["blank"] < 200 and 0 < explained["crlf"] < 5000


def test_entities_are_left_encoded_in_every_addon_value_that_holds_one():
    require_corpus("windows-events")
    encoded = 0
    for name, obj in dataset_objects("windows-events"):
        if not obj["_raw"].startswith("<") or "&" not in obj["_raw"]:
            continue
        addon = ev.present(name, obj, "addon").fields
        for key, value in obj.items():
            if key.startswith("_") or not isinstance(value, str) or not any(c in value for c in "<>&"):
                continue
            extracted = addon.get(key)
            if isinstance(extracted, str) and "<Data Name='%s'>" % key in obj["_raw"]:
                assert html.unescape(extracted).replace("\r\n", "\n") == value
                assert extracted != value and "&" in extracted, (name, key)
                encoded += 1
    assert encoded > 100  # splunk-windows-fields.md counts 124 such values in the XML events


XML_EVENT = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' "
    "EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7045</EventID>"
    "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
    "<Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2021-12-13T12:55:45.250084Z'/>"
    "<EventRecordID>1467331</EventRecordID><Correlation/><Execution ProcessID=\"664\" ThreadID='3140'/>"
    "<Channel>System</Channel><Computer>rootdc1.offsec.lan</Computer><Security UserID='S-1-5-18'/></System>"
    "<EventData><Data Name='ServiceName'>BTOBTO</Data><Data Name='ImagePath'>a &gt; b</Data>"
    "<Data Name='Tag'>one</Data><Data Name='Tag'>two</Data><Data Name='Empty'></Data><Data Name='Closed'/>"
    "<Data>unnamed</Data><Data Name=\"DoubleQuoted\">x</Data></EventData>"
    "<UserData><LogFileCleared><SubjectUserName>admmig</SubjectUserName></LogFileCleared></UserData></Event>"
)


def test_addon_extraction_of_a_constructed_event():
    fields = ev.addon_xml_fields(XML_EVENT)
    # EventID with Qualifiers: system_props_xml_kv cannot read it, EventID2_as_EventCode can
    assert "EventID" not in fields and fields["EventCode"] == "7045"
    assert fields["RecordNumber"] == "1467331" and fields["EventRecordID"] == "1467331"
    assert fields["Channel"] == "System" and fields["Computer"] == "rootdc1.offsec.lan"
    # attributes keep their quotes, either style
    assert fields["ProcessID"] == '"664"' and fields["ThreadID"] == "'3140'"
    assert fields["Qualifiers"] == "'16384'" and fields["UserID"] == "'S-1-5-18'"
    assert fields["Name"] == "'Service Control Manager'"
    assert fields["ImagePath"] == "a &gt; b"
    assert fields["Tag"] == ["one", "two"]  # a name seen twice: multivalue, in order
    assert "Empty" not in fields and "Closed" not in fields  # empty captures create no field
    assert "DoubleQuoted" not in fields  # the add-on's regex wants single quotes
    assert "unnamed" not in str({k: v for k, v in fields.items() if not k.endswith("_Xml")})
    assert "SubjectUserName" not in fields and "admmig" in fields["UserData_Xml"]


def test_blocks_follow_their_mv_add():
    """eventdata_xml_block has MV_ADD (every block, every block's Data); the System, UserData...
    blocks do not (the first one only)."""
    doubled = XML_EVENT.replace("</EventData>", "</EventData><EventData><Data Name='Later'>l</Data></EventData>")
    doubled = doubled.replace("</System>", "</System><System><EventID>1</EventID></System>")
    doubled = doubled.replace("</UserData>", "</UserData><UserData><Other/></UserData>")
    fields = ev.addon_xml_fields(doubled)
    assert isinstance(fields["EventData_Xml"], list) and len(fields["EventData_Xml"]) == 2
    assert fields["Later"] == "l" and fields["Tag"] == ["one", "two"]
    assert fields["EventCode"] == "7045" and "EventID" not in fields
    assert isinstance(fields["UserData_Xml"], str) and "Other" not in fields["UserData_Xml"]


def test_empty_extractions_can_be_kept(monkeypatch):
    monkeypatch.setattr(ev, "KEEP_EMPTY_EXTRACTIONS", True)
    fields = ev.addon_xml_fields(XML_EVENT)
    assert fields["Empty"] == "" and fields["Closed"] == ""


def test_duplicate_data_names_give_a_multivalue_in_a_real_event_shape():
    require_corpus("windows-events")
    name, obj = find("windows-events", WMIEXEC_SYSMON, lambda o: o.get("EventCode") == "1")
    doubled = dict(obj, _raw=obj["_raw"].replace(
        "</EventData>", "<Data Name='CommandLine'>second</Data></EventData>"))
    fields = ev.present(name, doubled, "addon").fields
    assert fields["CommandLine"] == [ev.addon_xml_fields(obj["_raw"])["CommandLine"], "second"]


def test_nxlog_json_events_get_kv_mode_json_fields():
    require_corpus("windows-events")
    name, obj = first_event(lambda o: o["_raw"].startswith("{") and o.get("EventCode") == "4688"
                            and '"tags":' in o["_raw"])
    nxlog = __import__("json").loads(obj["_raw"])
    fields = ev.present(name, obj, "addon").fields
    assert fields["EventCode"] == str(nxlog["EventID"]) == obj["EventCode"]
    assert fields["NewProcessName"] == nxlog["NewProcessName"]
    assert as_list(fields["tags{}"]) == nxlog["tags"]
    assert fields["RecordNumber"] == str(nxlog["RecordNumber"])
    # index-time host is the dataset's, not the collector's JSON `host`
    assert nxlog["host"] != obj["host"] and fields["host"] == obj["host"]
    assert ev.addon_json_fields('{"a": {"b": [1, 2]}, "c": true, "d": null, "e": ""}') == {
        "a.b{}": ["1", "2"], "c": "true"}


# ---------------------------------------------------------------------------------------------
# decoded and classic


def test_decoded_is_the_json_as_it_is():
    require_corpus("windows-events")
    name, obj = find("windows-events", WMIEXEC_SYSMON, lambda o: o.get("EventCode") == "3")
    fields = ev.present(name, obj, "decoded").fields
    for key, value in obj.items():
        if key not in ("_time", "source", "sourcetype"):
            assert fields[key] == value, key
    assert fields["RuleName"] == ""  # kept: the JSON holds it
    assert fields["_time"] == "1556656370.902964"
    assert fields["_sourcetype"] == "XmlWinEventLog" and fields["sourcetype"] == "xmlwineventlog"


def test_classic_4688_names_and_text():
    require_corpus("windows-events")
    name, obj = first_event(lambda o: o.get("EventCode") == "4688" and o["_raw"].startswith("<")
                            and o.get("TargetUserName") and o.get("ParentProcessName")
                            and o.get("CommandLine"))
    event = ev.present(name, obj, "classic")
    fields = event.fields
    assert fields["New_Process_Name"] == obj["NewProcessName"]
    assert fields["Process_Command_Line"] == obj["CommandLine"].lstrip(" \t")  # wel-col-kv eats leading blanks
    assert fields["Creator_Process_Name"] == obj["ParentProcessName"]
    assert fields["New_Process_ID"] == obj["NewProcessId"]
    assert fields["Account_Name"] == [obj["SubjectUserName"], obj["TargetUserName"]]
    assert fields["Account_Domain"] == [obj["SubjectDomainName"], obj["TargetDomainName"]]
    for xml_name in ("CommandLine", "NewProcessName", "SubjectUserName", "ParentProcessName"):
        assert xml_name not in fields
    assert event.raw.split("\n")[1:4] == ["LogName=Security", "EventCode=4688", "EventType=0"]
    assert "\nMessage=A new process has been created.\n" in event.raw
    assert "\tProcess Command Line:\t%s" % obj["CommandLine"] in event.raw
    assert fields["source"] == "WinEventLog:Security" and fields["_sourcetype"] == "WinEventLog:Security"
    assert fields["sourcetype"] == "wineventlog"
    assert fields["EventCode"] == "4688" and fields["RecordNumber"] == obj["RecordNumber"]


def test_classic_5145_names():
    require_corpus("windows-events")
    name, obj = first_event(lambda o: o.get("EventCode") == "5145" and o["_raw"].startswith("<")
                            and "__" in o.get("RelativeTargetName", ""))
    fields = ev.present(name, obj, "classic").fields
    assert fields["Share_Name"] == obj["ShareName"]
    assert fields["Relative_Target_Name"] == obj["RelativeTargetName"]
    assert fields["Source_Address"] == obj["IpAddress"] and fields["Source_Port"] == obj["IpPort"]
    assert fields["Access_Mask"] == obj["AccessMask"]
    assert fields["Accesses"] == obj["AccessList"].splitlines()[0]  # continuation lines are not the field
    assert fields["Account_Name"] == obj["SubjectUserName"]
    assert "ShareName" not in fields and "RelativeTargetName" not in fields


def test_classic_service_and_sysmon_names():
    require_corpus("windows-events")
    name, obj = first_event(lambda o: o.get("EventCode") == "7045" and o["_raw"].startswith("<"))
    fields = ev.present(name, obj, "classic").fields
    assert fields["Service_File_Name"] == obj["ImagePath"] and fields["Service_Name"] == obj["ServiceName"]
    assert fields["source"] == "WinEventLog:System"
    name, obj = first_event(lambda o: o.get("EventCode") == "4697" and o["_raw"].startswith("<"))
    fields = ev.present(name, obj, "classic").fields
    assert fields["Service_File_Name"] == obj["ServiceFileName"] and fields["Service_Name"] == obj["ServiceName"]
    name, obj = find("windows-events", WMIEXEC_SYSMON, lambda o: "ADMIN$" in o.get("CommandLine", ""))
    event = ev.present(name, obj, "classic")
    assert event.fields["CommandLine"] == obj["CommandLine"]  # Sysmon's labels are the XML names
    assert "\nCommandLine: %s" % obj["CommandLine"] in event.raw and "&gt;" not in event.raw
    assert event.fields["source"] == ev.SYSMON_SOURCES["winevent"]


# ---------------------------------------------------------------------------------------------
# source spellings


@pytest.mark.parametrize("presentation", ("addon", "decoded"))
def test_sysmon_source_spellings(presentation):
    require_corpus("windows-events")
    name, sysmon = find("windows-events", WMIEXEC_SYSMON, lambda o: True)
    xml = ev.present(name, sysmon, presentation, sysmon_source="xml").fields
    winevent = ev.present(name, sysmon, presentation, sysmon_source="winevent").fields
    assert xml["source"] == "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
    assert winevent["source"] == "WinEventLog:Microsoft-Windows-Sysmon/Operational"
    assert xml["sourcetype"] == winevent["sourcetype"] == "xmlwineventlog"
    name, security = first_event(lambda o: o.get("Channel") == "Security" and o["_raw"].startswith("<"))
    assert ev.present(name, security, presentation, sysmon_source="winevent").fields["source"] \
        == "XmlWinEventLog:Security"
    assert ev.present(name, sysmon, "classic", sysmon_source="xml").fields["source"] \
        == ev.SYSMON_SOURCES["winevent"]


def test_unknown_presentation_or_spelling_is_an_error():
    obj = {"_time": "2021-01-01T00:00:00Z", "_raw": XML_EVENT, "EventCode": "7045", "RecordNumber": "1"}
    with pytest.raises(ValueError, match="presentation"):
        ev.present("f.jsonl", obj, "xml")
    with pytest.raises(ValueError, match="sysmon_source"):
        ev.present("f.jsonl", obj, "addon", sysmon_source="Xml")
    with pytest.raises(ValueError, match="_raw"):
        ev.present("f.jsonl", {k: v for k, v in obj.items() if k != "_raw"}, "addon")
