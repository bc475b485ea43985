"""lotl.impacket: every row of the contract's tables, every trap of the spec, and the choices the
module's docstring records where the contract is silent."""
import datetime
import types

import pytest

from lotl import impacket

WMIEXEC_LINE = "cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1684944005.9400265 2>&1"
SMBEXEC_OLD = ("%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat"
               " & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat")
SMBEXEC_NEW = ("%COMSPEC% /Q /c echo cd ^> \\\\%COMPUTERNAME%\\C$\\__output_QwErTyUi 2^>^&1 > "
               "%SYSTEMROOT%\\AbCdEfGh.bat & %COMSPEC% /Q /c %SYSTEMROOT%\\AbCdEfGh.bat & del "
               "%SYSTEMROOT%\\AbCdEfGh.bat")
ATEXEC_LINE = "cmd.exe /C whoami > %windir%\\Temp\\bouWFQYO.tmp 2>&1"


def kind_of(value, relative_to_share=False):
    found = impacket.find_artifact(value, relative_to_share)
    return None if found is None else found.kind


def text_of(value, relative_to_share=False):
    found = impacket.find_artifact(value, relative_to_share)
    return None if found is None else found.text


# --- The public constants -------------------------------------------------------------------------

def test_public_constants_are_the_contracts():
    assert impacket.OUTPUT_FIELDS == ("artifact", "kind", "tools", "value", "time", "earliest",
                                      "latest", "skew", "precision", "share", "host", "valid")
    assert impacket.MULTIVALUE_FIELDS == frozenset({"tools"})
    assert impacket.SOURCE_FIELDS == (
        "RelativeTargetName", "Relative_Target_Name", "TargetFilename", "CommandLine", "process",
        "Process_Command_Line", "ImagePath", "ServiceFileName", "Details")
    assert impacket.SHARE_FIELDS == ("ShareName", "Share_Name")


def test_required_fields():
    tail = ["ShareName", "Share_Name", "_time"]
    assert impacket.required_fields(None) == list(impacket.SOURCE_FIELDS) + tail
    assert impacket.required_fields("") == list(impacket.SOURCE_FIELDS) + tail
    assert impacket.required_fields("Relative_Target_Name") == ["Relative_Target_Name"] + tail
    # the share only serves a relative name: other fields are read with _time alone
    assert impacket.required_fields("CommandLine") == ["CommandLine", "_time"]
    assert impacket.required_fields("_time") == ["_time"]  # no field twice


def test_a_field_that_is_not_a_relative_name_never_reads_the_share():
    # what required_fields leaves out must be what describe never reads
    read = set()

    class Spy(dict):
        def get(self, name, default=None):
            read.add(name)
            return dict.get(self, name, default)

    record = Spy(CommandLine=r"cmd.exe /Q /c whoami 1> \\127.0.0.1\ADMIN$\__1684944005.9400265 2>&1",
                 ShareName="\\\\*\\C$", _time="1684944065")
    assert impacket.describe(record, "CommandLine")["valid"] == "1"
    assert read <= set(impacket.required_fields("CommandLine"))


# --- Kinds: each row of the contract --------------------------------------------------------------

@pytest.mark.parametrize("value, text, kind", [
    ("__1684944005.9400265", "__1684944005.9400265", "epoch_output"),
    ("__17249", "__17249", "epoch5_output"),
    ("__output", "__output", "smbexec_output"),
    ("__output_QwErTyUi", "__output_QwErTyUi", "smbexec_output"),
    ("SYSTEM32\\NMdzZfem.tmp", "SYSTEM32\\NMdzZfem.tmp", "system32_tmp"),
    ("Temp\\bouWFQYO.tmp", "Temp\\bouWFQYO.tmp", "temp_tmp"),
])
def test_each_kind_relative_to_admin_share(value, text, kind):
    found = impacket.find_artifact(value, relative_to_share=True)
    assert (found.text, found.kind, found.start) == (text, kind, 0)


@pytest.mark.parametrize("kind, tools", [
    ("epoch_output", ("wmiexec", "dcomexec")),
    ("epoch5_output", ("dcomexec",)),
    ("smbexec_output", ("smbexec",)),
    ("system32_tmp", ("secretsdump",)),
    ("temp_tmp", ("atexec", "secretsdump")),
    ("vss_output", ("secretsdump",)),
])
def test_tools_by_kind(kind, tools):
    assert impacket.TOOLS[kind] == tools


def test_the_kinds_are_the_contracts_kinds():
    assert set(impacket.TOOLS) == {"epoch_output", "epoch5_output", "smbexec_output", "system32_tmp",
                                   "temp_tmp", "vss_output"}


