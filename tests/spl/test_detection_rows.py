"""What the saved searches' rows say, as the stand-in computes them from the shipped SPL over the
real events (the decoded view, where every rule passes today; test_detections.py checks which
events fire in every view): the fields an analyst triages with."""
from typing import List

import pytest

from tests.spl.corpora import require_corpora
from tests.spl.test_detections import outcome
from tests.standin.evaluate import Row
from tests.standin.functions import values_of

REDIRECT = "LOTL - Impacket Output Redirect to Admin Share - Rule"
OUTPUT_FILE = "LOTL - Impacket Output File on Admin Share - Rule"
HIVE_DUMP = "LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule"
HUNT = "LOTL - Impacket Session Timeline - Hunt"
DTUTIL = ["LOTL - DTUtil Network Connection - Rule", "LOTL - DTUtil Remote Package Transfer - Rule",
          "LOTL - DTUtil Package Staged in User-Writable Path - Rule", "LOTL - DTExec Runs Staged Package - Rule"]


def rows(name: str) -> List[Row]:
    require_corpora()
    result = outcome("decoded", "xml")[name]
    assert isinstance(result, list), result
    return result


def text(row: Row, name: str) -> str:
    return " ".join(values_of(row.fields.get(name)))


def test_dtutil_rules_raise_nothing_on_real_data():
    # no dtutil activity exists in the datasets (the SQL Server neighbours must stay silent)
    for name in DTUTIL:
        assert rows(name) == [], name


def test_smbmap_redirect_is_caught_but_not_named_impacket():
    smbmap = [r for r in rows(REDIRECT) if any(f.startswith("neighbour_smbmap") for f, _n, _c in r.events)]
    assert len(smbmap) == 1 and len(smbmap[0].events) == 3
    assert smbmap[0].fields.get("epoch_artifact") is None and "unknown" in text(smbmap[0], "tool")


def test_redirect_rows_carry_parent_and_launch_time():
    wmiexec = [r for r in rows(REDIRECT) if "__1619425227.894209" in text(r, "output_file")]
    assert wmiexec and text(wmiexec[0], "epoch_time") == "2021-04-26T08:20:27.894209Z"
    dcom = [r for r in rows(REDIRECT) if "__1556656511.61" in text(r, "output_file")]
    assert dcom and "mmc.exe" in text(dcom[0], "parent_process_name")


def test_hive_dump_names_both_candidates_for_temp_tmp():
    temp = [r for r in rows(HIVE_DUMP) if text(r, "epoch_artifact").lower().startswith("temp\\")]
    assert temp
    for row in temp:
        tools = text(row, "candidate_tools").lower()
        assert "atexec" in tools and "secretsdump" in tools


def test_output_file_rows_tell_loopback_write_from_remote_read():
    session = [r for r in rows(OUTPUT_FILE) if r.fields.get("epoch_artifact") == "__1619090610.0007844"][0]
    assert "10.23.123.11" in values_of(session.fields.get("src"))
    assert len(values_of(session.fields.get("access"))) == 2


def test_hunt_has_one_row_per_artifact_and_host():
    found = rows(HUNT)
    pairs = [(r.fields.get("epoch_artifact"), r.fields.get("dest")) for r in found]
    assert len(pairs) == len(set(pairs)) and len(found) >= 10
    assert all(artifact for artifact, _dest in pairs)


@pytest.mark.parametrize("name", [REDIRECT, OUTPUT_FILE, HIVE_DUMP])
def test_times_are_iso_8601(name: str):
    for row in rows(name):
        assert text(row, "firstTime")[:2] == "20" and "T" in text(row, "firstTime")
