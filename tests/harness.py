"""A stand-in for splunkd: runs a search command of the BUILT app and speaks protocol v2 to it.

What splunkd does, and so what this does:
- starts `<app>/bin/<filename>` (from the built app's commands.conf) as a separate process with no
  command-line arguments, under an interpreter that sees none of the development environment's
  packages but, as Splunk's Python does, the script's own folder: a library missing from the
  app's lib/ fails here as it would in Splunk. That interpreter is a bare virtual environment
  (no pip, nothing installed) run with `-E -s`: `site` still runs, as in Splunk's Python.
  (`-S` would drop `site`, and with it the `exit` builtin that splunklib's own error path
  calls: a bad option would end in a NameError there, never in Splunk.);
- sends a getinfo chunk in the shape of Splunk 9.x (or of 6.3, from the recording in
  ../shared/splunkd-recordings), reads the command's type and required_fields;
- sends execute chunks of CSV with a `__mv_<field>` column per field, then the header-only
  `finished: true` chunk (metadata, no body);
- honours required_fields: sends only those fields plus `_chunked_idx`, and merges the answer back
  into the full records by `_chunked_idx`;
- decodes multivalue output, and collects inspector messages, stderr and the exit code, with a
  timeout so that a hung command fails the test instead of hanging it.

`-B` keeps the interpreter from writing bytecode into the built app (Splunk itself does not
pass it; it changes nothing else). $LOTL_TEST_PYTHON picks the base interpreter (e.g. a 3.9, like
Splunk 9's, or a 3.13, like Splunk 10's).
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_ID = "SA-lotl-detections"
BUILT_APP = os.path.join(ROOT, "output", APP_ID)
PASSTHROUGH = os.path.join(ROOT, "tests", "commands", "passthrough.py")
RECORDING_63 = os.path.join(
    os.path.dirname(ROOT), "shared", "splunkd-recordings", "scpv2-splunk-6.3", "countmatches.input.gz"
)
MAX_RESULT_ROWS = 50000
# splunkd's events can hold values far over Python's default 128 KiB CSV field limit.
csv.field_size_limit(2**31 - 1)

Value = Union[str, List[str]]
Record = Dict[str, Value]
_HEADER = re.compile(rb"chunked\s+1.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")


class ProtocolError(AssertionError):
    """The command broke protocol v2 (or splunkd's expectations of it)."""


class CommandTimeout(AssertionError):
    """The command did not answer within the harness's timeout: in Splunk it would hold a slot."""


@dataclass
class CommandResult:
    getinfo: Dict[str, Any]
    records: List[Record] = field(default_factory=list)
    messages: List[Tuple[str, str]] = field(default_factory=list)
    replies: List[Dict[str, Any]] = field(default_factory=list)
    stderr: str = ""
    exit_code: Optional[int] = None

    def errors(self) -> List[str]:
        return [text for level, text in self.messages if level in ("ERROR", "FATAL")]


# ---------------------------------------------------------------------------------------------
# Locating and starting the command


def ensure_built() -> None:
    """Builds the app (without vetting) when output/ is missing, so a lone pytest run works."""
    if not os.path.isfile(os.path.join(BUILT_APP, "default", "commands.conf")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--no-vet"],
                       cwd=ROOT, check=True)


def command_script(command: str) -> str:
    """The script splunkd would run for `command`: commands.conf's `filename` in the built app."""
    ensure_built()
    stanza = None
    filename = None
    with open(os.path.join(BUILT_APP, "default", "commands.conf"), encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("["):
                stanza = line[1:-1]
            elif stanza == command and line.startswith("filename"):
                filename = line.split("=", 1)[1].strip()
    if filename is None:
        raise LookupError("no [%s] stanza with a filename in the built commands.conf" % command)
    return os.path.join(BUILT_APP, "bin", filename)


def passthrough_script(workdir: str) -> str:
    """The test-only passthrough command, placed in a bin/ beside the built app's lib/ exactly as
    the app's own commands are, so that it stands on the same splunklib."""
    ensure_built()
    bin_dir = os.path.join(workdir, "app", "bin")
    os.makedirs(bin_dir, exist_ok=True)
    os.symlink(os.path.join(BUILT_APP, "lib"), os.path.join(workdir, "app", "lib"))
    script = os.path.join(bin_dir, "passthrough.py")
    shutil.copyfile(PASSTHROUGH, script)
    return script


def script_for(command: str, workdir: str) -> str:
    """The script to run for `command`: the test-only passthrough (placed in `workdir`) or one
    of the built app's commands."""
    return passthrough_script(workdir) if command == "passthrough" else command_script(command)


def base_interpreter() -> str:
    """The Python the commands run on: $LOTL_TEST_PYTHON, else the one running the tests."""
    return os.environ.get("LOTL_TEST_PYTHON") or getattr(sys, "_base_executable", sys.executable)


def bare_interpreter(base: Optional[str] = None) -> str:
    """A virtual environment of `base` with nothing installed, made once under build/."""
    base = base or base_interpreter()
    version = subprocess.run(
        [base, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    home = os.path.join(ROOT, "build", "bare-python-" + version)
    python = os.path.join(home, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([base, "-m", "venv", "--without-pip", "--clear", home], check=True)
    return python


def interpreter_command(python: Optional[str] = None) -> List[str]:
    """How a command script is started: `<bare python> -E -s -B` (see the module's docstring)."""
    return [bare_interpreter(python), "-E", "-s", "-B"]


def _start(script: str, dispatch_dir: str, python: Optional[str]) -> subprocess.Popen:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "SPLUNK_HOME": dispatch_dir}
    return subprocess.Popen(
        interpreter_command(python) + [script],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=dispatch_dir, env=env,
    )


# ---------------------------------------------------------------------------------------------
# Framing


def frame(metadata: Mapping[str, Any], body: Union[str, bytes] = b"") -> bytes:
    """One protocol v2 message: `chunked 1.0,<metadata bytes>,<body bytes>\\n` + JSON + body."""
    meta = json.dumps(metadata, separators=(",", ":")).encode("utf-8")
    # surrogateescape: raw bytes given as record values (invalid UTF-8) go out as they came
    data = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
    return b"chunked 1.0,%d,%d\n" % (len(meta), len(data)) + meta + data


def read_message(stream) -> Optional[Tuple[Dict[str, Any], bytes]]:
    """Reads one message from the command; None at end of stream."""
    header = stream.readline()
    if not header:
        return None
    match = _HEADER.match(header)
    if match is None:
        raise ProtocolError("bad transport header from the command: %r" % header[:200])
    meta_length, body_length = int(match.group(1)), int(match.group(2))
    meta = stream.read(meta_length)
    body = stream.read(body_length) if body_length else b""
    if len(meta) != meta_length or len(body) != body_length:
        raise ProtocolError("the command's message is shorter than its header announces")
    return json.loads(meta.decode("utf-8")), body


def parse_messages(stdout: bytes) -> List[Tuple[Dict[str, Any], bytes]]:
    stream = io.BytesIO(stdout)
    messages = []
    while True:
        message = read_message(stream)
        if message is None:
            return messages
        messages.append(message)


# ---------------------------------------------------------------------------------------------
# The getinfo chunk


def getinfo_metadata(args: Sequence[str], dispatch_dir: str, command: str,
                     splunk_version: str = "9") -> Dict[str, Any]:
    """getinfo as Splunk 9.x sends it, or as the 6.3 recording has it (`splunk_version="6.3"`:
    no streaming_command_will_restart, command or maxresultrows)."""
    search = "search index=main | %s %s" % (command, " ".join(args))
    if splunk_version == "6.3":
        metadata = _recorded_getinfo()
        info = metadata["searchinfo"]
        info.update({"args": list(args), "raw_args": list(args), "dispatch_dir": dispatch_dir,
                     "search": urllib.parse.quote(search)})
        return metadata
    return {
        "action": "getinfo",
        "preview": False,
        "streaming_command_will_restart": False,
        "searchinfo": {
            "args": list(args),
            "raw_args": list(args),
            "dispatch_dir": dispatch_dir,
            "sid": "1700000000.42",
            "app": "search",
            "owner": "admin",
            "username": "admin",
            "session_key": "harness-session-key",
            "splunkd_uri": "https://127.0.0.1:8089",
            "splunk_version": "9.2.1",
            "search": urllib.parse.quote(search),
            "command": command,
            "maxresultrows": MAX_RESULT_ROWS,
            "earliest_time": "0",
            "latest_time": "1700000000.000",
        },
    }


def _recorded_getinfo() -> Dict[str, Any]:
    import gzip

    if not os.path.isfile(RECORDING_63):
        import pytest

        pytest.skip("splunkd 6.3 recording not found at %s (../shared is absent)" % RECORDING_63)
    with gzip.open(RECORDING_63, "rb") as handle:
        message = read_message(handle)
    assert message is not None
    return message[0]


# ---------------------------------------------------------------------------------------------
# CSV bodies


def encode_multivalue(values: Sequence[str]) -> str:
    """splunkd's `__mv_` encoding: `$a$;$b$`, a literal `$` doubled."""
    return ";".join("$%s$" % value.replace("$", "$$") for value in values)


def decode_multivalue(text: str) -> List[str]:
    return [item.replace("$$", "$") for item in re.findall(r"\$((?:\$\$|[^$])*)\$(?:;|$)", text)]


def encode_body(records: Sequence[Mapping[str, Any]], fieldnames: Sequence[str]) -> str:
    """A chunk body as splunkd writes it: every field, then a `__mv_` column for each."""
    if not records:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(fieldnames) + ["__mv_" + name for name in fieldnames])
    for record in records:
        plain, multi = [], []
        for name in fieldnames:
            value = record.get(name, "")
            if isinstance(value, bytes):  # raw bytes, e.g. invalid UTF-8, sent byte for byte
                value = value.decode("utf-8", "surrogateescape")
            if isinstance(value, (list, tuple)):
                plain.append("\n".join(value))
                multi.append(encode_multivalue(value) if len(value) > 1 else "")
            else:
                plain.append(value)
                multi.append("")
        writer.writerow(plain + multi)
    return out.getvalue()


def decode_body(body: bytes) -> List[Record]:
    """The command's CSV answer as records; `__mv_` columns decoded into lists."""
    if not body:
        return []
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    header = next(reader, None)
    if header is None:
        return []
    records = []
    for row in reader:
        if len(row) != len(header):
            raise ProtocolError("a CSV row of %d cells under a header of %d" % (len(row), len(header)))
        record: Record = {}
        values = dict(zip(header, row))
        for name in header:
            if name.startswith("__mv_"):
                continue
            encoded = values.get("__mv_" + name, "")
            record[name] = decode_multivalue(encoded) if encoded else values[name]
        records.append(record)
    return records


def fieldnames_of(records: Iterable[Mapping[str, Any]]) -> List[str]:
    names: Dict[str, None] = {}
    for record in records:
        for name in record:
            names.setdefault(name, None)
    return list(names)


# ---------------------------------------------------------------------------------------------
# The conversation


def _drain(stream, sink: List[bytes]) -> None:
    sink.append(stream.read())


def run_command(
    command: str,
    records: Optional[Sequence[Mapping[str, Any]]] = None,
    args: Sequence[str] = (),
    *,
    chunks: Optional[Sequence[Sequence[Mapping[str, Any]]]] = None,
    chunk_size: int = MAX_RESULT_ROWS,
    honour_required_fields: bool = True,
    splunk_version: str = "9",
    script: Optional[str] = None,
    python: Optional[str] = None,
    timeout: float = 120.0,
) -> CommandResult:
    """Runs `command` of the built app over `records` (or explicit `chunks`) as splunkd would.

    Records are dicts of str, or of lists of str for multivalue fields, or of bytes to send raw
    (invalid UTF-8); a missing key is a field the event does not have. Returns the merged records in the command's output order.
    `command="passthrough"` runs the test-only passthrough command.
    """
    if chunks is None:
        rows = list(records or [])
        chunks = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)]
    with tempfile.TemporaryDirectory(prefix="lotl-dispatch-") as dispatch_dir:
        if script is None:
            script = script_for(command, dispatch_dir)
        process = _start(script, dispatch_dir, python)
        stderr: List[bytes] = []
        stderr_reader = threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True)
        stderr_reader.start()
        outcome: Dict[str, Any] = {}
        conversation = threading.Thread(
            target=_converse,
            args=(process, command, args, chunks, honour_required_fields, splunk_version,
                  dispatch_dir, outcome),
            daemon=True,
        )
        conversation.start()
        conversation.join(timeout)
        if conversation.is_alive():
            process.kill()
            process.wait()
            raise CommandTimeout("%s did not finish within %.0f s" % (command, timeout))
        try:
            process.wait(timeout=max(1.0, timeout / 4))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise CommandTimeout("%s did not exit after its last chunk" % command) from None
        stderr_reader.join(5)
        if "error" in outcome:
            raise outcome["error"]
        result: CommandResult = outcome["result"]
        result.exit_code = process.returncode
        result.stderr = b"".join(stderr).decode("utf-8", "replace")
        return result