@pytest.mark.parametrize("decimals", range(1, 8))
def test_epoch_with_one_to_seven_decimals(decimals):
    name = "__1684944005." + "1234567"[:decimals]
    assert kind_of(name) == "epoch_output"
    result = impacket.describe({"RelativeTargetName": name, "ShareName": "\\\\*\\ADMIN$"})
    assert result["precision"] == str(decimals)


@pytest.mark.parametrize("value", [
    "__1684944005",             # ten digits without a dot
    "__1684944005.",            # a dot without decimals
    "__168494400.5",            # nine digits
    "__16849440051.5",          # eleven digits
    "__1684944005.12345678",    # eight decimals
    "__1684944005.94a",
    "__1724", "__172490",       # four and six digits
    "__output_QwErTyU",         # seven letters
    "__output_QwErTyUiO",       # nine letters
    "__output_QwEr1yUi",        # a digit among the letters
    "__output_", "__outputs", "__output.txt",
    "__test__", "__tests__", "__snapshots__", "__init__.py", "__pycache__",
    "___1684944005.9400265",    # three underscores: the artifact does not start the component
    "x__17249",
    "__17249.log",
    "__١٦٨٤٩",                  # Arabic-Indic digits are not what Impacket writes
])
def test_not_artifacts(value):
    assert impacket.find_artifact(value) is None
    assert impacket.find_artifact(value, relative_to_share=True) is None


@pytest.mark.parametrize("value", [
    "Temp\\bouWFQY.tmp", "Temp\\bouWFQYOx.tmp", "Temp\\bouWFQY1.tmp", "Temp\\bouWFQYO.tmpx",
    "Temp\\bouWFQYO.tm", "SYSTEM32\\NMdzZfe.tmp", "SYSTEM32\\NMdzZfemm.tmp", "System\\NMdzZfem.tmp",
    "SysWOW64\\NMdzZfem.tmp", "Temp\\bouWFQYO.tmp\\x", "MyTemp\\bouWFQYO.tmp",
])
def test_not_tmp_artifacts(value):
    assert impacket.find_artifact(value, relative_to_share=True) is None


def test_leading_18_and_any_leading_digits():
    # The epoch rolls from 17 to 18 in January 2027: nothing may assume the leading digits.
    for digits in ("1800000000.5", "1999999999.1234567", "1000000000.0", "0000000001.1"):
        found = impacket.find_artifact("__" + digits)
        assert (found.kind, found.digits) == ("epoch_output", digits)
    assert impacket.find_artifact("__18000").kind == "epoch5_output"
    assert impacket.find_artifact("__99999").kind == "epoch5_output"


def test_case_of_tmp_and_output_is_free_and_kept_as_written():
    assert text_of("system32\\nmdzzfem.TMP", True) == "system32\\nmdzzfem.TMP"
    assert kind_of("sYsTeM32\\NMdzZfem.Tmp", True) == "system32_tmp"
    assert kind_of("TEMP\\BOUWFQYO.TMP", True) == "temp_tmp"
    assert text_of("__OUTPUT") == "__OUTPUT"
    assert kind_of("__Output_qwertyui") == "smbexec_output"


# --- Whole path components ------------------------------------------------------------------------

@pytest.mark.parametrize("before", ["", "\\", "/", " ", "\t", "\n", '"', "'", ">", "x\\", "1> "])
@pytest.mark.parametrize("after", ["", " ", "\t", "\r\n", '"', "'", "&", "^", "|", " 2>&1"])
def test_start_and_end_delimiters(before, after):
    value = before + "__1684944005.9400265" + after
    found = impacket.find_artifact(value)
    assert found is not None, value
    assert found.text == "__1684944005.9400265"
    assert found.start == len(before)


@pytest.mark.parametrize("before", ["x", "0", "_", ".", ":", "$", "-", "=", "(", "<", "&", "|"])
def test_a_name_inside_a_component_does_not_start_an_artifact(before):
    assert impacket.find_artifact(before + "__output") is None


@pytest.mark.parametrize("after", ["x", "0", "_", ".", "\\", "/", ":", ">", "<", "(", ")", ";", ",", "$"])
def test_a_name_inside_a_component_does_not_end_an_artifact(after):
    assert impacket.find_artifact("__output" + after) is None
    assert impacket.find_artifact("__17249" + after) is None


def test_gac_folder_trap():
    for name in ("Windows\\assembly\\GAC_MSIL\\MMCEx\\3.0.0.0__31bf3856ad364e35",
                 "C:\\Windows\\assembly\\GAC_32\\x\\2.0.0.0__31bf3856ad364e35\\x.dll",
                 "C:\\Windows\\Microsoft.NET\\assembly\\GAC_MSIL\\x\\v4.0_4.0.0.0__b77a5c561934e089"):
        assert impacket.find_artifact(name) is None
        assert impacket.find_artifact(name, relative_to_share=True) is None


