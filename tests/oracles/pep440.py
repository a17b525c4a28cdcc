#!/usr/bin/env python3
"""Reference PEP 440 ordering for supply's property tests: Python's `packaging`.

    pep440.py < pairs        (lines: `A B`, the two versions separated by one space)

prints, per input line, `-1`, `0` or `1`, the comparison of `packaging.version.Version(A)`
with `Version(B)`, or `E` when either does not parse (or the line is not two fields). Fields
are split at the one space only, so tabs and other whitespace stay in a field; lines end at
`\\n` only. Output is flushed after every line, so the script can be driven line by line.
"""
import sys

from packaging.version import Version


def compare(line):
    fields = line.split(" ")
    if len(fields) != 2:
        return "E"
    try:
        a, b = Version(fields[0]), Version(fields[1])
    except Exception:  # InvalidVersion, and ValueError from Python's int digit limit
        return "E"
    return str((a > b) - (a < b))


def main():
    out = sys.stdout
    for raw in sys.stdin.buffer:
        raw = raw[:-1] if raw.endswith(b"\n") else raw
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.write("E\n")
        else:
            out.write(compare(line) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