def _converse(process, command, args, chunks, honour_required_fields, splunk_version,
              dispatch_dir, outcome) -> None:
    try:
        outcome["result"] = _conversation(process, command, args, chunks, honour_required_fields,
                                          splunk_version, dispatch_dir)
    except BaseException as error:  # reported by run_command in the test's thread
        outcome["error"] = error
    finally:
        try:
            process.stdin.close()
        except OSError:
            pass


def _send(process, message: bytes) -> bool:
    """Writes to the command; False when it has gone (a broken pipe, as splunkd would see)."""
    try:
        process.stdin.write(message)
        process.stdin.flush()
        return True
    except (BrokenPipeError, OSError):
        return False


def _collect_messages(reply: Dict[str, Any], result: CommandResult) -> None:
    for level, text in (reply.get("inspector") or {}).get("messages", []):
        result.messages.append((level, text))


def _conversation(process, command, args, chunks, honour_required_fields, splunk_version,
                  dispatch_dir) -> CommandResult:
    _send(process, frame(getinfo_metadata(args, dispatch_dir, command, splunk_version)))
    message = read_message(process.stdout)
    if message is None:
        raise ProtocolError("the command exited without answering getinfo")
    getinfo, body = message
    result = CommandResult(getinfo=getinfo)
    result.replies.append(getinfo)
    _collect_messages(getinfo, result)
    if body:
        raise ProtocolError("getinfo's answer must carry no body")
    if getinfo.get("finished"):
        return result  # the command refused to run (bad option...): its messages say why
    required = getinfo.get("required_fields") if honour_required_fields else None
    narrowed = bool(required)
    for chunk in chunks:
        chunk = list(chunk)
        if narrowed:
            sent = [_narrow(record, required, index) for index, record in enumerate(chunk)]
            names = [name for name in fieldnames_of(sent) if name != "_chunked_idx"]
            names.append("_chunked_idx")
        else:
            sent = chunk
            names = fieldnames_of(chunk)
        body = encode_body(sent, names)
        if not _send(process, frame({"action": "execute", "finished": False}, body)):
            break
        reply = _read_reply(process, result)
        if reply is None:
            return result
        metadata, out = reply
        answered = decode_body(out)
        result.records.extend(_merge(chunk, answered) if narrowed else answered)
        if metadata.get("finished"):
            return result
    # The last message of a streaming search: finished, metadata only.
    if _send(process, frame({"action": "execute", "finished": True})):
        reply = _read_reply(process, result)
        if reply is not None:
            result.records.extend(decode_body(reply[1]))
    return result


