"""Lookup matching (tests/standin/lookups.py) as transforms.conf.spec and spl-semantics.md describe
it: WILDCARD, CIDR, case_sensitive_match, max_matches in file order, the missing-column error."""
import os
import textwrap
from typing import Dict, List

import pytest

from tests.harness import ROOT
from tests.standin import lookups
from tests.standin.lookups import LookupTable, load_lookups

PACKAGE = os.path.join(ROOT, "package")


def make_app(tmp_path, transforms: str, files: Dict[str, str]) -> str:
    """A minimal app folder: default/transforms.conf and lookups/<files>."""
    app = tmp_path / "app"
    (app / "default").mkdir(parents=True)
    (app / "lookups").mkdir()
    (app / "default" / "transforms.conf").write_text(textwrap.dedent(transforms), encoding="utf-8")
    for name, text in files.items():
        (app / "lookups" / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
    return str(app)


def single_table(tmp_path, stanza_keys: str, csv_text: str, name: str = "t") -> LookupTable:
    app = make_app(tmp_path, "[%s]\nfilename = %s.csv\n%s" % (name, name, textwrap.dedent(stanza_keys)),
                   {name + ".csv": csv_text})
    return load_lookups(app)[name]


def tickets(rows: List[Dict[str, str]]) -> List[str]:
    return [row["ticket"] for row in rows]


SHARES = r"""
share,owner,ticket
\\fs01\ssis$\*,ops,CHG-1
\\fs02\pkgs\*,ops,CHG-2
"""


def test_wildcard_case_insensitive_on_windows_paths_with_backslashes(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(share)\ncase_sensitive_match = false\n", SHARES)
    assert tickets(table.match({"share": r"\\FS01\SSIS$\a\b.dtsx"})) == ["CHG-1"]
    assert tickets(table.match({"share": r"\\fs01\ssis$\pkg.dtsx"})) == ["CHG-1"]
    assert table.match({"share": r"\\fs01\ssis\pkg.dtsx"}) == []  # `$` is literal
    assert table.match({"share": r"\\fs011\ssis$\pkg.dtsx"}) == []  # backslash is literal, no prefix slack
    assert table.match({"share": r"C:\fs01\ssis$\pkg.dtsx"}) == []  # anchored at the start
    assert tickets(table.match({"share": r"\\fs01\ssis$\\"})) == ["CHG-1"]  # `*` matches the empty run too


def test_wildcard_follows_case_sensitive_match(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(share)\n", SHARES)  # default: case-sensitive
    assert table.case_sensitive is True
    assert table.match({"share": r"\\FS01\SSIS$\a\b.dtsx"}) == []
    assert tickets(table.match({"share": r"\\fs01\ssis$\a\b.dtsx"})) == ["CHG-1"]


def test_exact_match_follows_case_sensitive_match(tmp_path):
    csv_text = "host,ticket\nSQL01,CHG-1\n"
    insensitive = single_table(tmp_path / "a", "case_sensitive_match = 0\n", csv_text)
    sensitive = single_table(tmp_path / "b", "", csv_text)
    assert tickets(insensitive.match({"host": "sql01"})) == ["CHG-1"]
    assert sensitive.match({"host": "sql01"}) == [] and tickets(sensitive.match({"host": "SQL01"})) == ["CHG-1"]
    assert sensitive.match({"host": "SQL0*"}) == []  # no wildcard without match_type
    assert sensitive.match({"host": "SQL01 "}) == []


ADDRESSES = """
src,host,ticket
10.20.0.0/24,*,NET-1
10.30.0.5,*,ONE-1
2001:db8::/32,*,V6-1
not-an-ip,*,BAD-1
,*,EMPTY-1
"""


def test_cidr_matching(tmp_path):
    table = single_table(tmp_path, "match_type = CIDR(src), WILDCARD(host)\n", ADDRESSES)
    assert table.match_types == {"src": "CIDR", "host": "WILDCARD"}
    assert tickets(table.match({"src": "10.20.0.7"})) == ["NET-1"]
    assert table.match({"src": "10.21.0.1"}) == []
    assert tickets(table.match({"src": "10.20.0.255", "host": "anything"})) == ["NET-1"]
    assert tickets(table.match({"src": "10.30.0.5"})) == ["ONE-1"]  # a plain address is exact
    assert table.match({"src": "10.30.0.6"}) == []
    assert tickets(table.match({"src": "2001:DB8:0::1"})) == ["V6-1"]
    assert table.match({"src": "not-an-ip"}) == []  # an input that is not an IP never matches
    assert table.match({"src": ""}) == []
    assert table.match({"src": "::ffff:10.20.0.7"}) == []  # documented: versions kept apart


MANY = """
host,ticket
sql-*,W-1
sql-01,W-2
*,W-3
other,W-4
"""


def test_max_matches_one_gives_the_first_row_in_file_order(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(host)\nmax_matches = 1\n", MANY)
    assert tickets(table.match({"host": "sql-01"})) == ["W-1"]
    assert tickets(table.match({"host": "web"})) == ["W-3"]


def test_max_matches_default_100_gives_every_row_in_file_order(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(host)\n", MANY)
    assert table.max_matches == 100
    assert tickets(table.match({"host": "sql-01"})) == ["W-1", "W-2", "W-3"]
    assert tickets(table.match({"host": "sql-012"})) == ["W-1", "W-3"]  # a pattern covers the whole value
    rows = "host,ticket\n" + "".join("*,R-%03d\n" % number for number in range(150))
    big = single_table(tmp_path / "big", "match_type = WILDCARD(host)\n", rows)
    assert tickets(big.match({"host": "x"})) == ["R-%03d" % number for number in range(100)]


def test_a_temporal_lookup_defaults_to_one_match(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(host)\ntime_field = start\n", MANY)
    assert table.max_matches == 1


def test_missing_column_is_splunks_error(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(host)\n", MANY)
    with pytest.raises(LookupError) as raised:
        table.match({"hostname": "sql-01"})
    assert str(raised.value) == "Could not find all of the specified lookup fields in the lookup table."
    with pytest.raises(LookupError):
        table.match({"host": "sql-01", "Ticket": "W-1"})  # column names are case-sensitive


def test_match_type_on_a_misnamed_column_falls_back_to_exact(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(hostname)\ncase_sensitive_match = false\n", MANY)
    assert table.match_types == {} and table.declared_match_types == {"hostname": "WILDCARD"}
    assert table.match({"host": "sql-01"}) == [{"host": "sql-01", "ticket": "W-2"}]  # only the exact row
    assert tickets(table.match({"host": "SQL-*"})) == ["W-1"]  # the `*` is a literal character now


def test_every_input_column_must_match(tmp_path):
    table = single_table(tmp_path, "match_type = CIDR(src), WILDCARD(host)\ncase_sensitive_match = false\n",
                         "src,host,ticket\n10.0.0.0/8,ws-*,A\n10.0.0.0/8,srv-*,B\n")
    assert tickets(table.match({"src": "10.1.2.3", "host": "SRV-9"})) == ["B"]
    assert table.match({"src": "11.1.2.3", "host": "srv-9"}) == []


def test_null_and_multivalue_inputs(tmp_path):
    table = single_table(tmp_path, "match_type = WILDCARD(host)\nmax_matches = 1\n", MANY)
    assert table.match({"host": None}) == []
    # each value looked up on its own (max_matches per value), rows concatenated, none twice
    assert tickets(table.match({"host": ["other", "sql-01", "sql-02"]})) == ["W-3", "W-1"]
    assert table.match({"host": []}) == []


def test_short_rows_and_blank_lines(tmp_path):
    table = single_table(tmp_path, "", "host,ticket,expires\nsql01,W-1\n\nsql02,W-2,2025-01-01\n")
    assert table.rows == [{"host": "sql01", "ticket": "W-1", "expires": ""},
                          {"host": "sql02", "ticket": "W-2", "expires": "2025-01-01"}]


def test_override_dir_replaces_the_apps_file(tmp_path):
    app = make_app(tmp_path, "[t]\nfilename = t.csv\n[u]\nfilename = u.csv\n",
                   {"t.csv": "host,ticket\napp,A\n", "u.csv": "host,ticket\nkept,K\n"})
    override = tmp_path / "override"
    override.mkdir()
    (override / "t.csv").write_text("host,ticket\ntest,T\n", encoding="utf-8")
    tables = load_lookups(app, str(override))
    assert tickets(tables["t"].match({"host": "test"})) == ["T"] and tables["t"].match({"host": "app"}) == []
    assert tickets(tables["u"].match({"host": "kept"})) == ["K"]  # no override file: the app's
    assert tickets(load_lookups(app)["t"].match({"host": "app"})) == ["A"]


def test_a_missing_lookup_file_is_an_error(tmp_path):
    app = make_app(tmp_path, "[t]\nfilename = absent.csv\n", {})
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_lookups(app)


def test_a_byte_order_mark_stays_in_the_first_header_by_default(tmp_path):
    app = make_app(tmp_path, "[t]\nfilename = t.csv\n", {})
    (tmp_path / "app" / "lookups" / "t.csv").write_bytes(b"\xef\xbb\xbfhost,ticket\nsql01,W-1\n")
    kept = load_lookups(app)["t"]
    assert kept.columns[0] == "\ufeffhost"
    with pytest.raises(LookupError):
        kept.match({"host": "sql01"})
    assert tickets(load_lookups(app, strip_bom=True)["t"].match({"host": "sql01"})) == ["W-1"]


def test_the_shipped_lookups_load_header_only():
    tables = load_lookups(PACKAGE)
    assert sorted(tables) == [
        "lotl_admin_share_exec_allowlist", "lotl_admin_share_exec_allowlist_by_host",
        "lotl_dtutil_approved_servers", "lotl_dtutil_approved_shares", "lotl_maintenance_windows"]
    for table in tables.values():
        assert table.rows == [] and table.columns, table.name
        assert table.case_sensitive is False, table.name
        assert set(table.match_types) == set(table.declared_match_types), table.name  # no misnamed column
    assert tables["lotl_admin_share_exec_allowlist"].match_types == {"src": "CIDR", "host": "WILDCARD"}
    assert tables["lotl_maintenance_windows"].max_matches == 100
    assert tables["lotl_dtutil_approved_shares"].max_matches == 1
    assert tables["lotl_dtutil_approved_servers"].match({"host": "sql01"}) == []


def test_parse_match_type():
    assert lookups.parse_match_type("CIDR(src), WILDCARD(host)") == {"src": "CIDR", "host": "WILDCARD"}
    assert lookups.parse_match_type("WILDCARD(a) EXACT(b),cidr( c )") == {"a": "WILDCARD", "c": "CIDR"}
    assert lookups.parse_match_type("") == {}
