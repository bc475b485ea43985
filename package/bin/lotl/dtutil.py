"""dtutil.exe command lines -> operations, source and destination, remote endpoints, signals.

`parse(command_line)` finds the dtutil word (the process itself, or inside `cmd /c`, a batch
`for` loop or PowerShell), splits what follows it by the MS C runtime's rules (`winargv`), reads
the options as dtutil does (any prefix down to the documented minimum, `/` or `-`, any case) and
describes the endpoints. It never raises and never echoes a password. `describe(record, field)`
picks the command line out of a search result record (`source_value`) and parses it; the search
command reads `describe_value` of that line instead: its non-empty fields only, uncached, since
the command memoises by the line itself (`lotl.annotate`).

Choices where dtutil's documentation is silent:
- One invocation per line: the first dtutil word followed by an option, else the first one.
- A shell (anything before the dtutil word) ends the invocation at an unquoted `&`, `|`, `<`,
  `>`, line break, the `)`/`}` of a block the word is in, or PowerShell's `;` plus a blank
  (`FILE;path` stays whole); `^` (cmd) and a backtick (PowerShell) escape. When dtutil is the
  process itself, the whole rest of the line is its argument string.
- Forward slashes in paths are backslashes (Windows reads them so): `//host/share` is UNC.
- Ports, hosts, transports and signals about the network are those of remote ends only;
  `share` names every UNC root, `\\\\localhost\\c$` included.
- Multivalue fields: source end before destination end; signals in the contract's order.
- A password option's value is the next word, always; `/ENCRYPT`'s password is everything after
  its third `;`. An empty password is still listed in `redacted`.
- A value of a non-password option that is itself a known option is not taken as the value
  (`/FILE /COPY x` is `missing value for /FILE`). A word that is not an option nor a value is
  `unexpected argument after /OPTION`, never echoed (it may be a mistyped password).
"""
import functools
import ipaddress
import re
import types
from typing import Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import entities, winargv

Value = Union[str, Tuple[str, ...]]

OUTPUT_FIELDS: Tuple[str, ...] = (
    "image", "action", "source_type", "source_path", "source_server", "source_user",
    "dest_type", "dest_path", "dest_server", "dest_user", "remote_host", "remote_port",
    "transport", "share", "direction", "signals", "redacted", "error",
)
MULTIVALUE_FIELDS: FrozenSet[str] = frozenset(
    ("action", "remote_host", "remote_port", "transport", "share", "signals", "redacted")
)
SOURCE_FIELDS: Tuple[str, ...] = ("CommandLine", "process", "Process_Command_Line")

# Windows caps a command line at 32767 characters; anything longer is cut here (and says so),
# which bounds the work per distinct value.
MAX_COMMAND_LINE = 65536
# An entity is at most 6 characters for one: this much of an encoded line holds the first
# MAX_COMMAND_LINE characters of the decoded one.
MAX_ENCODED_LINE = 6 * MAX_COMMAND_LINE + 6
# Scheduled jobs repeat their lines, and a search may hold tens of thousands of distinct dtutil
# lines: `parse`'s cache holds 32,768 results, of lines up to 1 KiB (dtutil lines are a few hundred
# characters), which bounds its keys to 32 MiB as before (4,096 x 8 KiB). The search command's
# memo (`lotl.annotate`: MEMO_SIZE, MEMO_VALUE_LENGTH) has the same bounds.
CACHE_SIZE = 32768
CACHED_LENGTH = 1024

NO_INVOCATION = "no dtutil invocation"
UNTERMINATED_QUOTE = "unterminated quote"
TOO_LONG = "command line too long"
TOO_MANY_ARGUMENTS = "too many arguments"
# dtutil has 27 options, each with at most one value: no valid line comes near this many
# arguments. Reading no further bounds the work a hostile line can cause.
MAX_ARGUMENTS = 256

SQL_DEFAULT_PORT = 1433
WEBDAV_PORTS = (80, 443)


# --- The options, as Microsoft documents them -------------------------------------------------

class Option(NamedTuple):
    """One dtutil option: its full name as documented, the shortest accepted prefix, what value
    it takes (none, required, optional or secret) and the operation it names, if any."""

    name: str
    minimum: int
    value: str
    action: str = ""


NONE, REQUIRED, OPTIONAL, SECRET = "none", "required", "optional", "secret"

OPTIONS: Tuple[Option, ...] = (
    Option("COPY", 1, REQUIRED, "copy"),
    Option("DECRYPT", 3, SECRET),
    Option("DELETE", 3, NONE, "delete"),
    Option("DESTPASSWORD", 5, SECRET),
    Option("DESTSERVER", 5, REQUIRED),
    Option("DESTUSER", 5, REQUIRED),
    Option("DUMP", 4, REQUIRED, "dump"),
    Option("DTS", 2, REQUIRED),
    Option("ENCRYPT", 2, REQUIRED, "encrypt"),
    Option("EXISTS", 2, NONE, "exists"),
    Option("FCREATE", 2, REQUIRED, "fcreate"),
    Option("FDELETE", 3, OPTIONAL, "fdelete"),
    Option("FDIRECTORY", 3, REQUIRED, "fdirectory"),
    Option("FEXISTS", 2, REQUIRED, "fexists"),
    Option("FILE", 2, REQUIRED),
    Option("FRENAME", 2, OPTIONAL, "frename"),
    Option("HELP", 1, OPTIONAL, "help"),
    Option("IDREGENERATE", 1, NONE, "idregenerate"),
    Option("MOVE", 1, REQUIRED, "move"),
    Option("QUIET", 1, NONE),
    Option("REMARK", 1, OPTIONAL),
    Option("SIGN", 2, REQUIRED, "sign"),
    Option("SOURCEPASSWORD", 7, SECRET),
    Option("SOURCESERVER", 7, REQUIRED),
    Option("SOURCEUSER", 7, REQUIRED),
    Option("SQL", 2, REQUIRED),
)
QUESTION_MARK = Option("?", 1, NONE, "help")

