"""Windows command-line splitting by the Microsoft C runtime's rules: the argv dtutil.exe sees.

The rules (UCRT; unchanged since the VS 2008 runtime):
- space and tab outside quotes end an argument; every other character belongs to it;
- `"` switches quoting on and off anywhere in a word; inside quotes, `""` is one literal `"`
  and quoting goes on;
- backslashes are literal unless a `"` follows them: 2n backslashes and a `"` give n backslashes
  and the `"` switches quoting; 2n+1 backslashes and a `"` give n backslashes and a literal `"`;
- a quote left open runs to the end of the line: the runtime accepts that, `Split` reports it.

The runtime reads argv[0] (the program name) by simpler rules; callers here look for a word
anywhere in the line, so every word is read by the rules above.

With `single_quotes=True` a `'...'` outside double quotes is a literal string in which `''` is
one `'` (PowerShell's rule), for command lines that went through PowerShell.

Like `shlex`, one forward pass in which every step consumes at least one character and a word's
pieces are collected in a list: linear time on any input.
"""
import re
from typing import List, NamedTuple, Optional, Tuple

BLANKS = " \t"

# Where a run of ordinary characters ends, by state: outside quotes, inside double quotes.
_RUN_END = re.compile(r'[ \t"\\]')
_RUN_END_WITH_SINGLE = re.compile(r'[ \t"\\\']')
_RUN_END_QUOTED = re.compile(r'["\\]')


class Token(NamedTuple):
    """One argument: its text after unquoting, and where it was in the line ([start, end))."""

    text: str
    start: int
    end: int


class Split(NamedTuple):
    """The arguments of a command line, whether a quote was left open at its end, and whether
    splitting stopped at the caller's limit on the number of arguments."""

    tokens: Tuple[Token, ...]
    unterminated: bool
    truncated: bool = False

    @property
    def words(self) -> List[str]:
        return [token.text for token in self.tokens]


# The common case, split by one regex: no backslash before a quote, no `""` (and, with
# single_quotes, no `'`). Every quote then toggles quoting and nothing else, so an argument is a
# run of unquoted non-blanks and quoted stretches (the last one may be left open), and its text is
# that run without its quotes. `split_by_rules` reads everything else.
_SIMPLE_WORD = re.compile(r'(?:[^ \t"]+|"[^"]*"?)+')


def split(command_line: str, single_quotes: bool = False, limit: Optional[int] = None) -> Split:
    """Splits `command_line` into arguments as the MS C runtime does (see the module doc),
    stopping after `limit` arguments when one is given (the rest is not read)."""
    line = command_line
    if '\\"' in line or '""' in line or (single_quotes and "'" in line):
        return split_by_rules(line, single_quotes, limit)
    tokens: List[Token] = []
    append = tokens.append
    for found in _SIMPLE_WORD.finditer(line):
        if limit is not None and len(tokens) >= limit:
            return Split(tuple(tokens), False, True)
        text = found.group()
        start, end = found.span()
        append(Token(text.replace('"', "") if '"' in text else text, start, end))
    return Split(tuple(tokens), line.count('"') % 2 == 1)


def split_words(command_line: str, single_quotes: bool = False,
                limit: Optional[int] = None) -> Tuple[List[str], bool, bool]:
    """`split`'s (words, unterminated, truncated), without the offsets: the common case (no
    backslash before a quote, no `""`) costs a few C-level splits and no object per argument
    beyond its text."""
    line = command_line
    if '\\"' in line or '""' in line or (single_quotes and "'" in line):
        found = split_by_rules(line, single_quotes, limit)
        return found.words, found.unterminated, found.truncated
    if '"' not in line:  # no quote at all: split at blanks (str.split in C, no regex)
        words = _blank_separated(line)
        quoted = False
    else:
        words, quoted = _split_at_quotes(line)
    if limit is not None and len(words) > limit:
        del words[limit:]
        return words, False, True
    return words, quoted, False


def _blank_separated(text: str) -> List[str]:
    """The words of `text` between spaces and tabs (str.split(" ") and filter, both in C)."""
    words = (text.replace("\t", " ") if "\t" in text else text).split(" ")
    return list(filter(None, words)) if "" in words else words


