"""dtutil: the documented command lines, every option and abbreviation, every path and server
form, the wrappers that start dtutil, the errors, the records, and linear time."""
import types

import pytest

from lotl import dtutil
from tests.timing import median_time

PROGRAM_FILES_IMAGE = r"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTUtil.exe"


def parsed(line):
    return dict(dtutil.parse(line))


def blank_except(result, **expected):
    """Asserts the named fields and that every other field is empty."""
    for name in dtutil.OUTPUT_FIELDS:
        want = expected.get(name, () if name in dtutil.MULTIVALUE_FIELDS else "")
        assert result[name] == want, name


# --- The schema ---------------------------------------------------------------------------------

def test_output_fields_in_the_contract_order():
    assert dtutil.OUTPUT_FIELDS == (
        "image", "action", "source_type", "source_path", "source_server", "source_user",
        "dest_type", "dest_path", "dest_server", "dest_user", "remote_host", "remote_port",
        "transport", "share", "direction", "signals", "redacted", "error",
    )
    assert dtutil.MULTIVALUE_FIELDS == frozenset(
        {"action", "remote_host", "remote_port", "transport", "share", "signals", "redacted"})
    assert dtutil.SOURCE_FIELDS == ("CommandLine", "process", "Process_Command_Line")


@pytest.mark.parametrize("line", ["", "dtutil", "dtutil /FILE a /COPY FILE;b", "calc.exe", "dtutil /X"])
def test_every_field_with_its_type(line):
    result = dtutil.parse(line)
    assert tuple(result) == dtutil.OUTPUT_FIELDS
    for name, value in result.items():
        if name in dtutil.MULTIVALUE_FIELDS:
            assert isinstance(value, tuple) and all(isinstance(item, str) for item in value)
            assert len(set(value)) == len(value)
        else:
            assert isinstance(value, str)


def test_the_cached_result_is_read_only():
    result = dtutil.parse("dtutil /FILE a /COPY FILE;b")
    assert isinstance(result, types.MappingProxyType)
    with pytest.raises(TypeError):
        result["image"] = "x"  # type: ignore[index]
    assert dtutil.parse("dtutil /FILE a /COPY FILE;b") is result


# --- The documented examples ---------------------------------------------------------------------

def test_doc_copy_file_to_file():
    result = parsed(r"dtutil /FILE c:\myPackages\mypackage.dtsx /COPY FILE;c:\myTestPackages\mynewpackage.dtsx")
    blank_except(result, image="dtutil", action=("copy",), source_type="file",
                 source_path=r"c:\myPackages\mypackage.dtsx", dest_type="file",
                 dest_path=r"c:\myTestPackages\mynewpackage.dtsx", direction="local")


def test_doc_copy_file_to_sql_server():
    result = parsed(r"dtutil /FILE c:\sourcepkg.dtsx /DestServer <servername> /COPY SQL;destpkgname")
    blank_except(result, image="dtutil", action=("copy",), source_type="file",
                 source_path=r"c:\sourcepkg.dtsx", dest_type="sql", dest_path="destpkgname",
                 dest_server="<servername>", remote_host=("<servername>",), transport=("sql",),
                 direction="egress", signals=("remote_dest",))


def test_doc_move_with_sql_logins():
    line = ("dtutil /SQL srcPackage /SOURCEUSER srcUserName /SOURCEPASSWORD $Hj45jhd@X /MOVE SQL;destPackage"
            " /DESTUSER destUserName /DESTPASSWORD !38dsFH@v")
    result = parsed(line)
    blank_except(result, image="dtutil", action=("move",), source_type="sql", source_path="srcPackage",
                 source_user="srcUserName", dest_type="sql", dest_path="destPackage",
                 dest_user="destUserName", direction="local",
                 signals=("cleartext_password", "sql_auth"), redacted=("sourcepassword", "destpassword"))
    assert not any("$Hj45jhd@X" in str(value) or "!38dsFH@v" in str(value) for value in result.values())


def test_doc_encrypt_with_password():
    result = parsed("dtutil /FILE PackageToEncrypt.dtsx /ENCRYPT file;EncryptedPackage.dtsx;3;EncPswd")
    blank_except(result, image="dtutil", action=("encrypt",), source_type="file",
                 source_path="PackageToEncrypt.dtsx", dest_type="file", dest_path="EncryptedPackage.dtsx",
                 direction="local", signals=("cleartext_password",), redacted=("encrypt",))
    assert "EncPswd" not in repr(result)


@pytest.mark.parametrize("line", [
    r"cmd /c for %f in (*.dtsx) do dtutil /I /FILE %f",
    r"cmd.exe /c for %%f in (*.dtsx) do dtutil /I /FILE %%f",
    r'cmd.exe /c "for %f in (*.dtsx) do (dtutil /I /FILE %f)"',
    r"for %f in (*.dtsx) do dtutil /I /FILE %f",
])
def test_doc_for_loop(line):
    result = parsed(line)
    assert result["image"] == "dtutil"
    assert result["action"] == ("idregenerate",)
    assert result["source_type"] == "file"
    assert result["source_path"] in ("%f", "%%f")
    assert result["direction"] == "none"
    assert result["error"] == ""


def test_lolbas_example():
    result = parsed(r"dtutil.exe /FILE C:\Windows\System32\calc.exe /COPY FILE;C:\Users\Public\calc.exe")
    blank_except(result, image="dtutil.exe", action=("copy",), source_type="file",
                 source_path=r"C:\Windows\System32\calc.exe", dest_type="file",
                 dest_path=r"C:\Users\Public\calc.exe", direction="local", signals=("user_writable_dest",))


# --- Options and their abbreviations --------------------------------------------------------------

# The table of dtutil-syntax.md, written out independently of the module's: the shortest form.
DOCUMENTED_MINIMUM = {
    "COPY": "C", "DECRYPT": "DEC", "DELETE": "DEL", "DESTPASSWORD": "DESTP", "DESTSERVER": "DESTS",
    "DESTUSER": "DESTU", "DUMP": "DUMP", "DTS": "DT", "ENCRYPT": "EN", "EXISTS": "EX", "FCREATE": "FC",
    "FDELETE": "FDE", "FDIRECTORY": "FDI", "FEXISTS": "FE", "FILE": "FI", "FRENAME": "FR", "HELP": "H",
    "IDREGENERATE": "I", "MOVE": "M", "QUIET": "Q", "REMARK": "R", "SIGN": "SI",
    "SOURCEPASSWORD": "SOURCEP", "SOURCESERVER": "SOURCES", "SOURCEUSER": "SOURCEU", "SQL": "SQ",
}


def test_the_option_table_is_the_documented_one():
    assert {option.name: option.name[:option.minimum] for option in dtutil.OPTIONS} == DOCUMENTED_MINIMUM


def _abbreviations():
    for name, shortest in DOCUMENTED_MINIMUM.items():
        for length in range(len(shortest), len(name) + 1):
            yield name, name[:length]