def test_test_folders_copied_over_c_share():
    for name in ("Users\\bob\\src\\app\\__test__\\a.js", "src\\__tests__", "__snapshots__\\x.snap",
                 "node_modules\\x\\__tests__\\__snapshots__\\y.snap"):
        assert impacket.find_artifact(name) is None


def test_the_first_artifact_wins():
    value = "type \\\\127.0.0.1\\C$\\__output & type C:\\Windows\\__1684944005.9400265"
    assert text_of(value) == "__output"
    value = "x C:\\Windows\\Temp\\bouWFQYO.tmp C:\\Windows\\__17249"
    assert text_of(value) == "Temp\\bouWFQYO.tmp"
    # An ordinary .tmp does not hide a later artifact.
    value = "copy C:\\Users\\x\\AppData\\Local\\Temp\\abcdefgh.tmp \\\\h\\ADMIN$\\__17249"
    assert text_of(value) == "__17249"


# --- The Windows directory (the .tmp kinds) -------------------------------------------------------

@pytest.mark.parametrize("value", [
    "C:\\Windows\\Temp\\abcdefgh.tmp",
    "c:\\windows\\temp\\abcdefgh.tmp",
    "D:\\WINDOWS\\System32\\abcdefgh.tmp",
    "C:/Windows/Temp/abcdefgh.tmp",
    "\\Windows\\Temp\\abcdefgh.tmp",
    "Windows\\Temp\\abcdefgh.tmp",             # RelativeTargetName on C$
    "%windir%\\Temp\\abcdefgh.tmp",
    "%WINDIR%\\Temp\\abcdefgh.tmp",
    "%SystemRoot%\\System32\\abcdefgh.tmp",
    "%%windir%%\\Temp\\abcdefgh.tmp",           # as Sysmon 13 renders a registry value
    "$env:windir\\Temp\\abcdefgh.tmp",
    "%SystemDrive%\\Windows\\Temp\\abcdefgh.tmp",
    "\\\\127.0.0.1\\ADMIN$\\Temp\\abcdefgh.tmp",
    "\\\\127.0.0.1\\admin$\\SYSTEM32\\abcdefgh.tmp",
    "\\\\fs01\\C$\\Windows\\Temp\\abcdefgh.tmp",
    "\\\\?\\C:\\Windows\\Temp\\abcdefgh.tmp",
    "\\??\\C:\\Windows\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\System32\\..\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\.\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\\\Temp\\abcdefgh.tmp",       # doubled separators, as in Sysmon 13 values
    "..\\Temp\\abcdefgh.tmp",                  # secretsdump 0.11+: relative to System32
    "reg save HKLM\\SAM ..\\Temp\\abcdefgh.tmp",
    "..\\System32\\abcdefgh.tmp",              # System32\..\System32
    "/OUT:C:\\Windows\\Temp\\abcdefgh.tmp",
    "-o=C:\\Windows\\Temp\\abcdefgh.tmp",
    "cmd.exe /C whoami > %windir%\\Temp\\abcdefgh.tmp 2>&1",
    'reg save HKLM\\SAM "C:\\Windows\\Temp\\abcdefgh.tmp"',
])
def test_tmp_directly_under_the_windows_directory(value):
    found = impacket.find_artifact(value)
    assert found is not None, value
    assert found.text.lower().endswith("abcdefgh.tmp")


@pytest.mark.parametrize("value", [
    "C:\\Users\\x\\AppData\\Local\\Temp\\abcdefgh.tmp",
    "C:\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\Temp\\sub\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\System32\\Temp\\abcdefgh.tmp",
    "C:\\Windows\\Temp\\System32\\abcdefgh.tmp",
    "C:\\Users\\x\\Windows\\Temp\\abcdefgh.tmp",
    "C:\\Program Files\\Windows\\Temp\\abcdefgh.tmp",
    "Temp\\abcdefgh.tmp",                       # relative, without ADMIN$: C:\Temp on C$
    "copy Temp\\abcdefgh.tmp x",
    "type Windows\\Temp\\abcdefgh.tmp",          # relative Windows\ only at the value's start
    "..\\..\\Temp\\abcdefgh.tmp",
    "%TEMP%\\abcdefgh.tmp",
    "%userprofile%\\Temp\\abcdefgh.tmp",
    "x%windir%\\Temp\\abcdefgh.tmp",
    "\\\\fs01\\data\\Temp\\abcdefgh.tmp",
    "\\\\fs01\\C$\\Temp\\abcdefgh.tmp",
    "\\\\fs01\\ADMIN$\\Windows\\Temp\\abcdefgh.tmp",
    "\\\\Temp\\abcdefgh.tmp",
    "\\\\\\Temp\\abcdefgh.tmp",
    '"C:\\Program Files\\My Windows\\Temp\\abcdefgh.tmp"',
    "İ:\\Windows\\Temp\\abcdefgh.tmp",
])
def test_ordinary_tmp(value):
    assert impacket.find_artifact(value) is None, value


