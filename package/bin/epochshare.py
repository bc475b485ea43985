"""epochshare: recognises Impacket's admin-share artifacts and decodes the launch time in them.

    ... | epochshare [field=<name>] [prefix=<string>]

See README.md and searchbnf.conf for the output fields. The decoding is lotl.impacket's.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from splunklib.searchcommands import Configuration, dispatch  # noqa: E402

from lotl import impacket  # noqa: E402
from lotl_command import AnnotatingCommand, prefix_option  # noqa: E402


@Configuration(distributed=True)
class EpochShareCommand(AnnotatingCommand):
    """Adds epoch_* fields to every record; epoch_valid is 1 where an Impacket artifact was
    found and 0 elsewhere."""

    describer = impacket
    prefix = prefix_option("epoch_")


if __name__ == "__main__":
    dispatch(EpochShareCommand, sys.argv, sys.stdin, sys.stdout, __name__)
