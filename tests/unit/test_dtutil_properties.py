"""dtutil properties: any text parses to the full schema without raising, and a password given in
any place dtutil takes one never appears in any output value."""
import subprocess
import types

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lotl import dtutil
from lotl.annotate import Annotator

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
# Text made of what command lines are made of, so that the parser's branches are reached.
LINE_PARTS = st.sampled_from([
    "dtutil", "dtutil.exe", "DTUtil.exe", " ", " ", "\t", '"', "'", "\\", "\\\\", "/", "-", ";", "&",
    "|", "(", ")", "^", "`", "@", ",", ":", "%TEMP%", "cmd /c ", "powershell -c ", "Start-Process ",
    "-ArgumentList ", "/FILE ", "/COPY ", "/Fi", "/D", "/SourcePassword ", "/Decrypt ", "/ENCRYPT ",
    "FILE;", "SQL;", "DTS;", "\\\\fs01\\s\\", "@SSL", "@8443", "DavWWWRoot", ".ipv6-literal.net",
    "fe80--1", "tcp:", "db01,1444", "(local)", "x.dtsx", "C:\\Users\\", "\n", "\x00", "\ufffd",
])
SHAPED_TEXT = st.lists(LINE_PARTS, max_size=40).map("".join)


def assert_schema(result):
    assert tuple(result) == dtutil.OUTPUT_FIELDS
    for name, value in result.items():
        if name in dtutil.MULTIVALUE_FIELDS:
            assert isinstance(value, tuple)
            assert all(isinstance(item, str) for item in value)
            assert len(set(value)) == len(value), (name, value)
        else:
            assert isinstance(value, str), name
    assert not result["error"].startswith("internal error"), result["error"]
    assert result["direction"] in ("", "ingress", "egress", "relay", "local", "none")
    assert set(result["transport"]) <= {"smb", "webdav", "webdav_ssl", "sql"}
    assert set(result["redacted"]) <= {"sourcepassword", "destpassword", "decrypt", "encrypt"}
    if result["error"] == "no dtutil invocation":
        assert all(not value for name, value in result.items() if name != "error")


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_any_text_parses_to_the_schema(line):
    assert_schema(dtutil.parse.__wrapped__(line))


@settings(max_examples=400, deadline=None)
@given(SHAPED_TEXT)
@example('cmd /c "dtutil /FILE "a b" /COPY FILE;c"')
@example("powershell -c 'dtutil")
def test_command_like_text_parses_to_the_schema(line):
    assert_schema(dtutil.parse.__wrapped__(line))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(dtutil.SOURCE_FIELDS) + ["other"]),
                       st.one_of(st.none(), SHAPED_TEXT, st.lists(st.one_of(st.none(), SHAPED_TEXT),
                                                                     max_size=3))),
       st.one_of(st.none(), st.sampled_from(["CommandLine", "other", "missing"])))
def test_any_record_is_described(record, field):
    assert_schema(dtutil.describe(record, field))


# --- Secret redaction ---------------------------------------------------------------------------------

PASSWORDS = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from(" ;\"'/-\\"),
                    min_size=4, max_size=16)

# Every constant the parser can put in an output: a password equal to a part of one of these is
# found in the output for reasons that have nothing to do with it.
VOCABULARY = " ".join([
    *dtutil.OUTPUT_FIELDS, "copy move delete exists encrypt sign fcreate fdelete fdirectory fexists",
    "frename idregenerate dump help file sql dts smb webdav webdav_ssl ingress egress relay local none",
    "remote_source remote_dest webdav raw_ip nonstandard_port user_writable_dest cleartext_password",
    "sql_auth unusual_image_path quoted_option_list sourcepassword destpassword decrypt encrypt",
    "unknown option ambiguous option missing value for unterminated quote unexpected argument after",
    "bad value for more than one source package destination no dtutil invocation command line too long",
    "bad host for too many arguments",
    *(option.name for option in dtutil.OPTIONS),
]).lower()