def test_relative_to_admin_share():
    assert kind_of("Temp\\abcdefgh.tmp", relative_to_share=True) == "temp_tmp"
    assert kind_of("SYSTEM32\\abcdefgh.tmp", relative_to_share=True) == "system32_tmp"
    assert kind_of("System32\\..\\Temp\\abcdefgh.tmp", relative_to_share=True) == "temp_tmp"
    # Relative to ADMIN$ (C:\Windows), these are C:\Temp and C:\Windows\Windows\Temp.
    assert kind_of("..\\Temp\\abcdefgh.tmp", relative_to_share=True) is None
    assert kind_of("Windows\\Temp\\abcdefgh.tmp", relative_to_share=True) is None
    assert kind_of("sub\\Temp\\abcdefgh.tmp", relative_to_share=True) is None
    # Only the start of the value is the share's root.
    assert kind_of("my Temp\\abcdefgh.tmp", relative_to_share=True) is None


def test_the_path_window_bounds_how_far_back_a_root_is_read():
    deep = "C:\\Windows\\" + "x\\..\\" * (impacket.PATH_WINDOW // 4) + "Temp\\abcdefgh.tmp"
    assert impacket.find_artifact(deep) is None
    unc = "\\\\" + "h" * (impacket.PATH_WINDOW + 10) + "\\C$\\__output"
    found = impacket.find_artifact(unc)
    assert (found.kind, found.host, found.share) == ("smbexec_output", "", "")


# --- UNC host and share ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, host, share", [
    (WMIEXEC_LINE, "127.0.0.1", "ADMIN$"),
    (SMBEXEC_OLD, "127.0.0.1", "C$"),
    (SMBEXEC_NEW, "%computername%", "C$"),
    ("cmd /c x 1> \\\\LOCALHOST\\c$\\__output 2>&1", "localhost", "C$"),
    ("cmd /c x 1> \\\\::1\\ADMIN$\\__17249 2>&1", "::1", "ADMIN$"),
    ("cmd /c x 1>\\\\fs01.corp.local\\Admin$\\__17249", "fs01.corp.local", "ADMIN$"),
    ("cmd /c x 1> //127.0.0.1/ADMIN$/__17249", "127.0.0.1", "ADMIN$"),
    ("cmd /c x 1> \\\\h\\share\\sub\\__output", "h", "SHARE"),
    ("\\\\fs01\\C$\\Windows\\Temp\\abcdefgh.tmp", "fs01", "C$"),
    ("C:\\Windows\\__1684944005.9400265", "", ""),
    (ATEXEC_LINE, "", ""),
])
def test_host_and_share_of_a_unc_path(value, host, share):
    found = impacket.find_artifact(value)
    assert (found.host, found.share) == (host, share)


# --- describe: fields -----------------------------------------------------------------------------

def test_describe_wmiexec_command_line():
    result = impacket.describe({"CommandLine": WMIEXEC_LINE, "_time": "1684944010.5"})
    assert dict(result) == {
        "artifact": "__1684944005.9400265", "kind": "epoch_output", "tools": ("wmiexec", "dcomexec"),
        "value": "1684944005.9400265", "time": "2023-05-24T16:00:05.940026Z",
        "earliest": "1684944005.9400265", "latest": "1684944005.9400265", "skew": "4.560",
        "precision": "7", "share": "ADMIN$", "host": "127.0.0.1", "valid": "1",
    }


def test_describe_dcomexec_five_digits():
    result = impacket.describe({"CommandLine": "cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__17249 2>&1",
                                "_time": "1724950000"})
    assert (result["kind"], result["value"], result["tools"]) == ("epoch5_output", "17249", ("dcomexec",))
    assert (result["earliest"], result["latest"]) == ("1724900000", "1725000000")
    assert result["precision"] == "0"
    assert result["time"] == result["skew"] == ""  # a window, not a time
    assert (result["share"], result["host"], result["valid"]) == ("ADMIN$", "127.0.0.1", "1")