@pytest.mark.parametrize("name,written", list(_abbreviations()))
@pytest.mark.parametrize("dash", ["/", "-"])
def test_every_abbreviation_in_any_case(name, written, dash):
    for spelling in (written, written.lower(), written.capitalize()):
        option, problem = dtutil.resolve_option(dash + spelling)
        assert option is not None and option.name == name, (spelling, problem)


@pytest.mark.parametrize("name,shortest", [(n, s) for n, s in DOCUMENTED_MINIMUM.items() if len(s) > 1])
def test_shorter_than_the_minimum_is_ambiguous(name, shortest):
    written = "/" + shortest[:-1].capitalize()
    option, problem = dtutil.resolve_option(written)
    assert option is None
    assert problem == "ambiguous option " + written


@pytest.mark.parametrize("written", ["/?", "-?"])
def test_question_mark_is_help(written):
    result = parsed("dtutil " + written)
    assert result["action"] == ("help",)
    assert result["error"] == ""


# One command line per option, abbreviated to its minimum: the option does what it says.
@pytest.mark.parametrize("line,expected", [
    ("dtutil /Fi a.dtsx /C FILE;b.dtsx", {"action": ("copy",), "dest_path": "b.dtsx"}),
    ("dtutil /Fi a.dtsx /M FILE;b.dtsx", {"action": ("move",), "dest_path": "b.dtsx"}),
    ("dtutil /Fi a.dtsx /Del", {"action": ("delete",), "direction": "none"}),
    ("dtutil /SQ a /Ex", {"action": ("exists",), "source_type": "sql", "direction": "none"}),
    ("dtutil /DT a /En FILE;b.dtsx;2", {"action": ("encrypt",), "source_type": "dts",
                                         "dest_path": "b.dtsx", "redacted": ()}),
    ("dtutil /Fi a.dtsx /Si FILE;b.dtsx;00ab", {"action": ("sign",), "dest_type": "file",
                                                 "dest_path": "b.dtsx"}),
    ("dtutil /FC SQL;\\;new", {"action": ("fcreate",)}),
    ("dtutil /FDe SQL;\\;old", {"action": ("fdelete",)}),
    ("dtutil /FDe", {"action": ("fdelete",), "error": ""}),
    ("dtutil /FDi DTS;\\File System;S", {"action": ("fdirectory",)}),
    ("dtutil /FE SQL;\\x", {"action": ("fexists",)}),
    ("dtutil /FR SQL;\\;old;new", {"action": ("frename",)}),
    ("dtutil /FR /Q", {"action": ("frename",), "error": ""}),
    ("dtutil /I /Fi a.dtsx", {"action": ("idregenerate",), "source_path": "a.dtsx"}),
    ("dtutil /Dump 1234", {"action": ("dump",), "error": ""}),
    ("dtutil /H", {"action": ("help",), "error": ""}),
    ("dtutil /H copy", {"action": ("help",), "error": ""}),
    ("dtutil /Q /R /Fi a.dtsx", {"action": (), "source_path": "a.dtsx", "error": ""}),
    ("dtutil /R note /Fi a.dtsx", {"source_path": "a.dtsx", "error": ""}),
    ("dtutil /SQ a /SourceS db1 /SourceU bob", {"source_server": "db1", "source_user": "bob",
                                                "signals": ("remote_source", "sql_auth")}),
    ("dtutil /Fi a /DestS db2 /DestU eve /C SQL;b", {"dest_server": "db2", "dest_user": "eve",
                                                     "direction": "egress"}),
    ("dtutil /Fi a /Dec pw1234 /C FILE;b", {"redacted": ("decrypt",), "error": ""}),
    ("dtutil /SQ a /SourceP pw1234 /C FILE;b", {"redacted": ("sourcepassword",), "error": ""}),
    ("dtutil /Fi a /DestP pw1234 /C SQL;b", {"redacted": ("destpassword",), "error": ""}),
    ("dtutil -file a -copy file;b", {"action": ("copy",), "source_type": "file", "dest_type": "file"}),
    ("DTUTIL /fIlE a /cOpY fIlE;b", {"action": ("copy",), "source_type": "file", "dest_type": "file"}),
])
def test_each_option(line, expected):
    result = parsed(line)
    for name, value in expected.items():
        assert result[name] == value, name


def test_actions_in_order_without_duplicates():
    result = parsed("dtutil /FILE a /I /Q /COPY FILE;b /I /R x")
    assert result["action"] == ("idregenerate", "copy")


# --- Value forms ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,dest_type,dest_path", [
    ("FILE;b.dtsx", "file", "b.dtsx"),
    ("file;b.dtsx", "file", "b.dtsx"),
    ("SQL;folder\\pkg", "sql", "folder\\pkg"),
    ('"dts;File System\\pkg"', "dts", "File System\\pkg"),
    ('FILE;"C:\\My Packages\\x.dtsx"', "file", "C:\\My Packages\\x.dtsx"),
    ('"FILE;C:\\My Packages\\x.dtsx"', "file", "C:\\My Packages\\x.dtsx"),
    ("FILE;C:\\a;b.dtsx", "file", "C:\\a;b.dtsx"),  # the path is everything after the type
])
@pytest.mark.parametrize("option", ["/COPY", "/MOVE"])
def test_copy_and_move_values(option, value, dest_type, dest_path):
    result = parsed("dtutil /FILE a.dtsx %s %s" % (option, value))
    assert (result["dest_type"], result["dest_path"], result["error"]) == (dest_type, dest_path, "")


def test_sign_value_drops_the_hash():
    result = parsed("dtutil /FILE a.dtsx /SIGN FILE;C:\\out\\b.dtsx;0123456789abcdef")
    assert (result["dest_type"], result["dest_path"]) == ("file", "C:\\out\\b.dtsx")


@pytest.mark.parametrize("value,dest_path,redacted", [
    ("SQL;pkg;3", "pkg", ()),
    ("FILE;C:\\x.dtsx;2;pa;ss;word", "C:\\x.dtsx", ("encrypt",)),
    ("FILE;C:\\x.dtsx;5;", "C:\\x.dtsx", ("encrypt",)),
])
def test_encrypt_values(value, dest_path, redacted):
    result = parsed("dtutil /FILE a.dtsx /ENCRYPT " + value)
    assert (result["dest_path"], result["redacted"], result["error"]) == (dest_path, redacted, "")
    assert "pa;ss" not in repr(result)


@pytest.mark.parametrize("line,error", [
    ("dtutil /FILE a /COPY b.dtsx", "bad value for /COPY"),
    ("dtutil /FILE a /COPY XML;b.dtsx", "bad value for /COPY"),
    ("dtutil /FILE a /COPY FILE;", "bad value for /COPY"),
    ("dtutil /FILE a /SIGN FILE;b.dtsx", "bad value for /SIGN"),
    ("dtutil /FILE a /ENCRYPT FILE;b.dtsx", "bad value for /ENCRYPT"),
    ("dtutil /FILE a /SQL b", "more than one source package"),
    ("dtutil /FILE a /COPY FILE;b /MOVE FILE;c", "more than one destination"),
])
def test_bad_values(line, error):
    assert parsed(line)["error"] == error


