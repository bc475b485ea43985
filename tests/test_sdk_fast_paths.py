"""The SDK prototype measured in docs/performance.md answers byte for byte as splunk-sdk does.

`tools/sdk_fast_paths.py` is never shipped; its speed figures are only worth quoting if it does
exactly what the SDK does, on the bench's inputs (`profile_chunk.py --check`) and on the awkward
cases here: multivalue values, rows of the wrong length, headers not laid out as splunkd lays
them out, values that are not strings.
"""
import tempfile

import pytest

from tests import harness
from tests.test_harness import AWKWARD_VALUES
from tools import profile_chunk


def answers(program, args, body):
    """The command's answer to one chunk, with the SDK as it is and with the prototype."""
    cls = profile_chunk.command_class(program)
    from tools import sdk_fast_paths

    request = profile_chunk.conversation(program, args, body, tempfile.mkdtemp(prefix="lotl-sdk-"))
    stock = profile_chunk.answer(cls, program, request)
    sdk_fast_paths.install()
    try:
        fast = profile_chunk.answer(cls, program, request)
    finally:
        sdk_fast_paths.uninstall()
    return stock, fast


AWKWARD_RECORDS = [{"n": str(i), "value": value, "mv": ["a", value, "b$"] if i % 3 == 0 else value}
                   for i, value in enumerate(AWKWARD_VALUES)]


@pytest.mark.parametrize("program,args", [
    ("passthrough", []),
    ("passthrough", ["empty=x,y"]),
    ("dtutilargs", ["field=value"]),
    ("epochshare", ["field=mv"]),
])
def test_same_bytes_on_awkward_records(program, args):
    harness.ensure_built()
    body = harness.encode_body(AWKWARD_RECORDS, ["n", "value", "mv"]).encode("utf-8")
    stock, fast = answers(program, args, body)
    assert b"__mv_" in stock and stock == fast


@pytest.mark.parametrize("body", [
    "b,__mv_b,a\n1,,2\n3,$x$;$y$,4\n",     # a twin before its own field's value: the SDK's path
    "a,b,a,__mv_a\n1,2,3,\n",              # a name twice
    "a,__mv_x\n1,$p$;$q$\n",               # a twin without its field
    "a,b,__mv_a,__mv_b\n1,2,,\n3\n4,5,,,6\n",  # rows too short and too long
    "a\n1\n\n2\n",                          # no twins at all, an empty row
])
def test_same_bytes_on_odd_chunks(body):
    harness.ensure_built()
    stock, fast = answers("passthrough", [], body.encode("utf-8"))
    assert stock == fast


def test_the_profiler_modes_run_on_the_bench_chunk(capsys):
    """profile_chunk.py's figures are quoted in docs/performance.md: its modes must keep working."""
    from tests.test_bench import require_inputs

    require_inputs()
    assert profile_chunk.main(["dtutilargs", "--narrowed", "--check"]) == 0
    assert "same answer with and without the SDK prototype: True" in capsys.readouterr().out
    assert profile_chunk.main(["epochshare", "--narrowed", "--core-split", "--repeats", "1"]) == 0
    pieces = capsys.readouterr().out
    assert "describe, every record" in pieces and "SDK writing the annotated records" in pieces
    assert profile_chunk.main(["floor(dtutilargs)", "--narrowed", "--sdk-split", "--repeats", "1"]) == 0
    assert "chunk body" in capsys.readouterr().out
