"""lotl.impacket on the real Windows events in ../shared/datasets/windows-events (skipped, saying
so, where the folder is absent), and its cost on adversarial values: linear in the value's length.
"""
import collections
import time
from typing import Callable, Dict, List, Tuple

import pytest

from lotl import impacket
from tests.datasets import event_key, iter_events, labels, require_datasets

LABELLED_EVENTS = 87


def described_events() -> List[Tuple[Tuple[str, str], Dict[str, str], object]]:
    return [(event_key(name, event), event, impacket.describe(event)) for name, event in iter_events()]


def test_every_event_is_described_as_the_ground_truth_says():
    require_datasets()
    truth = labels()
    assert len(truth) == LABELLED_EVENTS
    seen = collections.Counter()
    mismatches = []
    found_by_kind = collections.Counter()
    events = 0
    for key, event, result in described_events():
        events += 1
        assert tuple(result) == impacket.OUTPUT_FIELDS
        label = truth.get(key)
        if label is None:
            if result["valid"] != "0":
                mismatches.append((key, "unlabelled but found", result["artifact"], result["kind"]))
            continue
        seen[key] += 1
        got = (result["valid"], result["artifact"], result["kind"])
        if got != ("1", label["artifact"], label["kind"]):
            mismatches.append((key, "labelled", label["artifact"], label["kind"], got))
            continue
        found_by_kind[result["kind"]] += 1
        # The labelled field is where the artifact is: reading only that field finds it too.
        assert impacket.describe(event, label["field"])["artifact"] == label["artifact"], key
    print("\n%d events, %d labelled found: %s" % (events, sum(seen.values()), dict(found_by_kind)))
    assert not mismatches, mismatches[:20]
    assert set(seen) == set(truth), sorted(set(truth) - set(seen))[:20]
    assert all(count == 1 for count in seen.values()), "a labelled key names more than one event"
    assert sum(found_by_kind.values()) == LABELLED_EVENTS


def test_decoded_fields_of_the_real_artifacts_are_consistent():
    require_datasets()
    truth = labels()
    checked = 0
    for key, _event, result in described_events():
        if key not in truth:
            continue
        checked += 1
        kind = result["kind"]
        assert result["tools"] == impacket.TOOLS[kind]
        if kind == "epoch_output":
            digits = result["artifact"][2:]
            assert result["value"] == result["earliest"] == result["latest"] == digits
            assert result["time"].startswith(("2019-", "2021-", "2023-"))
            # Every event comes after the launch; the clocks of these labs differ by < 3 hours.
            assert 0 <= float(result["skew"]) < 3 * 3600, (key, result["skew"])
            assert result["precision"] == str(len(digits.split(".")[1]))
        field = truth[key]["field"]
        if field in impacket.RELATIVE_NAME_FIELDS:
            assert result["share"] in ("ADMIN$", "C$") and result["host"] == ""
        elif kind == "smbexec_output" or kind == "epoch_output" and field != "TargetFilename":
            assert result["share"] in ("ADMIN$", "C$") and result["host"] == "127.0.0.1", key
        else:
            assert result["share"] == result["host"] == ""
    assert checked == LABELLED_EVENTS


def test_the_traps_in_the_real_data_are_present_and_not_found():
    require_datasets()
    traps = collections.Counter()
    for _key, event, result in described_events():
        for name in impacket.SOURCE_FIELDS:
            value = event.get(name, "")
            if "__31bf3856ad364e35" in value:
                traps["gac"] += 1
            elif "\\AppData\\Local\\Temp\\" in value and ".tmp" in value.lower():
                traps["profile_temp"] += 1
            else:
                continue
            assert result["valid"] == "0", value
    # The traps the datasets are documented to hold: the test means something only if they are there.
    assert traps["gac"] >= 10 and traps["profile_temp"] >= 10, traps


# --- Linear time ----------------------------------------------------------------------------------

ADVERSARIAL: Dict[str, Callable[[int], str]] = {
    "underscores": lambda n: "_" * n,
    "digits": lambda n: "1" * n,
    "double underscore digits": lambda n: "__1" * (n // 3),
    "epoch prefixes": lambda n: " __1684944005." * (n // 14),
    "long decimals": lambda n: " __1684944005." + "1" * n,
    "five digits glued": lambda n: "\\__17249x" * (n // 9),
    "backslashes": lambda n: "\\" * n,
    "temp folders": lambda n: "Temp\\" * (n // 5),
    "tmp names in a deep path": lambda n: "a\\" * (n // 2) + "Temp\\abcdefgh.tmp",
    "ordinary tmp names": lambda n: "x\\Temp\\abcdefgh.tmp " * (n // 20),
    "windows temp relative": lambda n: " Windows\\Temp\\abcdefgh.tmp" * (n // 27),
    "dot dot": lambda n: "..\\" * (n // 3) + "Temp\\abcdefgh.tmp",
    "unc prefixes": lambda n: "\\\\h\\" * (n // 4) + "__output",
    "long host": lambda n: "\\\\" + "h" * n + "\\C$\\__output",
    "output glued": lambda n: " __output_abcdefgh_" * (n // 19),
    "replacement characters": lambda n: "\ufffd__" * (n // 3),
}


def best_time(function: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_cost_is_linear_in_the_length(name):
    build = ADVERSARIAL[name]
    size = 100_000
    small, large = build(size), build(4 * size)
    # Uncached, as for a value never seen before; through describe too (long values are not cached).
    t_small = best_time(lambda: impacket.find_artifact.__wrapped__(small))
    t_large = best_time(lambda: impacket.find_artifact.__wrapped__(large))
    # Four times the length may cost about four times as much; quadratic work would cost 16.
    assert t_large < 8 * t_small + 0.005, (name, t_small, t_large)
    assert best_time(lambda: impacket.describe({"CommandLine": large}), repeat=1) < 2.0


def test_a_megabyte_value_is_cheap():
    value = ("x\\Temp\\abcdefgh.tmp __1 \\\\h\\C$\\" * 40_000)[:1_000_000] + " \\\\h\\C$\\__output"
    elapsed = best_time(lambda: impacket.describe({"CommandLine": value}), repeat=1)
    assert impacket.describe({"CommandLine": value})["artifact"] == "__output"
    assert elapsed < 2.0, elapsed
