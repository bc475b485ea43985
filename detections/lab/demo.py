"""`make demo`: what each saved search would raise, without a Splunk.

Each saved search of the BUILT app, as written (macros expanded), runs in the project's stand-in
for Splunk's search side (tests/standin: test-only, never shipped) over the project's sample
events (detections/samples/*.jsonl) and, when present, the real ones in ../shared/datasets,
presented as Splunk's Windows add-on extracts them from `_raw`; the custom commands run from the
built app through the splunkd harness, the allowlists are the app's lookups (or --lookups DIR).
Prints each search's rows with their key fields and the events behind them.

    python -m detections.lab.demo [--samples-only] [--lookups DIR] [--presentation addon|decoded|classic]
"""
import argparse
import os
import sys
from typing import List, Sequence

from tests.harness import BUILT_APP, ensure_built
from tests.standin.evaluate import Row, Splunk
from tests.standin.events import CORPUS_DIRS, PRESENTATIONS, corpus_paths, load
from tests.standin.functions import values_of
from tests.standin.spl import SplError

KEY_FIELDS = ["firstTime", "dest", "src", "user", "tool", "candidate_tools", "output_file", "epoch_artifact",
              "epoch_kind", "epoch_time", "service_name", "remote_host", "remote_port", "remote_scope",
              "dtutil_direction", "dtutil_source_path", "dtutil_dest_path", "dtutil_signals", "file_path",
              "package_path", "package_location", "parent_process_name", "access", "count", "allowlist_expired"]
NOW = 1.9e9  # after every event: the saved searches run over all of them, ignoring their dispatch windows


def event_files(samples_only: bool) -> List[str]:
    paths = corpus_paths("samples")
    if not samples_only:
        for corpus in ("windows-events", "windows-events-extra"):
            if os.path.isdir(CORPUS_DIRS[corpus]):
                paths += corpus_paths(corpus)
    return paths


def print_row(row: Row) -> None:
    parts = []
    for name in KEY_FIELDS:
        items = values_of(row.fields.get(name))
        if items:
            parts.append("%s=%s" % (name, " | ".join(items)))
    files = sorted({name for name, _record, _code in row.events})
    print("  - " + "  ".join(parts))
    print("    from %d event(s) in %s" % (len(row.events), ", ".join(files)))


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples-only", action="store_true", help="ignore ../shared/datasets")
    parser.add_argument("--lookups", help="folder of allowlist CSVs replacing the app's (default: the app's)")
    parser.add_argument("--presentation", choices=PRESENTATIONS, default="addon")
    options = parser.parse_args(list(argv))
    ensure_built()
    paths = event_files(options.samples_only)
    events = load(paths, presentation=options.presentation)
    print("%d events loaded from %d files (%s presentation)" % (len(events), len(paths), options.presentation))
    splunk = Splunk(BUILT_APP, lookups_dir=options.lookups, events=events, now=NOW)
    status = 0
    for name in splunk.app.saved_searches:
        try:
            rows, scan = splunk.saved(name)
        except SplError as error:
            print("\n== %s\n   the stand-in could not run it: %s" % (name, error))
            status = 1
            continue
        print("\n== %s\n   base search: %d event(s) let through the index, %d matched; %d %s from %d event(s)" % (
            name, scan.scanned, scan.matched, len(rows), "row(s)" if name.endswith("Hunt") else "alert(s)",
            len(set().union(*[r.events for r in rows])) if rows else 0))
        for row in rows:
            print_row(row)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
