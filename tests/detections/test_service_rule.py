"""LOTL - Impacket Service Installed with Output Redirect - Rule, on the real events and on the
shapes Impacket's source writes.

The real events of ../shared/datasets/windows-events and windows-events-extra (skipped, saying
so, when absent) are read twice: with the decoded values the datasets carry, and with the fields
extracted from `_raw` the way the Splunk Add-on for Microsoft Windows extracts XmlWinEventLog
fields (`<Data Name='X'>v</Data>`, XML escapes left in: `&gt;`, `&amp;`). In both, the Sigma filter
must select exactly the events alerts.csv lists for the rule, and the search's own exact-shape
check (its `where match(process, ...)`, read from savedsearches.conf) must hold on each of them and
on no other service command of either corpus."""
import glob
import os
import re
from typing import Dict, List, Set, Tuple

import pytest

from detections.lab.events import EventStore, Loaded, read_jsonl
from detections.lab.sigma import BY_SEARCH, sqlite_query
from tests.datasets import SHARED
from tests.detections.test_static import searches

RULE = "LOTL - Impacket Service Installed with Output Redirect - Rule"
CORPORA = {name: os.path.join(SHARED, "datasets", name) for name in ("windows-events", "windows-events-extra")}
XML_DATA = re.compile(r"<Data Name='([^']*)'>([^<]*)</Data>")


# ---------------------------------------------------------------------------------------------
# The search's own patterns, read from savedsearches.conf as Splunk would read them


def spl_unquote(literal: str) -> str:
    r"""An SPL quoted string's value: `\\` is one backslash, `\"` a quote, any other backslash
    stays as written."""
    return re.sub(r'\\([\\"])', r"\1", literal)


def search_text() -> str:
    return searches()[RULE]["search"]


def where_pattern() -> "re.Pattern[str]":
    found = re.findall(r'\| where match\(process, "((?:[^"\\]|\\.)*)"\)', search_text())
    assert len(found) == 1, found
    return re.compile(spl_unquote(found[0]))


def rex_pattern() -> "re.Pattern[str]":
    found = re.findall(r'\| rex field=process "((?:[^"\\]|\\.)*)"', search_text())
    assert len(found) == 1, found
    return re.compile(spl_unquote(found[0]).replace("(?<", "(?P<"))


def decoded(value: str) -> str:
    """The search's `eval process=replace(...)`: XML escapes decoded, `&amp;` last."""
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        value = value.replace(entity, char)
    return value


