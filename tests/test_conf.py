"""Every .conf the app ships: parsed by a real Splunk conf parser, checked against Splunk's own
.spec files, and cross-checked (macros, lookups and commands that searches use exist).

The specs are Splunk 9.2's, from ../shared/reference/splunk-conf-spec-9.2 (skipped, saying so,
when ../shared is absent), plus what 10.x adds: `python.required` in commands.conf.
"""
import glob
import json
import os
import re
from typing import Dict, Iterator, List, Set, Tuple

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from tests.datasets import SHARED
from tests.harness import ROOT

PACKAGE = os.path.join(ROOT, "package")
DEFAULT = os.path.join(PACKAGE, "default")
SPEC_DIR = os.path.join(SHARED, "reference", "splunk-conf-spec-9.2")
# Keys newer than the 9.2 specs, by file.
NEWER_KEYS = {"commands.conf": ["python.required"]}
CONF_FILES = sorted(glob.glob(os.path.join(DEFAULT, "*.conf")))

# SPL's own commands (Splunk 9.x Search Reference), so that anything else used in a search must be
# one of the app's custom commands.
BUILTIN_COMMANDS = set("""
abstract accum addcoltotals addinfo addtotals analyzefields anomalies anomalousvalue anomalydetection
append appendcols appendpipe arules associate autoregress bin bucket bucketdir chart cluster cofilter
collect concurrency contingency convert correlate datamodel dbinspect dedup delete delta diff erex
eval eventcount eventstats extract kv fieldformat fields fieldsummary filldown fillnull findtypes
folderize foreach format from gauge gentimes geom geomfilter geostats head highlight history iconify
inputcsv inputlookup iplocation join kmeans kvform loadjob localize localop lookup makecontinuous
makemv makeresults map mcollect metadata metasearch meventcollect mpreview msearch mstats multikv
multisearch mvcombine mvexpand nomv outlier outputcsv outputlookup outputtext overlap pivot predict
rangemap rare regex reltime rename replace require rest return reverse rex rtorder savedsearch script
run scrub search searchtxn selfjoin sendemail set setfields sichart sirare sistats sitimechart sitop
sort spath stats strcat streamstats table tags tail timechart timewrap tojson top transaction
transpose trendline tscollect tstats typeahead typelearner typer union uniq untable walklex where x11
xmlkv xmlunescape xpath xyseries
""".split())


# ---------------------------------------------------------------------------------------------
# Reading confs and specs


def read_conf(path: str) -> Dict[str, Dict[str, str]]:
    parser = TABConfigParser()
    parser.read(path)
    # the parser adds each section's name as a `__name__` item: not a key of the file
    return {section: {k: v for k, v in parser.items(section) if k != "__name__"}
            for section in parser.sections()}


def _placeholder_pattern(text: str) -> "re.Pattern[str]":
    """A spec name such as `action.<action_name>.<parameter>` or `example<number>` as a regex."""
    parts = re.split(r"(<[^>]*>)", text.strip())
    regex = "".join(".+" if part.startswith("<") else re.escape(part) for part in parts)
    return re.compile(r"^%s$" % regex, re.IGNORECASE)


def read_spec(conf_name: str) -> Tuple[List["re.Pattern[str]"], List["re.Pattern[str]"]]:
    """The stanza and key patterns a .spec file declares (lines at column 0, outside comments)."""
    path = os.path.join(SPEC_DIR, conf_name + ".spec")
    if not os.path.isfile(path):
        pytest.skip("Splunk's spec for %s not found at %s (../shared is absent)" % (conf_name, path))
    stanzas, keys = [], []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip() or line[0] in "# \t*":
                continue
            stanza = re.match(r"^\[(.+)\]\s*$", line)
            if stanza:
                stanzas.append(_placeholder_pattern(stanza.group(1)))
                continue
            key = re.match(r"^([^=\s][^=]*?)\s*=", line)
            if key:
                keys.append(_placeholder_pattern(key.group(1)))
    keys += [_placeholder_pattern(name) for name in NEWER_KEYS.get(conf_name, [])]
    return stanzas, keys


