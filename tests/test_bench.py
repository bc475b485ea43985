"""`make bench` still runs: a smoke run at tiny sizes, timing nothing (CI times nothing).

The bench drives the built app through the same protocol as the harness; if a change to the
harness, the commands or the passthrough broke it, the next performance run would find out too
late. This checks that every row of every input comes out with its ratios, and that the floor
rows really write the commands' output fields.
"""
import os

import pytest

from tests import datasets, harness
from tools import bench


def require_inputs() -> None:
    if not (os.path.isfile(bench.SUM_MAP) and datasets.datasets_present()):
        pytest.skip("the bench's inputs are not found (../shared is absent): %s" % bench.SUM_MAP)


def test_a_tiny_run_prints_every_row_with_its_ratios(capsys):
    require_inputs()
    assert bench.main(["--sizes", "300", "--event-sizes", "200", "--dtutil-sizes", "250", "--repeats", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    rows = {tuple(cell.strip() for cell in line.strip("|").split("|")[:3]): line
            for line in table[2:]}
    for label, size in (("full width", "300"), ("real events, full width", "200")):
        for command in bench.COMMANDS:
            assert (label, size, command) in rows, (label, command)
    for label, size in (("narrowed", "300"), ("real events, narrowed", "200")):
        for command in bench.COMMANDS[1:]:  # the csv round trip has no narrowed form
            assert (label, size, command) in rows, (label, command)
        for command in bench.APP_COMMANDS:
            cells = [cell.strip() for cell in rows[(label, size, command)].strip("|").split("|")]
            assert all(cells[3:8]) and cells[9], cells  # rate, spread, three ratios, memory
    for label in ("dtutil only, full width", "dtutil only, narrowed"):
        for command in bench.DTUTIL_INPUT_COMMANDS:
            assert (label, "250", command) in rows, (label, command)
        cells = [cell.strip() for cell in rows[(label, "250", "dtutilargs")].strip("|").split("|")]
        assert all(cells[3:10]), cells  # ... and the ratio to the value floor (cells[8])


def test_floor_rows_read_and_write_what_the_commands_do():
    require_inputs()
    for command in bench.APP_COMMANDS:
        fields = bench.required_fields(command)
        outputs = bench.output_fields(command)
        assert outputs and all(name.startswith(command[:5]) for name in outputs)
        floor = "floor(%s)" % command
        assert bench.program(floor) == "passthrough"
        result = harness.run_command("passthrough", [{"CommandLine": "x", "other": "y"}],
                                     args=bench.arguments(floor, fields))
        assert result.exit_code == 0, result.stderr
        assert result.getinfo["required_fields"] == fields
        record = result.records[0]
        assert record["CommandLine"] == "x" and record["other"] == "y"  # merged back by the harness
        assert {name: record.get(name) for name in outputs} == dict.fromkeys(outputs, "")


def test_the_dtutil_input_is_dtutil_lines_about_30_percent_distinct():
    require_inputs()
    header, rows = bench.recorded_events()
    workload = bench.Workload.dtutil_only(header, rows, 20000, seed=1)
    lines = [row[-1] for row in workload.rows]
    assert workload.fieldnames[-1] == "CommandLine"
    assert all("dtutil" in line.lower() for line in lines)
    assert 0.27 < len(set(lines)) / len(lines) < 0.33


def test_the_value_floor_writes_what_dtutilargs_writes(tmp_path):
    """values(dtutilargs), run as splunkd runs it, sets record by record the very values the
    command sets, and reads what the command reads."""
    require_inputs()
    header, rows = bench.recorded_events()
    workload = bench.Workload.dtutil_only(header, rows, 60, seed=2)
    records = [dict(zip(workload.fieldnames, row)) for row in workload.rows]
    fields = bench.required_fields("dtutilargs")
    assert bench.program("values(dtutilargs)") == "precomputed"
    floor = harness.run_command("precomputed", records, args=bench.arguments("values(dtutilargs)", fields, workload),
                                script=bench.precomputed_script(str(tmp_path)))
    command = harness.run_command("dtutilargs", records)
    assert floor.exit_code == 0 and command.exit_code == 0, floor.stderr
    assert floor.getinfo["required_fields"] == command.getinfo["required_fields"] == fields
    names = bench.output_fields("dtutilargs")
    written = [{name: record.get(name) for name in names} for record in floor.records]
    assert written == [{name: record.get(name) for name in names} for record in command.records]
    assert sum(1 for record in written if record["dtutil_source_path"]) > 30


def test_the_profiler_times_a_cache_miss(capsys):
    """`profile_chunk.py --distinct` (quoted in docs/performance.md) keeps working, on the built
    app's core and on another lotl package given by --core."""
    require_inputs()
    from tools import profile_chunk

    assert profile_chunk.main(["dtutilargs", "--distinct", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "distinct lines" in out and " us a line" in out
    count = int(out.split()[0])
    assert 14000 < count < 16000  # about 30% of a 50,000-record chunk