# --- Path forms ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,host,port,transport,share,signals", [
    (r"\\fs01\ssis$\p.dtsx", ("fs01",), (), ("smb",), (r"\\fs01\ssis$",), ("remote_source",)),
    (r"\\FS01.Corp.Example\Share\d\p.dtsx", ("fs01.corp.example",), (), ("smb",),
     (r"\\fs01.corp.example\share",), ("remote_source",)),
    (r"\\?\UNC\fs01\ssis$\p.dtsx", ("fs01",), (), ("smb",), (r"\\fs01\ssis$",), ("remote_source",)),
    (r"\\fs01@SSL\DavWWWRoot\p.dtsx", ("fs01",), (), ("webdav_ssl",), (r"\\fs01@ssl\davwwwroot",),
     ("remote_source", "webdav")),
    (r"\\fs01@SSL@443\DavWWWRoot\p.dtsx", ("fs01",), ("443",), ("webdav_ssl",),
     (r"\\fs01@ssl@443\davwwwroot",), ("remote_source", "webdav")),
    (r"\\fs01@SSL@8443\dav\p.dtsx", ("fs01",), ("8443",), ("webdav_ssl",), (r"\\fs01@ssl@8443\dav",),
     ("remote_source", "webdav", "nonstandard_port")),
    (r"\\fs01@8080\dav\p.dtsx", ("fs01",), ("8080",), ("webdav",), (r"\\fs01@8080\dav",),
     ("remote_source", "webdav", "nonstandard_port")),
    (r"\\fs01\DavWWWRoot\p.dtsx", ("fs01",), (), ("webdav",), (r"\\fs01\davwwwroot",),
     ("remote_source", "webdav")),
    (r"\\fe80--1.ipv6-literal.net\s\p.dtsx", ("fe80::1",), (), ("smb",),
     (r"\\fe80--1.ipv6-literal.net\s",), ("remote_source", "raw_ip")),
    (r"\\fe80--1s4.ipv6-literal.net\s\p.dtsx", ("fe80::1%4",), (), ("smb",),
     (r"\\fe80--1s4.ipv6-literal.net\s",), ("remote_source", "raw_ip")),
    (r"\\2001-db8--0-1.ipv6-literal.net\s\p.dtsx", ("2001:db8::1",), (), ("smb",),
     (r"\\2001-db8--0-1.ipv6-literal.net\s",), ("remote_source", "raw_ip")),
    (r"\\10.0.0.5\s\p.dtsx", ("10.0.0.5",), (), ("smb",), (r"\\10.0.0.5\s",), ("remote_source", "raw_ip")),
    ("//fs01/ssis/p.dtsx", ("fs01",), (), ("smb",), (r"\\fs01\ssis",), ("remote_source",)),
    (r"\\fs01", ("fs01",), (), ("smb",), (r"\\fs01",), ("remote_source",)),
    # local: the UNC share is still named, no remote host
    (r"\\localhost\c$\p.dtsx", (), (), (), (r"\\localhost\c$",), ()),
    (r"\\127.0.0.1\c$\p.dtsx", (), (), (), (r"\\127.0.0.1\c$",), ()),
    (r"\\0--1.ipv6-literal.net\c$\p.dtsx", (), (), (), (r"\\0--1.ipv6-literal.net\c$",), ()),
    (r"\\.\C:\p.dtsx", (), (), (), (), ()),
    (r"\\?\C:\p.dtsx", (), (), (), (), ()),
    (r"C:\p.dtsx", (), (), (), (), ()),
    (r"p.dtsx", (), (), (), (), ()),
    (r"%TEMP%\p.dtsx", (), (), (), (), ()),
])
def test_source_path_forms(path, host, port, transport, share, signals):
    result = parsed('dtutil /FILE "%s" /COPY FILE;C:\\pkgs\\x.dtsx' % path)
    assert result["source_path"] == path
    assert (result["remote_host"], result["remote_port"], result["transport"], result["share"],
            result["signals"]) == (host, port, transport, share, signals)
    assert result["direction"] == ("ingress" if host else "local")


@pytest.mark.parametrize("path,direction,signals", [
    (r"\\fs01\drop\x.dtsx", "egress", ("remote_dest",)),
    (r"\\fs01\c$\Users\Public\x.dtsx", "egress", ("remote_dest", "user_writable_dest")),
    (r"C:\Users\bob\x.dtsx", "local", ("user_writable_dest",)),
    (r"c:\users\public\x.dtsx", "local", ("user_writable_dest",)),
    (r"C:\ProgramData\x.dtsx", "local", ("user_writable_dest",)),
    (r"C:\Windows\Temp\x.dtsx", "local", ("user_writable_dest",)),
    (r"C:\PerfLogs\x.dtsx", "local", ("user_writable_dest",)),
    (r"\Users\Public\x.dtsx", "local", ("user_writable_dest",)),
    (r"\\?\C:\Users\Public\x.dtsx", "local", ("user_writable_dest",)),
    ("C:/Users/Public/x.dtsx", "local", ("user_writable_dest",)),
    (r"%TEMP%\x.dtsx", "local", ("user_writable_dest",)),
    (r"%tmp%\x.dtsx", "local", ("user_writable_dest",)),
    (r"%PUBLIC%\x.dtsx", "local", ("user_writable_dest",)),
    (r"%USERPROFILE%\Downloads\x.dtsx", "local", ("user_writable_dest",)),
    (r"%APPDATA%\x.dtsx", "local", ("user_writable_dest",)),
    (r"%LOCALAPPDATA%\x.dtsx", "local", ("user_writable_dest",)),
    (r"%ProgramData%\x.dtsx", "local", ("user_writable_dest",)),
    (r"C:\Windows\System32\x.dtsx", "local", ()),
    (r"C:\Program Files\x.dtsx", "local", ()),
    (r"D:\Data\Users\x.dtsx", "local", ()),
    (r"C:\Windows\Temporary\x.dtsx", "local", ()),
])
def test_destination_paths(path, direction, signals):
    result = parsed('dtutil /FILE C:\\pkgs\\a.dtsx /COPY "FILE;%s"' % path)
    assert result["dest_path"] == path
    assert (result["direction"], result["signals"]) == (direction, signals)


def test_relay_between_two_shares():
    result = parsed(r"dtutil /FILE \\a\s\p.dtsx /MOVE FILE;\\b@SSL\DavWWWRoot\p.dtsx")
    assert result["direction"] == "relay"
    assert result["remote_host"] == ("a", "b")
    assert result["transport"] == ("smb", "webdav_ssl")
    assert result["share"] == (r"\\a\s", r"\\b@ssl\davwwwroot")
    assert result["signals"] == ("remote_source", "remote_dest", "webdav")