@pytest.mark.parametrize("digits", ["00000", "17249", "18000", "99999"])
def test_five_digit_window_holds_every_epoch_with_those_leading_digits(digits):
    result = impacket.describe({"CommandLine": "__" + digits})
    earliest, latest = int(result["earliest"]), int(result["latest"])
    assert latest - earliest == 10 ** 5
    for t in (earliest, earliest + 1, latest - 1):
        assert ("%010d" % t)[:5] == digits
    assert ("%010d" % latest)[:5] != digits


@pytest.mark.parametrize("record, artifact, kind, share, host", [
    ({"ServiceFileName": SMBEXEC_OLD}, "__output", "smbexec_output", "C$", "127.0.0.1"),
    ({"ImagePath": SMBEXEC_NEW}, "__output_QwErTyUi", "smbexec_output", "C$", "%computername%"),
    ({"Details": SMBEXEC_OLD.replace("%", "%%")}, "__output", "smbexec_output", "C$", "127.0.0.1"),
    ({"RelativeTargetName": "SYSTEM32\\NMdzZfem.tmp", "ShareName": "\\\\*\\ADMIN$"},
     "SYSTEM32\\NMdzZfem.tmp", "system32_tmp", "ADMIN$", ""),
    ({"Relative_Target_Name": "Temp\\bouWFQYO.tmp", "Share_Name": "\\\\*\\ADMIN$"},
     "Temp\\bouWFQYO.tmp", "temp_tmp", "ADMIN$", ""),
    ({"RelativeTargetName": "__output", "ShareName": "\\\\*\\C$"}, "__output", "smbexec_output", "C$", ""),
    ({"RelativeTargetName": "Windows\\Temp\\bouWFQYO.tmp", "ShareName": "\\\\*\\C$"},
     "Temp\\bouWFQYO.tmp", "temp_tmp", "C$", ""),
    ({"TargetFilename": "C:\\Windows\\__1684944005.9400265"}, "__1684944005.9400265", "epoch_output", "", ""),
    ({"CommandLine": ATEXEC_LINE}, "Temp\\bouWFQYO.tmp", "temp_tmp", "", ""),
    ({"process": WMIEXEC_LINE}, "__1684944005.9400265", "epoch_output", "ADMIN$", "127.0.0.1"),
    ({"Process_Command_Line": SMBEXEC_OLD}, "__output", "smbexec_output", "C$", "127.0.0.1"),
])
def test_describe_each_source_field(record, artifact, kind, share, host):
    result = impacket.describe(record)
    assert (result["artifact"], result["kind"], result["share"], result["host"], result["valid"]) == (
        artifact, kind, share, host, "1")
    assert result["tools"] == impacket.TOOLS[kind]


def test_share_name_forms():
    for share_name, share in [("\\\\*\\ADMIN$", "ADMIN$"), ("\\\\*\\admin$", "ADMIN$"), ("ADMIN$", "ADMIN$"),
                              ("\\\\fs01\\C$", "C$"), ("\\\\*\\c$\\", "C$"), ("", ""), (None, "")]:
        record = {"RelativeTargetName": "__output", "ShareName": share_name}
        assert impacket.describe(record)["share"] == share, share_name


def test_tmp_relative_name_needs_admin_share():
    name = "Temp\\bouWFQYO.tmp"
    assert impacket.describe({"RelativeTargetName": name, "ShareName": "\\\\*\\ADMIN$"})["valid"] == "1"
    assert impacket.describe({"RelativeTargetName": name, "ShareName": ["\\\\*\\ADMIN$"]})["valid"] == "1"
    for share in ("\\\\*\\C$", "\\\\*\\IPC$", "", None):
        assert impacket.describe({"RelativeTargetName": name, "ShareName": share})["valid"] == "0", share
    # ShareName says nothing about a command line.
    assert impacket.describe({"CommandLine": name, "ShareName": "\\\\*\\ADMIN$"})["valid"] == "0"


def test_share_name_is_not_used_for_a_command_line():
    result = impacket.describe({"CommandLine": ATEXEC_LINE, "ShareName": "\\\\*\\IPC$"})
    assert result["share"] == ""


def test_source_fields_in_order_first_artifact_wins():
    record = {"CommandLine": WMIEXEC_LINE, "RelativeTargetName": "__output", "ShareName": "\\\\*\\C$"}
    assert impacket.describe(record)["artifact"] == "__output"
    record = {"CommandLine": "whoami", "Details": SMBEXEC_OLD, "TargetFilename": "C:\\x.txt"}
    assert impacket.describe(record)["artifact"] == "__output"


