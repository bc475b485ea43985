"""An app's search-time content as Splunk loads it: macros.conf, savedsearches.conf,
commands.conf and the lookups of transforms.conf (default/ only: the stand-in models a fresh
install, with no local/ overrides)."""
import os
import re
from typing import Dict, Optional, Set, Tuple

from tests.standin.lookups import LookupTable, load_lookups
from tests.standin.spl import Macro, Pipeline, SplError, expand_macros, macros_from_conf, parse
from tests.test_conf import read_conf


def _conf(app_dir: str, name: str) -> Dict[str, Dict[str, str]]:
    path = os.path.join(app_dir, "default", name)
    return read_conf(path) if os.path.isfile(path) else {}


def search_text(value: str) -> str:
    """A multi-line conf value as Splunk reads it: a line ending in `\\` continues on the next
    (the conf parser keeps the backslash; Splunk drops it and keeps the line break)."""
    return re.sub(r"\\\r?\n", "\n", value)


class App:
    def __init__(self, app_dir: str, lookups_dir: Optional[str] = None) -> None:
        if not os.path.isdir(os.path.join(app_dir, "default")):
            raise SplError("no app at %s (run `make package` or `make build` first, or give --app)" % app_dir)
        self.app_dir = app_dir = os.path.abspath(app_dir)
        self.macros: Dict[Tuple[str, int], Macro] = macros_from_conf(_conf(app_dir, "macros.conf"))
        self.saved_searches: Dict[str, Dict[str, str]] = _conf(app_dir, "savedsearches.conf")
        self.commands: Dict[str, Dict[str, str]] = _conf(app_dir, "commands.conf")
        self.custom_commands: Set[str] = set(self.commands)
        self.lookups: Dict[str, LookupTable] = load_lookups(app_dir, lookups_dir)

    def expand(self, text: str) -> str:
        return expand_macros(search_text(text), self.macros).strip()

    def parse(self, text: str) -> Pipeline:
        return parse(self.expand(text))

    def saved_search(self, name: str) -> str:
        settings = self.saved_searches.get(name)
        if settings is None or "search" not in settings:
            raise SplError("no saved search named %r in %s" % (name, self.app_dir))
        return search_text(settings["search"])

    def command_script(self, name: str) -> str:
        filename = self.commands.get(name, {}).get("filename")
        if not filename:
            raise SplError("commands.conf has no filename for %r" % name)
        return os.path.join(self.app_dir, "bin", filename)
