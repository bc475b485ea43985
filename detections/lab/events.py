"""Windows events (flat dicts of Splunk field names) in an in-memory SQLite table `logs`, where
pySigma's SQLite backend's queries run.

- `EventID` is an INTEGER column (the SQL compares it with numbers; the datasets carry it as text);
- `REGEXP` is registered, with Python's `re` (the backend writes `field REGEXP 'pattern'`);
- SQLite column names ignore case, and real events carry both `ProcessID` (System) and `ProcessId`
  (EventData): the second spelling of a name goes to a column of its own (`ProcessID__2`).
"""
import datetime
import json
import os
import re
import sqlite3
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

Event = Dict[str, str]
Loaded = Tuple[str, Event]  # (file name, event)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: Optional[str], value: Optional[object]) -> bool:
    if pattern is None or value is None:
        return False
    return _compiled(pattern).search(str(value)) is not None


class EventStore:
    """The events of one run, in SQLite, each row pointing back at its (file, event)."""

    def __init__(self, events: Iterable[Loaded]) -> None:
        self.events: List[Loaded] = list(events)
        self.columns: Dict[str, str] = {}  # lowercase name -> column name
        self._names: Dict[Tuple[int, str], str] = {}
        self.conn = sqlite3.connect(":memory:")
        self.conn.create_function("REGEXP", 2, _regexp, deterministic=True)
        self._load()

    def _column(self, name: str) -> str:
        key = name.lower()
        if key not in self.columns:
            self.columns[key] = name
            return name
        if self.columns[key] == name:
            return name
        alias = "%s__2" % name  # same name but for case: a column of its own
        self.columns.setdefault(alias.lower(), alias)
        return alias

    def _load(self) -> None:
        rows: List[Dict[str, object]] = []
        for index, (_file, event) in enumerate(self.events):
            row: Dict[str, object] = {"_row": index}
            for name, value in event.items():
                column = self._column(name)
                if column.lower() == "eventid":
                    row[column] = int(value) if str(value).isdigit() else None
                else:
                    row[column] = value
            rows.append(row)
        names = sorted(set(self.columns.values()) - {"EventID"})
        ddl = ", ".join(['"_row" INTEGER', '"EventID" INTEGER'] + ['"%s"' % name for name in names])
        self.conn.execute("CREATE TABLE logs (%s)" % ddl)
        all_columns = ["_row", "EventID"] + names
        insert = "INSERT INTO logs (%s) VALUES (%s)" % (
            ", ".join('"%s"' % c for c in all_columns), ", ".join("?" for _ in all_columns))
        self.conn.executemany(insert, ([row.get(c) for c in all_columns] for row in rows))

    def select(self, query: str) -> List[Loaded]:
        """The events a `SELECT * FROM logs WHERE ...` keeps, in load order."""
        sql = re.sub(r"^SELECT \* FROM logs", "SELECT _row FROM logs", query.strip())
        try:
            found = sorted(row[0] for row in self.conn.execute(sql))
        except sqlite3.OperationalError as error:
            if "no such column" not in str(error):
                raise
            # a field that no loaded event has: Splunk would match nothing on it, so add it empty
            missing = str(error).split(":", 1)[1].strip()
            self.conn.execute('ALTER TABLE logs ADD COLUMN "%s"' % missing)
            self.columns[missing.lower()] = missing
            return self.select(query)
        return [self.events[index] for index in found]


def iso_to_epoch(value: str) -> str:
    """`_time` as splunkd hands it to a command: epoch seconds (the files hold ISO-8601)."""
    moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return "%.6f" % moment.timestamp()


def read_jsonl(path: str) -> List[Loaded]:
    """One JSON Lines file as (file name, event), values as strings (as a search sees them),
    `_time` in epoch seconds."""
    name = os.path.basename(path)
    result: List[Loaded] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                raw = json.loads(line)
                event = {k: "" if v is None else str(v) for k, v in raw.items()}
                if event.get("_time"):
                    event["_time"] = iso_to_epoch(event["_time"])
                result.append((name, event))
    return result
