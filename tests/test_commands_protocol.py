"""dtutilargs and epochshare from the BUILT app, spoken to byte for byte as splunkd does.

The field lists below are the issues' contracts (users' searches depend on these names): the
tests check them against what the commands actually send back, not against the code's own lists.
"""
import pytest

from tests import harness

DTUTIL_FIELDS = [
    "dtutil_" + name for name in (
        "image action source_type source_path source_server source_user dest_type dest_path "
        "dest_server dest_user remote_host remote_port transport share direction signals "
        "redacted error"
    ).split()
]
EPOCH_FIELDS = [
    "epoch_" + name for name in (
        "artifact kind tools value time earliest latest skew precision share host valid"
    ).split()
]

INGRESS = r'"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTUtil.exe" /FILE \\fs01\ssis$\pkgs\p.dtsx /COPY FILE;C:\Users\Public\p.dtsx'
WEBDAV_SQL = r"dtutil /FILE \\files.example.com@SSL@8443\DavWWWRoot\p.dtsx /DestServer 10.1.2.3,1444 /COPY SQL;p"
WMIEXEC = r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1684944005.9400265 2>&1"


def _has_every_field(records, fields):
    return all(name in record for record in records for name in fields)


# ---------------------------------------------------------------------------------------------
# dtutilargs


def test_dtutilargs_declares_itself_distributed_streaming_with_its_fields():
    result = harness.run_command("dtutilargs", [])
    assert result.getinfo["type"] == "streaming"
    assert result.getinfo["required_fields"] == ["CommandLine", "process", "Process_Command_Line"]


def test_dtutilargs_parses_and_sets_every_field_on_every_record():
    records = [
        {"CommandLine": INGRESS, "host": "ws01"},
        {"CommandLine": "notepad.exe C:\\x.txt", "host": "ws02"},
        {"host": "ws03"},  # no command line at all
        {"CommandLine": WEBDAV_SQL, "host": "ws04"},
    ]
    result = harness.run_command("dtutilargs", records)
    assert result.exit_code == 0, result.stderr
    assert len(result.records) == len(records)
    assert _has_every_field(result.records, DTUTIL_FIELDS)
    first, not_dtutil, missing, webdav = result.records
    assert [r["host"] for r in result.records] == ["ws01", "ws02", "ws03", "ws04"]
    assert first["dtutil_direction"] == "ingress"
    assert first["dtutil_source_path"] == r"\\fs01\ssis$\pkgs\p.dtsx"
    assert first["dtutil_share"] == r"\\fs01\ssis$"
    assert first["dtutil_error"] == ""
    assert not_dtutil["dtutil_error"] == missing["dtutil_error"] == "no dtutil invocation"
    assert not_dtutil["dtutil_direction"] == ""
    # multivalue output decodes into lists
    assert sorted(webdav["dtutil_remote_host"]) == ["10.1.2.3", "files.example.com"]
    assert sorted(webdav["dtutil_remote_port"]) == ["1444", "8443"]
    assert {"webdav", "raw_ip", "nonstandard_port"} <= set(webdav["dtutil_signals"])


def test_dtutilargs_falls_back_to_cim_and_classic_fields():
    records = [{"process": INGRESS}, {"Process_Command_Line": INGRESS}, {"CommandLine": "", "process": INGRESS}]
    result = harness.run_command("dtutilargs", records)
    assert [r["dtutil_direction"] for r in result.records] == ["ingress"] * 3


def test_dtutilargs_field_and_prefix_options():
    records = [{"cmd": INGRESS, "CommandLine": "not it"}]
    result = harness.run_command("dtutilargs", records, args=["field=cmd", "prefix=dt_"])
    assert result.exit_code == 0, result.stderr
    assert result.getinfo["required_fields"] == ["cmd"]
    record = result.records[0]
    assert record["dt_direction"] == "ingress"
    assert not any(name.startswith("dtutil_") for name in record)


def test_dtutilargs_never_outputs_a_password():
    line = r"dtutil /SQL p /SourceServer db1 /SourceUser sa /SourcePassword Sup3r$ecret! /COPY FILE;C:\x.dtsx /Encrypt FILE;C:\y.dtsx;3;An0therOne"
    result = harness.run_command("dtutilargs", [{"CommandLine": line}])
    record = result.records[0]
    for name, value in record.items():
        if name == "CommandLine":
            continue
        text = "\n".join(value) if isinstance(value, list) else value
        assert "Sup3r$ecret!" not in text and "An0therOne" not in text, name
    assert set(record["dtutil_redacted"]) == {"sourcepassword", "encrypt"}


