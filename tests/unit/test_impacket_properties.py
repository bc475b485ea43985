"""lotl.impacket properties: any text or record is described without raising, with the fixed fields
and types; an artifact set in random surrounding text is found, with its kind, where it was put."""
import datetime
import decimal
import string

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lotl import entities, impacket

KINDS = ("epoch_output", "epoch5_output", "smbexec_output", "system32_tmp", "temp_tmp", "vss_output")
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
# What paths and command lines are made of, so that the matcher's branches are reached.
PATH_PARTS = st.sampled_from([
    "__", "_", "__output", "_output", "output_", "QwErTyUi", "1684944005", ".", "9400265", "17249",
    "0", "1", "\\", "\\\\", "/", " ", "\t", '"', "'", ">", "<", "&", "^", "|", ":", "$", "%", "..",
    "Temp", "TEMP", "System32", "SYSTEM32", "Windows", "C:", "%windir%", "%%SystemRoot%%", "ADMIN$",
    "C$", "127.0.0.1", "abcdefgh", ".tmp", ".TMP", "1>", "2>&1", "^>", "\ufffd", "\x00", "\n", "é",
])
SHAPED_TEXT = st.lists(PATH_PARTS, max_size=40).map("".join)
TEXT = st.one_of(ANY_TEXT, SHAPED_TEXT)

LETTERS8 = st.text(alphabet=string.ascii_letters, min_size=8, max_size=8)
DIGITS = st.text(alphabet=string.digits, min_size=1, max_size=12)
# Surrounding text that can hold no artifact of its own: no `_` and no `.`.
FILLER = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="_."),
                 max_size=60)
START_DELIMITERS = st.sampled_from(["\\", "/", " ", "\t", '"', "'", ">"])
END_DELIMITERS = st.sampled_from([" ", "\t", "\n", '"', "'", "&", "^", "|"])
# Roots under which a `.tmp` name is directly in the Windows directory, each ending with a
# separator (so that the name follows a start delimiter).
WINDOWS_DIRECTORIES = st.sampled_from([
    "C:\\Windows\\", "c:/windows/", "\\Windows\\", "%windir%\\", "%SYSTEMROOT%\\", "%%windir%%\\",
    "\\\\127.0.0.1\\ADMIN$\\", "\\\\fs01\\c$\\Windows\\", "C:\\Windows\\System32\\..\\", "..\\",
    "\\\\?\\C:\\Windows\\",
])


@st.composite
def epoch_names(draw):
    seconds = draw(st.text(alphabet=string.digits, min_size=10, max_size=10))
    decimals = draw(st.text(alphabet=string.digits, min_size=1, max_size=7))
    return "__%s.%s" % (seconds, decimals), "epoch_output"


@st.composite
def other_names(draw):
    kind = draw(st.sampled_from(KINDS[1:5]))
    if kind == "epoch5_output":
        return "__" + draw(st.text(alphabet=string.digits, min_size=5, max_size=5)), kind
    if kind == "smbexec_output":
        output = draw(st.sampled_from(["output", "OUTPUT", "Output"]))
        suffix = draw(st.one_of(st.just(""), LETTERS8.map(lambda letters: "_" + letters)))
        return "__" + output + suffix, kind
    folder = draw(st.sampled_from(["System32", "SYSTEM32", "system32"] if kind == "system32_tmp"
                                  else ["Temp", "TEMP", "temp"]))
    separator = draw(st.sampled_from(["\\", "/"]))
    return folder + separator + draw(LETTERS8) + draw(st.sampled_from([".tmp", ".TMP", ".Tmp"])), kind


NAMES = st.one_of(epoch_names(), other_names())


def assert_schema(result):
    assert tuple(result) == impacket.OUTPUT_FIELDS
    for name, value in result.items():
        if name in impacket.MULTIVALUE_FIELDS:
            assert isinstance(value, tuple) and all(isinstance(item, str) for item in value)
        else:
            assert isinstance(value, str), name
    assert result["valid"] in ("0", "1")
    if result["valid"] == "0":
        assert result["tools"] == ()
        assert all(value == "" for name, value in result.items() if name not in ("valid", "tools"))
    else:
        assert result["kind"] in KINDS
        assert result["tools"] == impacket.TOOLS[result["kind"]]
        assert result["artifact"]
        assert (result["time"] != "") == (result["kind"] == "epoch_output")
        assert (result["earliest"] != "") == (result["kind"] in ("epoch_output", "epoch5_output"))
        assert result["share"] == result["share"].upper()
        assert result["host"] == result["host"].lower()
        if result["skew"]:
            assert result["kind"] == "epoch_output"
            decimal.Decimal(result["skew"])


