"""Index tokens, as Splunk's default segmenters.conf cuts an event, and how a search term is
looked up in them.

Splunk answers a search in two steps: the terms are looked up in the index (the "lispy"
expression), which lets through a superset of the events (the Job Inspector's scanCount); then
each event let through is checked against the whole search (eventCount). This module models the
first step, and the raw-text check of a term in the second. Defaults of
`splunk-conf-spec-9.2/segmenters.conf.spec`:

- MAJOR: `[ ] < > ( ) { } | ! ; , ' " * \\n \\r \\s \\t & ? +` and a few URL-encoded ones (`%21`,
  `%26`, `%2526`, `%3B`, `%7C`, `%20`, `%2B`, `%3D`, `--`, `%2520`, `%5D`, `%5B`, `%3A`, `%0A`,
  `%2C`, `%28`, `%29`);
- MINOR: `/ : = @ . - $ # % \\ _`: for each, the token from the last major breaker and from the
  last minor breaker up to it is indexed, so a major segment is indexed whole and in pieces.

Approximations, said here and in docs/performance.md: the URL-encoded major breakers are treated
as the literal text they are (a `%` is a minor breaker anyway, so `%20` still splits); tokens
are lowercased (the index is case-insensitive); a term segment with a wildcard is looked up as
the prefix before its first `*` (a leading `*` cannot use the index at all).
"""
import functools
import re
from typing import FrozenSet, List, Optional

MAJOR_CHARACTERS = "[]<>(){}|!;,'\"*\n\r \t&?+"
MINOR_CHARACTERS = "/:=@.-$#%\\_"
_MAJOR = re.compile("[%s]+|--" % re.escape(MAJOR_CHARACTERS))
_MINOR = re.compile("[%s]" % re.escape(MINOR_CHARACTERS))
_BREAKERS = MAJOR_CHARACTERS + MINOR_CHARACTERS


def major_segments(text: str) -> List[str]:
    return [s for s in _MAJOR.split(text) if s]


def index_tokens(raw: str) -> FrozenSet[str]:
    """Every token Splunk indexes for `raw`, lowercased: each major segment whole, and every
    piece between minor breakers inside it."""
    tokens = set()
    for segment in major_segments(raw.lower()):
        tokens.add(segment)
        tokens.update(piece for piece in _MINOR.split(segment) if piece)
    return frozenset(tokens)


def term_lookups(term: str) -> List[str]:
    """The tokens a term is looked up by: its minor segments (`"C$"` -> `c`; `"127.0.0.1"` ->
    `127`, `0`, `1`), lowercased; a segment with `*` as the prefix before it plus `*`; a segment
    that starts with `*` drops out (it cannot use the index), and so does a whole major segment
    that starts with `*`: a leading wildcard (`Image="*\\dtutil.exe"`) cannot use the index
    (spl-semantics.md; the SPL review's P2)."""
    lookups: List[str] = []
    for segment in major_segments_keep_wildcards(term.lower()):
        if segment.startswith("*"):
            continue
        for piece in _MINOR.split(segment):
            if not piece:
                continue
            star = piece.find("*")
            if star == 0:
                continue
            lookups.append(piece if star < 0 else piece[:star] + "*")
    return lookups


def major_segments_keep_wildcards(text: str) -> List[str]:
    """Major segments of a search term: `*` is a major breaker in events but a wildcard in a
    term, so it stays inside the segment here."""
    breakers = MAJOR_CHARACTERS.replace("*", "")
    return [s for s in re.split("[%s]+" % re.escape(breakers), text) if s]


def index_admits(term: str, tokens: FrozenSet[str]) -> bool:
    """Whether the index lets an event with `tokens` through for `term` (all its lookups
    present; a wildcard lookup needs a token with that prefix)."""
    for lookup in term_lookups(term):
        if lookup.endswith("*"):
            prefix = lookup[:-1]
            if not any(token.startswith(prefix) for token in tokens):
                return False
        elif lookup not in tokens:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _term_pattern(term: str) -> "re.Pattern[str]":
    parts = [".*?" if c == "*" else re.escape(c) for c in term]
    body = "".join(parts)
    # The term must sit on token boundaries: at the start of the text or after a breaker, and at
    # the end or before one, unless the term itself begins or ends with a breaker or a wildcard.
    start = "" if term[:1] in _BREAKERS else r"(?:(?<=[%s])|^)" % re.escape(_BREAKERS)
    end = "" if term[-1:] in _BREAKERS else r"(?=[%s]|$)" % re.escape(_BREAKERS)
    return re.compile(start + body + end, re.IGNORECASE | re.DOTALL)


def raw_matches(term: str, raw: Optional[str]) -> bool:
    """The raw-text check of a term (after the index): the term's text, `*` as a wildcard,
    case-insensitive, on token boundaries."""
    if raw is None:
        return False
    if term.strip("*") == "":
        return True
    return _term_pattern(term).search(raw) is not None