def test_field_option_looks_only_there():
    record = {"CommandLine": WMIEXEC_LINE, "Other": "x \\\\h\\C$\\__output"}
    assert impacket.describe(record, "Other")["artifact"] == "__output"
    assert impacket.describe(record, "Missing")["valid"] == "0"
    assert impacket.describe({"CommandLine": WMIEXEC_LINE}, "ImagePath")["valid"] == "0"
    # The field option reading RelativeTargetName still takes the share from ShareName.
    record = {"RelativeTargetName": "Temp\\bouWFQYO.tmp", "ShareName": "\\\\*\\ADMIN$"}
    assert impacket.describe(record, "RelativeTargetName")["kind"] == "temp_tmp"


def test_multivalue_field_examines_each_value_in_order():
    record = {"CommandLine": ["whoami", None, "cmd /c x 1> \\\\h\\C$\\__output", WMIEXEC_LINE]}
    assert impacket.describe(record)["artifact"] == "__output"
    assert impacket.describe({"CommandLine": []})["valid"] == "0"
    assert impacket.describe({"CommandLine": ("a", "__17249")})["kind"] == "epoch5_output"


def test_no_artifact_gives_every_field_empty_and_valid_0():
    for record in ({}, {"CommandLine": ""}, {"CommandLine": None}, {"CommandLine": "whoami /all"},
                   {"RelativeTargetName": "2.0.0.0__31bf3856ad364e35"}):
        result = impacket.describe(record)
        assert tuple(result) == impacket.OUTPUT_FIELDS
        assert result["valid"] == "0" and result["tools"] == ()
        assert all(value == "" for name, value in result.items() if name not in ("valid", "tools"))


@pytest.mark.parametrize("record", [
    None, 5, "CommandLine", [], {"CommandLine": 12345}, {"CommandLine": b"__output"},
    {"CommandLine": object()}, {"CommandLine": ["__output", 3]}, {"CommandLine": "\ufffd__output"},
    {"CommandLine": "\ufffd __output\ufffd"}, {"CommandLine": "\x00__output\x00"},
    {"CommandLine": WMIEXEC_LINE, "_time": object()}, {"CommandLine": WMIEXEC_LINE, "_time": [None]},
])
def test_describe_never_raises(record):
    result = impacket.describe(record)
    assert tuple(result) == impacket.OUTPUT_FIELDS
    assert result["valid"] in ("0", "1")


def test_results_are_read_only():
    result = impacket.describe({"CommandLine": WMIEXEC_LINE})
    assert isinstance(result, types.MappingProxyType)
    with pytest.raises(TypeError):
        result["valid"] = "0"  # type: ignore[index]
    assert isinstance(result["tools"], tuple)
    assert isinstance(impacket.describe({}), types.MappingProxyType)


def test_results_without_skew_are_shared_objects():
    # The annotator memoises converted results by identity: same value, same object.
    first = impacket.describe({"CommandLine": SMBEXEC_OLD, "_time": "1"})
    second = impacket.describe({"ServiceFileName": SMBEXEC_OLD, "_time": "2"})
    assert first is second
    assert impacket.describe({"CommandLine": WMIEXEC_LINE}) is impacket.describe({"CommandLine": WMIEXEC_LINE})


# --- Time and precision ---------------------------------------------------------------------------

@pytest.mark.parametrize("digits, iso", [
    ("1684944005.9400265", "2023-05-24T16:00:05.940026Z"),   # truncated, not rounded
    ("1684944005.9999999", "2023-05-24T16:00:05.999999Z"),   # never rounds up into the next second
    ("1556656369.7", "2019-04-30T20:32:49.700000Z"),          # Python 2
    ("1556656511.61", "2019-04-30T20:35:11.610000Z"),
    ("1619090610.0007844", "2021-04-22T11:23:30.000784Z"),
    ("1619425227.894209", "2021-04-26T08:20:27.894209Z"),
    ("1800000000.5", "2027-01-15T08:00:00.500000Z"),
    ("9999999999.9999999", "2286-11-20T17:46:39.999999Z"),
    ("0000000000.0", "1970-01-01T00:00:00.000000Z"),
])
def test_iso_time(digits, iso):
    assert impacket.iso_time(digits) == iso
    result = impacket.describe({"CommandLine": "__" + digits})
    assert result["time"] == iso


def test_iso_time_agrees_with_datetime_for_whole_seconds():
    for seconds in (0, 1, 1556656369, 1684944005, 1799999999, 1800000000, 2147483648, 9999999999):
        expected = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
        assert impacket.iso_time("%010d.0" % seconds) == expected.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_decimals_are_read_from_the_text_not_through_a_float():
    # Through a float these would round: .9400265 to .940027, .9999999 into the next second.
    assert "%.6f" % float("1684944005.9400265") == "1684944005.940027"
    assert impacket.iso_time("1684944005.9400265").endswith(":05.940026Z")
    assert float("1684944005.9999999") == 1684944006.0
    assert impacket.iso_time("1684944005.9999999").endswith(":05.999999Z")