def xml_escaped(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_pattern_reading_can_fail():
    assert spl_unquote(r'(?i)\\becho\\s \"x\" \d') == r'(?i)\becho\s "x" \d'
    assert decoded("2^&gt;^&amp;1 &amp;gt;") == "2^>^&1 &gt;"
    assert not where_pattern().search("cmd.exe /c echo x > \\\\.\\pipe\\x")


# ---------------------------------------------------------------------------------------------
# Impacket's own shapes, by version (fortra/impacket examples/smbexec.py, secretsdump.py)

SMBEXEC = [
    # up to 0.10: loopback, %TEMP%\execute.bat
    ("%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat & "
     "%COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat", "\\\\127.0.0.1\\C$\\__output"),
    # 0.11 and 0.12: %COMPUTERNAME%, %SYSTEMROOT%\<8 letters>.bat
    ("%COMSPEC% /Q /c echo whoami ^> \\\\%COMPUTERNAME%\\C$\\__output 2^>^&1 > %SYSTEMROOT%\\qKzXbRtw.bat & "
     "%COMSPEC% /Q /c %SYSTEMROOT%\\qKzXbRtw.bat & del %SYSTEMROOT%\\qKzXbRtw.bat", "\\\\%COMPUTERNAME%\\C$\\__output"),
    # 0.13 and later: __output_<8 letters>; the powershell shell type echoes a powershell line
    ("%COMSPEC% /Q /c echo powershell.exe -NoP -NoL -sta -NonI -W Hidden -Exec Bypass -Enc JABQ ^> "
     "\\\\%COMPUTERNAME%\\C$\\__output_AbCdEfGh 2^>^&1 > %SYSTEMROOT%\\zzTopQwe.bat & %COMSPEC% /Q /c "
     "%SYSTEMROOT%\\zzTopQwe.bat & del %SYSTEMROOT%\\zzTopQwe.bat", "\\\\%COMPUTERNAME%\\C$\\__output_AbCdEfGh"),
    # a later form deletes through the shell too
    ("%COMSPEC% /Q /c echo ipconfig ^> \\\\%COMPUTERNAME%\\ADMIN$\\__output_QwErTyUi 2^>^&1 > %SYSTEMROOT%\\AbCdEfGh.bat & "
     "%COMSPEC% /Q /c %SYSTEMROOT%\\AbCdEfGh.bat & %COMSPEC% /Q /c del %SYSTEMROOT%\\AbCdEfGh.bat",
     "\\\\%COMPUTERNAME%\\ADMIN$\\__output_QwErTyUi"),
    # squeezed spacing, as in the open-xp-rules lab run
    ("%COMSPEC% /Q /c echo cd ^>\\\\127.0.0.1\\C$\\__output 2^>^&1 >%TEMP%\\execute.bat & "
     "%COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat", "\\\\127.0.0.1\\C$\\__output"),
]
SECRETSDUMP_VSS = [
    ("%COMSPEC% /Q /c echo %COMSPEC% /C vssadmin list shadows ^> %SYSTEMROOT%\\Temp\\__output > "
     "%TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat",
     "%SYSTEMROOT%\\Temp\\__output"),
    ("%COMSPEC% /Q /c echo %COMSPEC% /C copy \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\NTDS\\ntds.dit "
     "%SYSTEMROOT%\\Temp\\AbCdEfGh.tmp ^> %SYSTEMROOT%\\Temp\\__output > %SYSTEMROOT%\\Temp\\QwErTyUi.bat & "
     "%COMSPEC% /Q /c %SYSTEMROOT%\\Temp\\QwErTyUi.bat & del %SYSTEMROOT%\\Temp\\QwErTyUi.bat",
     "%SYSTEMROOT%\\Temp\\__output"),
]
LOOK_ALIKES = [
    "cmd.exe /c echo hgabms > \\\\.\\pipe\\hgabms",  # Metasploit getsystem
    "%COMSPEC% /b /c start /b /min powershell.exe -nop -w hidden -c $b='powershell.exe'",  # Metasploit psexec_psh
    "%SystemRoot%\\PSEXESVC.exe",
    "%SYSTEMROOT%\\duKhLYUX.exe",
    # a batch service without the caret-escaped redirect, and one writing to a user's Temp
    "cmd.exe /c echo dir > C:\\Windows\\Temp\\a.bat & C:\\Windows\\Temp\\a.bat & del C:\\Windows\\Temp\\a.bat",
    "cmd.exe /c echo dir ^> C:\\Users\\bob\\AppData\\Local\\Temp\\o.txt > %TEMP%\\a.bat & %TEMP%\\a.bat & del %TEMP%\\a.bat",
    # echo with a redirect to the share but no batch file run and deleted
    "cmd.exe /c echo dir ^> \\\\127.0.0.1\\C$\\out.txt",
]


def spellings(command: str) -> List[str]:
    """As decoded, as the Windows add-on leaves it (XML escapes), and as Sysmon 13 writes it
    (percent signs doubled), escaped."""
    sysmon = re.sub(r"%(\w+)%", r"%%\1%%", command)
    return [command, xml_escaped(command), xml_escaped(sysmon)]


@pytest.mark.parametrize("command,output_file", SMBEXEC + SECRETSDUMP_VSS)
def test_every_impacket_shape_matches_in_every_spelling(command: str, output_file: str):
    for value in spellings(command):
        process = decoded(value)
        assert where_pattern().search(process), value
        assert where_pattern().search(value), "the pattern also holds on the escaped value: " + value
        match = rex_pattern().search(process)
        assert match and match.group("output_file").replace("%%", "%") == output_file


@pytest.mark.parametrize("command", LOOK_ALIKES)
def test_look_alike_service_commands_do_not_match(command: str):
    for value in spellings(command):
        assert not where_pattern().search(decoded(value)), value


# ---------------------------------------------------------------------------------------------
# The real events



def corpus(name: str) -> List[Loaded]:
    folder = CORPORA[name]
    if not os.path.isfile(os.path.join(folder, "alerts.csv")):
        pytest.skip("real event data not found at %s (../shared is absent)" % folder)
    events: List[Loaded] = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        events += read_jsonl(path)
    return events


def ground_truth(name: str) -> Set[Tuple[str, str]]:
    import csv
    with open(os.path.join(CORPORA[name], "alerts.csv"), newline="", encoding="utf-8") as handle:
        return {(row["file"], row["RecordNumber"]) for row in csv.DictReader(handle) if row["rule"] == RULE}


def as_the_addon_extracts(events: List[Loaded]) -> List[Loaded]:
    """Each event with its EventData fields taken from `_raw`, XML escapes left in."""
    result = []
    for file_name, event in events:
        copy: Dict[str, str] = dict(event)
        copy.update(XML_DATA.findall(event.get("_raw", "")))
        result.append((file_name, copy))
    return result


def service_command(event: Dict[str, str]) -> "str | None":
    """The search's `coalesce(ImagePath, ServiceFileName, Details)`, for the events it reads."""
    code = event.get("EventCode")
    if code == "7045":
        return event.get("ImagePath")
    if code == "4697":
        return event.get("ServiceFileName")
    if code == "13" and re.search(r"(?i)\\services\\[^\\]+\\imagepath$", event.get("TargetObject", "")):
        return event.get("Details")
    return None


@pytest.fixture(scope="module", params=sorted(CORPORA))
def loaded(request):
    events = corpus(request.param)
    return request.param, {"decoded": events, "as extracted by the add-on": as_the_addon_extracts(events)}


def test_the_ground_truth_is_what_the_issue_says():
    counts = {}
    for name in CORPORA:
        corpus(name)
        counts[name] = len(ground_truth(name))
    assert counts == {"windows-events": 4, "windows-events-extra": 4}


def test_sigma_filter_selects_exactly_the_ground_truth(loaded):
    name, presentations = loaded
    query = sqlite_query(BY_SEARCH[RULE])
    for presentation, events in presentations.items():
        selected = {(f, e.get("RecordNumber", "")) for f, e in EventStore(events).select(query)}
        assert selected == ground_truth(name), (presentation, sorted(selected ^ ground_truth(name)))


def test_ground_truth_arrives_escaped_in_raw(loaded):
    name, presentations = loaded
    truth = ground_truth(name)
    escaped = [service_command(e) for f, e in presentations["as extracted by the add-on"]
               if (f, e.get("RecordNumber", "")) in truth]
    assert len(escaped) == len(truth) and all("&gt;" in v and "&amp;" in v for v in escaped)


def test_exact_shape_holds_on_the_ground_truth_and_nothing_else(loaded):
    name, presentations = loaded
    truth = ground_truth(name)
    for presentation, events in presentations.items():
        hits, seen = set(), 0
        for file_name, event in events:
            value = service_command(event)
            if value is None:
                continue
            seen += 1
            if where_pattern().search(decoded(value)):
                hits.add((file_name, event.get("RecordNumber", "")))
                assert rex_pattern().search(decoded(value)), value
        assert hits == truth, (presentation, sorted(hits ^ truth))
        assert seen > len(truth) + 10, "the corpus holds other service installations to stay silent on"