SOURCE_OPTIONS = {"FILE": "file", "SQL": "sql", "DTS": "dts"}
DESTINATION_OPTIONS = frozenset(("COPY", "MOVE", "ENCRYPT", "SIGN"))
FOLDER_OPTIONS = frozenset(("FCREATE", "FDELETE", "FDIRECTORY", "FEXISTS", "FRENAME"))
PACKAGE_TYPES = {"FILE": "file", "SQL": "sql", "DTS": "dts"}
OPTION_PREFIXES = ("/", "-")


def _resolve_by_prefix(name: str) -> Optional[Option]:
    """The documented rule: the one option whose name starts with `name` (upper case) and for
    which `name` is at least the minimum; None when there is not exactly one (AMBIGUOUS when some
    option's name starts with it)."""
    matches = [option for option in OPTIONS if name and option.name.startswith(name)]
    accepted = [option for option in matches if len(name) >= option.minimum]
    if len(accepted) == 1:
        return accepted[0]
    return AMBIGUOUS if matches else None


AMBIGUOUS = Option("", 0, NONE)
# Every prefix of every option name, resolved once by the rule above: a word is then one lookup.
_PREFIXES: Dict[str, Optional[Option]] = {
    option.name[:length]: None for option in OPTIONS for length in range(1, len(option.name) + 1)}
_PREFIXES.update((prefix, _resolve_by_prefix(prefix)) for prefix in list(_PREFIXES))
_PREFIXES["?"] = QUESTION_MARK


def resolve_option(word: str) -> Tuple[Optional[Option], str]:
    """The option `word` (`/Fi`, `-file`, ...) names, or None and the error to report."""
    option = _PREFIXES.get(word[1:].upper())
    if option is not None and option is not AMBIGUOUS:
        return option, ""
    if option is AMBIGUOUS:
        return None, "ambiguous option " + _echo(word)
    return None, "unknown option " + _echo(word)


def _echo(word: str) -> str:
    """The option-name part of a user's word, for an error message: its `/` or `-` and up to 15
    letters, then "..." if more followed. Never the rest: a word that is not an option may be a
    password, or may have swallowed one through an open quote (`/x" /Decrypt secret`)."""
    named = _ECHOED_NAME.match(word)
    shown = named.group(0) if named else word[:1]
    return shown + ("..." if len(shown) < len(word) else "")


_ECHOED_NAME = re.compile(r"[/-][A-Za-z?]{0,15}")


# --- Finding the invocation in the line --------------------------------------------------------

class Invocation(NamedTuple):
    """The dtutil word as written (unquoted) and the arguments dtutil received."""

    image: str
    args: Tuple[str, ...]
    unterminated: bool
    truncated: bool = False


_DTUTIL_WORD = re.compile(r"dtutil(?:\.exe)?", re.IGNORECASE)
# A dtutil word is a whole word or the last part of a path: these may stand before and after it.
_BEFORE_WORD = frozenset(" \t\r\n\\/\"'(&|@;=,:{`")
_AFTER_WORD = frozenset(" \t\r\n\"'&|)<>;,}")
# The pattern starts with the literal word so that the regex engine can skip to each occurrence
# (a leading look-behind would make it try every position of the line): the look-behind after
# it says "not preceded by a character outside _BEFORE_WORD", which also holds at the start.
_WHOLE_WORD = r"(?P<word>dtutil(?<![^%s]dtutil)(?:\.exe)?)(?=[%s]|$)" % (
    "".join(re.escape(c) for c in sorted(_BEFORE_WORD)), "".join(re.escape(c) for c in sorted(_AFTER_WORD)))
# ... followed by an option: past one quote that closes the image, and blanks.
_BEFORE_OPTION = r"[\"']?[ \t]*[/-]"
# Case-insensitive, for lines with non-ASCII characters (Unicode case variants such as dtutıl).
_DTUTIL_WHOLE_WORD = re.compile(_WHOLE_WORD, re.IGNORECASE)
_DTUTIL_WORD_BEFORE_OPTION = re.compile(_WHOLE_WORD + _BEFORE_OPTION, re.IGNORECASE)
# Case-sensitive, for the lower case of a pure-ASCII line (same length, same offsets): the
# engine's literal search is several times faster than its case-insensitive scan.
_LOWER_WHOLE_WORD = re.compile(_WHOLE_WORD)
_LOWER_WORD_BEFORE_OPTION = re.compile(_WHOLE_WORD + _BEFORE_OPTION)
# What ends an unquoted image word when reading it backwards.
_IMAGE_BREAKS = frozenset(" \t\r\n\"'&|<>();,={}")
_SCRIPT_EXTENSIONS = (".exe", ".com", ".bat", ".cmd", ".ps1")
_POWERSHELL_NAMES = ("powershell", "pwsh")
_START_PROCESS_NAMES = ("start-process", "saps", "start ")
_ARGUMENT_LIST_NAMES = ("-argumentlist", "-args")
# Characters the shell scan must stop at; everything else is copied in runs.
_SHELL_SPECIAL = re.compile(r"[\"'^`&|<>()\r\n{};]")


def find_invocation(command_line: str) -> Optional[Invocation]:
    """The dtutil invocation in `command_line`, or None when there is none."""
    chosen = _choose_word(command_line)
    if chosen is None:
        return None
    match_start, match_end = chosen
    line = command_line
    quote = line[match_end] if match_end < len(line) and line[match_end] in "\"'" else ""
    opening = line.rfind(quote, 0, match_start) if quote else -1
    if opening >= 0:
        image_start, image = opening, line[opening + 1:match_end]
        args_start = match_end + 1
    else:
        image_start = _unquoted_image_start(line, match_start) if match_start else 0
        image, args_start = line[image_start:match_end], match_end
    if image.startswith("@"):  # a batch file's echo-off mark
        image = image[1:]
    prefix = line[:max(image_start, 0)]
    if prefix:
        lowered_prefix = prefix.lower()
        powershell = quote == "'" or "powershell" in lowered_prefix or "pwsh" in lowered_prefix
    else:
        lowered_prefix, powershell = "", quote == "'"
    if (prefix and not prefix.isspace()) or (">" in line and _has_redirection(line, args_start)):
        arguments = _shell_segment(line, prefix, args_start, powershell)
    else:  # dtutil is the process itself: the rest of the line is its argument string
        arguments = line[args_start:]
    if powershell and any(name in lowered_prefix for name in _START_PROCESS_NAMES):
        return _start_process(image, winargv.split(arguments, True, limit=MAX_ARGUMENTS), arguments)
    words, unterminated, truncated = winargv.split_words(arguments, powershell, MAX_ARGUMENTS)
    return Invocation(image, tuple(words), unterminated, truncated)