@pytest.mark.parametrize("event_time, expected", [
    ("1684944010.5", "4.560"),
    ("1684944005.9400265", "0.000"),
    ("1684944005.94", "0.000"),          # -0.0000265: no "-0.000"
    ("1684944005.9", "-0.040"),          # the event before the launch: clocks differ
    ("1684944005.9405", "0.000"),        # 0.0004735 rounds down
    ("1684944000", "-5.940"),
    (1684944010.5, "4.560"),             # a number, not a string
    (1684944010, "4.060"),
    (" 1684944010.5 ", "4.560"),
    ("+1684944010.5", "4.560"),
    (["1684944010.5", "x"], "4.560"),
])
def test_skew(event_time, expected):
    result = impacket.describe({"CommandLine": WMIEXEC_LINE, "_time": event_time})
    assert result["skew"] == expected


def test_skew_rounds_half_up_to_milliseconds():
    assert impacket.skew("1684944005.9405265", "1684944005.9400265") == "0.001"  # exactly 0.0005
    assert impacket.skew("1684944005.9395265", "1684944005.9400265") == "-0.001"
    assert impacket.skew("1684944005.9404264", "1684944005.9400265") == "0.000"


@pytest.mark.parametrize("event_time", [
    None, "", " ", "yesterday", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e9", "1_000",
    "0x10", "1684944010.5.1", "1" * 40, "2023-05-24T16:00:10Z", float("nan"), float("inf"),
    float("-inf"), 1e400, "１６８４９４４０１０",  # fullwidth digits
])
def test_skew_empty_for_a_time_that_is_not_a_number(event_time):
    record = {"CommandLine": WMIEXEC_LINE}
    if event_time is not None:
        record["_time"] = event_time
    result = impacket.describe(record)
    assert result["skew"] == ""
    assert result["time"] == "2023-05-24T16:00:05.940026Z"  # the rest is unaffected


def test_skew_only_for_epoch_output():
    for value in ("__17249", "__output", "C:\\Windows\\Temp\\bouWFQYO.tmp"):
        assert impacket.describe({"CommandLine": value, "_time": "1724950000"})["skew"] == ""


def test_fields_empty_for_kinds_without_an_epoch():
    for value in ("\\\\h\\C$\\__output", "C:\\Windows\\Temp\\bouWFQYO.tmp"):
        result = impacket.describe({"CommandLine": value})
        for name in ("value", "time", "earliest", "latest", "skew", "precision"):
            assert result[name] == "", (value, name)


# --- Cache ----------------------------------------------------------------------------------------

def test_string_matching_is_cached_and_bounded():
    impacket.find_artifact.cache_clear()
    value = "cmd /c x 1> \\\\h\\C$\\__output_%s" % "abcdefgh"
    first = impacket.find_artifact(value)
    assert impacket.find_artifact(value) is first
    info = impacket.find_artifact.cache_info()
    assert info.hits >= 1 and info.maxsize == impacket.CACHE_SIZE
    # Long values are not cached (they would hold megabytes in the cache's keys).
    long_value = "x " * impacket.CACHED_LENGTH + "__output"
    before = impacket.find_artifact.cache_info().currsize
    assert impacket.find_artifact(long_value).kind == "smbexec_output"
    assert impacket.find_artifact.cache_info().currsize == before


def test_found_artifact_is_immutable():
    found = impacket.find_artifact(WMIEXEC_LINE)
    with pytest.raises(AttributeError):
        found.kind = "x"  # type: ignore[misc]
    assert hash(found) == hash(impacket.find_artifact.__wrapped__(WMIEXEC_LINE))


# --- secretsdump -use-vss: `%SYSTEMROOT%\Temp\__output`, read as `ADMIN$\Temp\__output` ----------------
#
# impacket-artifacts.md: the service command is `<shell> echo <cmd> ^> %SYSTEMROOT%\Temp\__output >
# <batch file> & <shell> <batch file>`; smbexec never writes `__output` under Temp.

VSS_SERVICE = (r"%COMSPEC% /Q /c echo vssadmin create shadow /For=C: ^> %SYSTEMROOT%\Temp\__output 2^>^&1"
               r" > %SYSTEMROOT%\Temp\aBcDeFgH.bat & %COMSPEC% /Q /c %SYSTEMROOT%\Temp\aBcDeFgH.bat")