def _read_reply(process, result: CommandResult) -> Optional[Tuple[Dict[str, Any], bytes]]:
    message = read_message(process.stdout)
    if message is None:
        return None
    result.replies.append(message[0])
    _collect_messages(message[0], result)
    return message


def _narrow(record: Mapping[str, Any], required: Sequence[str], index: int) -> Dict[str, Any]:
    narrowed = {name: record[name] for name in required if name in record}
    narrowed["_chunked_idx"] = str(index)
    return narrowed


def _merge(chunk: Sequence[Mapping[str, Any]], answered: Sequence[Record]) -> List[Record]:
    """splunkd's merge: each answered record's fields laid over the original it came from."""
    merged = []
    for record in answered:
        index = record.get("_chunked_idx")
        if not isinstance(index, str) or not index.isdigit() or int(index) >= len(chunk):
            raise ProtocolError("answered record without a valid _chunked_idx: %r" % (index,))
        full: Record = dict(chunk[int(index)])
        full.update((name, value) for name, value in record.items() if name != "_chunked_idx")
        merged.append(full)
    return merged


# ---------------------------------------------------------------------------------------------
# Raw conversations, for fault injection


@dataclass
class RawResult:
    replies: List[Tuple[Dict[str, Any], bytes]]
    stdout: bytes
    stderr: str
    exit_code: int

    def messages(self) -> List[Tuple[str, str]]:
        found = []
        for metadata, _body in self.replies:
            found.extend(tuple(m) for m in (metadata.get("inspector") or {}).get("messages", []))
        return found


def run_raw(command: str, payload: Union[bytes, Callable[[str], bytes]], *, timeout: float = 30.0,
            python: Optional[str] = None) -> RawResult:
    """Sends `payload` as is, framing and all (or what `payload(dispatch_dir)` returns, for a
    getinfo that must name a real dispatch folder), closes stdin as a splunkd that went away
    would, and collects everything the command says."""
    with tempfile.TemporaryDirectory(prefix="lotl-dispatch-") as dispatch_dir:
        script = script_for(command, dispatch_dir)
        process = _start(script, dispatch_dir, python)
        if callable(payload):
            payload = payload(dispatch_dir)
        try:
            stdout, stderr = process.communicate(input=payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise CommandTimeout("%s did not exit within %.0f s of faulty input" % (command, timeout)) from None
        try:
            replies = parse_messages(stdout)
        except ProtocolError:
            replies = []
        return RawResult(replies, stdout, stderr.decode("utf-8", "replace"), process.returncode)