def conf(name: str) -> Dict[str, Dict[str, str]]:
    path = os.path.join(DEFAULT, name)
    return read_conf(path) if os.path.isfile(path) else {}


# ---------------------------------------------------------------------------------------------
# Every conf against its spec


def test_there_are_conf_files():
    names = {os.path.basename(path) for path in CONF_FILES}
    assert {"app.conf", "commands.conf", "searchbnf.conf"} <= names


@pytest.mark.parametrize("path", CONF_FILES, ids=os.path.basename)
def test_conf_parses_and_is_allowed_by_splunks_spec(path):
    name = os.path.basename(path)
    stanza_patterns, key_patterns = read_spec(name)
    parsed = read_conf(path)
    assert parsed, "%s parsed to nothing" % name
    for stanza, keys in parsed.items():
        if stanza != "default" and stanza_patterns:
            assert any(p.match(stanza) for p in stanza_patterns), "[%s] not allowed in %s" % (stanza, name)
        for key in keys:
            assert any(p.match(key) for p in key_patterns), "%s: [%s] %s is not a key of its spec" % (name, stanza, key)


def test_spec_check_rejects_what_splunk_would_not_accept():
    # The check above must be able to fail: a made-up key and a made-up app.conf stanza.
    _stanzas, keys = read_spec("commands.conf")
    assert not any(p.match("pyhton.version") for p in keys)
    stanzas, _keys = read_spec("app.conf")
    assert not any(p.match("lanucher") for p in stanzas)


def test_default_meta_exports_the_commands_to_every_app():
    meta = read_conf(os.path.join(PACKAGE, "metadata", "default.meta"))
    for stanza in ("commands", "searchbnf", "macros", "lookups", "transforms"):
        assert meta.get(stanza, {}).get("export") == "system", stanza


# ---------------------------------------------------------------------------------------------
# Commands


def custom_commands() -> Dict[str, Dict[str, str]]:
    return conf("commands.conf")


@pytest.mark.parametrize("command", sorted(custom_commands()))
def test_command_is_a_python3_chunked_command(command):
    settings = custom_commands()[command]
    assert settings.get("chunked") == "true"
    assert settings.get("python.version") == "python3"
    assert [v.strip() for v in settings.get("python.required", "").split(",")] == ["3.9", "3.13"]
    assert os.path.isfile(os.path.join(PACKAGE, "bin", settings["filename"]))


@pytest.mark.parametrize("command", sorted(custom_commands()))
def test_command_has_search_bar_help(command):
    entry = conf("searchbnf.conf").get(command + "-command")
    assert entry, "no [%s-command] in searchbnf.conf" % command
    for key in ("syntax", "shortdesc", "description", "usage", "example1", "comment1"):
        assert entry.get(key), (command, key)
    assert entry["usage"] == "public"
    assert entry["syntax"].startswith(command)


# ---------------------------------------------------------------------------------------------
# Searches and the macros, lookups and commands they use


def searches() -> Iterator[Tuple[str, str]]:
    """(where, SPL) for every search the app ships: saved searches, macro definitions, the
    dashboards' queries and the search bar's examples."""
    for name, settings in conf("savedsearches.conf").items():
        if settings.get("search"):
            yield "savedsearches.conf [%s]" % name, settings["search"]
    for name, settings in conf("macros.conf").items():
        if settings.get("definition"):
            yield "macros.conf [%s]" % name, settings["definition"]
    for name, settings in conf("searchbnf.conf").items():
        for key, value in settings.items():
            if re.match(r"example\d+$", key):
                yield "searchbnf.conf [%s] %s" % (name, key), value
    for path in sorted(glob.glob(os.path.join(DEFAULT, "data", "ui", "views", "*.xml"))):
        for query in _dashboard_queries(path):
            yield os.path.basename(path), query


def _dashboard_queries(path: str) -> List[str]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"<definition>\s*<!\[CDATA\[(.*)\]\]>\s*</definition>", text, re.S)
    if not match:
        return re.findall(r"<query>(.*?)</query>", text, re.S)
    queries = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "query" and isinstance(value, str):
                    queries.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(match.group(1)))
    return queries


MACRO_USE = re.compile(r"`([A-Za-z0-9_.-]+)(?:\(([^`]*)\))?`")


