"""dtutilargs: parses dtutil.exe command lines into sources, destinations and remote endpoints.

    ... | dtutilargs [field=<name>] [prefix=<string>]

See README.md and searchbnf.conf for the output fields. The parsing is lotl.dtutil's.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from splunklib.searchcommands import Configuration, dispatch  # noqa: E402

from lotl import dtutil  # noqa: E402
from lotl_command import AnnotatingCommand, prefix_option  # noqa: E402


@Configuration(distributed=True)
class DtutilArgsCommand(AnnotatingCommand):
    """Adds dtutil_* fields to every record; records without a dtutil command line get
    dtutil_error and empty fields, and still go out."""

    describer = dtutil
    prefix = prefix_option("dtutil_")


if __name__ == "__main__":
    dispatch(DtutilArgsCommand, sys.argv, sys.stdin, sys.stdout, __name__)
