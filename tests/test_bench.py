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
    assert bench.main(["--sizes", "300", "--event-sizes", "200", "--repeats", "1"]) == 0
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
            assert all(cells[3:9]), cells  # rate, spread and the three ratios are all there


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
