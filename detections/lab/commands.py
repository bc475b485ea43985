"""The app's custom commands, run from the BUILT app (output/SA-lotl-detections) by the project's
splunkd stand-in (tests/harness.py), over protocol v2, exactly as a search would run them."""
from typing import Dict, List, Sequence, Union

from tests.harness import run_command

Value = Union[str, List[str]]
Record = Dict[str, Value]


def run(command: str, records: Sequence[Record], args: Sequence[str] = ()) -> List[Record]:
    """`records` through `command`: the same records back, with the command's fields added.
    Raises when the command reports an error or returns a different number of records."""
    if not records:
        return []
    result = run_command(command, [dict(r) for r in records], args=list(args))
    errors = result.errors()
    if errors or result.exit_code not in (0, None):
        raise RuntimeError("%s failed (exit %s): %s %s" % (command, result.exit_code, errors, result.stderr[-2000:]))
    if len(result.records) != len(records):
        raise RuntimeError("%s returned %d records for %d" % (command, len(result.records), len(records)))
    return result.records