def _split_pipeline(spl: str) -> List[str]:
    """The pipeline's stages: `|` outside quotes and outside [subsearches]."""
    stages, current, quote, depth = [], [], False, 0
    index = 0
    while index < len(spl):
        char = spl[index]
        if char == "\\" and quote and index + 1 < len(spl):
            current.append(spl[index:index + 2])
            index += 2
            continue
        if char == '"':
            quote = not quote
        elif not quote and char == "[":
            depth += 1
        elif not quote and char == "]":
            depth -= 1
        if char == "|" and not quote and depth == 0:
            stages.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    stages.append("".join(current).strip())
    return stages


def _commands_used(spl: str) -> Set[str]:
    without_macros = MACRO_USE.sub(" ", spl)
    names = set()
    for stage in _split_pipeline(without_macros)[1:]:
        word = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", stage)
        if word:
            names.add(word.group(1).lower())
    for start in _unquoted_brackets(without_macros):
        sub = re.match(r"\[\s*\|?\s*([A-Za-z_][A-Za-z0-9_]*)", without_macros[start:])
        if sub:
            names.add(sub.group(1).lower())
    return names


def _unquoted_brackets(spl: str) -> List[int]:
    """Where subsearches open: `[` outside quoted strings (a regex's `[a-z]` is no subsearch)."""
    found, quote, index = [], False, 0
    while index < len(spl):
        char = spl[index]
        if char == "\\" and quote:
            index += 2
            continue
        if char == '"':
            quote = not quote
        elif char == "[" and not quote:
            found.append(index)
        index += 1
    return found


def _lookups_used(spl: str) -> Set[str]:
    return set(re.findall(r"\b(?:lookup|inputlookup|outputlookup)\s+(?:[a-z_]+=\S+\s+)*([A-Za-z0-9_.-]+)", spl))


def _macro_stanza(name: str, args: "str | None") -> str:
    """`name` for a macro used without arguments, `name(N)` for one used with N (commas inside
    quoted arguments do not count)."""
    if args is None:
        return name
    count = len(re.findall(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', args)) + 1 if args.strip() else 0
    return "%s(%d)" % (name, count)


def test_every_macro_used_is_defined_with_that_arity():
    macros = conf("macros.conf")
    missing = []
    for where, spl in searches():
        for use in MACRO_USE.finditer(spl):
            stanza = _macro_stanza(use.group(1), use.group(2))
            if stanza not in macros:
                missing.append((where, stanza))
    assert not missing, missing


def test_every_lookup_used_has_a_transform_and_a_file():
    transforms = conf("transforms.conf")
    problems = []
    for where, spl in searches():
        for name in _lookups_used(spl):
            if name.endswith(".csv"):
                path = os.path.join(PACKAGE, "lookups", name)
            elif name in transforms and transforms[name].get("filename"):
                path = os.path.join(PACKAGE, "lookups", transforms[name]["filename"])
            else:
                problems.append((where, name, "no transforms.conf stanza with a filename"))
                continue
            if not os.path.isfile(path):
                problems.append((where, name, "no file " + path))
    assert not problems, problems


def test_every_command_used_is_splunks_or_the_apps_own():
    ours = set(custom_commands())
    unknown = []
    for where, spl in searches():
        for command in _commands_used(spl) - BUILTIN_COMMANDS - ours:
            unknown.append((where, command))
    assert not unknown, unknown


def test_cross_reference_checks_can_fail():
    assert _commands_used("`m` | dtutilargs | nosuchcommand x=1 | stats count") == {"dtutilargs", "nosuchcommand", "stats"}
    assert _lookups_used("| lookup lotl_x host OUTPUT owner | inputlookup y.csv") == {"lotl_x", "y.csv"}
    assert _macro_stanza("m", "a, b") == "m(2)" and _macro_stanza("m", None) == "m"
    assert _macro_stanza("m", '"x,y", z') == "m(2)"
    assert _split_pipeline('a "x|y" [ search b | c ] | d') == ['a "x|y" [ search b | c ]', "d"]
    assert _commands_used('x | regex f="[a-z]+" | append [ | nosub ]') == {"regex", "append", "nosub"}