# ---------------------------------------------------------------------------------------------
# epochshare


def test_epochshare_declares_itself_distributed_streaming_with_its_fields():
    result = harness.run_command("epochshare", [])
    assert result.getinfo["type"] == "streaming"
    required = result.getinfo["required_fields"]
    assert required[:9] == ["RelativeTargetName", "Relative_Target_Name", "TargetFilename", "CommandLine",
                            "process", "Process_Command_Line", "ImagePath", "ServiceFileName", "Details"]
    assert {"ShareName", "Share_Name", "_time"} <= set(required)


def test_epochshare_decodes_and_sets_every_field_on_every_record():
    records = [
        {"_time": "1684944065.250", "CommandLine": WMIEXEC},
        {"_time": "1684944065.250", "RelativeTargetName": r"SYSTEM32\NMdzZfem.tmp", "ShareName": r"\\*\ADMIN$"},
        {"_time": "1684944065.250", "RelativeTargetName": r"Windows\assembly\GAC_MSIL\x\2.0.0.0__31bf3856ad364e35"},
        {"_time": "not a number", "RelativeTargetName": "__17249", "ShareName": r"\\*\C$"},
        {},
    ]
    result = harness.run_command("epochshare", records)
    assert result.exit_code == 0, result.stderr
    assert len(result.records) == len(records)
    assert _has_every_field(result.records, EPOCH_FIELDS)
    wmi, hive, gac, dcom, empty = result.records
    assert wmi["epoch_valid"] == "1" and wmi["epoch_kind"] == "epoch_output"
    assert wmi["epoch_tools"] == ["wmiexec", "dcomexec"]
    assert wmi["epoch_time"] == "2023-05-24T16:00:05.940026Z"
    assert wmi["epoch_skew"] == "59.310"
    assert wmi["epoch_share"] == "ADMIN$" and wmi["epoch_host"] == "127.0.0.1"
    assert hive["epoch_kind"] == "system32_tmp" and hive["epoch_share"] == "ADMIN$"
    assert gac["epoch_valid"] == "0" and gac["epoch_artifact"] == ""
    assert dcom["epoch_kind"] == "epoch5_output"
    assert (dcom["epoch_earliest"], dcom["epoch_latest"]) == ("1724900000", "1725000000")
    assert dcom["epoch_skew"] == "" and dcom["epoch_share"] == "C$"
    assert empty["epoch_valid"] == "0"


def test_epochshare_field_and_prefix_options():
    records = [{"CommandLine": WMIEXEC, "other": r"C:\Windows\__1600000000.5"}]
    result = harness.run_command("epochshare", records, args=["field=other", "prefix=imp_"])
    assert result.exit_code == 0, result.stderr
    assert result.records[0]["imp_artifact"] == "__1600000000.5"
    assert result.getinfo["required_fields"][0] == "other"


# ---------------------------------------------------------------------------------------------
# Both: errors a user sees, counts, and multivalue input


@pytest.mark.parametrize("command,args,bad", [
    ("dtutilargs", ["fild=x"], "fild"),
    ("epochshare", ["prefix="], "prefix"),
    ("epochshare", ["prefix=_hidden"], "prefix"),
    ("dtutilargs", ["field=has space"], "field"),
])
def test_a_bad_option_gives_one_clear_error(command, args, bad):
    result = harness.run_command(command, [{"CommandLine": "x"}], args=args)
    assert result.exit_code != 0
    errors = result.errors()
    assert len(errors) == 1, errors
    assert bad in errors[0]
    assert "field" in errors[0] and "prefix" in errors[0], errors[0]
    assert "Traceback" not in errors[0] and "line " not in errors[0]


@pytest.mark.parametrize("command", ["dtutilargs", "epochshare"])
def test_positional_arguments_are_refused_with_usage(command):
    result = harness.run_command(command, [{"CommandLine": "x"}], args=["CommandLine"])
    assert result.exit_code != 0
    assert any("positional" in error and "field=" in error for error in result.errors())


@pytest.mark.parametrize("command", ["dtutilargs", "epochshare"])
def test_record_count_in_equals_count_out_across_chunks(command):
    records = [{"CommandLine": [INGRESS, WMIEXEC][i % 2] if i % 3 else "", "i": str(i)} for i in range(2500)]
    result = harness.run_command(command, records, chunk_size=700)
    assert result.exit_code == 0, result.stderr
    assert [r["i"] for r in result.records] == [str(i) for i in range(2500)]


