"""The app's pure core: parsing and decoding with no splunklib import, testable alone.

- `winargv`: Windows (MS C runtime) command-line splitting.
- `dtutil`: dtutil.exe command lines -> sources, destinations, remote endpoints (`dtutilargs`).
- `impacket`: Impacket's admin-share artifacts and the launch time in their names (`epochshare`).
- `annotate`: writes a parser's result onto a search result record under a prefix.
"""
