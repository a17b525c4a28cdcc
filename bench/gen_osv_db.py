#!/usr/bin/env python3
"""Generate an OSV database at the real exports' size, and an SBOM to scan against it.

    bench/gen_osv_db.py OUT_DIR [--scale 1.0] [--components 5000] [--seed 7]

Writes OUT_DIR/db/{crates.io,PyPI,npm}.zip (OSV's `all.zip` layout, one JSON record per
entry, as `supply db update` stores them) and OUT_DIR/sbom.cdx.json (CycloneDX 1.6 with
`--components` purls across the three ecosystems, about one in eight of them named by some
record). The real exports cannot be downloaded here (no internet but package registries), so
record counts and shapes follow what the real ones hold (see COUNTS); the shapes follow the
real PyPA records in testdata/osv/pypi: GHSA-style advisories with aliases, CVSS vectors,
`database_specific.severity`, several ranges and long `details`, and the malicious-package
(`MAL-`) records that are most of npm's export, with `introduced: 0` and version lists.
Deterministic for a given seed.
"""

import argparse
import json
import os
import random
import zipfile

# Records per export, and the share that are malicious-package reports: estimates of the
# osv.dev exports in late 2026 (see bench/README.md for the sources of these figures).
COUNTS = {
    "crates.io": (2_200, 0.05),
    "PyPI": (18_000, 0.45),
    "npm": (215_000, 0.92),
}
PURL_TYPE = {"crates.io": "cargo", "PyPI": "pypi", "npm": "npm"}
VECTORS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
]
WORDS = ("request parser header cookie path traversal denial service regular expression "
         "prototype pollution injection redirect overflow memory leak signature bypass "
         "certificate validation archive extraction symlink deserialization template "
         "sandbox escape timing attack").split()


def version(rng, ecosystem):
    major, minor, patch = rng.randint(0, 12), rng.randint(0, 30), rng.randint(0, 20)
    if ecosystem == "PyPI" and rng.random() < 0.1:
        return f"{major}.{minor}"
    return f"{major}.{minor}.{patch}"


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def advisory(rng, ecosystem, name, n):
    prefix = {"crates.io": "RUSTSEC", "PyPI": "PYSEC", "npm": "GHSA"}[ecosystem]
    ident = f"{prefix}-2026-{n:06d}" if prefix != "GHSA" else f"GHSA-{n:04x}-gen0-{n % 9973:04x}"
    ranges = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        introduced = version(rng, ecosystem)
        major = int(introduced.split(".")[0])
        events = [{"introduced": "0" if rng.random() < 0.3 else introduced},
                  {"fixed": f"{major + 1}.0.0"} if rng.random() < 0.85 else
                  {"last_affected": f"{major}.99.0"}]
        ranges.append({"type": "ECOSYSTEM" if ecosystem == "PyPI" else "SEMVER", "events": events})
    record = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-10-01T12:00:00Z",
        "published": "2025-03-01T12:00:00Z",
        "aliases": [f"CVE-2025-{n % 100000:05d}"],
        "summary": sentence(rng, rng.randint(5, 12)),
        "details": " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(3, 25))),
        "severity": [{"type": "CVSS_V3" if not v.startswith("CVSS:4") else "CVSS_V4", "score": v}
                     for v in [rng.choice(VECTORS)]],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name,
                        "purl": f"pkg:{PURL_TYPE[ecosystem]}/{name}"},
            "ranges": ranges,
            "database_specific": {"source": "https://example.invalid/advisories"},
        }],
        "references": [{"type": "WEB", "url": f"https://example.invalid/{ident}/{i}"}
                       for i in range(rng.randint(2, 8))],
        "database_specific": {"severity": rng.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"]),
                              "cwe_ids": [f"CWE-{rng.randint(20, 1300)}"], "github_reviewed": True},
    }
    return record


def malicious(rng, ecosystem, name, n):
    versions = sorted({version(rng, ecosystem) for _ in range(rng.randint(1, 4))})
    return {
        "schema_version": "1.6.0",
        "id": f"MAL-2026-{n:06d}",
        "modified": "2026-10-01T12:00:00Z",
        "published": "2026-01-01T12:00:00Z",
        "summary": f"Malicious code in {name} ({ecosystem})",
        "details": "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n"
                   + sentence(rng, rng.randint(10, 40)),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "versions": versions,
            "ranges": [{"type": "SEMVER" if ecosystem != "PyPI" else "ECOSYSTEM",
                        "events": [{"introduced": "0"}]}],
            "database_specific": {"malicious-packages-origins": [
                {"source": "ghsa-malware", "sha256": "%064x" % rng.getrandbits(256),
                 "modified_time": "2026-01-01T12:00:00Z"}]},
        }],
        "references": [{"type": "REPORT", "url": f"https://example.invalid/mal/{n}"}],
        "database_specific": {"malicious-packages-origins": []},
    }


def package_name(rng, ecosystem, i):
    base = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}"
    if ecosystem == "npm" and i % 5 == 0:
        return f"@scope{i % 97}/{base}"
    if ecosystem == "crates.io":
        return base.replace("-", "_") if i % 2 else base
    return base


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "db"), exist_ok=True)
    advised = {}  # ecosystem -> names with advisories (the SBOM picks some of them)
    for ecosystem, (count, mal_share) in COUNTS.items():
        count = max(1, int(count * args.scale))
        names = advised.setdefault(ecosystem, [])
        path = os.path.join(args.out, "db", f"{ecosystem}.zip")
        with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as archive:
            advisory_names = [package_name(rng, ecosystem, i) for i in range(max(1, count // 6))]
            for n in range(count):
                if rng.random() < mal_share:
                    record = malicious(rng, ecosystem, f"mal-{package_name(rng, ecosystem, n)}", n)
                else:
                    name = rng.choice(advisory_names)
                    names.append(name)
                    record = advisory(rng, ecosystem, name, n)
                archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))
        os.replace(path + ".tmp", path)
    components = []
    shares = {"npm": 0.6, "PyPI": 0.2, "crates.io": 0.2}
    for ecosystem, share in shares.items():
        for i in range(int(args.components * share)):
            names = advised[ecosystem]
            name = rng.choice(names) if names and rng.random() < 0.125 else \
                f"clean-{ecosystem.lower().replace('.', '')}-{i}"
            ver = version(rng, ecosystem)
            ty = PURL_TYPE[ecosystem]
            purl_name = name.replace("@", "%40") if ty == "npm" else name
            components.append({"type": "library", "bom-ref": f"c{len(components)}",
                               "name": name, "version": ver,
                               "purl": f"pkg:{ty}/{purl_name}@{ver}"})
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "components": components}
    with open(os.path.join(args.out, "sbom.cdx.json"), "w") as fh:
        json.dump(bom, fh)
    print(json.dumps({"db": os.path.join(args.out, "db"), "sbom": os.path.join(args.out, "sbom.cdx.json"),
                      "components": len(components)}))


if __name__ == "__main__":
    main()
