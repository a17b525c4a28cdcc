#!/usr/bin/env python3
"""Measure what CycloneDX JSON SBOMs contain and print a markdown comparison table.

Usage:
  sbom_stats.py RESULT_DIR...          directories written by bench/compare-sbom.sh
  sbom_stats.py [LABEL=]FILE.json...   ad-hoc: one table of the given SBOM files
Options:
  --schema-dir DIR   folder holding bom-<ver>.schema.json, spdx.schema.json, jsf-0.82.schema.json
                     (default: crates/supply-core/schemas/cyclonedx of the repo if it has the file, else
                     /work/shared/schemas/cyclonedx)
  --json FILE        also write every number as JSON to FILE
  --no-validate      skip JSON-schema validation (the column then says "skipped")
  --strict-formats   check "iri-reference" etc. with jsonschema's own RFC 3987 parser (~40 ms per
                     value, minutes on a large SBOM) instead of a fast approximation

A RESULT_DIR holds:
  case.tsv    key<TAB>value lines: label, lockfile (path of the lockfile measured)
  tools.tsv   tool<TAB>status<TAB>sbom file (relative to RESULT_DIR)<TAB>command, in table order;
              status is "ok", "reference" (timed, but its output is no SBOM: a requirements.txt
              or pylock.toml export, whose packages are counted), "not installed",
              "not applicable ...", "skipped" or "failed ..."
  times.tsv   tool<TAB>wall seconds<TAB>peak RSS KiB, one line per timed run

Only the Python standard library and the `jsonschema` package are used. Schema `$ref`s
(spdx.schema.json, jsf-0.82.schema.json, cryptography-defs.schema.json) are resolved from the
schema folder only; any other remote reference is an error, never a network fetch.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_SCHEMAS = Path("/work/shared/schemas/cyclonedx")
SCHEMA_BASE = "http://cyclonedx.org/schema/"
SCOPES = ("required", "optional", "excluded")


# ---------------------------------------------------------------- SBOM measurements


def walk_components(components):
    """Yield every component, depth first, including nested `components`."""
    stack = list(reversed(components or []))
    while stack:
        c = stack.pop()
        if not isinstance(c, dict):
            continue
        yield c
        stack.extend(reversed(c.get("components") or []))


def has_hashes(c) -> bool:
    if c.get("hashes"):
        return True
    return any(isinstance(r, dict) and r.get("hashes") for r in c.get("externalReferences") or [])


def has_licenses(c) -> bool:
    for choice in c.get("licenses") or []:
        if not isinstance(choice, dict):
            continue
        if choice.get("expression"):
            return True
        lic = choice.get("license") or {}
        if lic.get("id") or lic.get("name"):
            return True
    return False


def measure(bom: dict) -> dict:
    comps = list(walk_components(bom.get("components")))
    scopes = {s: 0 for s in SCOPES}
    scopes["unset"] = 0
    for c in comps:
        s = c.get("scope")
        scopes[s if s in SCOPES else "unset"] += 1

    refs: list[str] = []
    meta_comp = (bom.get("metadata") or {}).get("component")
    meta_tree = list(walk_components([meta_comp])) if isinstance(meta_comp, dict) else []
    for c in meta_tree + comps:
        if c.get("bom-ref"):
            refs.append(c["bom-ref"])
    for s in walk_services(bom.get("services")):
        if s.get("bom-ref"):
            refs.append(s["bom-ref"])
    ref_set = set(refs)
    duplicate_refs = len(refs) - len(ref_set)

    edges = 0
    dangling: set[str] = set()
    deps = bom.get("dependencies") or []
    for d in deps:
        if not isinstance(d, dict):
            continue
        r = d.get("ref")
        if r not in ref_set:
            dangling.add(str(r))
        for t in d.get("dependsOn") or []:
            edges += 1
            if t not in ref_set:
                dangling.add(str(t))
        for t in d.get("provides") or []:
            if t not in ref_set:
                dangling.add(str(t))

    return {
        "specVersion": bom.get("specVersion"),
        "components": len(comps),
        "purls": sum(1 for c in comps if c.get("purl")),
        "hashes": sum(1 for c in comps if has_hashes(c)),
        "licenses": sum(1 for c in comps if has_licenses(c)),
        "dependency_entries": len(deps),
        "edges": edges,
        "dangling_refs": len(dangling),
        "dangling_examples": sorted(dangling)[:3],
        "duplicate_bom_refs": duplicate_refs,
        "scopes": scopes,
        "types": types_of(comps),
    }


def types_of(comps) -> dict[str, int]:
    types: dict[str, int] = {}
    for c in comps:
        t = str(c.get("type", "unset"))
        types[t] = types.get(t, 0) + 1
    return dict(sorted(types.items(), key=lambda kv: -kv[1]))


def walk_services(services):
    stack = list(services or [])
    while stack:
        s = stack.pop()
        if isinstance(s, dict):
            yield s
            stack.extend(s.get("services") or [])


# ---------------------------------------------------------------- schema validation


def default_schema_dir() -> Path:
    local = REPO / "crates" / "supply-core" / "schemas" / "cyclonedx"
    return local if local.is_dir() else SHARED_SCHEMAS


class SchemaSet:
    """Draft-07 validators for each CycloneDX version, refs resolved from one local folder."""

    def __init__(self, directory: Path, fallback: Path | None = None, strict: bool = False):
        self.strict = strict
        self.dirs = [d for d in (directory, fallback) if d is not None]
        self.cache: dict[str, object] = {}

    def _find(self, name: str) -> Path | None:
        for d in self.dirs:
            p = d / name
            if p.is_file():
                return p
        return None

    def validator(self, version: str):
        if version in self.cache:
            return self.cache[version]
        import jsonschema  # noqa: F401  (the one non-stdlib dependency)
        from jsonschema import Draft7Validator

        main = self._find(f"bom-{version}.schema.json")
        if main is None:
            self.cache[version] = None
            return None
        # Every *.schema.json of the folder that holds the main schema (spdx, jsf, cryptography
        # defs), keyed by its own $id and by its file name under the CycloneDX base URL.
        docs: dict[str, dict] = {}
        for p in sorted(main.parent.glob("*.schema.json")):
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
            docs[SCHEMA_BASE + p.name] = doc
            if isinstance(doc.get("$id"), str):
                docs[doc["$id"]] = doc
        schema = docs[SCHEMA_BASE + main.name]

        try:
            from referencing import Registry, Resource
            from referencing.exceptions import NoSuchResource
            from referencing.jsonschema import DRAFT7

            def retrieve(uri: str):
                # Only reached for a URI that is not in the folder: refuse, never fetch.
                raise NoSuchResource(ref=uri)

            registry = Registry(retrieve=retrieve).with_resources(
                (uri, Resource.from_contents(doc, default_specification=DRAFT7))
                for uri, doc in docs.items()
            )
            v = Draft7Validator(
                schema, registry=registry, format_checker=fast_format_checker(self.strict)
            )
        except ImportError:  # jsonschema < 4.18: RefResolver with a local store
            from jsonschema import RefResolver

            resolver = RefResolver(base_uri=schema.get("$id", ""), referrer=schema, store=docs)
            resolver.resolve_remote = _refuse_remote  # type: ignore[method-assign]
            v = Draft7Validator(
                schema, resolver=resolver, format_checker=fast_format_checker(self.strict)
            )
        self.cache[version] = v
        return v

    def check(self, bom: dict) -> tuple[str, list[str]]:
        version = str(bom.get("specVersion", ""))
        v = self.validator(version)
        if v is None:
            return (f"no schema for {version or '?'}", [])
        errors = []
        for e in v.iter_errors(bom):
            path = "/".join(str(x) for x in e.absolute_path)
            errors.append(f"/{path}: {e.message[:160]}")
            if len(errors) >= 1000:
                break
        if not errors:
            return (f"yes ({version})", [])
        n = f"{len(errors)}+" if len(errors) >= 1000 else str(len(errors))
        return (f"**no** ({version}, {n} errors)", errors)


# jsonschema checks "iri-reference" with a full Earley parser (rfc3987-syntax), ~40 ms per value:
# a 5,000-component SBOM would take minutes. This approximation of RFC 3987 is used instead
# (no whitespace or control characters, none of <>"{}|\\^`, well-formed %XX, a scheme if absolute).
_IRI_BAD = re.compile(r'[\x00-\x20\x7f<>"{}|\\^`]|%(?![0-9A-Fa-f]{2})')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _iri_reference(value) -> bool:
    return not isinstance(value, str) or not _IRI_BAD.search(value)


def _iri(value) -> bool:
    return not isinstance(value, str) or (_iri_reference(value) and bool(_SCHEME.match(value)))


def fast_format_checker(strict: bool):
    from jsonschema import Draft7Validator, FormatChecker

    base = Draft7Validator.FORMAT_CHECKER
    if strict:
        return base
    fc = FormatChecker(formats=())
    fc.checkers = dict(base.checkers)
    for name, fn in (("iri-reference", _iri_reference), ("uri-reference", _iri_reference),
                     ("iri", _iri), ("uri", _iri)):
        fc.checkers[name] = (fn, ())
    return fc


def _refuse_remote(uri):
    raise LookupError(f"remote schema reference {uri} not available locally")


# ---------------------------------------------------------------- lockfile size


def lockfile_packages(path: Path) -> str:
    try:
        name = path.name
        if name in ("package-lock.json", "npm-shrinkwrap.json"):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            pk = d.get("packages")
            if isinstance(pk, dict):
                entries = [k for k in pk if k]
                ids = {
                    (v.get("name") or k.rsplit("node_modules/", 1)[-1], v.get("version"))
                    for k, v in pk.items()
                    if k and isinstance(v, dict) and not v.get("link")
                }
                return f"{len(entries):,} entries, {len(ids):,} distinct name@version"
            return f"{len(d.get('dependencies') or {}):,} top-level entries (lockfile v1)"
        if name == "pnpm-lock.yaml":
            return pnpm_lock_size(path.read_text(encoding="utf-8"))
        if name == "yarn.lock":
            return yarn_lock_size(path.read_text(encoding="utf-8"))
        import tomllib

        with open(path, "rb") as f:
            d = tomllib.load(f)
        if name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")):
            return f"{len(d.get('packages') or []):,} packages (lock-version {d.get('lock-version', '?')})"
        if name == "poetry.lock":
            version = (d.get("metadata") or {}).get("lock-version", "?")
            return f"{len(d.get('package') or []):,} packages (lock-version {version})"
        return f"{len(d.get('package') or []):,} packages"
    except Exception as e:  # noqa: BLE001 - a header line must never stop the report
        return f"unreadable: {e}"


def _yaml_sections(text: str) -> dict[str, int]:
    """Entries (lines indented by exactly two spaces) under each top-level key of a pnpm lock."""
    counts: dict[str, int] = {}
    section = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.split(":", 1)[0].strip()
            counts.setdefault(section, 0)
        elif section and line.startswith("  ") and not line.startswith("   "):
            counts[section] += 1
    return counts


def pnpm_lock_size(text: str) -> str:
    version = "?"
    m = re.search(r"^lockfileVersion:\s*'?([^'\s]+)", text, re.M)
    if m:
        version = m.group(1)
    c = _yaml_sections(text)
    parts = [f"{c.get('packages', 0):,} packages"]
    if "snapshots" in c:
        parts.append(f"{c['snapshots']:,} snapshots")
    if "importers" in c:
        parts.append(f"{c['importers']:,} importer" + ("s" if c["importers"] != 1 else ""))
    return ", ".join(parts) + f" (lockfileVersion {version})"


def yarn_lock_size(text: str) -> str:
    # An entry is a top-level key line: one or more descriptors ending in ":".
    entries = [
        line
        for line in text.splitlines()
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":")
    ]
    if any(line.startswith("__metadata:") for line in entries):
        m = re.search(r"^__metadata:\s*\n(?:\s+.*\n)*?\s+version:\s*(\S+)", text, re.M)
        n = sum(1 for line in entries if not line.startswith("__metadata:"))
        return f"{n:,} entries (Berry, __metadata version {m.group(1) if m else '?'})"
    return f"{len(entries):,} entries (classic v1)"


def reference_size(path: Path) -> tuple[str, int]:
    """What a non-SBOM output holds: (kind, number of packages)."""
    if path.name.endswith(".toml"):
        import tomllib

        with open(path, "rb") as f:
            return ("pylock.toml", len(tomllib.load(f).get("packages") or []))
    # requirements.txt: one requirement per line that does not start with a space (hash
    # continuation lines do), a comment or an option.
    n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            n += 1
    return ("requirements.txt", n)


# ---------------------------------------------------------------- reporting


def fmt_int(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def fmt_scopes(s: dict) -> str:
    return f"{s['required']:,}/{s['optional']:,}/{s['excluded']:,}/{s['unset']:,}"


def load_result_dir(d: Path):
    case = {}
    if (d / "case.tsv").is_file():
        for line in (d / "case.tsv").read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                k, v = line.split("\t", 1)
                case[k] = v
    tools = []
    for line in (d / "tools.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        parts += [""] * (4 - len(parts))
        tools.append(
            {
                "tool": parts[0],
                "status": parts[1],
                "sbom": (d / parts[2]) if parts[2] else None,
                "command": parts[3],
            }
        )
    times: dict[str, list[tuple[float, int]]] = {}
    if (d / "times.tsv").is_file():
        for line in (d / "times.tsv").read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                try:
                    times.setdefault(parts[0], []).append((float(parts[1]), int(parts[2])))
                except ValueError:
                    pass
    return case, tools, times


def build_rows(tools, times, schemas: SchemaSet | None):
    rows = []
    for t in tools:
        row = {"tool": t["tool"], "status": t["status"], "command": t["command"]}
        runs = times.get(t["tool"], [])
        if runs:
            row["median_wall_s"] = statistics.median(w for w, _ in runs)
            row["peak_rss_mb"] = max(r for _, r in runs) / 1024.0
            row["runs"] = len(runs)
        sb = t["sbom"]
        if t["status"] == "reference" and sb is not None and sb.is_file():
            try:
                row["reference_kind"], row["reference_packages"] = reference_size(sb)
            except Exception as e:  # noqa: BLE001
                row["status"] = f"unreadable output: {e}"
        elif t["status"] == "reference":
            row["status"] = "no output written"
        elif t["status"] == "ok" and sb is not None and sb.is_file():
            try:
                with open(sb, encoding="utf-8") as f:
                    bom = json.load(f)
                row.update(measure(bom))
                if schemas is None:
                    row["schema"] = "skipped"
                else:
                    row["schema"], errs = schemas.check(bom)
                    row["schema_errors"] = errs[:5]
            except Exception as e:  # noqa: BLE001
                row["status"] = f"unreadable SBOM: {e}"
        elif t["status"] == "ok":
            row["status"] = "no SBOM written"
        rows.append(row)
    base = next(
        (r for r in rows if r["tool"] == "supply" and r.get("median_wall_s") is not None and r["status"] == "ok"),
        None,
    )
    for r in rows:
        if base and r.get("median_wall_s") is not None and r.get("components") != 0:
            # A median below 1 ms is at the resolution of the measurement: ratios use 1 ms.
            r["speedup"] = r["median_wall_s"] / max(base["median_wall_s"], 0.001)
            r["speedup_floor"] = base["median_wall_s"] < 0.001
    return rows


HEADER = (
    "| tool | components | purls | hashes | licenses | edges | dangling refs "
    "| scopes r/o/e/unset | schema valid | median wall s | peak RSS MB | supply speed-up |"
)


def fmt_speed(r) -> str:
    if "speedup" not in r:
        return "–"
    return ("≥" if r.get("speedup_floor") else "") + f"{r['speedup']:.1f}×"


def render_table(title: str, subtitle: str, rows) -> str:
    out = [f"### {title}", ""]
    if subtitle:
        out += [subtitle, ""]
    out += [HEADER, "|" + "---|" * 12]
    notes = []
    for r in rows:
        name = r["tool"]
        if r["status"] == "reference" and "reference_kind" in r:
            out.append(
                "| {tool} | {n} ({k}) |{blanks} not an SBOM | {w} | {m} | {x} |".format(
                    tool=name,
                    n=fmt_int(r["reference_packages"]),
                    k=r["reference_kind"],
                    blanks=" – |" * 6,
                    w=f"{r['median_wall_s']:.3f}" if "median_wall_s" in r else "–",
                    m=f"{r['peak_rss_mb']:.0f}" if "peak_rss_mb" in r else "–",
                    x=fmt_speed(r),
                )
            )
            continue
        if r["status"] != "ok" or "components" not in r:
            out.append(f"| {name} | {r['status']} |" + " |" * 10)
            continue
        speed = fmt_speed(r)
        if name == "supply" and "speedup" in r:
            speed = "1.0× (baseline)"
        elif r["components"] == 0:
            # An empty SBOM is a format the tool does not read, not a fast run.
            speed = "– (read nothing)"
        dangling = fmt_int(r["dangling_refs"])
        if r["duplicate_bom_refs"]:
            dangling += f" (+{r['duplicate_bom_refs']} dup bom-refs)"
        out.append(
            "| {tool} | {c} | {p} | {h} | {l} | {e} | {d} | {s} | {v} | {w} | {m} | {x} |".format(
                tool=name,
                c=fmt_int(r["components"]) if r["components"] else "**0**",
                p=fmt_int(r["purls"]),
                h=fmt_int(r["hashes"]),
                l=fmt_int(r["licenses"]),
                e=fmt_int(r["edges"]),
                d=dangling,
                s=fmt_scopes(r["scopes"]),
                v=r["schema"],
                w=f"{r['median_wall_s']:.3f}" if "median_wall_s" in r else "–",
                m=f"{r['peak_rss_mb']:.0f}" if "peak_rss_mb" in r else "–",
                x=speed,
            )
        )
        if r.get("schema_errors"):
            notes.append(f"- {name}: first schema error {r['schema_errors'][0]}")
        if any(t != "library" for t in r.get("types", {})):
            kinds = ", ".join(f"{n:,} {t}" for t, n in r["types"].items())
            notes.append(f"- {name}: component types {kinds}")
        if r.get("dangling_examples"):
            notes.append(f"- {name}: dangling refs e.g. {', '.join(r['dangling_examples'])}")
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--schema-dir", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--strict-formats", action="store_true",
                    help="check iri/uri formats with jsonschema's own (very slow) RFC 3987 parser")
    a = ap.parse_args(argv)

    schemas = None
    if not a.no_validate:
        schemas = SchemaSet(a.schema_dir or default_schema_dir(), SHARED_SCHEMAS, a.strict_formats)

    report = []
    everything = []
    adhoc = []
    for inp in a.inputs:
        label, sep, path = inp.partition("=")
        p = Path(path if sep else inp)
        if not sep and p.is_dir():
            case, tools, times = load_result_dir(p)
            rows = build_rows(tools, times, schemas)
            title = case.get("label", p.name)
            sub = ""
            if case.get("lockfile"):
                lf = Path(case["lockfile"])
                sub = f"`{case.get('lockfile_display', lf.name)}`: {lockfile_packages(lf)}"
                if case.get("runs"):
                    sub += f"; {case['runs']} timed runs per tool"
            report.append(render_table(title, sub, rows))
            everything.append({"case": title, "rows": rows})
        else:
            adhoc.append({"tool": label if sep else p.name, "status": "ok", "sbom": p, "command": ""})
    if adhoc:
        rows = build_rows(adhoc, {}, schemas)
        report.append(render_table("SBOM files", "", rows))
        everything.append({"case": "files", "rows": rows})

    sys.stdout.write("\n".join(report))
    if a.json:
        a.json.write_text(json.dumps(everything, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
