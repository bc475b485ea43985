"""`make demo`: what each detection would raise, without a Splunk.

For each saved search: its Sigma rule, converted by pySigma's SQLite backend, selects events from
the project's sample events (detections/samples/*.jsonl) and, when present, the real ones in
../shared/datasets/windows-events; the search's decision (the custom commands run from the built
app through the splunkd harness, the allowlists in package/lookups) then gives the alerts, printed
with their key fields.

    python -m detections.lab.demo [--samples-only] [--lookups DIR]
"""
import argparse
import glob
import os
import sys
from typing import Dict, List, Sequence

from detections.lab.events import EventStore, Loaded, read_jsonl
from detections.lab.rules import DECISIONS, LOOKUPS, Alert, Allowlists
from detections.lab.sigma import DETECTIONS, ROOT, Detection, sqlite_query

SAMPLES = os.path.join(ROOT, "detections", "samples")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "windows-events")
KEY_FIELDS = ["firstTime", "dest", "src", "user", "tool", "candidate_tools", "output_file", "epoch_artifact",
              "epoch_kind", "epoch_time", "remote_host", "remote_port", "remote_scope", "dtutil_direction",
              "dtutil_source_path", "dtutil_dest_path", "dtutil_signals", "file_path", "package_path",
              "package_location", "parent_process_name", "access", "count", "allowlist_expired"]


def load_events(samples_only: bool = False) -> List[Loaded]:
    events: List[Loaded] = []
    for path in sorted(glob.glob(os.path.join(SAMPLES, "*.jsonl"))):
        events += [("samples/" + name, event) for name, event in read_jsonl(path)]
    if not samples_only and os.path.isdir(SHARED):
        for path in sorted(glob.glob(os.path.join(SHARED, "*.jsonl"))):
            events += read_jsonl(path)
    return events


def evaluate(store: EventStore, detection: Detection, lists: Allowlists) -> Dict[str, object]:
    selected = store.select(sqlite_query(detection))
    alerts = DECISIONS[detection.search](selected, lists)
    return {"selected": selected, "alerts": alerts}


def _show(value: object) -> str:
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return str(value)


def print_alert(alert: Alert) -> None:
    parts = ["%s=%s" % (name, _show(alert.fields[name])) for name in KEY_FIELDS
             if alert.fields.get(name) not in (None, "", [])]
    source = sorted({name for name, _e in alert.events})
    print("  - " + "  ".join(parts))
    print("    from %d event(s) in %s" % (len(alert.events), ", ".join(source)))


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples-only", action="store_true", help="ignore ../shared/datasets")
    parser.add_argument("--lookups", default=LOOKUPS, help="folder of the allowlist CSVs (default: the app's)")
    options = parser.parse_args(list(argv))
    events = load_events(options.samples_only)
    print("%d events loaded (%s)" % (len(events), "samples only" if options.samples_only or not os.path.isdir(SHARED)
                                     else "samples and ../shared/datasets/windows-events"))
    store = EventStore(events)
    lists = Allowlists.load(options.lookups)
    for detection in DETECTIONS:
        result = evaluate(store, detection, lists)
        alerts: List[Alert] = result["alerts"]  # type: ignore[assignment]
        selected: List[Loaded] = result["selected"]  # type: ignore[assignment]
        print("\n== %s\n   Sigma filter selected %d event(s); %d %s from %d event(s)" % (
            detection.search, len(selected), len(alerts), "row(s)" if detection.search.endswith("Hunt") else "alert(s)",
            sum(len(a.events) for a in alerts)))
        for alert in alerts:
            print_alert(alert)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