# Where dtutil takes a password: {password} is the quoted password word; {raw} the password as
# part of a larger word (the 4th part of /ENCRYPT's value), quoted as a whole by the template.
PASSWORD_PLACES = [
    "dtutil /SQL pkg /SourceUser u /SourcePassword {password} /COPY FILE;C:\\x.dtsx",
    "dtutil /SQL pkg /SOURCEP {password} /COPY FILE;C:\\x.dtsx",
    "dtutil -sourcepass {password}",
    "dtutil /FILE C:\\a.dtsx /DestServer db /DestUser u /DestPassword {password} /COPY SQL;x",
    "dtutil /FILE C:\\a.dtsx /destp {password} /MOVE SQL;x",
    "dtutil /DestPassword {password}",
    "dtutil /FILE C:\\a.dtsx /Decrypt {password} /COPY FILE;C:\\b.dtsx",
    "dtutil /FILE C:\\a.dtsx -dec {password}",
    "dtutil /FILE C:\\a.dtsx /ENCRYPT {encrypt}",
    "dtutil /FILE C:\\a.dtsx /En {encrypt} /Q",
    'cmd.exe /c "dtutil /SQL pkg /SourcePassword {password} /COPY FILE;C:\\x.dtsx & echo done"',
    "\"C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\DTUtil.exe\" /Dec {password} /FILE a",
    "dtutil /Zap /Decrypt {password} /Bad /FILE",
    "dtutil /Decrypt {password} /Decrypt {password} /FILE a",
]


def _quote_for_cmd(text):
    """Quotes a word so that both cmd.exe (quotes toggle; no escapes) and the C runtime keep it
    whole: always in quotes, an inner `"` written `""`, backslashes before a quote doubled."""
    pieces = ['"']
    backslashes = 0
    for char in text:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            pieces.append("\\" * (2 * backslashes) + '""')
        else:
            pieces.append("\\" * backslashes + char)
        backslashes = 0
    pieces.append("\\" * (2 * backslashes) + '"')
    return "".join(pieces)


def _place(template, password):
    if template.startswith("cmd"):
        quoted = _quote_for_cmd(password)
    else:
        quoted = subprocess.list2cmdline([password])
    encrypt = subprocess.list2cmdline(["FILE;C:\\out\\b.dtsx;3;" + password])
    return template.format(password=quoted, encrypt=encrypt)


def _output_values(result):
    for value in result.values():
        if isinstance(value, tuple):
            yield from value
        else:
            yield value


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PASSWORD_PLACES), PASSWORDS)
@example(PASSWORD_PLACES[0], "/COPY FILE;x")
@example(PASSWORD_PLACES[6], "-FILE \\\\evil\\s")
@example(PASSWORD_PLACES[8], 'ab"c;d e')
@example(PASSWORD_PLACES[10], "a & b|c")
def test_passwords_never_leave(template, password):
    line = _place(template, password)
    rest = line.replace(password, "")
    assume(password.lower() not in rest.lower())
    assume(password.lower() not in VOCABULARY)
    assume(password.strip() == password and password.strip())
    result = dtutil.parse.__wrapped__(line)
    if not dtutil._has_redirection(line, 0):
        # (A bare line holding `>` at a word start, `/Decrypt 0>0|`, is read as shell syntax,
        # which removes the redirection: then the password may be gone; it never leaks.)
        assert result["redacted"], line
        assert "cleartext_password" in result["signals"]
    for value in _output_values(result):
        assert password not in value, (line, value)
        assert password.lower() not in value.lower(), (line, value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("dtuilDTUIL.exe ıİſK\\\"/ x"), max_size=40) | st.text(max_size=60))
@example("dtutıl.exe /FILE a")  # dotless i: Windows resolves it to DTUTIL.EXE
@example("DTUTIL /FILE a")
def test_the_fast_reject_never_hides_an_invocation(line):
    # parse() skips lines that cannot hold the dtutil word; it must agree with the full scan.
    if dtutil._cannot_hold_dtutil(line):
        assert dtutil._DTUTIL_WORD.search(line) is None
        assert dtutil.parse(line) == dtutil.parse_uncached(line)


