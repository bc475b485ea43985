"""The real Windows events in ../shared/datasets/windows-events, read the way splunkd would hand
them to a command.

The datasets are never copied into this repository (licences differ): tests that need them call
`require_datasets()`, which skips with a message naming the folder when it is absent.
"""
import csv
import datetime
import json
import os
from typing import Dict, Iterator, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("LOTL_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
DATASETS_DIR = os.path.join(SHARED, "datasets", "windows-events")

Event = Dict[str, str]
EventKey = Tuple[str, str]  # (file name, RecordNumber): the ground truth's key for one event


def datasets_present() -> bool:
    return os.path.isfile(os.path.join(DATASETS_DIR, "labels.csv"))


def require_datasets() -> None:
    """Skip the calling test, saying why, when ../shared/datasets is not beside the checkout."""
    if not datasets_present():
        import pytest

        pytest.skip("real event data not found at %s (../shared is absent)" % DATASETS_DIR)


def iso_to_epoch(value: str) -> str:
    """`2021-04-26T08:25:31.043685Z` -> `1619425531.043685`, as splunkd writes `_time`."""
    text = value.strip().replace("Z", "+00:00")
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return "%.6f" % moment.timestamp()


def event_files() -> List[str]:
    return sorted(name for name in os.listdir(DATASETS_DIR) if name.endswith(".jsonl"))


def iter_events() -> Iterator[Tuple[str, Event]]:
    """Every event of every file, as (file name, event) with `_time` in epoch seconds as splunkd
    sends it (the files hold ISO-8601). All values are strings, as in a search's results."""
    for name in event_files():
        with open(os.path.join(DATASETS_DIR, name), encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                raw = json.loads(line)
                event = {key: "" if value is None else str(value) for key, value in raw.items()}
                if event.get("_time"):
                    event["_time"] = iso_to_epoch(event["_time"])
                yield name, event


def event_key(file_name: str, event: Event) -> EventKey:
    return (file_name, event.get("RecordNumber", ""))


def _read_csv(name: str) -> List[Dict[str, str]]:
    with open(os.path.join(DATASETS_DIR, name), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def labels() -> Dict[EventKey, Dict[str, str]]:
    """labels.csv: every event that carries an Impacket share artifact, by (file, RecordNumber)."""
    return {(row["file"], row["RecordNumber"]): row for row in _read_csv("labels.csv")}


def alerts() -> Dict[EventKey, List[str]]:
    """alerts.csv: the saved searches (by name) each event must raise."""
    result: Dict[EventKey, List[str]] = {}
    for row in _read_csv("alerts.csv"):
        result.setdefault((row["file"], row["RecordNumber"]), []).append(row["rule"])
    return result