def test_multivalue_command_line_is_read_and_passed_through():
    records = [{"CommandLine": ["whoami", INGRESS]}]
    dt = harness.run_command("dtutilargs", records)
    assert dt.records[0]["CommandLine"] == ["whoami", INGRESS]
    assert dt.records[0]["dtutil_direction"] == "ingress"
    ep = harness.run_command("epochshare", [{"CommandLine": ["whoami", WMIEXEC]}])
    assert ep.records[0]["epoch_artifact"] == "__1684944005.9400265"


@pytest.mark.parametrize("command", ["dtutilargs", "epochshare"])
def test_commands_speak_to_splunk_6_3_too(command):
    result = harness.run_command(command, [{"CommandLine": INGRESS}], splunk_version="6.3")
    assert result.exit_code == 0, result.stderr
    assert len(result.records) == 1


@pytest.mark.parametrize("command,fields,line", [("dtutilargs", DTUTIL_FIELDS, INGRESS), ("epochshare", EPOCH_FIELDS, WMIEXEC)])
def test_every_field_is_written_even_when_the_chunks_first_record_has_nothing(command, fields, line):
    # splunklib drops fields missing from a chunk's first record unless they are registered.
    records = [{"CommandLine": "notepad.exe"}, {"CommandLine": line}, {}]
    result = harness.run_command(command, records, chunk_size=2)
    assert _has_every_field(result.records, fields)
    assert result.records[1][fields[0]] != ""


def test_fields_of_an_earlier_run_are_replaced_not_left_stale():
    records = [{"CommandLine": "notepad.exe", "dtutil_direction": "ingress", "dtutil_error": ""}]
    result = harness.run_command("dtutilargs", records, honour_required_fields=False)
    assert result.records[0]["dtutil_direction"] == ""
    assert result.records[0]["dtutil_error"] == "no dtutil invocation"


# ---------------------------------------------------------------------------------------------
# As Splunk's Windows add-on hands values over: XML entities left encoded (issue 14)


def _encoded(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


ENCODED_CASES = [
    {"CommandLine": r"dtutil /FILE \\fs01\R&D\p.dtsx /Decrypt S3cr&t /COPY FILE;C:\Users\Public\p.dtsx"},
    {"CommandLine": r'cmd /c "dtutil /FILE \\fs01\s\p.dtsx /SourcePassword S3cr<t /COPY FILE;C:\p.dtsx >nul 2>&1"'},
    {"CommandLine": r"dtutil /FILE c:\s.dtsx /DestServer <servername> /COPY SQL;d"},
    {"CommandLine": WMIEXEC, "_time": "1684944010.5"},
    {"ImagePath": r"%COMSPEC% /Q /c echo cd ^> %SYSTEMROOT%\Temp\__output 2^>^&1 > %SYSTEMROOT%\Temp\x.bat & del x.bat"},
    {"RelativeTargetName": r"Temp\__output", "ShareName": r"\\*\ADMIN$"},
]


@pytest.mark.parametrize("command,fields", [("dtutilargs", DTUTIL_FIELDS), ("epochshare", EPOCH_FIELDS)])
def test_a_record_and_its_entity_encoded_form_give_the_same_fields(command, fields):
    encoded = [{name: _encoded(value) if name != "_time" else value for name, value in record.items()}
               for record in ENCODED_CASES]
    plain = harness.run_command(command, ENCODED_CASES)
    coded = harness.run_command(command, encoded)
    assert plain.exit_code == coded.exit_code == 0, coded.stderr
    assert [{name: record.get(name) for name in fields} for record in coded.records] == [
        {name: record.get(name) for name in fields} for record in plain.records]
    assert not any("S3cr" in str(record.get(name)) for record in coded.records for name in fields)


def test_the_encoded_records_read_as_intended():
    dtutil = harness.run_command("dtutilargs", [{"CommandLine": _encoded(ENCODED_CASES[0]["CommandLine"])}]).records[0]
    assert dtutil["dtutil_source_path"] == r"\\fs01\R&D\p.dtsx"
    assert dtutil["dtutil_redacted"] == "decrypt"
    assert dtutil["dtutil_error"] == ""
    assert not any("S3cr" in str(value) for name, value in dtutil.items() if name.startswith("dtutil_"))
    epoch = harness.run_command("epochshare", [{name: _encoded(value) for name, value in case.items()}
                                               for case in ENCODED_CASES[4:]]).records
    assert [record["epoch_kind"] for record in epoch] == ["vss_output", "vss_output"]
    assert [record["epoch_tools"] for record in epoch] == ["secretsdump", "secretsdump"]