def _choose_word_by_loop(line):
    """The plain loop the two regex scans replaced: the reference they must agree with."""
    first = None
    for match in dtutil._DTUTIL_WORD.finditer(line):
        start, end = match.span()
        if start > 0 and line[start - 1] not in dtutil._BEFORE_WORD:
            continue
        if end < len(line) and line[end] not in dtutil._AFTER_WORD:
            continue
        if first is None:
            first = (start, end)
        after = end + 1 if end < len(line) and line[end] in "\"'" else end
        while after < len(line) and line[after] in " \t":
            after += 1
        if after < len(line) and line[after] in "/-":
            return start, end
    return first


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["dtutil", "DTUtil.exe", "dtutil.exex", "x", " ", "\t", '"', "'", "/", "-",
                                 "\\", "&", ".exe", "f", "ıl", "(", ")", ";"]), max_size=25).map("".join))
@example('echo "dtutil" & "C:\\x\\dtutil.exe" -file a')
def test_word_choice_agrees_with_the_plain_loop(line):
    assert dtutil._choose_word(line) == _choose_word_by_loop(line)


# --- XML entities: a line and its entity-encoded form read the same ----------------------------------

ENTITIES = ("&gt;", "&lt;", "&amp;", "&quot;", "&apos;")
# As a script or Splunk writes them: redirections, chains, `&` in paths, quotes.
ENTITY_PARTS = st.sampled_from([
    "dtutil ", "cmd /c ", 'cmd.exe /c "', "powershell -c ", " /FILE ", " /COPY ", "FILE;", "SQL;", " /Q",
    " /Decrypt ", " /SourcePassword ", " /SourceServer ", "\\\\fs01\\R&D\\", "x.dtsx", "C:\\Users\\Public\\",
    " >nul", " 2>&1", " 2>>log.txt", " 1>out", " & echo x", " && del b", " | findstr ok", "<servername>",
    '"', "'", " ", "^&", "^>", "S3cr&t", "p<w>d", "a'b", "(", ")", "%%f",
])
ENTITY_LINES = st.one_of(SHAPED_TEXT, st.lists(ENTITY_PARTS, max_size=25).map("".join))


def _encode(text, quotes):
    encoded = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return encoded.replace('"', "&quot;").replace("'", "&apos;") if quotes else encoded


@settings(max_examples=500, deadline=None)
@given(ENTITY_LINES, st.booleans())
@example(r"dtutil /FILE \\fs01\R&D\pkg.dtsx /COPY FILE;C:\x.dtsx", False)
@example('cmd /c "dtutil /FILE a /Decrypt S3cr&t /COPY FILE;b >nul 2>&1"', True)
def test_a_line_and_its_entity_encoded_form_read_the_same(line, quotes):
    assume(not any(entity in line for entity in ENTITIES))
    encoded = _encode(line, quotes)
    assert dtutil.parse.__wrapped__(encoded) == dtutil.parse.__wrapped__(line)
    assert dtutil.describe({"CommandLine": encoded}) == dtutil.describe({"CommandLine": line})


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PASSWORD_PLACES[:10]), PASSWORDS, st.booleans())
@example(PASSWORD_PLACES[0], "0>0|", False)
@example(PASSWORD_PLACES[6], "S3cr&t", True)
def test_passwords_never_leave_an_encoded_line(template, password, quotes):
    line = _place(template, password)
    assume(not any(entity in line for entity in ENTITIES))
    rest = line.replace(password, "")
    assume(password.lower() not in rest.lower())
    assume(password.lower() not in VOCABULARY)
    assume(password.strip() == password and password.strip())
    result = dtutil.parse.__wrapped__(_encode(line, quotes))
    assert result == dtutil.parse.__wrapped__(line)
    if not dtutil._has_redirection(line, 0):
        assert result["redacted"], line
    for value in _output_values(result):
        assert password.lower() not in value.lower(), (line, value)


