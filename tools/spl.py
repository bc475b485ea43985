"""Run the app's SPL without a Splunk: the project's stand-in (tests/standin, test-only, never
shipped) parses and evaluates a search, or a saved search of the built app, over events in the
datasets' JSON Lines format, presented the way Splunk's add-ons present them.

    python tools/spl.py run (--saved NAME | --search 'SPL') [--events FILE.jsonl ...]
        [--presentation addon|decoded|classic] [--sysmon-source xml|winevent] [--lookups DIR]
        [--now EPOCH] [--tz ZONE] [--earliest T] [--latest T] [--app DIR] [--scan]
        [--semantics NAME=CHOICE ...]

    python tools/spl.py scan [--presentation ...] [--sysmon-source ...] [--app DIR]

`run` prints one JSON object a line per result row: {"fields": {name: string or list of strings},
"events": [[file name, RecordNumber, EventCode], ...]}; with --scan, a last line
{"scan": {"scanned": N, "matched": N, "rows": N}} (the Job Inspector's scanCount, eventCount and
result count, see docs/performance.md). `scan` prints those figures for every saved search over
all events of ../shared/datasets (`make bench` prints it). Exit 2, with a message naming the position, on a parse
error or anything the stand-in does not implement.
"""
import argparse
import json
import os
import sys
from dataclasses import replace
from typing import List, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.standin.evaluate import Splunk  # noqa: E402
from tests.standin.events import PRESENTATIONS, SYSMON_SOURCES, corpus_paths, load  # noqa: E402
from tests.standin.functions import Semantics, values_of  # noqa: E402
from tests.standin.spl import SplError  # noqa: E402

DEFAULT_APP = os.path.join(ROOT, "output", "SA-lotl-detections")


def semantics_from(pairs: Sequence[str]) -> Semantics:
    semantics = Semantics()
    choices = Semantics.choices()
    for pair in pairs:
        name, _, choice = pair.partition("=")
        if name not in choices or choice not in choices[name]:
            raise SplError("--semantics %s: expected one of %s" % (pair, ", ".join(
                "%s=%s" % (n, "|".join(c)) for n, c in choices.items())))
        semantics = replace(semantics, **{name: choice})
    return semantics


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tools/spl.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a search or a saved search")
    what = run.add_mutually_exclusive_group(required=True)
    what.add_argument("--saved", metavar="NAME", help="a saved search of the app (savedsearches.conf)")
    what.add_argument("--search", metavar="SPL", help="SPL text (macros of the app expanded)")
    run.add_argument("--events", nargs="*", default=[], metavar="FILE.jsonl",
                     help="events in the datasets' JSON Lines format (event files need _raw for addon)")
    run.add_argument("--presentation", choices=PRESENTATIONS, default="addon",
                     help="fields as the Windows add-on extracts them from _raw (default), the files' decoded "
                          "JSON fields, or the classic format's names (derived)")
    run.add_argument("--sysmon-source", choices=sorted(SYSMON_SOURCES), default="xml",
                     help="the source Sysmon events carry: XmlWinEventLog:... (default) or WinEventLog:...")
    run.add_argument("--lookups", metavar="DIR", help="lookup files that replace the app's of the same names")
    run.add_argument("--now", type=float, help="the search's start time, epoch seconds (default: now)")
    run.add_argument("--tz", default="UTC", help="the search's time zone (default UTC)")
    run.add_argument("--earliest", help="earliest time (epoch or relative, e.g. -25m@m); default: all events")
    run.add_argument("--latest", help="latest time (epoch or relative); default: all events")
    run.add_argument("--app", default=DEFAULT_APP, help="the app (default: the built app under output/)")
    run.add_argument("--scan", action="store_true", help="print the scan figures as a last line")
    run.add_argument("--semantics", nargs="*", default=[], metavar="NAME=CHOICE",
                     help="where Splunk's documentation is unsure, pick a behaviour: %s" % ", ".join(
                         "%s=%s" % (n, "|".join(c)) for n, c in Semantics.choices().items()))
    scan = commands.add_parser("scan", help="the scan figures of every saved search over ../shared/datasets")
    scan.add_argument("--presentation", choices=PRESENTATIONS, default="addon")
    scan.add_argument("--sysmon-source", choices=sorted(SYSMON_SOURCES), default="xml")
    scan.add_argument("--app", default=DEFAULT_APP)
    return parser


def scan_table(options: argparse.Namespace) -> int:
    """What each saved search costs over the datasets, as the Job Inspector would show it."""
    paths = [p for corpus in ("windows-events", "windows-events-extra") for p in corpus_paths(corpus)]
    events = load(paths, presentation=options.presentation, sysmon_source=options.sysmon_source)
    splunk = Splunk(options.app, events=events, now=1.9e9)
    print("scan: %d events of ../shared/datasets (%s presentation, Sysmon source %s)" % (
        len(events), options.presentation, options.sysmon_source))
    print("%-66s %9s %9s %6s %9s" % ("saved search", "scanned", "matched", "rows", "scanned%"))
    for name in splunk.app.saved_searches:
        _rows, scan = splunk.saved(name)
        print("%-66s %9d %9d %6d %8.1f%%" % (name, scan.scanned, scan.matched, scan.rows,
                                            100.0 * scan.scanned / max(1, len(events))))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    options = build_parser().parse_args(argv)
    if options.command == "scan":
        try:
            return scan_table(options)
        except SplError as error:
            print("tools/spl.py: %s" % error, file=sys.stderr)
            return 2
    try:
        events = load(options.events, presentation=options.presentation, sysmon_source=options.sysmon_source)
        splunk = Splunk(options.app, lookups_dir=options.lookups, semantics=semantics_from(options.semantics),
                        now=options.now, tz=options.tz, earliest=options.earliest, latest=options.latest,
                        events=events)
        if options.saved:
            rows, scan = splunk.saved(options.saved)
        else:
            rows, scan = splunk.search(options.search)
    except SplError as error:
        print("tools/spl.py: %s" % error, file=sys.stderr)
        return 2
    for row in rows:
        fields = {}
        for name, value in row.fields.items():
            items = values_of(value)
            fields[name] = items[0] if len(items) == 1 else items
        print(json.dumps({"fields": fields, "events": sorted(list(key) for key in row.events)}))
    if options.scan:
        print(json.dumps({"scan": {"scanned": scan.scanned, "matched": scan.matched, "rows": scan.rows}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