def test_hosts_once_each():
    result = parsed(r"dtutil /FILE \\A\s\p.dtsx /MOVE FILE;\\a\s\q.dtsx")
    assert result["remote_host"] == ("a",)
    assert result["share"] == (r"\\a\s",)


# --- SQL Server forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("server,host,port,signals", [
    ("db01", ("db01",), (), ()),
    ("DB01\\INST", ("db01",), (), ()),
    ("db01,1433", ("db01",), ("1433",), ()),
    ("db01,1444", ("db01",), ("1444",), ("nonstandard_port",)),
    ("db01\\inst,1444", ("db01",), ("1444",), ("nonstandard_port",)),
    ("tcp:db01,1444", ("db01",), ("1444",), ("nonstandard_port",)),
    ("TCP:db01.corp.example", ("db01.corp.example",), (), ()),
    ("10.1.2.3,1433", ("10.1.2.3",), ("1433",), ("raw_ip",)),
    ("fe80::1", ("fe80::1",), (), ("raw_ip",)),
    ("[2001:db8::1],1500", ("2001:db8::1",), ("1500",), ("raw_ip", "nonstandard_port")),
    ("np:\\\\db01\\pipe\\sql\\query", ("db01",), (), ()),
])
def test_remote_servers(server, host, port, signals):
    result = parsed('dtutil /SQL pkg /SourceServer "%s" /COPY FILE;C:\\x.dtsx' % server)
    assert result["source_server"] == server
    assert (result["remote_host"], result["remote_port"], result["transport"]) == (host, port, ("sql",))
    assert result["signals"] == ("remote_source",) + signals
    assert result["direction"] == "ingress"


@pytest.mark.parametrize("server", [
    ".", "(local)", "localhost", "LOCALHOST", "127.0.0.1", "::1", ".\\SQLEXPRESS", "(local)\\SQLEXPRESS",
    "localhost,1444", "tcp:.,1433", "tcp:(local)\\inst,1500", "127.0.0.1\\inst", "(localdb)\\MSSQLLocalDB",
    "lpc:db01", "np:\\\\.\\pipe\\sql\\query", "",
])
def test_local_servers(server):
    result = parsed('dtutil /DTS pkg /SourceServer "%s" /COPY "SQL;x" /DestServer "%s"' % (server, server))
    assert (result["remote_host"], result["remote_port"], result["transport"]) == ((), (), ())
    assert result["direction"] == "local"
    assert result["signals"] == ()


def test_sql_source_without_server_is_local():
    result = parsed(r"dtutil /SQL pkg /COPY FILE;\\fs\drop\p.dtsx")
    assert result["direction"] == "egress"
    assert result["remote_host"] == ("fs",)


def test_server_options_only_apply_to_sql_and_dts_ends():
    result = parsed(r"dtutil /FILE C:\a.dtsx /SourceServer db1 /DestServer db2 /COPY FILE;C:\b.dtsx")
    assert (result["source_server"], result["dest_server"]) == ("db1", "db2")
    assert result["remote_host"] == ()
    assert result["direction"] == "local"


def test_folder_operation_on_a_remote_server():
    result = parsed(r"dtutil /FCreate SQL;\;stage /SourceServer db9,1444")
    assert result["action"] == ("fcreate",)
    assert result["remote_host"] == ("db9",)
    assert result["direction"] == "none"
    assert "nonstandard_port" in result["signals"]


# --- The image ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,image,unusual", [
    ("dtutil /Q", "dtutil", False),
    ("DTUtil.EXE /Q", "DTUtil.EXE", False),
    ('"%s" /Q' % PROGRAM_FILES_IMAGE, PROGRAM_FILES_IMAGE, False),
    (PROGRAM_FILES_IMAGE + " /Q", PROGRAM_FILES_IMAGE, False),  # logged without quotes
    (r'"C:\Program Files (x86)\Microsoft SQL Server\130\DTS\Binn\dtutil.exe" /Q',
     r"C:\Program Files (x86)\Microsoft SQL Server\130\DTS\Binn\dtutil.exe", False),
    (r"%ProgramFiles%\Microsoft SQL Server\160\DTS\Binn\dtutil.exe /Q",
     r"%ProgramFiles%\Microsoft SQL Server\160\DTS\Binn\dtutil.exe", False),
    (r"C:\Users\Public\dtutil.exe /Q", r"C:\Users\Public\dtutil.exe", True),
    (r"C:\Windows\Temp\DTUtil.exe /Q", r"C:\Windows\Temp\DTUtil.exe", True),
    (r".\dtutil.exe /Q", r".\dtutil.exe", True),
    (r"C:\Program Files\Microsoft SQL Server\150\Binn\dtutil.exe /Q",
     r"C:\Program Files\Microsoft SQL Server\150\Binn\dtutil.exe", True),
    (r"C:\Tools\DTS\Binn\dtutil.exe /Q", r"C:\Tools\DTS\Binn\dtutil.exe", True),
])
def test_image_and_unusual_path(line, image, unusual):
    result = parsed(line)
    assert result["image"] == image
    assert ("unusual_image_path" in result["signals"]) is unusual


@pytest.mark.parametrize("line", [
    "", "   ", "calc.exe", "notepad dtutil.txt", "type C:\\logs\\dtutil.log", "mydtutil.exe /FILE a",
    "dtutil_backup.exe /FILE a", "C:\\dtutil\\run.exe /FILE a", "sqlcmd -Q \"select 1\"",
])
def test_no_invocation(line):
    result = parsed(line)
    blank_except(result, error="no dtutil invocation")


# --- Wrappers: cmd.exe, batch, PowerShell ----------------------------------------------------------

@pytest.mark.parametrize("line", [
    r'cmd.exe /c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx"',
    r'cmd /C dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx',
    r'cmd.exe /c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx & del C:\x.dtsx"',
    r'cmd.exe /c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx && echo ok"',
    r'cmd.exe /c dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx | findstr ok',
    r'cmd.exe /c dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx > log.txt',
    r'cmd.exe /c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx" & echo done',
    r'cmd.exe /c echo go & dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx',
    r'cmd.exe /c (dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx) & exit',
    'cmd.exe /c dtutil /FILE \\\\fs01\\s\\p.dtsx /COPY FILE;C:\\x.dtsx\r\ndel C:\\x.dtsx',
    r'C:\Windows\system32\cmd.exe /c dtutil.exe -file \\fs01\s\p.dtsx -copy file;C:\x.dtsx',
    r'powershell -c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx"',
    r'powershell.exe -NoProfile -Command "& dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx; Remove-Item C:\x.dtsx"',
    r"pwsh -c dtutil /FILE '\\fs01\s\p.dtsx' /COPY 'FILE;C:\x.dtsx' | Out-Null",
    r"powershell Start-Process dtutil -ArgumentList '/FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx'",
    r"powershell Start-Process -FilePath dtutil.exe -Wait -ArgumentList '/FILE','\\fs01\s\p.dtsx','/COPY','FILE;C:\x.dtsx'",
    r"powershell saps dtutil -Args '/FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx' -NoNewWindow",
])
def test_wrappers_find_the_invocation_and_where_it_ends(line):
    result = parsed(line)
    assert result["image"] in ("dtutil", "dtutil.exe")
    assert result["action"] == ("copy",)
    assert result["source_path"] == r"\\fs01\s\p.dtsx"
    assert result["dest_path"] == r"C:\x.dtsx"
    assert result["direction"] == "ingress"
    assert result["error"] == ""