def _cannot_hold_dtutil(line: str) -> bool:
    """True when `line` cannot hold the dtutil word: a pure-ASCII line without "dtutil" in its
    lower case. Most command lines in a search are not dtutil's, and this costs a fraction of
    the case-insensitive regex scan (isascii() is O(1)). Lines with other characters keep the
    regex path, which also matches Unicode case variants (`dtutıl`) that Windows would resolve."""
    return line.isascii() and "dtutil" not in line.lower()


def _choose_word(line: str) -> Optional[Tuple[int, int]]:
    """The dtutil word to parse: the first one followed by an option, else the first one."""
    # Two scans in C rather than a Python loop over every dtutil word: a hostile line may hold
    # thousands of them.
    if line.isascii():
        lowered = line.lower()
        if "dtutil" not in lowered:
            return None
        chosen = _LOWER_WORD_BEFORE_OPTION.search(lowered) or _LOWER_WHOLE_WORD.search(lowered)
    else:
        chosen = _DTUTIL_WORD_BEFORE_OPTION.search(line) or _DTUTIL_WHOLE_WORD.search(line)
    return chosen.span("word") if chosen else None


def _unquoted_image_start(line: str, match_start: int) -> int:
    """Where an unquoted image word begins. An unquoted path with spaces at the very start of
    the line (`C:\\Program Files\\...\\DTUtil.exe /FILE ...`, as some logs record a process
    started without quotes) is taken whole when nothing before dtutil looks like another
    program or an option."""
    start = match_start
    while start > 0 and line[start - 1] not in _IMAGE_BREAKS:
        start -= 1
    if start == 0 or line[start - 1] not in " \t":
        return start
    head = line[:match_start]
    lead = len(head) - len(head.lstrip())
    stretch = head[lead:]
    if not re.match(r"[A-Za-z]:\\|\\\\|%", stretch):
        return start
    if any(char in stretch for char in "\"'&|<>^"):
        return start
    for word in stretch.split():
        if word[0] in OPTION_PREFIXES or word.lower().endswith(_SCRIPT_EXTENSIONS):
            return start
    return lead


# An output redirection at the start of a word, outside double quotes (`>nul`, `2>&1`, `1>>log`):
# the scan stops at every quote and at every such redirection.
_QUOTE_OR_REDIRECTION = re.compile(r'"|(?<![^ \t])[0-9]?>')


def _has_redirection(line: str, start: int) -> bool:
    """Whether `line` from `start` holds an unquoted output redirection at the start of a word.
    dtutil's own process command line cannot hold one (the shell removes it), so a line that
    starts with the dtutil word and holds one (`dtutil ... >nul 2>&1`) came from a script: it is
    read as shell syntax. (`<servername>`, as Microsoft's examples write a placeholder, is not
    one: a `>` ending a word does not count.)"""
    if ">" not in line:
        return False
    quoted = False
    for found in _QUOTE_OR_REDIRECTION.finditer(line, start):
        if found.group() == '"':
            quoted = not quoted
        elif not quoted:
            return True
    return False


# What may stand before `>`/`<` as the handle it redirects: a digit (cmd and PowerShell), or
# PowerShell's `*` (all streams), alone in its word.
_HANDLE = re.compile(r"(?:^|(?<=[ \t]))[0-9]\Z")
_POWERSHELL_HANDLE = re.compile(r"(?:^|(?<=[ \t]))[0-9*]\Z")
# The target of a redirection, after the operator: `&1` (a handle), else a word (quotes allowed)
# up to a blank or a shell operator.
_REDIRECTION_TARGET = re.compile(r'[ \t]*(?:&[0-9]|(?:"[^"]*"?|[^ \t"&|<>()\r\n;{}])*)')


def _shell_segment(line: str, prefix: str, args_start: int, powershell: bool) -> str:
    """The argument string dtutil received when a shell (cmd.exe, PowerShell) started it: from
    the dtutil word to the first unquoted `&`, `|`, line break, the `)` or `}` closing a block
    the word is in, or (PowerShell) a `;` followed by a blank. Redirections (`>nul`, `2>>log`,
    `2>&1`, `<in`, PowerShell's `*>$null`) are removed with their handle digit and their target,
    as the shell removes them. When the word is inside a quoted string (`cmd /c "dtutil ..."`),
    that string's quotes are removed first, as cmd /c removes the first and the last quote of
    its command."""
    escape = "`" if powershell else "^"
    outer, depth = _shell_state(prefix, powershell, escape)
    limit = len(line)
    if outer:
        last = line.rfind(outer, args_start)
        if last >= 0:
            limit = last
    pieces: List[str] = []
    quote = ""
    local_depth = 0
    i = args_start
    while i < limit:
        found = _SHELL_SPECIAL.search(line, i, limit)
        if found is None:
            pieces.append(line[i:limit])
            break
        special = found.start()
        pieces.append(line[i:special])
        char = line[special]
        i = special + 1
        if quote:
            quote = "" if char == quote else quote
        elif char == '"' or (char == "'" and powershell):
            quote = char
        elif char == escape:
            if i < limit:
                pieces.append(line[i])
                i += 1
            continue
        elif char in "({":
            local_depth += 1
        elif char in ")}":
            if local_depth == 0 and depth > 0:
                break
            local_depth = max(local_depth - 1, 0)
        elif char in "<>":
            i = _skip_redirection(line, i, limit, pieces, powershell)
            continue
        elif char in "&|\r\n":
            break
        elif char == ";" and powershell and (i >= limit or line[i] in " \t"):
            break
        pieces.append(char)
    return "".join(pieces)


