#!/usr/bin/env python3
"""Reference CVSS v4.0 scores for supply's oracle test: Red Hat's `cvss` package (3.6).

    cvss4.py < vectors        (one vector per line)

prints, per input line, `repr()` of `cvss.CVSS4(line).base_score` (e.g. `9.3`), or `E` when
the package refuses the vector. Lines end at `\\n` only. Output is flushed after every line.
"""
import sys

from cvss import CVSS4
from cvss.exceptions import CVSS4Error


def score(line):
    try:
        return repr(CVSS4(line).base_score)
    except CVSS4Error:
        return "E"


def main():
    out = sys.stdout
    for raw in sys.stdin.buffer:
        raw = raw[:-1] if raw.endswith(b"\n") else raw
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.write("E\n")
        else:
            out.write(score(line) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