@pytest.mark.parametrize("line", [
    r'cmd.exe /c ""%s" /FILE "\\fs01\s\My Pkgs\p.dtsx" /COPY "FILE;C:\My Packages\x.dtsx""' % PROGRAM_FILES_IMAGE,
    r"""powershell -c "& '%s' /FILE '\\fs01\s\My Pkgs\p.dtsx' /COPY 'FILE;C:\My Packages\x.dtsx'" """
    % PROGRAM_FILES_IMAGE,
    r'"%s" /FILE "\\fs01\s\My Pkgs\p.dtsx" /COPY FILE;"C:\My Packages\x.dtsx"' % PROGRAM_FILES_IMAGE,
])
def test_quoted_images_and_paths_with_spaces(line):
    result = parsed(line)
    assert result["image"] == PROGRAM_FILES_IMAGE
    assert result["source_path"] == r"\\fs01\s\My Pkgs\p.dtsx"
    assert result["dest_path"] == r"C:\My Packages\x.dtsx"
    assert result["signals"] == ("remote_source",)
    assert result["error"] == ""


def test_the_process_itself_takes_shell_characters_literally():
    result = parsed(r"dtutil /FILE C:\a&b.dtsx /COPY FILE;C:\c|d.dtsx")
    assert (result["source_path"], result["dest_path"]) == (r"C:\a&b.dtsx", r"C:\c|d.dtsx")


def test_caret_escapes_in_cmd():
    result = parsed(r"cmd /c dtutil /FILE C:\a^&b.dtsx /COPY FILE;C:\c.dtsx")
    assert (result["source_path"], result["dest_path"]) == (r"C:\a&b.dtsx", r"C:\c.dtsx")


def test_the_word_followed_by_options_wins():
    line = r"cmd /c copy \\fs\s\dtutil.exe C:\t\dtutil.exe & C:\t\dtutil.exe /FILE a /COPY FILE;b"
    result = parsed(line)
    assert result["image"] == r"C:\t\dtutil.exe"
    assert result["action"] == ("copy",)
    assert "unusual_image_path" in result["signals"]


# --- Errors --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,error", [
    ("dtutil /D x", "ambiguous option /D"),
    ("dtutil /S x", "ambiguous option /S"),
    ("dtutil -F x", "ambiguous option -F"),
    ("dtutil /DEST x", "ambiguous option /DEST"),
    ("dtutil /Zap", "unknown option /Zap"),
    ("dtutil /FILEX a", "unknown option /FILEX"),
    ("dtutil /SOURCEFILE a", "unknown option /SOURCEFILE"),
    ("dtutil /" + "X" * 100, "unknown option /" + "X" * 15 + "..."),
    ("dtutil /Bad\x00\n", "unknown option /Bad..."),
    ("dtutil /FILE", "missing value for /FILE"),
    ("dtutil /FILE /COPY FILE;b", "missing value for /FILE"),
    ('dtutil /FILE ""', "missing value for /FILE"),
    ("dtutil /fi a /copy", "missing value for /COPY"),
    ("dtutil /sourceS", "missing value for /SOURCESERVER"),
    ("dtutil /SQL a /SourcePassword", "missing value for /SOURCEPASSWORD"),
    ("dtutil /Dump", "missing value for /DUMP"),
    ('dtutil /FILE "C:\\My Packages\\a.dtsx', "unterminated quote"),
    ("dtutil /FILE a b", "unexpected argument after /FILE"),
    ("dtutil stray", "unexpected argument"),
])
def test_errors(line, error):
    assert parsed(line)["error"] == error


def test_first_error_wins_and_the_rest_is_still_parsed():
    result = parsed(r"dtutil /X /D /FILE \\fs\s\a.dtsx /COPY FILE;C:\Users\Public\a.dtsx")
    assert result["error"] == "unknown option /X"
    assert result["direction"] == "ingress"
    assert result["signals"] == ("remote_source", "user_writable_dest")


def test_unterminated_quote_keeps_what_parsed():
    result = parsed(r'dtutil /FILE \\fs\s\a.dtsx /COPY "FILE;C:\My Packages\a.dtsx')
    assert result["error"] == "unterminated quote"
    assert result["dest_path"] == r"C:\My Packages\a.dtsx"
    assert result["direction"] == "ingress"


def test_too_long_is_cut_and_said():
    line = "dtutil /FILE a /COPY FILE;b /R " + "x" * dtutil.MAX_COMMAND_LINE
    result = parsed(line)
    assert result["error"] == "command line too long"
    assert result["dest_path"] == "b"


@pytest.mark.parametrize("line", [
    "\x00", "\ufffd\ufffd dtutil \ufffd", "dtutil\x00/FILE", "\n\n\r", "dtutil /FILE \ufffd /COPY FILE;\x00",
    '"' * 1000, "\\" * 1000 + '"', "dtutil " + '\\"' * 500, "dtutil '" * 3, "cmd /c \"dtutil",
    "dtutil \"", "dtutil /", "dtutil -", "dtutil.exe\"", "\"dtutil.exe", "powershell -c 'dtutil",
    "cmd /c ((((dtutil /FILE a", "cmd /c dtutil ^", "powershell dtutil `",
])
def test_odd_input_never_raises(line):
    result = parsed(line)
    assert tuple(result) == dtutil.OUTPUT_FIELDS
    assert not result["error"].startswith("internal error")


# --- Secrets -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,secret", [
    ("dtutil /SQL a /SourcePassword /secretpass /COPY FILE;b", "/secretpass"),
    ("dtutil /SQL a /SourcePassword -FILE /COPY FILE;b", None),  # looks like an option, is a password
    ("dtutil /SQL a /DestPassword -Zsecret /COPY FILE;b", "-Zsecret"),
    ('dtutil /SQL a /DestPassword "two words" /COPY FILE;b', "two words"),
    ("dtutil /FILE a /Decrypt ;;;; /COPY FILE;b", ";;;;"),
    ("dtutil /FILE a /ENCRYPT FILE;b;3;/Zxy /Q", "/Zxy"),
    ("dtutil /FILE a /ENCRYPT FILE;b;3;s3cr;et", "s3cr;et"),
    ("dtutil /FILE a /DestP", None),
])
def test_passwords_never_come_out(line, secret):
    result = parsed(line)
    if secret:
        assert secret not in repr(result)
    assert result["error"] in ("", "missing value for /DESTPASSWORD")
    assert "cleartext_password" in result["signals"] or result["error"]


