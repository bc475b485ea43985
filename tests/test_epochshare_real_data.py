"""epochshare from the BUILT app, through the splunkd harness, over every real event.

../shared/datasets/windows-events holds 7,714 events of Impacket runs, look-alike tools and
ordinary activity; labels.csv names the 87 that carry an artifact. epoch_valid must be 1, with
that artifact and kind, for exactly those, and 0 for every other event (the GAC and __test__
folders, the look-alike tools, the benign sets). Skipped, saying so, without ../shared.
"""
import collections

import pytest

from tests import harness
from tests.datasets import event_key, iter_events, labels, require_datasets


@pytest.fixture(scope="module")
def described():
    require_datasets()
    keyed = list(iter_events())
    # splunkd sends epochshare only its required fields: the harness narrows and merges back.
    result = harness.run_command("epochshare", [event for _file, event in keyed], timeout=600)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert result.errors() == []
    assert len(result.records) == len(keyed)
    return [(event_key(name, event), out) for (name, event), out in zip(keyed, result.records)]


def test_every_event_comes_back(described):
    assert len(described) == 7714


def test_exactly_the_labelled_events_carry_an_artifact(described):
    truth = labels()
    found = {key: out for key, out in described if out["epoch_valid"] == "1"}
    assert set(found) == set(truth), (sorted(set(found) - set(truth))[:5], sorted(set(truth) - set(found))[:5])
    for key, label in truth.items():
        assert found[key]["epoch_artifact"] == label["artifact"], key
        assert found[key]["epoch_kind"] == label["kind"], key


def test_every_other_event_is_valid_zero_with_empty_fields(described):
    truth = labels()
    for key, out in described:
        if key in truth:
            continue
        assert out["epoch_valid"] == "0", key
        assert out["epoch_artifact"] == out["epoch_kind"] == out["epoch_tools"] == "", key


def test_wmiexec_sessions_decode_to_their_launch_time(described):
    by_artifact = collections.defaultdict(set)
    for _key, out in described:
        if out["epoch_kind"] == "epoch_output":
            by_artifact[out["epoch_artifact"]].add(out["epoch_time"])
    # one session, one decoded launch time, whatever event carried it
    assert by_artifact and all(len(times) == 1 for times in by_artifact.values())
    assert by_artifact["__1619425227.894209"] == {"2021-04-26T08:20:27.894209Z"}
    assert by_artifact["__1556656511.61"] == {"2019-04-30T20:35:11.610000Z"}


def test_skew_is_the_events_time_minus_the_launch_time(described):
    skews = [float(out["epoch_skew"]) for _key, out in described if out["epoch_skew"]]
    assert skews
    # the lab operators launched, then ran commands within the hour (clock drift included)
    assert all(-3600 < value < 24 * 3600 for value in skews), (min(skews), max(skews))
