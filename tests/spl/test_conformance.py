"""Conformance of the SPL stand-in (tests/standin) with ../shared/reference/spl-semantics.md.

Every rule of that file (each bullet, and each sentence in it that states a behaviour) has a test
here, named in the test's docstring by its section and wording, and checked on an example written
the way the cited Splunk documentation page [Dn] writes its own (the page and, where the page has
one, its example SPL are named in the docstring; the sources list is at the end of
spl-semantics.md). Expected values come from the documented rule, worked out by hand in each test,
never from the stand-in's output.

Where a rule is marked **unsure**, the test runs both choices of the corresponding
`Semantics` parameter and asserts what each does.

These tests are the stand-in's proof: each was written to fail when its rule is broken. 66
mutations of tests/standin (and of the harness's required_fields narrowing), each breaking one
rule in a copy of the tree, were each caught by the test named for the rule (the table is in the
hand-back report of issue 11, item 3).

What cannot be checked here (the stand-in does not run it, and says so with an error): `| rest`
and the fired-alerts records (alert.expires, cleared by a restart) [D11, D12].
"""
import datetime
import itertools
import os
import shutil
from functools import lru_cache
from typing import Dict, List, Optional, Sequence

import pytest

from tests import harness
from tests.harness import BUILT_APP
from tests.standin.evaluate import Splunk
from tests.standin.events import Event
from tests.standin.functions import Semantics
from tests.standin.spl import SplError

NOW = 1700000000  # 2023-11-14T22:13:20Z
UTC = datetime.timezone.utc


# ---------------------------------------------------------------------------------------------
# Helpers

_SERIAL = itertools.count(1)


def event(number: int, raw: Optional[str] = None, **fields) -> Event:
    """A tiny event: `raw` defaults to the fields written as key=value pairs (what the index
    tokens come from); `fields` are the search-time fields. Its key's file name is unique (the
    stand-in caches index tokens by key), its RecordNumber is `number`."""
    if raw is None:
        raw = " ".join("%s=%s" % (k, v if isinstance(v, str) else ",".join(v)) for k, v in fields.items())
    key = ("conformance-%d.jsonl" % next(_SERIAL), str(number), "0")
    return Event(key=key, fields={**fields, "_raw": raw}, raw=raw)


def events_of(*field_sets: Dict[str, object]) -> List[Event]:
    return [event(n, **fields) for n, fields in enumerate(field_sets, 1)]


@lru_cache(maxsize=None)
def _splunk(app: str, tz: str, semantics: Semantics, now: float) -> Splunk:
    return Splunk(app, now=now, tz=tz, semantics=semantics)


def splunk_for(app: str = BUILT_APP, tz: str = "UTC", now: float = NOW, **choices) -> Splunk:
    harness.ensure_built()
    return _splunk(app, tz, Semantics(**choices), now)


def search(spl: str, events: Sequence[Event] = (), app: str = BUILT_APP, tz: str = "UTC",
           now: float = NOW, **choices):
    """(rows, scan) of `spl` over `events`."""
    return splunk_for(app, tz, now, **choices).search(spl, list(events))


def run(spl: str, events: Sequence[Event] = (), **kwargs) -> List[Dict[str, object]]:
    """The rows' fields, without _time/_raw (what the tests look at)."""
    rows, _scan = search(spl, events, **kwargs)
    return [{k: v for k, v in row.fields.items() if k not in ("_time", "_raw")} for row in rows]


def one(spl: str, events: Sequence[Event] = (), **kwargs) -> Dict[str, object]:
    rows = run(spl, events, **kwargs)
    assert len(rows) == 1, rows
    return rows[0]


def keys(spl: str, events: Sequence[Event], **kwargs) -> List[str]:
    """The numbers (RecordNumber) of the input events behind the result rows, in row order."""
    rows, _scan = search(spl, events, **kwargs)
    return [",".join(sorted(key[1] for key in row.events)) for row in rows]


def number(value) -> float:
    return float(value)


# ---------------------------------------------------------------------------------------------
# A small app for macros, lookups and saved searches: the built app's default/ and bin/, with
# this file's own macros.conf, transforms.conf, savedsearches.conf and lookups/.

MACROS = """\
[foobar(2)]
args = foo, bar
definition = "foo = $foo$, bar = $bar$"

[twice(1)]
args = x
definition = eval first="$x$", second="$x$-$x$"

[outer]
definition = `inner(deep)` | eval outer="yes"

[inner(1)]
args = level
definition = eval inner="$level$"
"""

SAVED = """\
[conformance substitution]
search = | makeresults | eval who="$who$"
"""

TRANSFORMS = """\
[users]
filename = users.csv

[users_first]
filename = users.csv
max_matches = 1

[users_two]
filename = users.csv
max_matches = 2

[many]
filename = many.csv

[paths_insensitive]
filename = paths.csv
match_type = WILDCARD(path)
case_sensitive_match = false

[paths_sensitive]
filename = paths.csv
match_type = WILDCARD(path)

[exact_sensitive]
filename = users.csv

[nets]
filename = nets.csv
match_type = CIDR(src)

[misnamed]
filename = hosts.csv
match_type = WILDCARD(hostname)
case_sensitive_match = false
"""