def _skip_redirection(line: str, i: int, limit: int, pieces: List[str], powershell: bool) -> int:
    """Removes the redirection whose `<`/`>` is at `i - 1`: the handle digit before it (the last
    piece's, alone in its word), a second `>`, and its target. Returns where the scan goes on."""
    if pieces:
        handle = (_POWERSHELL_HANDLE if powershell else _HANDLE).search(pieces[-1])
        if handle is not None:
            pieces[-1] = pieces[-1][:handle.start()]
    if i < limit and line[i] == ">":
        i += 1
    target = _REDIRECTION_TARGET.match(line, i, limit)
    pieces.append(" ")
    return target.end() if target is not None else i


@functools.lru_cache(maxsize=1024)
def _shell_state(prefix: str, powershell: bool, escape: str) -> Tuple[str, int]:
    """Reads the shell text before the dtutil word: the quote still open at its end ("" when
    none) and how many blocks (`(`, PowerShell `{`) are open. Inside a quote left open
    (`cmd /c "for ... do (dtutil`), the blocks are counted from that quote on, as the shell
    reads the string once its quotes are removed. (Cached: the text before the word is the
    same on every line a script or a job runs, `cmd.exe /c "` or `powershell -Command "& `.)"""
    quote, depth, opened_at = _scan_shell(prefix, powershell, escape)
    if quote:
        _inner_quote, depth, _ = _scan_shell(prefix[opened_at + 1:], powershell, escape)
    return quote, depth


# What the prefix scan stops at, by shell: quotes, the escape, block brackets.
_CMD_SCAN = re.compile(r'["^()]')
_POWERSHELL_SCAN = re.compile(r'["\'`(){}]')


def _scan_shell(prefix: str, powershell: bool, escape: str) -> Tuple[str, int, int]:
    """(open quote, open blocks, where the open quote began) at the end of `prefix`. Jumps from
    one special character to the next (a quote's end is found with `str.find`)."""
    special = _POWERSHELL_SCAN if powershell else _CMD_SCAN
    opened_at = -1
    quote = ""
    depth = 0
    index = 0
    size = len(prefix)
    while index < size:
        if quote:
            close = prefix.find(quote, index)
            if close < 0:
                break
            quote = ""
            index = close + 1
            continue
        found = special.search(prefix, index)
        if found is None:
            break
        at = found.start()
        char = prefix[at]
        index = at + 1
        if char == '"' or char == "'":  # `'` is only in the PowerShell pattern
            quote = char
            opened_at = at
        elif char == escape:
            index += 1  # the next character is taken literally
        elif char == "(" or char == "{":  # `{` is only in the PowerShell pattern
            depth += 1
        else:
            depth = max(depth - 1, 0)
    return quote, depth, opened_at


def _scan_shell_by_character(prefix: str, powershell: bool, escape: str) -> Tuple[str, int, int]:
    """`_scan_shell` one character at a time: the reference it is tested against."""
    opened_at = -1
    quote = ""
    depth = 0
    skip = False
    for index, char in enumerate(prefix):
        if skip:
            skip = False
        elif quote:
            quote = "" if char == quote else quote
        elif char == '"' or (char == "'" and powershell):
            quote = char
            opened_at = index
        elif char == escape:
            skip = True
        elif char == "(" or (char == "{" and powershell):
            depth += 1
        elif char == ")" or (char == "}" and powershell):
            depth = max(depth - 1, 0)
    return quote, depth, opened_at


def _start_process(image: str, split: winargv.Split, arguments: str) -> Invocation:
    """`Start-Process dtutil -ArgumentList '/FILE x', ...`: dtutil receives the list's elements
    joined by spaces; the other parameters of Start-Process are not dtutil's."""
    tokens = split.tokens
    for index, token in enumerate(tokens[:-1]):
        name = token.text.lower()
        if name in _ARGUMENT_LIST_NAMES or (len(name) >= 3 and "-argumentlist".startswith(name)):
            value = tokens[index + 1]
            raw = arguments[value.start:value.end]
            elements = [" ".join(winargv.words(element, True)) for element in _split_commas(raw)]
            inner = winargv.split(" ".join(elements))
            return Invocation(image, tuple(inner.words), inner.unterminated or split.unterminated)
    return Invocation(image, tuple(split.words), split.unterminated)


def _split_commas(raw: str) -> List[str]:
    """A PowerShell array literal's elements (`'a','b c'`), split at commas outside quotes."""
    elements: List[str] = []
    start = 0
    quote = ""
    for index, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ",":
            elements.append(raw[start:index])
            start = index + 1
    elements.append(raw[start:])
    return elements


# --- Endpoints: SQL Server names and file paths ------------------------------------------------

class Endpoint(NamedTuple):
    """Where one end of the operation is: host (lowercase, IPv6 literals decoded), port when
    written, transport, UNC share root, and what that means."""

    host: str
    port: str
    transport: str
    share: str
    remote: bool
    raw_ip: bool
    nonstandard_port: bool
    bad_host: bool = False


# A host that is not one: made of quotes only (`/SourceServer '` from a T-SQL template that builds
# the line), or holding white space or a control character. Such an end is reported as an error,
# never as a remote host.
BAD_HOST = Endpoint("", "", "", "", False, False, False, True)
_QUOTES_ONLY = "'\"`"
_NOT_IN_A_HOST = re.compile(r"[\s\x00-\x1f\x7f]")


def _bad_host(host: str) -> bool:
    return not host.strip(_QUOTES_ONLY) or _NOT_IN_A_HOST.search(host) is not None


LOCAL_HOSTS = frozenset(("", ".", "(local)", "localhost", "(localdb)"))
_IPV6_LITERAL_SUFFIX = ".ipv6-literal.net"
_SQL_PROTOCOLS = ("tcp:", "admin:")


@functools.lru_cache(maxsize=1024)
def _host_facts(host: str) -> Tuple[str, bool, bool]:
    """(normalised host, is local, is an IP literal) for a host name as written."""
    lowered = host.lower()
    if lowered.startswith("[") and lowered.endswith("]"):
        lowered = lowered[1:-1]
    if lowered.endswith(_IPV6_LITERAL_SUFFIX):
        literal = lowered[:-len(_IPV6_LITERAL_SUFFIX)].replace("-", ":").replace("s", "%")
        address = _ip(literal)
    else:
        address = _ip(lowered)
    if address is not None:
        return str(address), address.is_loopback, True
    return lowered, lowered in LOCAL_HOSTS, False


