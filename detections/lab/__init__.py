"""Development-only machinery behind the detections' tests and `make demo` (never shipped in the
app): Sigma conversion (`sigma`), events in SQLite (`events`), the saved searches' decisions
after the base search mirrored in Python (`rules`), the commands run from the built app
(`commands`) and the demo itself (`demo`)."""