@pytest.mark.parametrize("record, share, host", [
    ({"RelativeTargetName": r"Temp\__output", "ShareName": "\\\\*\\ADMIN$"}, "ADMIN$", ""),
    ({"Relative_Target_Name": r"TEMP\__OUTPUT", "Share_Name": "\\\\*\\ADMIN$"}, "ADMIN$", ""),
    ({"RelativeTargetName": r"Windows\Temp\__output", "ShareName": "\\\\*\\C$"}, "C$", ""),
    ({"TargetFilename": r"C:\Windows\Temp\__output"}, "", ""),
    ({"ImagePath": VSS_SERVICE}, "", ""),
    ({"ServiceFileName": VSS_SERVICE}, "", ""),
    ({"Details": VSS_SERVICE.replace("%", "%%")}, "", ""),
    ({"CommandLine": r"cmd.exe /Q /c type \\127.0.0.1\ADMIN$\Temp\__output"}, "ADMIN$", "127.0.0.1"),
    ({"ImagePath": VSS_SERVICE.replace(">", "&gt;").replace("&", "&amp;").replace("&amp;gt;", "&gt;")}, "", ""),
])
def test_vss_output_in_every_presentation(record, share, host):
    result = impacket.describe(record)
    assert (result["kind"], result["tools"], result["share"], result["host"], result["valid"]) == (
        "vss_output", ("secretsdump",), share, host, "1")
    assert result["artifact"].lower() == "__output"


@pytest.mark.parametrize("record", [
    {"RelativeTargetName": "__output", "ShareName": "\\\\*\\C$"},
    {"RelativeTargetName": r"Temp\__output", "ShareName": "\\\\*\\C$"},  # C:\Temp, not Windows\Temp
    {"RelativeTargetName": r"Temp\__output_QwErTyUi", "ShareName": "\\\\*\\ADMIN$"},
    {"CommandLine": r"echo cd ^> \\127.0.0.1\C$\__output 2^>^&1 > %TEMP%\execute.bat"},
    {"TargetFilename": r"C:\Users\x\AppData\Local\Temp\__output"},
    {"CommandLine": r"copy x Temp\__output"},  # relative, not known to be the Windows directory
])
def test_every_other_output_is_smbexec(record):
    assert impacket.describe(record)["kind"] == "smbexec_output"


# --- XML entities --------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoded, decoded", [
    (r"cmd.exe /Q /c cd \ 1&gt; \\127.0.0.1\ADMIN$\__1556656369.7 2&gt;&amp;1",
     r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__1556656369.7 2>&1"),
    (r"cmd.exe /Q /c cd 1&gt;\\127.0.0.1\ADMIN$\__1556656369.7 2&gt;&amp;1",
     r"cmd.exe /Q /c cd 1>\\127.0.0.1\ADMIN$\__1556656369.7 2>&1"),
    (r"%COMSPEC% /Q /c echo cd ^&gt;\\127.0.0.1\C$\__output 2^&gt;^&amp;1 &gt;%TEMP%\execute.bat",
     r"%COMSPEC% /Q /c echo cd ^>\\127.0.0.1\C$\__output 2^>^&1 >%TEMP%\execute.bat"),
    (r"cmd.exe /C tasklist &gt; %windir%\Temp\bouWFQYO.tmp 2&gt;&amp;1",
     r"cmd.exe /C tasklist > %windir%\Temp\bouWFQYO.tmp 2>&1"),
    (r"copy \\fs\R&amp;D\x.tmp &quot;\\127.0.0.1\ADMIN$\__17249&quot;",
     r'copy \\fs\R&D\x.tmp "\\127.0.0.1\ADMIN$\__17249"'),
])
def test_an_entity_encoded_value_reads_as_the_decoded_one(encoded, decoded):
    record = {"CommandLine": decoded, "_time": "1556656400"}
    assert impacket.describe(dict(record, CommandLine=encoded)) == impacket.describe(record)
    assert impacket.describe(record)["valid"] == "1"


def test_the_share_name_is_decoded_too():
    record = {"RelativeTargetName": r"Temp\QwErTyUi.tmp", "ShareName": "\\\\*\\ADMIN$"}
    assert impacket.describe(dict(record, ShareName="\\\\*\\ADMIN$&amp;")) == impacket.describe(
        dict(record, ShareName="\\\\*\\ADMIN$&"))


def test_entities_are_decoded_once():
    # `&amp;gt;` is the text `&gt;`, whose `;` glues it to the UNC path: no host, no share.
    # Decoded twice it would be `>` and the path `\\h\ADMIN$\`.
    once = impacket.describe({"CommandLine": r"x &amp;gt;\\h\ADMIN$\__17249"})
    assert (once["valid"], once["host"], once["share"]) == ("1", "", "")
    assert impacket.describe({"CommandLine": r"x &gt;\\h\ADMIN$\__17249"})["host"] == "h"
