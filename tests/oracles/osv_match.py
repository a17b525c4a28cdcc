#!/usr/bin/env python3
"""An independent OSV matcher for supply's scan tests: OSV's evaluation rules written again in
Python from the OSV schema's pseudo-code, with Python's `packaging` ordering PEP 440 versions
and SemVer 2.0.0 precedence as plain tuple comparison.

    osv_match.py DB_DIR < components      (lines: ECOSYSTEM NAME VERSION)

prints, per input line, `ECOSYSTEM NAME VERSION: ID=FIXED ID=FIXED ...` (FIXED `-` if none)
for every non-withdrawn record that affects the version.
"""
import json
import os
import re
import sys

from packaging.version import InvalidVersion, Version


def semver_key(text):
    m = re.fullmatch(r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?", text)
    if not m:
        raise ValueError(text)
    major, minor, patch, pre = m.groups()
    if pre is None:
        pre_key = (1,)
    else:
        parts = []
        for p in pre.split("."):
            parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
        pre_key = (0, tuple(parts))
    return (int(major), int(minor), int(patch), pre_key)


def key(ecosystem, kind, text):
    if ecosystem == "PyPI" and kind == "ECOSYSTEM":
        return Version(text)
    return semver_key(text)


def pypi_name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def affected(record_affected, ecosystem, version):
    hits = []
    listed = version in record_affected.get("versions", [])
    if ecosystem == "PyPI" and not listed:
        try:
            v = Version(version)
            listed = any(Version(x) == v for x in record_affected.get("versions", []) if _ok(x))
        except InvalidVersion:
            pass
    if listed:
        hits.append(None)
    for r in record_affected.get("ranges", []):
        kind = r["type"]
        if kind == "GIT":
            continue
        try:
            v = key(ecosystem, kind, version)
        except (ValueError, InvalidVersion):
            continue
        events = []
        for e in r["events"]:
            (name, at), = e.items()
            events.append((None if name == "introduced" and at == "0" else key(ecosystem, kind, at), name, at))
        events = sorted(events, key=_sort_key)
        on = False
        limited = False
        for at, name, _ in events:
            if name == "introduced" and (at is None or v >= at):
                on = True
            elif name == "fixed" and at is not None and v >= at:
                on = False
            elif name == "last_affected" and at is not None and v > at:
                on = False
            elif name == "limit" and at is not None and v >= at:
                limited = True
        if on and not limited:
            fixed = next((raw for at, name, raw in events if name == "fixed" and at is not None and at > v), None)
            hits.append(fixed)
    return hits


def _ok(x):
    try:
        Version(x)
        return True
    except InvalidVersion:
        return False


def _sort_key(event):
    at = event[0]
    return (0, 0) if at is None else (1, _Wrap(at))


class _Wrap:
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v < other.v

    def __eq__(self, other):
        return self.v == other.v


def main():
    db = sys.argv[1]
    records = []
    for root, _, files in os.walk(db):
        for f in sorted(files):
            if f.endswith(".json"):
                with open(os.path.join(root, f)) as fh:
                    records.append(json.load(fh))
    for line in sys.stdin:
        ecosystem, name, version = line.split()
        wanted = pypi_name(name) if ecosystem == "PyPI" else name
        out = []
        for rec in records:
            if rec.get("withdrawn"):
                continue
            for a in rec.get("affected", []):
                pkg = a.get("package") or {}
                pname = pkg.get("name", "")
                pname = pypi_name(pname) if ecosystem == "PyPI" else pname
                if pkg.get("ecosystem") != ecosystem or pname != wanted:
                    continue
                hits = affected(a, ecosystem, version)
                if hits:
                    fixed = next((h for h in hits if h), None)
                    out.append(f"{rec['id']}={fixed or '-'}")
        print(f"{ecosystem} {name} {version}: {' '.join(sorted(set(out)))}")


if __name__ == "__main__":
    main()
