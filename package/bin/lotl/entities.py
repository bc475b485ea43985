"""XML entities left encoded by Splunk's Windows add-on, decoded once.

Splunk_TA_windows extracts the EventData fields of XML-rendered events with a regex and never
decodes them (shared/reference/splunk-windows-fields.md): `>` arrives as `&gt;`, `<` as `&lt;`,
`&` as `&amp;`, and `"`/`'` may arrive as `&quot;`/`&apos;`. Both commands read a value through
`decode`, so a value and its entity-encoded form give the same output.

One pass over the five predefined XML entities (case-sensitive, as XML's are): `&amp;gt;` is
`&gt;`, never `>`. Numeric references (`&#62;`) are left as they are: the add-on's renderer
does not produce them in these fields. A value without `&` is returned as it is, without a scan.
"""
import re

_ENTITY = re.compile(r"&(?:gt|lt|amp|quot|apos);")
_CHARACTERS = {"&gt;": ">", "&lt;": "<", "&amp;": "&", "&quot;": '"', "&apos;": "'"}


def _character(match: "re.Match") -> str:
    return _CHARACTERS[match.group()]


def decode(text: str) -> str:
    """`text` with its `&gt;`, `&lt;`, `&amp;`, `&quot;` and `&apos;` decoded, in one pass."""
    if "&" not in text:
        return text
    return _ENTITY.sub(_character, text)


def encode(text: str) -> str:
    """The inverse of `decode` for `&`, `<` and `>` (as the add-on's events hold them): for tests
    and tools."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