def test_password_option_consumes_the_next_word_whatever_it_is():
    result = parsed("dtutil /SQL a /SourcePassword /COPY /MOVE FILE;b")
    assert result["action"] == ("move",)
    assert result["redacted"] == ("sourcepassword",)


def test_misspelt_password_option_does_not_echo_the_password():
    result = parsed("dtutil /SQL a /DestPwd hunter2x /COPY FILE;b")
    assert result["error"] == "unknown option /DestPwd"
    assert "hunter2x" not in repr(result)


# --- Records ----------------------------------------------------------------------------------------------

LINE = r"dtutil /FILE \\fs\s\a.dtsx /COPY FILE;C:\a.dtsx"


@pytest.mark.parametrize("record,field,direction", [
    ({"CommandLine": LINE}, None, "ingress"),
    ({"process": LINE}, None, "ingress"),
    ({"Process_Command_Line": LINE}, None, "ingress"),
    ({"CommandLine": "", "process": LINE}, None, "ingress"),
    ({"CommandLine": None, "Process_Command_Line": LINE}, None, "ingress"),
    ({"CommandLine": "   ", "process": LINE}, None, "ingress"),
    ({"CommandLine": "dtutil /Q", "process": LINE}, None, "none"),  # the first present wins
    ({"CommandLine": ["", "calc.exe", LINE]}, None, "ingress"),  # the value with dtutil in it
    ({"CommandLine": [None, ""], "process": LINE}, None, "ingress"),
    ({"cmd": LINE, "CommandLine": "dtutil /Q"}, "cmd", "ingress"),
    ({"CommandLine": LINE}, "cmd", ""),  # field= reads only that field
    ({}, None, ""),
])
def test_describe_picks_the_command_line(record, field, direction):
    assert dtutil.describe(record, field)["direction"] == direction


def test_describe_multivalue_without_dtutil_takes_the_first_value():
    result = dtutil.describe({"CommandLine": ["", "calc.exe", "notepad.exe"]})
    assert result["error"] == "no dtutil invocation"


def test_describe_without_a_command_line():
    result = dict(dtutil.describe({"other": "x"}))
    blank_except(result, error="no dtutil invocation")


def test_describe_odd_values():
    assert dtutil.describe({"CommandLine": 42})["error"] == "no dtutil invocation"
    assert dtutil.describe({"CommandLine": ("dtutil /Q",)})["image"] == "dtutil"


def test_required_fields():
    assert dtutil.required_fields(None) == ["CommandLine", "process", "Process_Command_Line"]
    assert dtutil.required_fields("cmd") == ["cmd"]


# --- Linear time ------------------------------------------------------------------------------------------

ADVERSARIAL = [
    ("", "\\"), ("", '"'), ("", "/"), ("", "-"), ("dtutil ", "/F "), ("", "dtutil "),
    ("", "dtutil\" "), ("", "\"dtutil "), ("dtutil ", '\\"'), ("dtutil ", "\\\\\""),
    ("cmd /c \"dtutil ", "^&"), ("cmd /c ", "("), ("cmd /c \"dtutil ", "a\""),
    ("powershell -c \"& 'dtutil.exe' ", "'"), ("powershell Start-Process dtutil -ArgumentList ", "'a',"),
    ("dtutil /FILE ", "\\\\h@SSL@1\\s "), ("dtutil ", "/Dec "), ("", "C:\\a b\\"), ("dtutil ", " "),
    ("", "dtutil.exe\\"), ("dtutil /ENCRYPT ", "FILE;a;3;;"),
    ("dtutil /FILE ", "&amp;"), ("cmd /c dtutil ", "&gt;"), ("dtutil ", "2>&1 "), ("dtutil ", '"/FILE x '),
]