def assert_artifact_in(found, value):
    if found is None:
        return
    assert found.kind in KINDS
    decoded = entities.decode(value)  # the offset is in the decoded value
    assert decoded[found.start:found.start + len(found.text)] == found.text
    assert found.text.startswith("__") == (found.kind in KINDS[:3] + ("vss_output",))


# --- Never raises, fixed fields -------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(TEXT, st.booleans())
@example("\\\\\\\\\\__output", False)
@example("\\??\\", False)
@example("\\\\?\\Temp\\abcdefgh.tmp", False)
def test_any_text_is_searched_without_raising(value, relative_to_share):
    found = impacket.find_artifact.__wrapped__(value, relative_to_share)
    assert_artifact_in(found, value)
    assert impacket.find_artifact(value, relative_to_share) == found


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(list(impacket.SOURCE_FIELDS) + list(impacket.SHARE_FIELDS) + ["_time", "other"]),
    st.one_of(st.none(), TEXT, st.integers(), st.floats(),
              st.lists(st.one_of(st.none(), TEXT, st.integers()), max_size=3))),
    st.one_of(st.none(), st.sampled_from(["CommandLine", "RelativeTargetName", "other", "missing"])))
def test_any_record_is_described_with_the_fixed_fields(record, field):
    assert_schema(impacket.describe(record, field))


# --- An artifact in random surroundings is found --------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(FILLER, START_DELIMITERS, WINDOWS_DIRECTORIES, NAMES, END_DELIMITERS, FILLER, st.booleans())
def test_embedded_artifact_is_found_with_its_kind(before, delimiter, directory, name_kind, end, after,
                                                  at_end):
    name, kind = name_kind
    if kind in ("system32_tmp", "temp_tmp"):
        prefix = before + " " + directory  # the Windows directory's path starts after a blank
    else:
        prefix = before + delimiter
    value = prefix + name + ("" if at_end else end + after)
    # `__output` right after a Windows directory's `Temp\` is secretsdump's (tested below).
    assume(not (kind == "smbexec_output" and prefix.lower().rstrip("\\/").endswith("temp")))
    found = impacket.find_artifact.__wrapped__(value)
    assert found is not None, value
    # (The offset is in the decoded value: the filler may hold an XML entity.)
    assert (found.text, found.kind, found.start) == (name, kind, len(entities.decode(prefix)))
    result = impacket.describe({"CommandLine": value, "_time": "1700000000.5"})
    assert (result["artifact"], result["kind"], result["valid"]) == (name, kind, "1")
    assert_schema(result)


@settings(max_examples=300, deadline=None)
@given(NAMES, st.sampled_from(["", " 2>&1", "\"", " & del x"]))
def test_relative_name_on_admin_share(name_kind, end):
    name, kind = name_kind
    record = {"RelativeTargetName": name + end, "ShareName": "\\\\*\\ADMIN$"}
    result = impacket.describe(record)
    assert (result["artifact"], result["kind"], result["share"]) == (name, kind, "ADMIN$")


@settings(max_examples=300, deadline=None)
@given(FILLER, NAMES, st.sampled_from(["x", "0", "_", ".", "-", "$", ":", "("]))
def test_an_artifact_glued_to_other_text_is_not_one(before, name_kind, glue):
    name, _kind = name_kind
    for value, relative in ((before + " " + name + glue, False), (before + glue + name, True)):
        found = impacket.find_artifact.__wrapped__(value, relative)
        # A digit may make a longer artifact (`__1684944005.1` + `0`); never the name itself.
        assert found is None or found.text != name and glue.isdigit(), value


@settings(max_examples=300, deadline=None)
@given(FILLER, FILLER)
def test_text_without_underscore_or_dot_holds_no_artifact(value, share):
    assert impacket.find_artifact.__wrapped__(value, True) is None
    assert impacket.describe({"RelativeTargetName": value, "ShareName": share})["valid"] == "0"


@settings(max_examples=300, deadline=None)
@given(DIGITS, st.one_of(st.just(""), DIGITS.map(lambda digits: "." + digits)))
def test_only_the_two_epoch_shapes_are_epochs(seconds, decimals):
    name = "__" + seconds + decimals
    found = impacket.find_artifact.__wrapped__(name)
    if len(seconds) == 10 and 2 <= len(decimals) <= 8:
        assert found.kind == "epoch_output"
    elif len(seconds) == 5 and not decimals:
        assert found.kind == "epoch5_output"
    else:
        assert found is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=0, max_size=12), LETTERS8)
def test_a_tmp_under_another_folder_is_ordinary(folder, letters):
    assume(folder.lower() not in ("windows", "system32", ""))
    for root in ("C:\\Users\\x\\AppData\\Local\\", "C:\\", "C:\\Windows\\" + folder + "\\"):
        value = "copy " + root + "Temp\\" + letters + ".tmp x"
        assert impacket.find_artifact.__wrapped__(value) is None, value


