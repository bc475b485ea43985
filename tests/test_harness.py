"""The splunkd harness, proved on the test-only passthrough command before it judges the app's own.

If the harness mangled a value, lost a record, merged narrowed answers wrongly or hung on a
silent command, every protocol test built on it would be worthless: these tests pin that down.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from tests import harness

AWKWARD_VALUES = [
    "",
    "plain",
    'a "quoted" word',
    "comma, separated",
    "line one\nline two\r\nline three",
    "dollar $ and $$ signs",
    "unicode: Tú novia 요즘은 👀",
    " leading and trailing spaces ",
    "\\\\127.0.0.1\\ADMIN$\\__1684944005.9400265",
]


def test_records_round_trip_unchanged():
    records = [{"_time": "1700000000.%03d" % i, "value": value, "n": str(i)}
               for i, value in enumerate(AWKWARD_VALUES)]
    result = harness.run_command("passthrough", records)
    assert result.exit_code == 0, result.stderr
    assert result.errors() == []
    assert result.records == records


def test_multivalue_fields_round_trip_as_lists():
    records = [
        {"id": "1", "mv": ["a", "b$c", "d\ne"]},
        {"id": "2", "mv": "single"},
        {"id": "3", "mv": ["x", "x"]},
    ]
    result = harness.run_command("passthrough", records)
    assert result.exit_code == 0, result.stderr
    assert result.records == records


def test_missing_fields_come_back_empty_as_in_splunk():
    # splunkd writes a cell for every field of the chunk; an event without the field gets "".
    result = harness.run_command("passthrough", [{"a": "1"}, {"b": "2"}])
    assert result.records == [{"a": "1", "b": ""}, {"a": "", "b": "2"}]


def test_many_chunks_keep_count_and_order():
    records = [{"i": str(i)} for i in range(1234)]
    result = harness.run_command("passthrough", records, chunk_size=100)
    assert [r["i"] for r in result.records] == [str(i) for i in range(1234)]
    # one getinfo answer, one answer per chunk, one for the final header-only chunk
    assert len(result.replies) == 1 + 13 + 1
    assert result.replies[-1].get("finished") is True


def test_empty_search_is_only_the_final_chunk():
    result = harness.run_command("passthrough", [])
    assert result.exit_code == 0, result.stderr
    assert result.records == []
    assert result.replies[-1].get("finished") is True


def test_required_fields_narrow_the_input_and_are_merged_back():
    records = [{"keep": "k%d" % i, "other": "o%d" % i, "mv": ["x", str(i)]} for i in range(5)]
    result = harness.run_command("passthrough", records, args=["fields=keep"])
    assert result.getinfo["required_fields"] == ["keep"]
    assert result.records == records


def test_narrowed_input_carries_only_required_fields(tmp_path):
    # A command that reports the fields it was sent proves what the harness sends.
    script = _write_command(tmp_path, """
        @Configuration()
        class Spy(StreamingCommand):
            def prepare(self):
                self.configuration.required_fields = ["keep"]
            def stream(self, records):
                for record in records:
                    record["seen"] = ",".join(sorted(k for k in record if k != "seen"))
                    yield record
        dispatch(Spy, sys.argv, sys.stdin, sys.stdout, __name__)
    """)
    result = harness.run_command("spy", [{"keep": "1", "drop": "2"}], script=script)
    assert result.records == [{"keep": "1", "drop": "2", "seen": "_chunked_idx,keep"}]


def test_getinfo_in_the_shape_of_splunk_6_3():
    result = harness.run_command("passthrough", [{"a": "1"}], splunk_version="6.3")
    assert result.exit_code == 0, result.stderr
    assert result.records == [{"a": "1"}]


def test_getinfo_shapes_differ_as_splunk_versions_do(tmp_path):
    nine = harness.getinfo_metadata(["x=1"], str(tmp_path), "cmd", "9")
    assert nine["searchinfo"]["maxresultrows"] == 50000
    assert "streaming_command_will_restart" in nine
    if not os.path.isfile(harness.RECORDING_63):
        pytest.skip("splunkd 6.3 recording absent (../shared)")
    old = harness.getinfo_metadata(["x=1"], str(tmp_path), "cmd", "6.3")
    assert "maxresultrows" not in old["searchinfo"]
    assert "streaming_command_will_restart" not in old
    assert old["searchinfo"]["args"] == ["x=1"]


def test_a_bad_option_is_reported_and_the_command_stops():
    result = harness.run_command("passthrough", [{"a": "1"}], args=["bogus=1"])
    assert result.exit_code == 1
    assert result.errors() == ["Unrecognized option: bogus=1"]
    assert result.records == []


def test_a_hung_command_fails_instead_of_hanging(tmp_path):
    script = tmp_path / "app" / "bin" / "sleeper.py"
    script.parent.mkdir(parents=True)
    script.write_text("import time\ntime.sleep(600)\n")
    with pytest.raises(harness.CommandTimeout):
        harness.run_command("sleeper", [{"a": "1"}], script=str(script), timeout=3)


def test_the_interpreter_sees_no_development_packages():
    command = harness.interpreter_command() + ["-c", "import pytest"]
    assert subprocess.run(command, capture_output=True).returncode != 0
    # ...but does see the script's own folder, as Splunk's Python does.
    probe = harness.interpreter_command() + ["-c", "import sys; print(sys.flags.ignore_environment)"]
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "1"


def test_a_library_missing_from_lib_fails_the_command(tmp_path):
    script = tmp_path / "app" / "bin" / "needs_yaml.py"
    script.parent.mkdir(parents=True)
    script.write_text("import yaml\n")  # installed in the dev environment, not in the app
    with pytest.raises(AssertionError):
        harness.run_command("needs_yaml", [{"a": "1"}], script=str(script), timeout=30)


def test_multivalue_codec_round_trips():
    for values in (["a"], ["a", "b"], ["$", "$$", "a$b"], ["", "x"], ["line\nbreak", ";"]):
        assert harness.decode_multivalue(harness.encode_multivalue(values)) == values


def _write_command(tmp_path, body: str) -> str:
    """A throwaway splunklib command beside the built app's lib/, as the app's own are."""
    harness.ensure_built()
    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    os.symlink(os.path.join(harness.BUILT_APP, "lib"), str(app / "lib"))
    script = app / "bin" / "command.py"
    header = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
        from splunklib.searchcommands import Configuration, StreamingCommand, dispatch
    """)
    script.write_text(header + textwrap.dedent(body))
    return str(script)


def test_harness_runs_under_the_interpreter_it_was_asked_for():
    version = subprocess.run(harness.interpreter_command() + ["-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    base = subprocess.run([harness.base_interpreter(), "-c", "import sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True).stdout.strip()
    assert version == base
    assert sys.version_info[:2] >= (3, 9)
