"""winargv: the MS C runtime's splitting rules, offsets, unterminated quotes, linear time."""
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotl import winargv
from tests.timing import median_time


@pytest.mark.parametrize("line,expected", [
    ("", []),
    ("   \t ", []),
    ("a b  c", ["a", "b", "c"]),
    ("a\tb", ["a", "b"]),
    ('"a b" c', ["a b", "c"]),
    ('a"b c"d e', ["ab cd", "e"]),  # quotes anywhere in a word
    ('"" x', ["", "x"]),  # an empty quoted argument is an argument
    ('"a""b" c', ['a"b', "c"]),  # "" inside quotes: one literal quote, quoting goes on
    ('"a""b c"', ['a"b c']),
    (r'a\b\\c', [r"a\b\\c"]),  # backslashes not before a quote are literal
    ("\\\\srv\\share\\ x", ["\\\\srv\\share\\", "x"]),
    ('a\\"b', ['a"b']),  # 1 backslash + quote: literal quote
    ('a\\\\"b c"', ["a\\b c"]),  # 2 backslashes + quote: one backslash, quote toggles
    ('a\\\\\\"b', ['a\\"b']),  # 3: one backslash and a literal quote
    ('"C:\\My Packages\\" x', ['C:\\My Packages" x']),  # \" is a literal quote, even in quotes
    ('"C:\\My Packages\\\\" x', ["C:\\My Packages\\", "x"]),
    ('FILE;"C:\\My Packages\\x.dtsx" /Q', ["FILE;C:\\My Packages\\x.dtsx", "/Q"]),
    ("a\nb", ["a\nb"]),  # only space and tab separate
    ("a\x00b c", ["a\x00b", "c"]),
])
def test_split_follows_the_c_runtime(line, expected):
    assert winargv.words(line) == expected


def test_offsets_point_at_the_raw_words():
    line = 'dtutil  "/FILE" "a b"\tc'
    tokens = winargv.split(line).tokens
    assert [line[token.start:token.end] for token in tokens] == ["dtutil", '"/FILE"', '"a b"', "c"]
    assert [token.text for token in tokens] == ["dtutil", "/FILE", "a b", "c"]


@pytest.mark.parametrize("line,words", [
    ('"abc', ["abc"]),
    ('a "b c', ["a", "b c"]),
    ('"a""', ['a"']),
])
def test_an_open_quote_runs_to_the_end_and_is_reported(line, words):
    result = winargv.split(line)
    assert result.words == words
    assert result.unterminated


def test_closed_quotes_are_not_reported():
    assert not winargv.split('"a" "b c" ""').unterminated


@pytest.mark.parametrize("line,expected", [
    ("'a b' c", ["a b", "c"]),
    ("'it''s' x", ["it's", "x"]),
    ("'\\\\srv\\s\\a b'", ["\\\\srv\\s\\a b"]),  # backslashes literal inside single quotes
    ("\"a 'b\" c", ["a 'b", "c"]),  # a single quote inside double quotes is literal
    ("FILE;'C:\\a b.dtsx'", ["FILE;C:\\a b.dtsx"]),
])
def test_single_quotes_for_powershell(line, expected):
    assert winargv.words(line, single_quotes=True) == expected


def test_single_quotes_are_ordinary_by_default():
    assert winargv.words("'a b'") == ["'a", "b'"]


def test_unterminated_single_quote_is_reported():
    assert winargv.split("'a b", single_quotes=True).unterminated


printable_args = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                         blacklist_characters="\x00"),
                                  max_size=12), max_size=6)


@settings(max_examples=300, deadline=None)
@given(printable_args)
def test_round_trip_through_the_standard_quoting(args):
    """subprocess.list2cmdline quotes for the C runtime: splitting gives the list back."""
    assert winargv.words(subprocess.list2cmdline(args)) == args


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab \t"\\\'', max_size=40), st.booleans())
def test_offsets_are_increasing_and_inside_the_line(line, single):
    result = winargv.split(line, single_quotes=single)
    previous_end = 0
    for token in result.tokens:
        assert previous_end <= token.start < token.end <= len(line)
        previous_end = token.end


@pytest.mark.parametrize("unit", ["\\", '"', '\\"', '\\\\"', '""', " ", "a", "'", "\\'"])
@pytest.mark.parametrize("single", [False, True])
def test_linear_time(unit, single):
    size = 50_000

    def run(line):
        return winargv.split(line, single_quotes=single)

    small = median_time(run, unit * (size // len(unit)))
    large = median_time(run, unit * (4 * size // len(unit)))
    assert large / max(small, 1e-6) < 8, (small, large)


def test_split_stops_at_the_limit_and_says_so():
    result = winargv.split("a b c d e", limit=3)
    assert result.words == ["a", "b", "c"] and result.truncated
    exactly = winargv.split("a b c", limit=3)
    assert exactly.words == ["a", "b", "c"] and not exactly.truncated  # nothing was left unread
    assert not winargv.split("a b", limit=3).truncated
    assert not winargv.split("a b c  \t", limit=3).truncated


# --- The one-regex path agrees with the rules ------------------------------------------------------

SPLIT_PARTS = st.sampled_from([" ", "  ", "\t", '"', '""', "\\", "\\\\", '\\"', "a", "b c", "/FILE", "'",
                               "x.dtsx", "\n", ";", "é", "\x00"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(SPLIT_PARTS, max_size=30).map("".join), st.booleans(),
       st.one_of(st.none(), st.integers(min_value=1, max_value=6)))
def test_the_fast_split_agrees_with_the_rules(line, single_quotes, limit):
    assert winargv.split(line, single_quotes, limit) == winargv.split_by_rules(line, single_quotes, limit)


@settings(max_examples=1000, deadline=None)
@given(st.lists(SPLIT_PARTS, max_size=30).map("".join), st.booleans(),
       st.one_of(st.none(), st.integers(min_value=1, max_value=6)))
def test_split_words_is_split_without_offsets(line, single_quotes, limit):
    found = winargv.split_by_rules(line, single_quotes, limit)
    assert winargv.split_words(line, single_quotes, limit) == (found.words, found.unterminated, found.truncated)