# --- Decoding -------------------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=9999999999),
       st.text(alphabet=string.digits, min_size=1, max_size=7))
def test_iso_time_is_the_epoch_truncated_to_microseconds(seconds, decimals):
    digits = "%010d.%s" % (seconds, decimals)
    iso = impacket.iso_time(digits)
    moment = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    back = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    as_decimal = decimal.Decimal(back.days * 86400 + back.seconds) + decimal.Decimal(back.microseconds) / 10 ** 6
    difference = decimal.Decimal(digits) - as_decimal
    assert decimal.Decimal(0) <= difference < decimal.Decimal("0.000001")


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=9999999999),
       st.text(alphabet=string.digits, min_size=1, max_size=7),
       st.integers(min_value=-10 ** 12 + 1, max_value=10 ** 12 - 1),
       st.text(alphabet=string.digits, min_size=0, max_size=9))
def test_skew_is_the_difference_to_a_millisecond(seconds, decimals, event_seconds, event_decimals):
    digits = "%010d.%s" % (seconds, decimals)
    event_time = "%d.%s" % (event_seconds, event_decimals) if event_decimals else str(event_seconds)
    result = impacket.describe({"CommandLine": "x > \\\\h\\ADMIN$\\__" + digits, "_time": event_time})
    skew = decimal.Decimal(result["skew"])
    exact = decimal.Decimal(event_time) - decimal.Decimal(digits)
    assert abs(skew - exact) <= decimal.Decimal("0.0005")
    assert len(result["skew"].split(".")[1]) == 3
    assert not result["skew"].startswith("-0.000")


# --- secretsdump -use-vss: `__output` in the Windows directory's Temp -----------------------------

@settings(max_examples=300, deadline=None)
@given(FILLER, WINDOWS_DIRECTORIES, st.sampled_from(["Temp", "TEMP", "temp"]), st.sampled_from(["\\", "/"]),
       st.sampled_from(["output", "OUTPUT"]), END_DELIMITERS, FILLER)
def test_output_in_the_windows_temp_is_vss_output(before, directory, temp, separator, output, end, after):
    name = "__" + output
    value = before + " " + directory + temp + separator + name + end + after
    found = impacket.find_artifact.__wrapped__(value)
    assert (found.text, found.kind) == (name, "vss_output"), value
    result = impacket.describe({"CommandLine": value})
    assert (result["kind"], result["tools"]) == ("vss_output", ("secretsdump",))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["C:\\Users\\x\\AppData\\Local\\Temp\\", "C:\\Temp\\", "\\\\127.0.0.1\\C$\\",
                        "\\\\h\\ADMIN$\\", "%TEMP%\\", "C:\\Windows\\Temp\\x\\", "..\\..\\Temp\\"]),
       LETTERS8.map(lambda letters: "_" + letters) | st.just(""))
def test_every_other_output_stays_smbexec(directory, suffix):
    value = "echo cd ^> " + directory + "__output" + suffix + " 2^>^&1"
    found = impacket.find_artifact.__wrapped__(value)
    assert found.kind == "smbexec_output", value


# --- XML entities: a value and its encoded form read the same ----------------------------------------

def _encoders():
    """As Splunk's Windows add-on leaves EventData text: `&`, `<`, `>` encoded, and quotes either
    as written or encoded too."""
    def basic(text):
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def with_quotes(text):
        return basic(text).replace('"', "&quot;").replace("'", "&apos;")

    return st.sampled_from([basic, with_quotes])


ENTITY_TEXT = st.one_of(SHAPED_TEXT, st.lists(st.sampled_from([
    "cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1556656369.7 2>&1", "1>", "2>&1", "^>", "2^>^&1", "&",
    " & del ", "R&D", "__output", "%SYSTEMROOT%\\Temp\\__output", "Temp\\QwErTyUi.tmp", "\\\\h\\C$\\", ">",
    "\"", "'", " ",
]), max_size=12).map("".join))


@settings(max_examples=400, deadline=None)
@given(ENTITY_TEXT, ENTITY_TEXT, st.sampled_from(["\\\\*\\ADMIN$", "\\\\*\\C$", "\\\\*\\R&D$"]), _encoders(),
       st.sampled_from(["CommandLine", "RelativeTargetName", "ImagePath"]))
def test_a_record_and_its_entity_encoded_form_are_described_alike(value, other, share, encode, field):
    for text in (value, other, share):
        assume("&gt;" not in text and "&lt;" not in text and "&amp;" not in text)
    record = {field: value, "Details": other, "ShareName": share, "_time": "1556656400.25"}
    encoded = {name: encode(text) if name != "_time" else text for name, text in record.items()}
    assert impacket.describe(encoded) == impacket.describe(record)