def _resolve_by_listing(word):
    """The documented rule, written as a listing of the options: the reference the table of
    prefixes must agree with."""
    name = word[1:].upper()
    if name == "?":
        return dtutil.QUESTION_MARK.name, ""
    matches = [option for option in dtutil.OPTIONS if name and option.name.startswith(name)]
    accepted = [option for option in matches if len(name) >= option.minimum]
    if len(accepted) == 1:
        return accepted[0].name, ""
    return None, ("ambiguous option " if matches else "unknown option ")


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from("/-") | st.just(""), st.text(alphabet=st.sampled_from("ACDEFHILMNOPQRSTUVXYacdefilmoprsuvſı?"),
                                                      max_size=16) | st.text(max_size=8))
def test_the_option_table_agrees_with_the_documented_rule(dash, name):
    option, problem = dtutil.resolve_option(dash + name)
    expected, message = _resolve_by_listing(dash + name)
    assert (option.name if option else None) == expected
    assert problem.startswith(message) if message else problem == ""


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(['"', "'", "^", "`", "(", ")", "{", "}", "a", " ", "cmd /c ", "&"]),
                max_size=30).map("".join), st.booleans())
def test_the_prefix_scan_agrees_with_the_character_loop(prefix, powershell):
    escape = "`" if powershell else "^"
    assert dtutil._scan_shell(prefix, powershell, escape) == dtutil._scan_shell_by_character(prefix, powershell, escape)


# --- What the search command writes: by value, as the general path would --------------------------

def test_describe_value_is_parse_without_its_empty_fields_example():
    line = r"dtutil /FILE \\fs01\s\a.dtsx /COPY FILE;C:\Users\Public\a.dtsx"
    assert dict(dtutil.describe_value(line)) == {
        name: value for name, value in dtutil.parse.__wrapped__(line).items() if value}


@settings(max_examples=400, deadline=None)
@given(st.one_of(SHAPED_TEXT, ENTITY_LINES, ANY_TEXT))
def test_describe_value_is_parse_without_its_empty_fields(line):
    described = dtutil.describe_value(line)
    assert all(described.values()), described
    assert dict(described) == {name: value for name, value in dtutil.parse.__wrapped__(line).items() if value}


def _written(record):
    """A record as splunklib writes it: a one-value tuple or list is that value, a longer one a list."""
    return {name: (value[0] if len(value) == 1 else list(value)) if isinstance(value, (list, tuple)) else value
            for name, value in record.items()}


RECORD_VALUES = st.one_of(st.none(), st.just(""), st.just("  "), ENTITY_LINES,
                          st.lists(st.one_of(st.none(), st.just(""), ENTITY_LINES), max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(list(dtutil.SOURCE_FIELDS) + ["other"]), RECORD_VALUES),
                max_size=8),
       st.one_of(st.none(), st.sampled_from(["CommandLine", "process", "other"])),
       st.randoms(use_true_random=False))
def test_the_command_writes_what_describe_gives_for_every_record(records, field, random):
    # The annotator reads dtutil by value, memoised across records; the reference is the general
    # path (describe per record, converted): the same records, written the same. Records repeat
    # in shuffled order, so that a value meets the memo from every field.
    records = records + [dict(record) for record in records]
    random.shuffle(records)
    by_value = Annotator(dtutil, "dtutil_", field)
    general = Annotator(types.SimpleNamespace(describe=dtutil.describe, OUTPUT_FIELDS=dtutil.OUTPUT_FIELDS,
                                              required_fields=dtutil.required_fields), "dtutil_", field)
    written = [_written(record) for record in by_value.annotate([dict(record) for record in records])]
    expected = [_written(record) for record in general.annotate([dict(record) for record in records])]
    assert written == expected