LOOKUP_FILES = {
    # file order matters: alice's rows are the 1st, 3rd and 4th; the 3rd has an empty role
    "users.csv": "user,group,role\nalice,admins,r1\nbob,ops,r2\nalice,dba,\nalice,web,r4\n",
    "many.csv": "key,n\n" + "".join("k,%03d\n" % i for i in range(150)),
    "paths.csv": "path,label\n*\\dtutil.exe,dtutil\n",
    "nets.csv": "src,zone\n10.20.0.0/24,scanners\n",
    "hosts.csv": "host,owner\nsql-*,dba\n",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> str:
    harness.ensure_built()
    root = tmp_path_factory.mktemp("conformance-app") / "SA-lotl-detections"
    shutil.copytree(os.path.join(BUILT_APP, "default"), str(root / "default"))
    shutil.copytree(os.path.join(BUILT_APP, "bin"), str(root / "bin"))
    (root / "default" / "macros.conf").write_text(MACROS, encoding="utf-8")
    (root / "default" / "savedsearches.conf").write_text(SAVED, encoding="utf-8")
    (root / "default" / "transforms.conf").write_text(TRANSFORMS, encoding="utf-8")
    (root / "lookups").mkdir()
    for name, text in LOOKUP_FILES.items():
        (root / "lookups" / name).write_text(text, encoding="utf-8")
    return str(root)


# =============================================================================================
# The `search` command

BOOLEAN_EVENTS = [event(1, "error 404"), event(2, "error 500"), event(3, "info 500"), event(4, "404"),
                  event(5, "error warn"), event(6, "info")]


def test_a_search_may_start_with_the_word_search():
    """search: the search command's name is implicit at the start of a search and may be written
    [Search Reference *search*: `search error 404` is `error 404`]; elsewhere the word is a term."""
    assert keys("search error 404", BOOLEAN_EVENTS) == ["1"]
    assert keys("error search", BOOLEAN_EVENTS) == []


def test_search_terms_are_anded():
    """search: "Terms are ANDed" [D1, Search Manual *Boolean expressions with logical operators*:
    `error 404` is `error AND 404`]."""
    assert keys("error 404", BOOLEAN_EVENTS) == ["1"]
    assert keys("error AND 404", BOOLEAN_EVENTS) == ["1"]


def test_search_or_binds_tighter_than_and():
    """search: "OR binds tighter than AND ... `A B OR C` is `A AND (B OR C)`" [D1: "The search
    command evaluates OR before AND"]. Example in the page's style: `error 404 OR 500`."""
    # error AND (404 OR 500): events 1, 2; (error AND 404) OR 500 would add event 3
    assert keys("error 404 OR 500", BOOLEAN_EVENTS) == ["1", "2"]
    assert keys("error AND 404 OR 500", BOOLEAN_EVENTS) == ["1", "2"]
    assert keys("404 OR 500 error", BOOLEAN_EVENTS) == ["1", "2"]


def test_search_not_binds_tightest():
    """search: "NOT binds tightest" [D1]: `NOT error OR warn` is `(NOT error) OR warn`."""
    # event 5 "error warn": (NOT error) OR warn is true; NOT (error OR warn) would be false
    assert keys("NOT error OR warn", BOOLEAN_EVENTS) == ["3", "4", "5", "6"]
    assert keys("info NOT 500", BOOLEAN_EVENTS) == ["6"]


def test_search_parentheses_group():
    """search: "parentheses group" [D1]: `(error 404) OR 500`."""
    assert keys("(error 404) OR 500", BOOLEAN_EVENTS) == ["1", "2", "3"]


IMAGES = events_of({"Image": r"C:\Program Files\SQL\DTUtil.exe"}, {"Image": r"C:\Windows\cmd.exe"},
                   {"image": r"C:\x\dtutil.exe"})


def test_search_field_names_case_sensitive_values_not():
    """search: "field names are case-sensitive, values case-insensitive" [D8; Search Manual,
    *Use CASE() and TERM()*: field values are not case-sensitive, field names are]."""
    assert keys('* | search Image="*\\dtutil.exe"', IMAGES) == ["1"]
    assert keys('* | search Image="*\\DTUTIL.EXE"', IMAGES) == ["1"]
    assert keys('* | search image="*\\dtutil.exe"', IMAGES) == ["3"]
    assert keys('* | search IMAGE="*"', IMAGES) == []


def test_search_wildcard_anywhere():
    """search: "`*` is a wildcard anywhere in the value" [D8]; without one the whole value must
    match."""
    assert keys('* | search Image="C:\\Program*"', IMAGES) == ["1"]
    assert keys('* | search Image="*cmd.exe"', IMAGES) == ["2"]
    assert keys('* | search Image="C:\\*\\DTU*l.exe"', IMAGES) == ["1"]
    assert keys('* | search Image="cmd.exe"', IMAGES) == []
    assert keys('* | search Image="C:\\Windows"', IMAGES) == []


def test_search_backslash_cannot_escape_wildcard():
    """search: "a backslash cannot escape `*`" [D8, *Backslashes*]: `path="C:\\\\*"` (one backslash
    after unquoting) is a backslash followed by a wildcard, not a literal star."""
    rows = events_of({"path": "a\\zzz"}, {"path": "a*"}, {"path": "a\\*"})
    # `a\*` in the quoted string stays `a\*`: a, a backslash, then anything
    assert keys('* | search path="a\\*"', rows) == ["1", "3"]
    assert keys('* | search path="a\\\\*"', rows) == ["1", "3"]


def test_search_in_is_or():
    """search: "`field IN (a, b)` is `field=a OR field=b`" [D1; Search Reference *search*:
    `EventCode IN (1, 4688)`]."""
    rows = events_of({"EventCode": "1"}, {"EventCode": "3"}, {"EventCode": "4688"}, {"Other": "1"})
    assert keys("* | search EventCode IN (1, 4688)", rows) == ["1", "3"]
    assert keys("* | search EventCode=1 OR EventCode=4688", rows) == ["1", "3"]
    assert keys('* | search EventCode IN ("4*")', rows) == ["3"]


def test_search_not_equal_needs_the_field_but_not_keeps_events_without_it():
    """search: "`field!=value` needs the field to exist; `NOT field=value` also keeps events
    without it" [D1, Search Manual *Difference between NOT and !=*]."""
    rows = events_of({"user": "alice"}, {"user": "bob"}, {"host": "h1"})
    assert keys("* | search user!=alice", rows) == ["2"]
    assert keys("* | search NOT user=alice", rows) == ["2", "3"]


def test_search_field_star_means_exists():
    """search: "`field=*` means the field exists" [D8]."""
    rows = events_of({"user": "alice"}, {"host": "h1"}, {"user": "x", "host": "h2"})
    assert keys("* | search user=*", rows) == ["1", "3"]
    assert keys("* | search NOT user=*", rows) == ["2"]


# --- quoted strings [D8, Search Manual *Backslashes*]

def test_quoted_string_double_backslash_is_one():
    """Quoted strings: "`\\\\` is one backslash" [D8]: `"C:\\\\Windows"` is `C:\\Windows`."""
    assert one('| makeresults | eval p="C:\\\\Windows\\\\System32"')["p"] == "C:\\Windows\\System32"


def test_quoted_string_escaped_quote():
    """Quoted strings: "`\\"` a quote" [D8]."""
    assert one('| makeresults | eval s="say \\"hi\\""')["s"] == 'say "hi"'


def test_quoted_string_other_backslash_stays():
    """Quoted strings: "any other backslash stays as it is (`"\\d"` reaches a regex as `\\d`)"
    [D8, *SPL and regular expressions*]."""
    row = one('| makeresults | eval s="\\d\\w", n="2023" | eval m=if(match(n, "^\\d{4}$"), "yes", "no")')
    assert row["s"] == "\\d\\w"
    assert row["m"] == "yes"


# --- index tokens [D9]

def test_term_matches_through_minor_segments_case_insensitive():
    """Index tokens: "the event text is cut at the major and minor breakers ... `"dtutil"`
    matches `...\\DTUtil.exe` (case-insensitive)" [D9, *Event segmentation and searching*;
    segmenters.conf.spec MINOR default]."""
    rows = [event(1, r"Image=C:\Program Files\Microsoft SQL Server\160\DTS\Binn\DTUtil.exe"),
            event(2, r"Image=C:\Windows\System32\cmd.exe"),
            event(3, r"Image=C:\tools\mydtutil.exe")]
    for term in ('"dtutil"', "dtutil", "DTUTIL", '"DTUtil.exe"'):
        found, scan = search(term, rows)
        assert [r.events for r in found] == [frozenset([rows[0].key])], term
    # `binn` is a minor segment between backslashes, `160` too
    assert keys("binn 160", rows) == ["1"]


@pytest.mark.parametrize("breaker", list("/:=@.-$#%\\_"))
def test_default_minor_breakers(breaker):
    """Index tokens: "default MINOR includes `/ : = @ . - $ # % \\ _`" [D9, segmenters.conf.spec]:
    the pieces between minor breakers are tokens, and so is the whole major segment."""
    rows = [event(1, "alpha%sbeta gamma" % breaker), event(2, "alphabeta gamma")]
    found, scan = search("beta", rows)
    assert [r.events for r in found] == [frozenset([rows[0].key])]
    assert scan.scanned == 1  # `alphabeta` is one token: event 2 never leaves the index
    found, scan = search('"alpha%sbeta"' % breaker, rows)
    assert [r.events for r in found] == [frozenset([rows[0].key])]


def test_term_looked_up_by_its_minor_segments():
    """Index tokens: "a term is looked up by its minor segments, so `"C$"` is looked up as the
    one-letter token `c`" [D9]; "What the index cannot narrow is then filtered on the raw text"."""
    rows = [event(1, r"CommandLine=cmd.exe /Q /c cd 1> \\127.0.0.1\C$\__1700000000 2>&1"),
            event(2, "c is a letter, not a share"),
            event(3, "no such letter here")]
    found, scan = search('"C$"', rows)
    assert [r.events for r in found] == [frozenset([rows[0].key])]
    assert scan.scanned == 2  # events 1 and 2 hold the token `c`; event 3 does not
    assert scan.matched == 1  # event 2 is filtered out on its raw text


def test_phrase_filtered_on_raw_text():
    """Index tokens: "What the index cannot narrow is then filtered on the raw text" [D9]: a
    quoted phrase is looked up by its tokens, then checked as a phrase."""
    rows = [event(1, "GET /x 404 error"), event(2, "error 404 on GET")]
    found, scan = search('"error 404"', rows)
    assert [r.events for r in found] == [frozenset([rows[1].key])]
    assert (scan.scanned, scan.matched) == (2, 1)


def test_field_value_looked_up_by_tokens_then_checked_on_field():
    """Index tokens: "`field=value` on a search-time field is looked up by the value's tokens
    first, then checked on the extracted field" [D9]."""
    rows = [event(1, "user=alice action=login", user="alice"),
            event(2, "user=bob note=alice", user="bob"),      # token alice, field bob
            event(3, "user=carol", user="alice")]             # field alice, no token alice
    found, scan = search("user=alice", rows)
    assert [r.events for r in found] == [frozenset([rows[0].key])]
    assert scan.scanned == 2  # event 3 never leaves the index: its text has no `alice`
    assert scan.matched == 1


def test_leading_wildcard_cannot_use_the_index():
    """Index tokens: "a leading wildcard (`Image="*\\\\dtutil.exe"`) cannot use the index" [D9]:
    every event is scanned."""
    rows = [event(1, r"Image=C:\x\dtutil.exe", Image=r"C:\x\dtutil.exe"),
            event(2, r"Image=C:\x\cmd.exe", Image=r"C:\x\cmd.exe"),
            event(3, "nothing", Other="1")]
    found, scan = search('Image="*\\\\dtutil.exe"', rows)
    assert [r.events for r in found] == [frozenset([rows[0].key])]
    assert (scan.scanned, scan.matched) == (3, 1)
    # a value without a leading wildcard narrows by its tokens: only event 1 holds `dtutil`
    found, scan = search('Image="C:\\\\x\\\\dtutil*"', rows)
    assert (scan.scanned, scan.matched) == (1, 1)


# =============================================================================================
# eval and where

def test_eval_and_binds_tighter_than_or():
    """eval/where: "AND binds tighter than OR (unlike `search`)" [D1: "eval and where evaluate
    AND before OR"]."""
    # 1 OR (2 AND 3) is true; (1 OR 2) AND 3 would be false
    assert run("| makeresults | eval a=1 | where a=1 OR a=2 AND a=3")
    assert one('| makeresults | eval a=1 | eval r=if(a=1 OR a=2 AND a=3, "yes", "no")')["r"] == "yes"
    assert one('| makeresults | eval a=3 | eval r=if(a=2 AND a=3 OR a=1, "yes", "no")')["r"] == "no"


def test_where_keeps_only_true_null_is_not_true():
    """where: "keeps a result only when the expression is true; null is not true, so
    `where x!="a"` drops every result where `x` is null" [D2, Search Reference *where*]."""
    rows = events_of({"x": "a"}, {"x": "b"}, {"y": "c"})
    assert keys('* | where x!="a"', rows) == ["2"]
    assert keys('* | where x="a"', rows) == ["1"]
    assert keys('* | where NOT x="a"', rows) == ["2"]  # NOT null is null: event 3 dropped too


def test_eval_assignments_left_to_right():
    """eval: "Comma-separated assignments in one `eval` run left to right; later ones see
    earlier ones" [D3, Search Reference *eval*: `eval x=..., y=x...`]."""
    row = one("| makeresults | eval a=1, b=a+1, a=5, c=a*b")
    assert (number(row["a"]), number(row["b"]), number(row["c"])) == (5, 2, 10)


def test_null_propagates_through_concatenation():
    """eval: "`.` with a null operand gives null" [D3]; and "Assigning null removes the field"."""
    row = one('| makeresults | eval s="keep" | eval s="a" . nosuch, t="a" . "b"')
    assert "s" not in row
    assert row["t"] == "ab"


def test_comparison_with_null_is_null():
    """eval: "a comparison with null gives null" [D3]: neither true nor false."""
    row = one('| makeresults | eval r=if(isnull(nosuch="a"), "null", "not null"), '
              'q=if(isnull(nosuch!="a"), "null", "not null")')
    assert row == {"r": "null", "q": "null"}


def test_if_on_null_takes_else():
    """eval: "`if(null, a, b)` gives `b`" [D3, *Evaluation functions* if: `eval err=if(error ==
    200, "OK", "Error")`]."""
    rows = events_of({"error": "200"}, {"error": "404"}, {"other": "1"})
    assert [r["err"] for r in run('* | eval err=if(error == 200, "OK", "Error")', rows)] == ["OK", "Error", "Error"]


def test_case_takes_first_true_branch():
    """eval: "`case()` takes the first branch whose condition is true" [D3, case: `eval
    description=case(error == 404, "Not found", error == 500, "Internal Server Error", error ==
    200, "OK")`]; no true branch gives null."""
    rows = events_of({"error": "404"}, {"error": "500"}, {"error": "200"}, {"error": "302"}, {"x": "1"})
    spl = ('* | eval description=case(error == 404, "Not found", error == 500, "Internal Server Error", '
           'error == 200, "OK")')
    assert [r.get("description") for r in run(spl, rows)] == ["Not found", "Internal Server Error", "OK", None, None]
    # the first true one, not the last: both conditions hold for 404
    assert one('| makeresults | eval e=404 | eval d=case(e>400, "first", e==404, "second")')["d"] == "first"
    # a null condition is not true: the next branch is taken
    assert one('| makeresults | eval d=case(nosuch="a", "null branch", true(), "default")')["d"] == "default"


def test_coalesce_first_not_null_and_empty_string_is_not_null():
    """eval: "`coalesce()` returns the first argument that is not null, and an empty string is not
    null" [D3, coalesce: `eval ip=coalesce(clientip,ipaddress)`]."""
    rows = events_of({"clientip": "10.0.0.1", "ipaddress": "10.0.0.2"}, {"ipaddress": "10.0.0.2"},
                     {"clientip": "", "ipaddress": "10.0.0.2"}, {"x": "1"})
    assert [r.get("ip") for r in run("* | eval ip=coalesce(clientip,ipaddress)", rows)] == [
        "10.0.0.1", "10.0.0.2", "", None]


def test_assigning_null_removes_the_field():
    """eval: "Assigning null removes the field" [D3, null(): `eval n=null()`]."""
    rows = events_of({"n": "5", "m": "6"})
    assert run("* | eval n=null()", rows) == [{"m": "6"}]


def test_numbers_compare_as_numbers_strings_lexicographically():
    """eval: "a field value that reads as a number compares as a number; otherwise strings compare
    lexicographically" [D3]."""
    rows = events_of({"a": "10", "b": "9"}, {"a": "abc", "b": "abd"}, {"a": "10x", "b": "9x"})
    assert keys("* | where a > b", rows) == ["1"]  # 10 > 9; "abc" < "abd"; "10x" < "9x"
    assert keys("* | where a < b", rows) == ["2", "3"]
    assert keys('* | where a = "10.0"', rows) == ["1"]


# --- the functions the app uses [D3, D5: *Evaluation functions*, *Multivalue eval functions*]

def test_isnull_isnotnull_null_true():
    """Functions: `isnull`, `isnotnull`, `null()`, `true()` [D3: `eval n=if(isnull(field),"yes","no")`]."""
    rows = events_of({"field": "v"}, {"other": "v"})
    out = run('* | eval n=if(isnull(field),"yes","no"), p=if(isnotnull(field),"yes","no"), z=null() '
              '| where true()', rows)
    assert [(r["n"], r["p"], "z" in r) for r in out] == [("no", "yes", False), ("yes", "no", False)]


def test_in_function():
    """Functions: `in` [D3: `eval error=if(in(status, "404","500","503"),"true","false")`]."""
    rows = events_of({"status": "404"}, {"status": "200"}, {"x": "1"})
    out = run('* | eval error=if(in(status, "404","500","503"),"true","false")', rows)
    assert [r["error"] for r in out] == ["true", "false", "false"]


def test_match_is_pcre_and_unanchored():
    """Functions: "`match` (PCRE, unanchored)" [D3: `eval n=if(match(field,
    "^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$"), 1, 0)`]."""
    rows = events_of({"field": "10.0.0.1"}, {"field": "x10.0.0.1"}, {"field": "host"})
    out = run('* | eval n=if(match(field, "^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$"), 1, 0), '
              'u=if(match(field, "0\\.0"), 1, 0), p=if(match(field, "(?i)HOST|(?<=x)1"), 1, 0)', rows)
    assert [(number(r["n"]), number(r["u"]), number(r["p"])) for r in out] == [(1, 1, 0), (0, 1, 1), (0, 0, 1)]


def test_replace_pcre_with_back_references():
    """Functions: "`replace` (PCRE, `\\1` back-references)" [D3, replace: `eval n=replace(date,
    "^(\\d{1,2})/(\\d{1,2})/", "\\2/\\1/")` swaps day and month]."""
    row = one('| makeresults | eval date="1/14/2017" | eval n=replace(date, "^(\\d{1,2})/(\\d{1,2})/", "\\2/\\1/")')
    assert row["n"] == "14/1/2017"
    assert one('| makeresults | eval n=replace("aXbXc", "X", "-")')["n"] == "a-b-c"  # every match


def test_lower_trim_split():
    """Functions: `lower`, `trim`, `split` [D3: `eval username=lower(username)`; `eval n=trim("
    ZZZZabcZZ ", " Z")` gives `abc`; `eval n=split(foo, ";")`]."""
    row = one('| makeresults | eval username=lower("ADMIN\\Bob"), n=trim("   ZZZZabcZZ ", " Z"), '
              'm=trim("  x  "), foo="a;b;c", parts=split(foo, ";")')
    assert row["username"] == "admin\\bob"
    assert row["n"] == "abc"
    assert row["m"] == "x"
    assert row["parts"] == ["a", "b", "c"]


def test_mvindex_negative_from_the_end():
    """Functions: "`mvindex` (negative from the end)" [D5: `eval n=mvindex(multifield, 2)`;
    -1 is the last value]."""
    row = one('| makeresults | eval multifield=split("a,b,c,d", ",") | eval n=mvindex(multifield, 2), '
              'last=mvindex(multifield, -1), first=mvindex(multifield, 0), mid=mvindex(multifield, 1, 2)')
    assert (row["n"], row["last"], row["first"], row["mid"]) == ("c", "d", "a", ["b", "c"])


def test_mvfind_regex_index_or_null():
    """Functions: "`mvfind` (regex; index or null)" [D5: `eval n=mvfind(mymvfield, "err\\d+")`]."""
    row = one('| makeresults | eval mymvfield=split("ok,warn,err42,err7", ",") | '
              'eval n=mvfind(mymvfield, "err\\d+"), none=mvfind(mymvfield, "^fatal")')
    assert number(row["n"]) == 2
    assert "none" not in row


def test_mvappend_ignores_null_arguments():
    """Functions: "`mvappend` (ignores null arguments)" [D5: `eval fullName=mvappend(initial_values,
    "middle value", last_values)`]."""
    row = one('| makeresults | eval initial_values=split("a,b", ","), last_values="z" | '
              'eval fullName=mvappend(initial_values, "middle value", nosuch, last_values)')
    assert row["fullName"] == ["a", "b", "middle value", "z"]


@pytest.mark.parametrize("order", ["first_seen", "sorted"])
def test_mvdedup_order_is_unsure(order):
    """Functions: "`mvdedup` (**unsure** whether it keeps first-seen order or sorts)" [D5:
    `eval s=mvdedup(mvfield)`]: both choices of Semantics.mvdedup_order."""
    row = one('| makeresults | eval mvfield=split("b,a,b,c,a", ",") | eval s=mvdedup(mvfield)',
              mvdedup_order=order)
    assert row["s"] == {"first_seen": ["b", "a", "c"], "sorted": ["a", "b", "c"]}[order]


def test_mvzip_pairs_by_position():
    """Functions: "`mvzip` (pairs by position)" [D5: `eval nserver=mvzip(hosts,ports)`]."""
    row = one('| makeresults | eval hosts=split("a,b,c", ","), ports=split("1,2,3", ",") | '
              'eval nserver=mvzip(hosts,ports), piped=mvzip(hosts, ports, "|")')
    assert row["nserver"] == ["a,1", "b,2", "c,3"]
    assert row["piped"] == ["a|1", "b|2", "c|3"]


def test_mvmap_names_the_field_and_reads_others():
    """Functions: "`mvmap` (the expression names the field itself for the current value, and may
    read other fields)" [D5: `eval n=mvmap(results, results*10)`]."""
    row = one('| makeresults | eval results=split("1,2,3", ","), sep=":" | '
              'eval n=mvmap(results, results*10), t=mvmap(results, sep . results)')
    assert [number(v) for v in row["n"]] == [10, 20, 30]
    assert row["t"] == [":1", ":2", ":3"]


def test_mvcount():
    """Functions: `mvcount` [D5: `eval n=mvcount(multifield)`]; a single value counts 1, null is
    null."""
    row = one('| makeresults | eval multifield=split("a,b,c", ","), single="x" | '
              'eval n=mvcount(multifield), s=mvcount(single), z=mvcount(nosuch)')
    assert (number(row["n"]), number(row["s"]), "z" in row) == (3, 1, False)


def test_nullif():
    """Functions: `nullif` [D3: `eval n=nullif(fieldA,fieldB)` is null when they are equal, else
    fieldA]."""
    rows = events_of({"fieldA": "x", "fieldB": "x"}, {"fieldA": "x", "fieldB": "y"}, {"fieldA": "", "fieldB": ""})
    assert [r.get("n") for r in run("* | eval n=nullif(fieldA,fieldB)", rows)] == [None, "x", None]


def test_cidrmatch():
    """Functions: `cidrmatch` [D3: `eval n=cidrmatch("123.132.32.0/25",ip)`]."""
    rows = events_of({"ip": "123.132.32.50"}, {"ip": "123.132.32.200"}, {"ip": "not an ip"})
    out = run('* | eval n=if(cidrmatch("123.132.32.0/25",ip), "in", "out")', rows)
    assert [r["n"] for r in out] == ["in", "out", "out"]


def test_now_is_the_search_start_time():
    """Time: "`now()` is the search's start time" [D3]: not the events' times."""
    rows = events_of({"_time": "1500000000"}, {"_time": "1600000000"})
    assert [number(r["n"]) for r in run("* | eval n=now()", rows)] == [NOW, NOW]
    assert number(one("| makeresults | eval n=now()", now=NOW + 60)["n"]) == NOW + 60


def test_relative_time():
    """Functions: `relative_time` [D3: `eval n=relative_time(now(), "-1d@d")`: yesterday at
    midnight, in the search's time zone]."""
    expected_utc = datetime.datetime(2023, 11, 13, tzinfo=UTC).timestamp()
    assert number(one('| makeresults | eval n=relative_time(now(), "-1d@d")')["n"]) == expected_utc
    # in Asia/Tokyo (UTC+9) NOW is 2023-11-15 07:13:20: yesterday's midnight is 2023-11-14 00:00 +09:00
    tokyo = datetime.datetime(2023, 11, 14, tzinfo=datetime.timezone(datetime.timedelta(hours=9))).timestamp()
    assert number(one('| makeresults | eval n=relative_time(now(), "-1d@d")', tz="Asia/Tokyo")["n"]) == tokyo


def test_strptime_reads_in_the_search_time_zone():
    """Time: "`strptime` without `%z` reads the time in the search's time zone" [D7, D3: `eval
    n=strptime(timeStr, "%Y-%m-%d %H:%M:%S")`]."""
    spl = '| makeresults | eval n=strptime("2023-11-14 22:13:20", "%Y-%m-%d %H:%M:%S")'
    assert number(one(spl)["n"]) == NOW
    assert number(one(spl, tz="Europe/Paris")["n"]) == NOW - 3600  # UTC+1 in November
    assert number(one(spl, tz="America/New_York")["n"]) == NOW + 5 * 3600  # UTC-5 in November


def test_strftime_writes_in_the_search_time_zone():
    """Time: "`strftime` writes in it" [D7, D3: `eval n=strftime(_time, "%Y-%m-%dT%H:%M:%S")`]."""
    spl = '| makeresults | eval n=strftime(_time, "%Y-%m-%dT%H:%M:%S")'
    assert one(spl)["n"] == "2023-11-14T22:13:20"
    assert one(spl, tz="Europe/Paris")["n"] == "2023-11-14T23:13:20"


def test_strptime_percent_z_parses_plus_hhmm_only():
    """Time: "`%z` parses `+hhmm` (not `Z`, not `+hh:mm`)" [D7, *Date and time format variables*]."""
    spl = '| makeresults | eval n=strptime("2023-11-14 23:13:20 %s", "%%Y-%%m-%%d %%H:%%M:%%S %%z")'
    for tz in ("UTC", "Asia/Tokyo"):  # an explicit offset wins over the search's zone
        assert number(one(spl % "+0100", tz=tz)["n"]) == NOW
        assert number(one(spl % "-0030", tz=tz)["n"]) == NOW + 3600 + 1800
    for trailing in ("ignore", "reject"):
        assert "n" not in one(spl % "Z", strptime_trailing=trailing)
        assert "n" not in one(spl % "+01:00", strptime_trailing=trailing)


@pytest.mark.parametrize("choice", ["ignore", "reject"])
def test_strptime_trailing_text_both_ways(choice):
    """Semantics.strptime_trailing (a stand-in parameter; spl-semantics.md does not settle text
    after what the format reads): `ignore` parses the prefix, `reject` gives null."""
    row = one('| makeresults | eval n=strptime("2023-11-14 22:13:20.123Z", "%Y-%m-%d %H:%M:%S")',
              strptime_trailing=choice)
    if choice == "ignore":
        assert number(row["n"]) == NOW
    else:
        assert "n" not in row


# =============================================================================================
# stats and eventstats

def test_values_distinct_sorted_as_strings_list_in_arrival_order():
    """stats: "`values(x)`: distinct values, sorted lexicographically, as strings; `list(x)` keeps
    arrival order" [D5, D6: values "processed as strings"; `stats values(n), list(n)`]."""
    rows = events_of({"n": "9"}, {"n": "100"}, {"n": "10"}, {"n": "9"}, {"n": "B"}, {"n": "a"})
    row = one("* | stats values(n) as v, list(n) as l", rows)
    assert row["v"] == ["10", "100", "9", "B", "a"]
    assert row["l"] == ["9", "100", "10", "9", "B", "a"]


def test_list_keeps_at_most_100():
    """stats: "`list(x)` keeps arrival order (at most 100)" [D5]."""
    rows = events_of(*({"n": "%03d" % i} for i in range(150)))
    row = one("* | stats list(n) as l, count", rows)
    assert row["l"] == ["%03d" % i for i in range(100)]
    assert number(row["count"]) == 150


def test_min_max_numeric_when_numbers():
    """stats: "`min`/`max` are numeric when the values are numbers" [D6]."""
    rows = events_of({"n": "9"}, {"n": "10"}, {"n": "100"})
    row = one("* | stats min(n) as lo, max(n) as hi", rows)
    assert (number(row["lo"]), number(row["hi"])) == (9, 100)  # as strings: "10" and "9"


def test_stats_rows_with_null_by_field_are_not_counted():
    """stats: "Rows whose by-field is null are not counted" [D22, Search Reference *stats*:
    `stats count by host`]."""
    rows = events_of({"host": "h1"}, {"host": "h1"}, {"other": "x"}, {"host": "h2"})
    out = run("* | stats count by host", rows)
    assert [(r["host"], number(r["count"])) for r in out] == [("h1", 2), ("h2", 1)]
    assert number(one("* | stats count(host) as c, count", rows)["c"]) == 3


def test_stats_multivalue_by_field_splits():
    """stats: "a multivalue by-field splits one event into one row per value" [D22, by-clause and
    `dedup_splitvals`]."""
    rows = [event(1, user=["alice", "bob"]), event(2, user="alice")]
    out = run("* | stats count by user", rows)
    assert [(r["user"], number(r["count"])) for r in out] == [("alice", 2), ("bob", 1)]
    found, _scan = search("* | stats count by user", rows)
    assert [sorted(k[1] for k in r.events) for r in found] == [["1", "2"], ["1"]]


def test_stats_dedup_splitvals():
    """stats: "(`dedup_splitvals` exists for this)" [D22, Search Reference *stats*:
    `dedup_splitvals=<boolean>` "Specifies whether to remove duplicate values in multivalued BY
    clause fields", default false]: an event whose by-field holds a value twice is in that
    value's group twice, once with dedup_splitvals=true."""
    rows = [event(1, user=["alice", "alice", "bob"]), event(2, user="alice")]
    out = run("* | stats count by user", rows)
    assert [(r["user"], number(r["count"])) for r in out] == [("alice", 3), ("bob", 1)]
    out = run("* | stats dedup_splitvals=true count by user", rows)
    assert [(r["user"], number(r["count"])) for r in out] == [("alice", 2), ("bob", 1)]


def test_eventstats_adds_to_every_event_of_its_group():
    """eventstats: "adds the aggregates to every event of its group" [D4, Search Reference
    *eventstats*: `eventstats avg(duration) AS avgdur BY date_minute`]."""
    rows = events_of({"date_minute": "1", "duration": "10"}, {"date_minute": "1", "duration": "20"},
                     {"date_minute": "2", "duration": "5"})
    out = run("* | eventstats avg(duration) AS avgdur BY date_minute", rows)
    assert [number(r["avgdur"]) for r in out] == [15, 15, 5]
    assert [r["duration"] for r in out] == ["10", "20", "5"]  # the events themselves stay


def test_eventstats_adds_nothing_to_null_by_field():
    """eventstats: "and nothing to an event whose by-field is null" [D4]."""
    rows = events_of({"g": "a"}, {"g": "a"}, {"g": "b"}, {"x": "1"})
    out = run("* | eventstats count by g", rows)
    assert [number(r["count"]) for r in out[:3]] == [2, 2, 1]
    assert "count" not in out[3]
    assert len(out) == 4  # the event is kept


def test_eventstats_values_of_eval():
    """eventstats: "`eventstats values(eval(...)) as x` is allowed" [D4, D5]."""
    rows = events_of({"g": "a", "u": "Bob"}, {"g": "a", "u": "ALICE"}, {"g": "b", "u": "Carol"})
    out = run("* | eventstats values(eval(lower(u))) as users by g", rows)
    assert [r["users"] for r in out] == [["alice", "bob"], ["alice", "bob"], "carol"]


# =============================================================================================
# lookup [transforms.conf.spec; Search Reference *lookup*]

def test_lookup_max_matches_first_in_file_order(app):
    """lookup: "`max_matches`: at most that many rows match one input value, the first ones in
    file order" [transforms.conf.spec max_matches; *lookup*: `lookup usertogroup user OUTPUT
    group`]."""
    rows = events_of({"user": "alice"})
    assert one("* | lookup users_first user OUTPUT group", rows, app=app)["group"] == "admins"
    assert one("* | lookup users_two user OUTPUT group", rows, app=app)["group"] == ["admins", "dba"]


def test_lookup_max_matches_default_100(app):
    """lookup: "default 100 for a lookup without `time_field`" [transforms.conf.spec]."""
    row = one("* | lookup many key OUTPUT n", events_of({"key": "k"}), app=app)
    assert row["n"] == ["%03d" % i for i in range(100)]


def test_lookup_several_rows_give_multivalues_in_row_order(app):
    """lookup: "Several matching rows give each OUTPUT field as a multivalue, in row order"."""
    row = one("* | lookup users user OUTPUT group", events_of({"user": "alice"}), app=app)
    assert row["group"] == ["admins", "dba", "web"]


@pytest.mark.parametrize("choice", ["drop", "keep"])
def test_lookup_empty_cell_in_multivalue_is_unsure(app, choice):
    """lookup: "**Unsure**: whether an empty cell in one row is dropped from that multivalue ...
    or kept as an empty value": both choices of Semantics.lookup_empty_cells."""
    row = one("* | lookup users user OUTPUT group role", events_of({"user": "alice"}), app=app,
              lookup_empty_cells=choice)
    assert row["group"] == ["admins", "dba", "web"]
    assert row["role"] == {"drop": ["r1", "r4"], "keep": ["r1", "", "r4"]}[choice]


def test_lookup_wildcard_and_case_sensitive_match(app):
    """lookup: "`match_type = WILDCARD(f)`: `*` in the lookup's `f` matches anything ...
    `case_sensitive_match` (default true) applies to WILDCARD too" [D18: security_content's
    lolbas_file_path with `case_sensitive_match = false` on Windows paths]."""
    rows = events_of({"path": r"C:\Program Files\SQL\DTUtil.exe"}, {"path": r"D:\bin\dtutil.exe"},
                     {"path": r"C:\Windows\cmd.exe"})
    insensitive = run("* | lookup paths_insensitive path OUTPUT label", rows, app=app)
    assert [r.get("label") for r in insensitive] == ["dtutil", "dtutil", None]
    sensitive = run("* | lookup paths_sensitive path OUTPUT label", rows, app=app)
    assert [r.get("label") for r in sensitive] == [None, "dtutil", None]


def test_lookup_exact_match_case_sensitive_by_default(app):
    """lookup: "`case_sensitive_match` (default true)" [transforms.conf.spec]."""
    rows = events_of({"user": "alice"}, {"user": "ALICE"})
    assert [r.get("group") for r in run("* | lookup exact_sensitive user OUTPUT group", rows, app=app)] == [
        ["admins", "dba", "web"], None]


def test_lookup_cidr(app):
    """lookup: "`CIDR(f)`: the lookup's `f` is a CIDR block" [transforms.conf.spec match_type]."""
    rows = events_of({"src": "10.20.0.5"}, {"src": "10.21.0.5"}, {"src": "10.20.0.255"})
    assert [r.get("zone") for r in run("* | lookup nets src OUTPUT zone", rows, app=app)] == [
        "scanners", None, "scanners"]


def test_lookup_match_type_on_missing_column_falls_back_to_exact(app):
    """lookup: "A `match_type` naming a column that does not exist silently falls back to exact
    matching" [D18b: security_content pull request 4196]."""
    rows = events_of({"host": "sql-01"}, {"host": "SQL-*"})
    assert [r.get("owner") for r in run("* | lookup misnamed host OUTPUT owner", rows, app=app)] == [
        None, "dba"]


def test_lookup_missing_column_is_an_error(app):
    """lookup: "A lookup table missing a column that the search names makes the `lookup` command
    fail: 'Could not find all of the specified lookup fields in the lookup table'" [D20]."""
    with pytest.raises(SplError, match="Could not find all of the specified lookup fields"):
        run("* | lookup users username OUTPUT group", events_of({"username": "alice"}), app=app)


def test_lookup_output_overwrites_outputnew_only_fills(app):
    """lookup: "`OUTPUT` overwrites fields the event has; `OUTPUTNEW` only fills absent ones"
    [*lookup*: `lookup dnslookup clienthost AS ip OUTPUTNEW clientip`]."""
    rows = events_of({"user": "bob", "group": "old"}, {"user": "bob"})
    assert [r["group"] for r in run("* | lookup users user OUTPUT group", rows, app=app)] == ["ops", "ops"]
    assert [r["group"] for r in run("* | lookup users user OUTPUTNEW group", rows, app=app)] == ["old", "ops"]
    renamed = run("* | lookup users user AS login OUTPUT group AS user_group",
                  events_of({"login": "bob"}), app=app)
    assert renamed == [{"login": "bob", "user_group": "ops"}]
    with_commas = run("* | lookup users user AS login OUTPUT group AS user_group, user AS who",
                      events_of({"login": "bob"}), app=app)  # the Search Reference separates them either way
    assert with_commas == [{"login": "bob", "user_group": "ops", "who": "bob"}]


@pytest.mark.parametrize("choice", ["clear", "keep"])
def test_lookup_output_without_match_is_unsure(app, choice):
    """lookup: "**Unsure**: what `OUTPUT` leaves in a pre-existing field when no row matches":
    both choices of Semantics.lookup_output_nomatch."""
    row = one("* | lookup users user OUTPUT group", events_of({"user": "nobody", "group": "old"}),
              app=app, lookup_output_nomatch=choice)
    assert row.get("group") == {"clear": None, "keep": "old"}[choice]


# =============================================================================================
# Other commands

def test_rex_named_groups_first_match_only():
    """rex: "`rex field=f "(?<name>...)"`: PCRE named groups; the first match only
    (`max_match=1`)" [Search Reference *rex*: `rex field=_raw "From: <(?<from>.*)> To:
    <(?<to>.*)>"`]."""
    rows = [event(1, "From: <a@x.org> To: <b@y.org>"), event(2, "no addresses")]
    out = run('* | rex field=_raw "From: <(?<from>.*)> To: <(?<to>.*)>"', rows)
    assert out == [{"from": "a@x.org", "to": "b@y.org"}, {}]
    assert one('| makeresults | eval s="a1b22c333" | rex field=s "(?<d>\\d+)"')["d"] == "1"
    # PCRE: possessive quantifiers and lookbehind
    assert one('| makeresults | eval s="id=42;" | rex field=s "(?<=id=)(?<n>\\d++)"')["n"] == "42"


@pytest.mark.parametrize("choice", ["keep", "clear"])
def test_rex_no_match_keeps_or_clears_is_unsure(choice):
    """rex: "**Unsure**: whether a field of the same name that existed before keeps its value when
    the regex does not match": both choices of Semantics.rex_nomatch."""
    row = one('| makeresults | eval d="before", s="no digits" | rex field=s "(?<d>\\d+)"', rex_nomatch=choice)
    assert row.get("d") == {"keep": "before", "clear": None}[choice]
    # on a match the field takes the new value either way
    assert one('| makeresults | eval d="before", s="x7" | rex field=s "(?<d>\\d+)"', rex_nomatch=choice)["d"] == "7"


def test_rex_mode_sed_substitutes():
    """rex: "`rex mode=sed` substitutes" [*rex*: `rex field=ccnumber mode=sed
    "s/(\\d{4}-){3}/XXXX-XXXX-XXXX-/g"`]."""
    row = one('| makeresults | eval ccnumber="1234-5678-9012-3456" | '
              'rex field=ccnumber mode=sed "s/(\\d{4}-){3}/XXXX-XXXX-XXXX-/g"')
    assert row["ccnumber"] == "XXXX-XXXX-XXXX-3456"


def test_regex_keeps_matches_and_removes_results_without_the_field():
    """regex: "`regex f="re"` keeps results whose `f` matches, so results without `f` are
    removed" [D24, Search Reference *regex*: `regex _raw="(?<!\\d)10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(?!\\d)"`]."""
    rows = [event(1, "src=10.1.2.3", user="alice"), event(2, "src=110.1.2.3", user="bob"), event(3, "none")]
    assert keys('* | regex _raw="(?<!\\d)10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(?!\\d)"', rows) == ["1"]
    assert keys('* | regex user="^a"', rows) == ["1"]
    assert keys('* | regex user="."', rows) == ["1", "2"]  # event 3 has no user


@pytest.mark.parametrize("choice", ["keep", "drop"])
def test_regex_not_equal_on_missing_field_is_unsure(choice):
    """regex: "`regex f!="re"` keeps the others (**unsure** for results without `f`)": both
    choices of Semantics.regex_ne_missing."""
    rows = [event(1, "a", user="alice"), event(2, "b", user="bob"), event(3, "c")]
    assert keys('* | regex user!="^a"', rows, regex_ne_missing=choice) == {
        "keep": ["2", "3"], "drop": ["2"]}[choice]


def test_table_and_fields_project_in_order_fields_minus_removes():
    """table/fields: "`table` and `fields` project, in the order given; `fields - a b` removes"
    [Search Reference *table*: `table foo bar baz*`; *fields*: `fields - host ip`]."""
    rows = events_of({"bar": "2", "foo": "1", "baz1": "3", "baz2": "4", "other": "5"})
    found, _ = search("* | table foo bar baz*", rows)
    assert list(found[0].fields) == ["foo", "bar", "baz1", "baz2"]
    found, _ = search("* | fields other, foo", rows)
    assert [n for n in found[0].fields if not n.startswith("_")] == ["other", "foo"]
    found, _ = search("* | fields - foo baz*", rows)
    assert [n for n in found[0].fields if not n.startswith("_")] == ["bar", "other"]


def test_savedsearch_replaces_placeholders_unless_nosubstitution(app):
    """savedsearch: "replaces `$x$` placeholders in the saved search unless `nosubstitution=true`"
    [D13, Search Reference *savedsearch*: `| savedsearch mysearch replace_me="value"`]."""
    assert one('| savedsearch "conformance substitution" who="alice"', app=app)["who"] == "alice"
    assert one('| savedsearch "conformance substitution" nosubstitution=true who="alice"',
               app=app)["who"] == "$who$"


@pytest.mark.parametrize("choice", ["keep", "error"])
def test_savedsearch_without_a_value_both_ways(app, choice):
    """Semantics.savedsearch_unfilled (a stand-in parameter): a `$x$` with no value given is left
    as text, or is an error."""
    spl = '| savedsearch "conformance substitution"'
    if choice == "keep":
        assert one(spl, app=app, savedsearch_unfilled=choice)["who"] == "$who$"
    else:
        with pytest.raises(SplError, match="who"):
            run(spl, app=app, savedsearch_unfilled=choice)


def test_rest_is_refused_not_modelled():
    """`| rest` "ignores the time picker; triggered-alert records ... last `alert.expires`"
    [D11, D12]: not checkable here; the stand-in refuses `rest`, naming it and its position."""
    text = "| rest /servicesNS/-/-/alerts/fired_alerts"
    with pytest.raises(SplError, match="rest") as error:
        run(text)
    assert error.value.position == text.index("rest")


# =============================================================================================
# Macros [D14, macros.conf.spec]

def test_macro_arguments_replaced_globally_even_inside_quotes(app):
    """Macros: "every `$arg$` in the definition is replaced as text, globally, even inside quotes"
    [D14: `[foobar(2)]`, `args = foo, bar`, `definition = "foo = $foo$, bar = $bar$"`]."""
    assert one("| makeresults | eval s=`foobar(1, 2)`", app=app)["s"] == "foo = 1, bar = 2"
    row = one("| makeresults | `twice(ab)`", app=app)
    assert (row["first"], row["second"]) == ("ab", "ab-ab")


def test_macro_arguments_split_at_commas(app):
    """Macros: "Arguments are separated by commas, so an argument cannot hold a comma" [D14]:
    `foobar("x,y", z)` is a call with three arguments, and no `foobar(3)` exists."""
    with pytest.raises(SplError, match="foobar"):
        run('| makeresults | eval s=`foobar("x,y", z)`', app=app)


def test_macros_expand_recursively(app):
    """Macros: "Macros expand recursively" [D14]."""
    row = one("| makeresults | `outer`", app=app)
    assert (row["inner"], row["outer"]) == ("deep", "yes")


# =============================================================================================
# Custom streaming commands

def test_custom_command_gets_required_fields_and_is_merged_back(monkeypatch):
    """Custom commands: "splunkd sends a chunked command only its `required_fields` (plus
    `_chunked_idx`) and merges the answer back" [splunk-search-protocol.md]: the built app's
    dtutilargs, through the protocol harness."""
    sent: List[List[str]] = []
    narrow = harness._narrow

    def recording(record, required, index):
        out = narrow(record, required, index)
        sent.append(sorted(out))
        return out

    monkeypatch.setattr(harness, "_narrow", recording)
    row = one('| makeresults | eval CommandLine="dtutil /FILE \\\\\\\\fs01\\\\ssis$\\\\pkg.dtsx /COPY '
              'FILE;C:\\\\Users\\\\Public\\\\pkg.dtsx", unrelated="untouched", mv=split("x,y", ",") '
              '| dtutilargs prefix=dt_ | eval after=unrelated')
    assert sent and all("unrelated" not in names and "mv" not in names and "_chunked_idx" in names
                        for names in sent)
    assert (row["unrelated"], row["mv"], row["after"]) == ("untouched", ["x", "y"], "untouched")
    assert row["dt_action"]  # the command's own output is merged in
    assert "fs01" in str(row.get("dt_source_server", "")) + str(row.get("dt_remote_host", ""))


@pytest.mark.parametrize("choice", ["null", "empty"])
def test_custom_command_empty_output_is_unsure(choice):
    """Custom commands: "**Unsure**: whether an empty cell in a command's output becomes null or
    stays an empty string in later commands (the app's searches should work either way:
    `nullif(x, "")`)": both choices of Semantics.empty_command_output (a fake command answers
    an empty `out`)."""
    def fake(name, records, args):
        return [{**record, "out": "", "full": "v"} for record in records]

    harness.ensure_built()
    splunk = Splunk(BUILT_APP, now=NOW, semantics=Semantics(empty_command_output=choice), command_runner=fake)
    rows, _ = splunk.search('| makeresults | epochshare | eval isnull=if(isnull(out), "yes", "no"), '
                            'robust=if(isnull(nullif(out, "")), "yes", "no")')
    fields = rows[0].fields
    assert fields["isnull"] == {"null": "yes", "empty": "no"}[choice]
    assert fields["robust"] == "yes"
    assert fields["full"] == "v"


# =============================================================================================
# What the stand-in does not implement is an error naming it and its position

def test_unknown_command_is_an_error_with_position():
    text = "| makeresults | foo bar=1"
    with pytest.raises(SplError, match="foo") as error:
        run(text)
    assert error.value.position == text.index("foo")


def test_unimplemented_function_is_an_error_with_position():
    text = '| makeresults | eval y="a" | eval x=sha256(y)'
    with pytest.raises(SplError, match="sha256") as error:
        run(text)
    assert error.value.position == text.index("sha256")


def test_unimplemented_option_is_an_error_with_position():
    text = '| makeresults | eval s="a1b2" | rex field=s max_match=2 "(?<d>\\d)"'
    with pytest.raises(SplError, match="max_match") as error:
        run(text)
    assert error.value.position in (text.index("rex"), text.index("max_match"))
    text = "| makeresults | stats partitions=2 count"
    with pytest.raises(SplError, match="partitions") as error:
        run(text)
    assert error.value.position in (text.index("stats"), text.index("partitions"))


@pytest.mark.parametrize("text, at", [
    ('| makeresults | eval x=(1 + 2', "end"),
    ('| makeresults | eval x=1 +* 2', "*"),
    ('| makeresults | where', "end"),
    ('error (404 OR 500', "end"),
])
def test_parse_error_has_a_position(text, at):
    with pytest.raises(SplError) as error:
        run(text)
    position = error.value.position
    assert position is not None and 0 <= position <= len(text)
    if at == "end":
        assert position >= len(text.rstrip()) - 1
    else:
        assert position == text.index(at)