@pytest.mark.parametrize("head,unit", ADVERSARIAL)
def test_linear_time(head, unit):
    parse = dtutil.parse.__wrapped__  # uncached
    size = 12_000

    def line(length):
        return head + unit * (length // len(unit)) + " dtutil.exe /FILE x"

    small = median_time(parse, line(size))
    large = median_time(parse, line(4 * size))
    assert large / max(small, 1e-5) < 8, (small, large)


def test_the_cache_is_bounded_and_skips_long_lines():
    dtutil.parse.cache_clear()
    first = dtutil.parse("dtutil /Q")
    assert dtutil.parse("dtutil /Q") is first
    assert dtutil.describe({"CommandLine": "dtutil /Q"}) is first
    info = dtutil.parse.cache_info()
    assert (info.misses, info.maxsize, info.currsize) == (1, dtutil.CACHE_SIZE, 1)
    long_line = "dtutil /Q /R " + "x" * dtutil.CACHED_LENGTH
    assert dtutil.parse(long_line) == dtutil.parse(long_line)
    assert dtutil.parse("calc.exe /x") is dtutil.parse("notepad")  # no entry for a non-dtutil line
    assert dtutil.parse.cache_info().currsize == 1
    # Its keys stay within 32 Mi characters, as the 4,096 x 8 KiB of the first version.
    assert dtutil.CACHE_SIZE * dtutil.CACHED_LENGTH <= 32 * 2 ** 20


def test_the_cache_drops_its_oldest_line_when_full(monkeypatch):
    monkeypatch.setattr(dtutil, "CACHE_SIZE", 3)
    dtutil.parse.cache_clear()
    results = [dtutil.parse("dtutil /FILE a%d" % n) for n in range(4)]
    assert dtutil.parse.cache_info().currsize == 3
    assert dtutil.parse("dtutil /FILE a3") is results[3]
    assert dtutil.parse("dtutil /FILE a0") is not results[0]  # dropped, parsed again
    assert dtutil.parse("dtutil /FILE a0") == results[0]
    dtutil.parse.cache_clear()


@pytest.mark.parametrize("value", [None, 42, ["dtutil /Q"]])
def test_parse_of_a_non_string_never_raises(value):
    result = dtutil.parse(value)  # type: ignore[arg-type]
    assert tuple(result) == dtutil.OUTPUT_FIELDS
    assert not result["error"].startswith("internal error")


def test_batch_echo_off_mark_is_not_part_of_the_image():
    result = parsed("cmd /c @dtutil /FILE a /DELETE")
    assert (result["image"], result["action"]) == ("dtutil", ("delete",))


def test_a_line_with_more_arguments_than_dtutil_could_take_is_read_only_so_far():
    line = "dtutil /FILE \\\\fs01\\s\\p.dtsx /COPY FILE;C:\\x.dtsx " + "/Q " * (dtutil.MAX_ARGUMENTS + 50)
    result = dtutil.parse(line)
    assert result["direction"] == "ingress"  # what came before the limit is still read
    assert result["error"] == "too many arguments"


def test_an_open_quote_cannot_carry_a_password_into_an_error():
    # Found by `make fuzz`: the open quote makes `/Dec XPa55word!` part of an unknown option's
    # word, and the error used to echo 40 characters of that word.
    result = dtutil.parse('dtutil  /\x00d1.G"\\\x00x /Dec XPa55word!')
    assert all("XPa55word!" not in (v if isinstance(v, str) else " ".join(v)) for v in result.values())
    assert result["error"] == "unknown option /..."


# --- Issue 14: redirections, shell syntax on a bare line, a quoted option list, hosts, images ----
#
# Written from Microsoft's documentation: dtutil's syntax (dtutil-syntax.md), cmd's "Using
# command redirection operators" (`>`, `>>`, `<`, `n>file`, `2>nul`, `2>&1`, `1>out`) and
# PowerShell's about_Redirection (`2>&1`, `2>>`, `*>`, `>$null`, `3>&1`).

COPY_LINE = r"dtutil /FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx"


def assert_the_copy(result):
    assert result["source_path"] == r"\\fs01\ssis$\p.dtsx"
    assert result["dest_path"] == r"C:\pkgs\p.dtsx"
    assert result["direction"] == "ingress"
    assert result["error"] == ""


@pytest.mark.parametrize("wrapper", ["cmd.exe /c {}", 'cmd /c "{}"', "powershell -c {}",
                                     'powershell.exe -NoProfile -Command "& {}"'])
@pytest.mark.parametrize("redirection", [
    "2>>C:\\logs\\dtutil.log", "2>nul", "2>&1", "1>out.txt", "1>>out.txt", "> out.txt 2>&1",
    ">nul 2>&1", "2> err.txt", "1> C:\\logs\\out.txt 2> C:\\logs\\err.txt",
])
def test_fd_redirections_after_the_options_leave_no_digit(wrapper, redirection):
    result = parsed(wrapper.format(COPY_LINE + " " + redirection))
    assert_the_copy(result)


@pytest.mark.parametrize("redirection", ["*>$null", "*>> C:\\logs\\all.log", "3>&1", "2>&1 | Out-Null",
                                         ">$null", "2>$null"])
def test_powershell_redirections(redirection):
    result = parsed("powershell -c " + COPY_LINE + " " + redirection)
    assert_the_copy(result)


def test_a_redirection_before_the_options_is_removed_with_its_target():
    result = parsed(r"cmd /c dtutil 2>nul /FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx")
    assert_the_copy(result)


def test_a_quoted_redirection_target_is_removed_whole():
    result = parsed(r'cmd /c ' + COPY_LINE + r' 2>"C:\My Logs\err.txt"')
    assert_the_copy(result)


def test_a_password_followed_by_a_redirection_is_still_redacted():
    result = parsed(r"cmd /c dtutil /SQL pkg /SourceUser u /SourcePassword Secr3t 2>nul")
    assert result["redacted"] == ("sourcepassword",)
    assert result["error"] == ""
    assert "Secr3t" not in repr(result)


def test_a_digit_inside_a_word_is_not_a_handle():
    result = parsed(r"cmd /c dtutil /FILE C:\pkgs\v2>nul")
    assert result["source_path"] == r"C:\pkgs\v2"
    assert result["error"] == ""


@pytest.mark.parametrize("tail", [">nul 2>&1", ">nul", "2>nul", "2>>dtutil.log", "> C:\\logs\\copy.log 2>&1",
                                  "1>out.txt", ">>log.txt"])
def test_a_bare_line_with_redirections_is_shell_syntax(tail):
    result = parsed(COPY_LINE + " " + tail)
    assert_the_copy(result)


def test_a_bare_line_with_redirections_ends_at_an_operator_as_a_script_line():
    result = parsed(COPY_LINE + " >nul 2>&1 && echo copied")
    assert_the_copy(result)


def test_a_bare_line_without_redirections_is_still_the_process_itself():
    # The documented placeholder `<servername>` is no redirection; `&` in a path is literal.
    result = parsed(r"dtutil /FILE c:\sourcepkg.dtsx /DestServer <servername> /COPY SQL;destpkgname")
    assert result["dest_server"] == "<servername>"
    result = parsed(r"dtutil /FILE C:\R&D\a.dtsx /COPY FILE;C:\x>y.dtsx")
    assert (result["source_path"], result["dest_path"]) == (r"C:\R&D\a.dtsx", r"C:\x>y.dtsx")


def test_a_redirection_inside_quotes_is_an_argument():
    result = parsed(r'dtutil /FILE "C:\a >nul.dtsx" /COPY FILE;C:\b.dtsx')
    assert result["source_path"] == r"C:\a >nul.dtsx"
    assert result["error"] == ""


@pytest.mark.parametrize("line", [
    r'dtutil "/FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx"',
    r'dtutil.exe "/FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx"',
    r'"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTUtil.exe" "/FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx"',
    r'cmd /c dtutil "/FILE \\fs01\ssis$\p.dtsx /COPY FILE;C:\pkgs\p.dtsx"',
    r'dtutil "/FILE \\fs01\ssis$\p.dtsx" "/COPY FILE;C:\pkgs\p.dtsx"',
    r'dtutil /FILE \\fs01\ssis$\p.dtsx "/COPY FILE;C:\pkgs\p.dtsx"',
])
def test_the_option_list_in_one_quoted_argument_is_read(line):
    result = parsed(line)
    assert_the_copy(result)
    assert result["signals"][-1] == "quoted_option_list"


def test_a_quoted_option_list_to_a_public_folder_is_a_transfer():
    result = parsed(r'dtutil.exe "/FILE \\host\s\a.dtsx /COPY FILE;C:\Users\Public\a.dtsx"')
    assert result["direction"] == "ingress"
    assert result["remote_host"] == ("host",)
    assert result["signals"] == ("remote_source", "user_writable_dest", "quoted_option_list")


def test_a_quoted_option_list_keeps_its_own_quotes_and_passwords():
    result = parsed(r'dtutil "/SQL pkg /SourceUser u /SourcePassword ""p w"" /COPY ""FILE;C:\My Pkgs\p.dtsx"""')
    assert result["dest_path"] == r"C:\My Pkgs\p.dtsx"
    assert result["redacted"] == ("sourcepassword",)
    assert "p w" not in repr(result)
    assert result["error"] == ""


@pytest.mark.parametrize("line", [
    r'dtutil /FILE "C:\My Packages\a.dtsx" /COPY FILE;C:\b.dtsx',  # a value with a blank
    r'dtutil /FILE a.dtsx /Decrypt "/COPY FILE;x" /Q',  # a password is never split
    r'dtutil /FILE a.dtsx /REMARK "copy /FILE b" /Q',
])
def test_a_value_with_blanks_is_not_an_option_list(line):
    result = parsed(line)
    assert "quoted_option_list" not in result["signals"]
    assert result["error"] == ""


def test_a_quoted_word_starting_with_an_unknown_option_is_an_error_not_a_list():
    result = parsed(r'dtutil "/X a /COPY FILE;b"')
    assert result["error"] == "unknown option /X..."
    assert "quoted_option_list" not in result["signals"]


@pytest.mark.parametrize("option,value,error", [
    ("/SourceServer", "'", "bad host for /SOURCESERVER"),
    ("/SourceServer", "''", "bad host for /SOURCESERVER"),
    ("/SourceServer", '"db 01"', "bad host for /SOURCESERVER"),
    ("/SourceServer", '"db\t01"', "bad host for /SOURCESERVER"),
    ("/SourceServer", '"\'\\inst,1444"', "bad host for /SOURCESERVER"),
    ("/SourceServer", '"np:\\\\\' \'\\pipe\\sql"', "bad host for /SOURCESERVER"),
])
def test_a_quote_is_not_a_host(option, value, error):
    result = parsed("dtutil /SQL pkg %s %s /COPY FILE;C:\\x.dtsx" % (option, value))
    assert result["remote_host"] == ()
    assert result["transport"] == ()
    assert "remote_source" not in result["signals"]
    assert result["error"] == error


def test_a_tsql_template_line_gives_no_host():
    line = "EXEC xp_cmdshell 'dtutil /SQL ' + @pkg + ' /SourceServer ' + @@SERVERNAME + ' /COPY FILE;C:\\x.dtsx'"
    result = parsed(line)
    assert "'" not in "".join(result["remote_host"])
    assert result["error"]


@pytest.mark.parametrize("path,option,error", [
    (r"\\'\s\p.dtsx", "/FILE", "bad host for /FILE"),
    ("\\\\fs\x0101\\s\\p.dtsx", "/FILE", "bad host for /FILE"),
    (r"\\fs 01\s\p.dtsx", "/FILE", "bad host for /FILE"),
])
def test_a_bad_unc_host_is_an_error(path, option, error):
    result = parsed('dtutil %s "%s" /COPY FILE;C:\\x.dtsx' % (option, path))
    assert (result["remote_host"], result["share"], result["transport"]) == ((), (), ())
    assert result["direction"] == "local"
    assert result["error"] == error


def test_a_bad_destination_host_names_the_destination_option():
    result = parsed(r'dtutil /FILE C:\a.dtsx /MOVE "FILE;\\fs 01\s\p.dtsx"')
    assert result["error"] == "bad host for /MOVE"
    assert result["remote_host"] == ()
    result = parsed(r"dtutil /FILE C:\a.dtsx /DestServer ' /COPY SQL;p")
    assert result["error"] == "bad host for /DESTSERVER"


def test_a_good_host_after_a_bad_one_is_still_reported():
    result = parsed(r"dtutil /FILE \\fs01\s\p.dtsx /DestServer ' /COPY SQL;p")
    assert result["remote_host"] == ("fs01",)
    assert result["direction"] == "ingress"
    assert result["error"] == "bad host for /DESTSERVER"


@pytest.mark.parametrize("image,unusual", [
    (r"I:\SQL2008r2\x86\100\DTS\binn\dtutil.exe", False),
    (r"D:\MSSQL\150\DTS\Binn\DTUtil.exe", False),
    (r"E:\Apps\SQL\x64\90\DTS\Binn\dtutil.exe", False),
    (r"\\?\C:\Program Files\Microsoft SQL Server\160\DTS\Binn\dtutil.exe", False),
    (r"C:\Users\Public\150\DTS\Binn\dtutil.exe", True),
    (r"C:\Users\bob\Downloads\150\DTS\Binn\dtutil.exe", True),
    (r"C:\Windows\Temp\150\DTS\Binn\dtutil.exe", True),
    (r"%TEMP%\150\DTS\Binn\dtutil.exe", True),
    (r"\\fs01\tools\150\DTS\Binn\dtutil.exe", True),
    (r"\\fs01\c$\Program Files\Microsoft SQL Server\150\DTS\Binn\dtutil.exe", True),
    (r"C:\Users\bob\Downloads\Microsoft SQL Server\150\DTS\Binn\dtutil.exe", True),
    (r"D:\MSSQL\DTS\Binn\dtutil.exe", True),
    (r"D:\MSSQL\150x\DTS\Binn\dtutil.exe", True),
    (r"D:\MSSQL\150\DTS\dtutil.exe", True),
])
def test_sql_server_layout_under_any_install_root(image, unusual):
    result = parsed('"%s" /FILE a.dtsx /Q' % image)
    assert result["image"] == image
    assert ("unusual_image_path" in result["signals"]) is unusual


# --- Issue 14: XML entities as Splunk's Windows add-on leaves them -------------------------------

@pytest.mark.parametrize("decoded,encoded", [
    (r"dtutil /FILE \\fs01\R&D\pkg.dtsx /COPY FILE;C:\x.dtsx", r"dtutil /FILE \\fs01\R&amp;D\pkg.dtsx /COPY FILE;C:\x.dtsx"),
    (r'cmd /c "dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx >nul 2>&1"',
     r'cmd /c &quot;dtutil /FILE \\fs01\s\p.dtsx /COPY FILE;C:\x.dtsx &gt;nul 2&gt;&amp;1&quot;'),
    (r"cmd /c dtutil /FILE a /COPY FILE;b & del b", r"cmd /c dtutil /FILE a /COPY FILE;b &amp; del b"),
    (r"dtutil /FILE c:\s.dtsx /DestServer <servername> /COPY SQL;d",
     r"dtutil /FILE c:\s.dtsx /DestServer &lt;servername&gt; /COPY SQL;d"),
    (r"powershell -c dtutil /FILE 'a b.dtsx' /COPY FILE;c", r"powershell -c dtutil /FILE &apos;a b.dtsx&apos; /COPY FILE;c"),
])
def test_an_entity_encoded_line_reads_as_the_decoded_one(decoded, encoded):
    assert parsed(encoded) == parsed(decoded)


def test_the_rd_share_reads_as_written():
    result = parsed(r"dtutil /FILE \\fs01\R&amp;D\pkg.dtsx /COPY FILE;C:\x.dtsx")
    assert result["source_path"] == r"\\fs01\R&D\pkg.dtsx"
    assert result["share"] == (r"\\fs01\r&d",)


@pytest.mark.parametrize("line", [
    r"dtutil /FILE \\fs01\R&amp;D\p.dtsx /Decrypt S3cr&amp;t /COPY FILE;C:\x.dtsx",
    r'cmd /c dtutil /FILE "\\fs01\R&amp;D\p.dtsx" /Decrypt "S3cr&amp;t" /COPY FILE;C:\x.dtsx 2&gt;nul',
    r"dtutil /FILE C:\a&lt;b.dtsx /SourcePassword S3cr&gt;t /COPY FILE;C:\x.dtsx",
])
def test_a_password_after_an_encoded_character_is_still_redacted(line):
    result = parsed(line)
    assert result["redacted"] in (("decrypt",), ("sourcepassword",))
    assert result["error"] == ""
    assert "S3cr" not in repr(result)


def test_entities_are_decoded_once():
    result = parsed(r"dtutil /FILE C:\a&amp;gt;b.dtsx /COPY FILE;C:\x.dtsx")
    assert result["source_path"] == r"C:\a&gt;b.dtsx"