def _ip(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def sql_endpoint(server: str) -> Endpoint:
    """The SQL Server a server name points at: `host`, `host\\instance`, `host,port`,
    `tcp:host,port`, `(local)`, `.`, `lpc:`/`np:` forms."""
    name = server.strip()
    lowered = name.lower()
    if lowered.startswith("lpc:"):  # shared memory: always this machine
        return Endpoint("", "", "sql", "", False, False, False)
    if lowered.startswith("np:"):  # named pipe \\host\pipe\...
        name = name[3:].replace("/", "\\")
        host = name[2:].split("\\", 1)[0] if name.startswith("\\\\") else ""
        if host and _bad_host(host):
            return BAD_HOST
        normal, local, raw_ip = _host_facts(host)
        return Endpoint(normal, "", "sql", "", not local, raw_ip and not local, False)
    for protocol in _SQL_PROTOCOLS:
        if lowered.startswith(protocol):
            name = name[len(protocol):]
            break
    port = ""
    if "," in name:
        name, _, written_port = name.rpartition(",")
        port = _port(written_port)
    host = name.split("\\", 1)[0].strip()
    if host and _bad_host(host):
        return BAD_HOST
    normal, local, raw_ip = _host_facts(host)
    remote = not local
    nonstandard = remote and port != "" and int(port) != SQL_DEFAULT_PORT
    return Endpoint(normal, port if remote else "", "sql", "", remote, raw_ip and remote, nonstandard)


def _port(text: str) -> str:
    text = text.strip()
    if text.isdigit() and text.isascii():
        return str(int(text))
    return ""


def file_endpoint(path: str) -> Optional[Endpoint]:
    """The host a file path points at, or None for a local path (drive letter, relative,
    `\\\\?\\C:\\`, `\\\\.\\`). Forward slashes count as backslashes, as Windows reads them."""
    normal = path.strip().replace("/", "\\")
    if not normal.startswith("\\\\"):
        return None
    rest = normal[2:]
    if rest[:2] in ("?\\", ".\\"):
        if rest[2:6].upper() != "UNC\\":
            return None  # a device or a long local path
        rest = rest[6:]
    parts = rest.split("\\", 2)
    return _unc_endpoint(parts[0], parts[1] if len(parts) > 1 else "")


@functools.lru_cache(maxsize=1024)
def _unc_endpoint(host_word: str, share: str) -> Optional[Endpoint]:
    """The end a UNC path `\\\\<host_word>\\<share>\\...` points at (it depends on these two only)."""
    host, _, suffix = host_word.partition("@")
    if not host:
        return None
    if _bad_host(host):
        return BAD_HOST
    ssl, port = _webdav_suffix(suffix)
    if ssl:
        transport = "webdav_ssl"
    elif suffix or share.lower() == "davwwwroot":
        transport = "webdav"
    else:
        transport = "smb"
    normal_host, local, raw_ip = _host_facts(host)
    share_root = "\\\\" + host_word.lower() + ("\\" + share.lower() if share else "")
    nonstandard = transport != "smb" and port != "" and int(port) not in WEBDAV_PORTS
    return Endpoint(normal_host, port if not local else "", transport, share_root, not local,
                    raw_ip and not local, nonstandard and not local)


def _webdav_suffix(suffix: str) -> Tuple[bool, str]:
    """(SSL, port) from the `@SSL@8443` part of a WebDAV UNC host."""
    ssl = False
    port = ""
    for part in suffix.split("@") if suffix else ():
        if part.upper() == "SSL":
            ssl = True
        elif _port(part):
            port = _port(part)
    return ssl, port


_USER_WRITABLE_DIRS = ("users\\", "programdata\\", "windows\\temp\\", "perflogs\\")
_USER_WRITABLE_VARIABLES = (
    "%temp%", "%tmp%", "%public%", "%userprofile%", "%appdata%", "%localappdata%",
    "%programdata%", "%systemroot%\\temp\\", "%windir%\\temp\\",
)
_ADMIN_SHARE = re.compile(r"\\\\[^\\]+\\[a-z]\$\\")
_DRIVE_ROOT = re.compile(r"[a-z]:\\")


def user_writable(path: str) -> bool:
    """Whether a file path is in a place any user can write to: under a drive's `\\Users\\`,
    `\\ProgramData\\`, `\\Windows\\Temp\\`, `\\PerfLogs\\` (also through an admin share
    `\\\\host\\C$\\`), or under one of the user-writable environment variables."""
    normal = path.strip().replace("/", "\\").lower()
    if normal.startswith(_USER_WRITABLE_VARIABLES):
        return True
    for long_prefix in ("\\\\?\\", "\\\\.\\"):
        if normal.startswith(long_prefix) and _DRIVE_ROOT.match(normal, len(long_prefix)):
            normal = normal[len(long_prefix):]
    admin = _ADMIN_SHARE.match(normal)
    if admin:
        below = normal[admin.end():]
    elif _DRIVE_ROOT.match(normal):
        below = normal[3:]
    elif normal.startswith("\\") and not normal.startswith("\\\\"):
        below = normal[1:]
    else:
        return False
    return below.startswith(_USER_WRITABLE_DIRS)


# SQL Server's layout below its install root, whatever the root (`C:\\Program Files\\Microsoft SQL
# Server\\150\\DTS\\Binn`, or a custom one such as `I:\\SQL2008r2\\x86\\100\\DTS\\binn`): a version
# folder (90 ... 160 and later) and DTS\\Binn. Under `Microsoft SQL Server\\` any version folder name.
_SQL_LAYOUT = re.compile(r"\\(?:[0-9]{2,3}|microsoft sql server\\[^\\]+)\\dts\\binn\Z")
# Places no installation goes: a share, a temporary, public, download or user folder.
_NOT_AN_INSTALL = re.compile(
    r"(?:^|\\)(?:temp|tmp|public|downloads|users|appdata|programdata|perflogs|%[a-z]*(?:temp|tmp|public"
    r"|profile|appdata|programdata)%)(?:\\|\Z)")


@functools.lru_cache(maxsize=256)
def unusual_image(image: str) -> bool:
    """Whether the image has a directory that is not SQL Server's `\\<version>\\DTS\\Binn` under
    an install root (a bare `dtutil` found through PATH is not unusual). Anywhere under a share
    (`\\\\host\\...`), a temporary, public, download or user folder is unusual, whatever follows."""
    normal = image.replace("/", "\\").lower()
    directory, _, _ = normal.rpartition("\\")
    if not directory and ":" not in normal:
        return False
    if _SQL_LAYOUT.search(directory) is None:
        return True
    if directory.startswith("\\\\") and not _DRIVE_ROOT.match(directory, 4):
        return True  # a share (`\\\\?\\C:\\` and `\\\\.\\C:\\` are local)
    return _NOT_AN_INSTALL.search(directory) is not None


# --- Reading the options ------------------------------------------------------------------------

class _Reading:
    """What the options say, gathered while reading them."""

    __slots__ = ("actions", "fields", "folder_type", "redacted", "errors", "quoted_list", "dest_option")

    def __init__(self) -> None:
        self.actions: List[str] = []
        self.fields: Dict[str, str] = {}
        self.folder_type = ""
        self.redacted: List[str] = []
        self.errors: List[str] = []
        self.quoted_list = False
        self.dest_option = ""

    def error(self, reason: str) -> None:
        self.errors.append(reason)

    def set_once(self, name: str, value: str) -> None:
        self.fields.setdefault(name, value)


def read_options(args: Sequence[str]) -> _Reading:
    """Reads dtutil's arguments into a `_Reading`; errors are collected, not raised.

    A word in an option's place that holds blanks and starts with a known option
    (`"/FILE x.dtsx /COPY SQL;pkg"`: the whole option list in one quoted argument, which some
    scripts rely on) is split again, by the same rules, and its words read in its place; the
    reading says so (`quoted_list`). Words split out of one are not split again."""
    reading = _Reading()
    errors, fields, actions = reading.errors, reading.fields, reading.actions  # (locals: faster)
    last = ""
    index = 0
    count = len(args)
    resplit_end = 0  # args before this index came out of a re-split word
    prefixes = _PREFIXES
    prefix_characters = _PREFIX_CHARACTERS
    word_options = _WORD_OPTIONS
    while index < count:
        word = args[index]
        index += 1
        option = word_options.get(word)  # an option word as written before: one lookup
        if option is None:
            if word[:1] not in prefix_characters:
                errors.append("unexpected argument after /" + last if last else "unexpected argument")
                continue
            option = prefixes.get(word[1:].upper())
            if option is not None and option is not AMBIGUOUS and len(word_options) < WORD_OPTIONS_SIZE:
                word_options[word] = option
        if option is None:
            if ("\t" in word or " " in word) and index > resplit_end and _is_option_list(word):
                index -= 1
                inner = winargv.split(word, limit=MAX_ARGUMENTS)
                args = list(args)  # (a copy: the caller's arguments stay as they were)
                args[index:index + 1] = inner.words
                resplit_end = index + len(inner.tokens)
                reading.quoted_list = True
                if inner.unterminated:
                    errors.append(UNTERMINATED_QUOTE)
                if len(args) > MAX_ARGUMENTS or inner.truncated:
                    del args[MAX_ARGUMENTS:]
                    errors.append(TOO_MANY_ARGUMENTS)
                count = len(args)
                continue
            errors.append(resolve_option(word)[1])
            continue
        if option is AMBIGUOUS:
            errors.append(resolve_option(word)[1])
            continue
        last = option.name
        action = option.action
        if action and action not in actions:
            actions.append(action)
        kind = option.value
        if kind == NONE:
            continue
        if kind != SECRET:  # a value: the next word, unless it is a known option (or any
            # option word, for an optional value); a required one must not be blank
            if index >= count:
                if kind == REQUIRED:
                    errors.append("missing value for /" + last)
                continue
            value = args[index]
            if value[:1] in prefix_characters:
                named = prefixes.get(value[1:].upper())
                if kind == OPTIONAL or (named is not None and named is not AMBIGUOUS):
                    if kind == REQUIRED:  # the next word is an option, not this one's value
                        errors.append("missing value for /" + last)
                    continue
            index += 1
            if kind == REQUIRED and not value.strip():
                errors.append("missing value for /" + last)
                continue
            field = _SETTING_FIELDS.get(last)  # _apply, inlined for its two commonest cases
            if field is not None:
                if field not in fields:
                    fields[field] = value
            elif last in SOURCE_OPTIONS and "source_type" not in fields:
                fields["source_type"] = SOURCE_OPTIONS[last]
                fields["source_path"] = value
            else:
                _apply(option, value, reading)
        elif index < count:  # a password is always the next word, whatever it looks like
            secret = _SECRET_NAMES[last]
            if secret not in reading.redacted:
                reading.redacted.append(secret)
            index += 1
        else:
            errors.append("missing value for /" + last)
    return reading


_PREFIX_CHARACTERS = frozenset(OPTION_PREFIXES)
# Option words as written (`/FILE`, `/Fi`, `-file`) -> the option they name: people and scripts
# write a handful of spellings, so an option word costs one lookup. Bounded: past
# WORD_OPTIONS_SIZE spellings, new ones are resolved every time.
WORD_OPTIONS_SIZE = 4096
_WORD_OPTIONS: Dict[str, Option] = {}
_SECRET_NAMES = {option.name: option.name.lower() for option in OPTIONS if option.value == SECRET}


def _is_option_list(word: str) -> bool:
    """A word that holds blanks and whose first part is a known option."""
    if not word.startswith(OPTION_PREFIXES) or (" " not in word and "\t" not in word):
        return False
    first = word.split(None, 1)[0]
    return resolve_option(first)[0] is not None and first != word.strip()


def _apply(option: Option, value: str, reading: _Reading) -> None:
    name = option.name
    if name in SOURCE_OPTIONS:  # (passwords are read in read_options, never applied)
        if "source_type" in reading.fields:
            reading.error("more than one source package")
            return
        reading.fields["source_type"] = SOURCE_OPTIONS[name]
        reading.fields["source_path"] = value
    elif name in DESTINATION_OPTIONS:
        _apply_destination(name, value, reading)
    elif name in FOLDER_OPTIONS:
        reading.folder_type = reading.folder_type or PACKAGE_TYPES.get(
            value.split(";", 1)[0].strip().upper(), "")
    elif name in _SETTING_FIELDS:
        reading.set_once(_SETTING_FIELDS[name], value)


# The options that set one output field, the first time they are given.
_SETTING_FIELDS = {"SOURCESERVER": "source_server", "SOURCEUSER": "source_user",
                   "DESTSERVER": "dest_server", "DESTUSER": "dest_user"}


def _apply_destination(name: str, value: str, reading: _Reading) -> None:
    """`TYPE;path` (COPY, MOVE), `TYPE;path;hash` (SIGN), `TYPE;path;level[;password]`
    (ENCRYPT: everything after the third `;` is the password, so it never reaches the path)."""
    if name == "ENCRYPT":
        parts = value.split(";", 3)
        if len(parts) == 4:
            _add_once(reading.redacted, "encrypt")
        path_ok = len(parts) >= 3
        path = parts[1] if len(parts) > 1 else ""
    elif name == "SIGN":
        package_type, _, rest = value.partition(";")
        path, _, _hash = rest.rpartition(";")
        parts = [package_type, path]
        path_ok = ";" in rest
    else:
        parts = value.split(";", 1)
        path = parts[1] if len(parts) > 1 else ""
        path_ok = len(parts) == 2
    package_type = PACKAGE_TYPES.get(parts[0].strip().upper(), "")
    if not package_type or not path_ok or not path.strip():
        reading.error("bad value for /" + name)
        return
    if "dest_type" in reading.fields:
        reading.error("more than one destination")
        return
    reading.dest_option = name
    reading.fields["dest_type"] = package_type
    reading.fields["dest_path"] = path


def _add_once(values: List[str], value: str) -> None:
    if value not in values:
        values.append(value)


# --- Putting the result together ----------------------------------------------------------------

def _result(invocation: Invocation, reading: _Reading, extra_errors: Sequence[str]) -> Dict[str, Value]:
    """The non-empty output fields, in no set order. Written for speed (it runs once per
    distinct line): what the two ends give is looked up (`_network`), and nothing is built for
    the fields that stay empty (most of them)."""
    fields = reading.fields
    source_type = fields.get("source_type", "")
    dest_type = fields.get("dest_type", "")
    if source_type == "file":
        source = file_endpoint(fields["source_path"])
    elif source_type or reading.folder_type:  # sql, dts, or a folder operation
        source = sql_endpoint(fields.get("source_server", ""))
    else:
        source = None
    if dest_type == "file":
        dest = file_endpoint(fields["dest_path"])
    elif dest_type:
        dest = sql_endpoint(fields.get("dest_server", ""))
    else:
        dest = None
    errors = reading.errors
    if (source is not None and source.bad_host) or (dest is not None and dest.bad_host):
        errors = list(errors)
        if source is not None and source.bad_host:
            errors.append("bad host for /" + ("FILE" if source_type == "file" else "SOURCESERVER"))
            source = None
        if dest is not None and dest.bad_host:
            errors.append("bad host for /" + (reading.dest_option if dest_type == "file" else "DESTSERVER"))
            dest = None
    out: Dict[str, Value] = {"image": invocation.image} if invocation.image else {}
    if reading.actions:
        out["action"] = _shared(reading.actions)
    out.update(fields)  # the fields the options set (source_*, dest_*): never empty
    network, signals = _network(source, dest, bool(dest_type))
    out.update(network)
    more: List[str] = []  # the other signals, in the contract's order
    if dest_type == "file" and user_writable(fields["dest_path"]):
        more.append("user_writable_dest")
    if reading.redacted:
        more.append("cleartext_password")
        out["redacted"] = _shared(reading.redacted)
    if "source_user" in fields or "dest_user" in fields:
        more.append("sql_auth")
    if unusual_image(invocation.image):
        more.append("unusual_image_path")
    if reading.quoted_list:
        more.append("quoted_option_list")
    if more:
        out["signals"] = _shared(list(signals) + more)
    elif signals:
        out["signals"] = signals
    error = errors[0] if errors else (extra_errors[0] if extra_errors else "")
    if error:
        out["error"] = error
    return out


@functools.lru_cache(maxsize=4096)
def _network(source: Optional[Endpoint], dest: Optional[Endpoint],
             has_dest: bool) -> Tuple[Mapping[str, Value], Tuple[str, ...]]:
    """What the two ends give: remote_host, remote_port, transport, share (source end first)
    and direction, and the network signals in the contract's order. Lines of one job differ in
    their paths, not in their ends: this is computed once per pair of ends."""
    hosts: List[str] = []
    ports: List[str] = []
    transports: List[str] = []
    shares: List[str] = []
    webdav = raw_ip = nonstandard_port = False
    for end in (source, dest):
        if end is None:
            continue
        if end.share and end.share not in shares:
            shares.append(end.share)
        if not end.remote:
            continue
        if end.host and end.host not in hosts:
            hosts.append(end.host)
        if end.port and end.port not in ports:
            ports.append(end.port)
        if end.transport not in transports:
            transports.append(end.transport)
        webdav = webdav or end.transport.startswith("webdav")
        raw_ip = raw_ip or end.raw_ip
        nonstandard_port = nonstandard_port or end.nonstandard_port
    source_remote = source is not None and source.remote
    dest_remote = dest is not None and dest.remote
    found = {"remote_host": tuple(hosts), "remote_port": tuple(ports),
             "transport": tuple(transports), "share": tuple(shares),
             "direction": _direction(has_dest, source_remote, dest_remote)}
    signals = [name for name, holds in (("remote_source", source_remote), ("remote_dest", dest_remote),
                                        ("webdav", webdav), ("raw_ip", raw_ip),
                                        ("nonstandard_port", nonstandard_port)) if holds]
    return (types.MappingProxyType({name: value for name, value in found.items() if value}),
            tuple(signals))


# Actions, hosts, ports, transports, shares, signals and redacted options come in few
# combinations: one tuple per combination is shared by every cached result that holds it, so that
# a new line leaves fewer objects behind (fewer for the garbage collector to count and walk).
# Bounded: past SHARED_TUPLES combinations, new ones are not shared.
SHARED_TUPLES = 4096
_SHARED: Dict[Tuple[str, ...], Tuple[str, ...]] = {}


def _shared(values: List[str]) -> Tuple[str, ...]:
    key = tuple(values)
    found = _SHARED.get(key)
    if found is not None:
        return found
    if len(_SHARED) < SHARED_TUPLES:
        _SHARED[key] = key
    return key


def _direction(has_dest: bool, source_remote: bool, dest_remote: bool) -> str:
    if not has_dest:
        return "none"
    if source_remote:
        return "relay" if dest_remote else "ingress"
    return "egress" if dest_remote else "local"


# Every output field, empty: a result is this with its non-empty fields laid over it.
_EMPTY_FIELDS: Dict[str, Value] = {name: () if name in MULTIVALUE_FIELDS else "" for name in OUTPUT_FIELDS}


def _full(fields: Mapping[str, Value]) -> Mapping[str, Value]:
    """Every OUTPUT_FIELDS name, in order, with `fields` (the non-empty ones) laid over: read-only."""
    result = dict(_EMPTY_FIELDS)
    result.update(fields)
    return types.MappingProxyType(result)


class CacheInfo(NamedTuple):
    """The parse cache's state: entries added since the last clear, its bound, its size."""

    misses: int
    maxsize: int
    currsize: int


# The parse cache of `parse` and `describe`: command line -> result, at most CACHE_SIZE lines of
# at most CACHED_LENGTH characters; the oldest entry goes first when it is full (a dict keeps
# insertion order). The search command does not fill it: it reads `describe_value` and keeps its
# own memo of the values it writes, by line (`lotl.annotate`), so a line is kept in one form.
_RESULTS: Dict[str, Mapping[str, Value]] = {}
_ADDED = [0]


def parse(command_line: str) -> Mapping[str, Value]:
    """Every OUTPUT_FIELDS name -> its value for one command line (read-only; cached)."""
    if isinstance(command_line, str):
        found = _RESULTS.get(command_line)
        if found is not None:
            return found
        if _cannot_hold_dtutil(command_line):
            return _NOT_DTUTIL  # one shared result: no cache entry, no parse
        if len(command_line) <= CACHED_LENGTH:
            result = parse_uncached(command_line)
            if len(_RESULTS) >= CACHE_SIZE:
                del _RESULTS[next(iter(_RESULTS))]
            _RESULTS[command_line] = result
            _ADDED[0] += 1
            return result
    return parse_uncached(command_line)


def cache_info() -> CacheInfo:
    return CacheInfo(_ADDED[0], CACHE_SIZE, len(_RESULTS))


def cache_clear() -> None:
    _RESULTS.clear()
    _ADDED[0] = 0


# What a line without a dtutil invocation gives: one shared object of each form.
_NO_INVOCATION_FIELDS: Mapping[str, Value] = types.MappingProxyType({"error": NO_INVOCATION})
_NOT_DTUTIL = _full(_NO_INVOCATION_FIELDS)


def parse_uncached(command_line: str) -> Mapping[str, Value]:
    """`parse` without the cache."""
    return _full(describe_value(command_line))


parse.__wrapped__ = parse_uncached  # type: ignore[attr-defined]
parse.cache_info = cache_info  # type: ignore[attr-defined]
parse.cache_clear = cache_clear  # type: ignore[attr-defined]


def describe_value(command_line: str) -> Mapping[str, Value]:
    """The non-empty output fields of one command line (uncached; never raises): what a search
    command writes, without the empty fields `parse` also lists (in its order)."""
    try:
        return _parse(command_line)
    except Exception as error:  # noqa: BLE001 - a search must never stop on one odd value
        return {"error": "internal error: %s" % type(error).__name__}


def _parse(command_line: str) -> Mapping[str, Value]:
    if not isinstance(command_line, str):
        command_line = "" if command_line is None else str(command_line)
    extra_errors: List[str] = []
    if "&" in command_line:  # XML entities as Splunk's Windows add-on leaves them: decoded first
        command_line = entities.decode(command_line[:MAX_ENCODED_LINE])
    if len(command_line) > MAX_COMMAND_LINE:
        command_line = command_line[:MAX_COMMAND_LINE]
        extra_errors.append(TOO_LONG)
    invocation = find_invocation(command_line)
    if invocation is None:
        return _NO_INVOCATION_FIELDS
    if invocation.unterminated:
        extra_errors.insert(0, UNTERMINATED_QUOTE)
    if invocation.truncated:
        extra_errors.insert(0, TOO_MANY_ARGUMENTS)
    reading = read_options(invocation.args)
    return _result(invocation, reading, extra_errors)


# --- Records -------------------------------------------------------------------------------------

def required_fields(field: Optional[str]) -> List[str]:
    """The record fields the command reads."""
    return [field] if field else list(SOURCE_FIELDS)


def describe(record: Mapping[str, object], field: Optional[str] = None) -> Mapping[str, Value]:
    """`parse` of the record's command line (`source_value`)."""
    return parse(source_value(record, field))


def source_value(record: Mapping[str, object], field: Optional[str] = None) -> str:
    """The command line `describe` reads: `field` if given, else the first of SOURCE_FIELDS that
    is present and not blank; "" when there is none, or when it cannot hold the dtutil word. The
    result depends on this value alone (`describe_value`), which lets a search command memoise
    it by value."""
    get = record.get
    for name in (field,) if field else SOURCE_FIELDS:
        value = get(name)
        if value.__class__ is str:  # the common case: one value, maybe empty
            if not value or value.isspace():
                continue
        else:
            value = _command_line(value)
            if not value:
                continue
        return "" if _cannot_hold_dtutil(value) else value
    return ""


def _command_line(value: object) -> str:
    """A record value as one command line: of a multivalue field, the first value with a dtutil
    invocation in it, else the first non-empty value."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        values = [item if isinstance(item, str) else str(item) for item in value if item is not None]
        values = [item for item in values if item.strip()]
        for item in values:
            if _choose_word(item[:MAX_COMMAND_LINE]) is not None:
                return item
        return values[0] if values else ""
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else ""
