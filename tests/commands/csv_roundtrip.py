"""csv_roundtrip: the practical limit for a Python command, with no splunklib at all.

Never shipped. Speaks the same protocol v2 framing as splunklib (getinfo, then one reply per
execute chunk) but only parses each chunk with `csv.reader` and writes it back with
`csv.writer`: the benchmark's upper bound for any command written in Python.
"""
import csv
import io
import json
import re
import sys

HEADER = re.compile(rb"chunked\s+1.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")


def read_message(stream):
    header = stream.readline()
    if not header:
        return None
    match = HEADER.match(header)
    if match is None:
        raise SystemExit("bad transport header")
    metadata = json.loads(stream.read(int(match.group(1))).decode("utf-8"))
    body = stream.read(int(match.group(2)))
    return metadata, body


def write_message(stream, metadata, body=b""):
    meta = json.dumps(metadata, separators=(",", ":")).encode("utf-8")
    stream.write(b"chunked 1.0,%d,%d\n" % (len(meta), len(body)) + meta + body)
    stream.flush()


def main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    message = read_message(stdin)
    write_message(stdout, {"type": "streaming"})
    while True:
        message = read_message(stdin)
        if message is None:
            return
        metadata, body = message
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows(csv.reader(io.StringIO(body.decode("utf-8", "replace"))))
        finished = bool(metadata.get("finished"))
        write_message(stdout, {"finished": finished}, out.getvalue().encode("utf-8"))
        if finished:
            return


if __name__ == "__main__":
    main()