def _split_at_quotes(line: str) -> Tuple[List[str], bool]:
    """`split_words`'s common case with quotes (no backslash before a quote, no `""`): every quote
    toggles quoting, so the line split at its quotes alternates unquoted and quoted stretches.
    A word runs across them until a blank outside quotes; a quoted stretch is a word even when
    empty. Mostly C-level splits: no Python step per character. (Returns the words and whether
    a quote was left open.)"""
    words: List[str] = []
    current: Optional[str] = None  # the word being read; None between words
    parts = line.split('"')
    for index, part in enumerate(parts):
        if index & 1:  # inside quotes: taken as it is
            current = part if current is None else current + part
            continue
        if " " not in part and "\t" not in part:  # (most stretches between quotes)
            if part:
                current = part if current is None else current + part
            continue
        pieces = (part.replace("\t", " ") if "\t" in part else part).split(" ")
        if pieces[0]:
            current = pieces[0] if current is None else current + pieces[0]
        if current is not None:
            words.append(current)
        words.extend(filter(None, pieces[1:-1]))
        current = pieces[-1] or None
    if current is not None:
        words.append(current)
    return words, len(parts) % 2 == 0


def split_by_rules(command_line: str, single_quotes: bool = False, limit: Optional[int] = None) -> Split:
    """`split`, one character class at a time: the reference, and the path for lines with a
    backslash before a quote, `""` or (with single_quotes) `'`."""
    line = command_line
    size = len(line)
    run_end = _RUN_END_WITH_SINGLE if single_quotes else _RUN_END
    tokens: List[Token] = []
    pieces: List[str] = []
    start = -1  # where the current argument began; -1 between arguments
    in_double = False
    in_single = False
    i = 0
    while i < size:
        char = line[i]
        if in_single:
            i, in_single = _single_quoted(line, i, pieces)
            continue
        if char in BLANKS and not in_double:
            if start >= 0:
                tokens.append(Token("".join(pieces), start, i))
                if limit is not None and len(tokens) >= limit:
                    return Split(tuple(tokens), False, bool(line[i:].strip(BLANKS)))
                pieces = []
                start = -1
            i += 1
            continue
        if start < 0:
            start = i
        if char == "\\":
            i = _backslashes(line, i, pieces)
        elif char == '"':
            if in_double and i + 1 < size and line[i + 1] == '"':
                pieces.append('"')
                i += 2
            else:
                in_double = not in_double
                i += 1
        elif char == "'" and single_quotes and not in_double:
            in_single = True
            i += 1
        else:
            found = (_RUN_END_QUOTED if in_double else run_end).search(line, i + 1)
            end = found.start() if found else size
            pieces.append(line[i:end])
            i = end
    if start >= 0:
        tokens.append(Token("".join(pieces), start, size))
    return Split(tuple(tokens), in_double or in_single)


def words(command_line: str, single_quotes: bool = False) -> List[str]:
    """The arguments' texts only."""
    return split(command_line, single_quotes).words


def _backslashes(line: str, i: int, pieces: List[str]) -> int:
    """Consumes the run of backslashes at `i`; returns where the next step starts. A `"` after an
    even run is left for the caller, which treats it as a quote."""
    end = i
    size = len(line)
    while end < size and line[end] == "\\":
        end += 1
    count = end - i
    if end < size and line[end] == '"':
        pieces.append("\\" * (count // 2))
        if count % 2:
            pieces.append('"')
            return end + 1
        return end
    pieces.append(line[i:end])
    return end


def _single_quoted(line: str, i: int, pieces: List[str]) -> Tuple[int, bool]:
    """Consumes single-quoted text from `i` (inside the quotes); returns (next index, still
    inside the quotes)."""
    close = line.find("'", i)
    if close < 0:
        pieces.append(line[i:])
        return len(line), True
    pieces.append(line[i:close])
    if close + 1 < len(line) and line[close + 1] == "'":
        pieces.append("'")
        return close + 2, True
    return close + 1, False
