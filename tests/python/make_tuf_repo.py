#!/usr/bin/env python3
"""Build loopback TUF repositories shaped like Sigstore's public-good TUF repo.

Uses python-tuf's Metadata API (tuf 7.x) and securesystemslib's CryptoSigner.
Every scenario is written to OUT/<scenario>/ as:

    OUT/<scenario>/pinned_root.json     <- the trust anchor a client embeds (== repo/1.root.json)
    OUT/<scenario>/repo/                <- serve this as the *metadata base URL*
        1.root.json 2.root.json         (root v1 -> v2 rotation: root keys and timestamp key rotated)
        timestamp.json                  (the only un-versioned metadata file, as on Sigstore's CDN)
        <v>.snapshot.json <v>.targets.json <v>.registry.npmjs.org.json   (consistent snapshots)
        targets/<sha256>.trusted_root.json                    (targets base URL = repo/targets)
        targets/<sha256>.signing_config.v0.2.json             (only with --signing-config)
        targets/registry.npmjs.org/<sha256>.keys.json         (delegated target, like Sigstore's npm role)
    OUT/<scenario>/prime/               <- (rollback scenarios only) serve this FIRST with the same
                                           client cache, then serve repo/ -> the client must refuse it
    OUT/manifest.json                   <- per scenario: paths, target hashes, expected outcome
    OUT/keys/*.pem                      <- private keys (PKCS#8 PEM), in case a test wants to re-sign

Layout/URLs mirror https://tuf-repo-cdn.sigstore.dev: metadata at the base URL,
targets under <base>/targets/, hash-prefixed target names, version-prefixed
snapshot/targets/delegated-targets names, <N>.root.json for every root version.

The "sigstore quirks" (on by default, --no-quirks to disable) reproduce details of the
real Sigstore metadata that a from-scratch client must tolerate:
  * keys carry extra fields "keyid_hash_algorithms" and "x-tuf-on-ci-keyowner"; they are part of
    the signed canonical bytes AND of the key id: keyid = sha256(OLPC-canonical(whole key object))
                                                                           -> keep unknown fields
    (scenario keyid-mismatch has one non-compliant id like Sigstore root v11; duplicate-key lists
    one key twice under two compliant ids)
  * roles carry "x-tuf-on-ci-expiry-period"/"x-tuf-on-ci-signing-period"   -> keep unknown fields
  * placeholder signatures {"keyid": <root key>, "sig": ""} for root keys that did not sign
                                                                           -> an empty/invalid sig is "not signed", not an error
  * spec_version "1.0" (two components, not semver)                         -> accept "1.x" and "1.x.y"
  * timestamp/snapshot "meta" entries carry only "version" (no length/hashes; --meta-hashes adds them)

Usage:
    make_repo.py OUT [--scenario NAME ...] [--target trusted_root.json=PATH] [--keytype ecdsa|ed25519]
                 [--meta-hashes] [--no-quirks] [--no-delegation] [--fresh-v1-root] [--now ISO8601]
Prints one line per scenario: "<scenario> pinned_root=<path> repo=<path> expect=<...>" and
finally "PINNED_ROOT=<OUT>/valid/pinned_root.json".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

HERE = Path(__file__).resolve().parent
DEFAULT_TARGET = Path(__file__).resolve().parents[2] / "testdata/sigstore/trusted_root_pgi.json"
NPM_ROLE = "registry.npmjs.org"
NPM_TARGET = "registry.npmjs.org/keys.json"
NPM_KEYS_CONTENT = b'{"keys":[{"keyId":"SHA256:test","keyUsage":"npm:signatures"}]}\n'

# Expected outcome per scenario. "stage" is where a spec-following client must stop;
# "python_error"/"message" are what tuf.ngclient 7.0.1 raises (checked by verify_repos.py).
SCENARIOS: dict[str, dict] = {
    "valid": {"ok": True},
    "expired-timestamp": {
        "ok": False, "stage": "timestamp",
        "python_error": "ExpiredMetadataError", "message": "timestamp.json is expired",
        "spec": "5.4.4 freeze attack: new timestamp expired",
    },
    "tampered-target": {
        "ok": False, "stage": "target",
        "python_error": "LengthOrHashMismatchError", "message": "does not match expected hash",
        "spec": "5.7.3 target hash mismatch (same length, one byte flipped after signing)",
    },
    "rollback": {
        "ok": False, "stage": "timestamp", "prime": True,
        "python_error": "BadVersionNumberError", "message": "New timestamp version 3 must be >= 4",
        "spec": "5.4.3.1 rollback: client saw timestamp v4 (prime/), repo/ now serves a validly signed v3",
    },
    "rollback-snapshot": {
        "ok": False, "stage": "timestamp", "prime": True,
        "python_error": "BadVersionNumberError", "message": "New snapshot version must be >= 3",
        "spec": "5.4.3.2 rollback: newer timestamp v4 lists snapshot v2 < trusted snapshot v3",
    },
    "bad-root-rotation": {
        "ok": False, "stage": "root",
        "python_error": "UnsignedMetadataError", "message": "root was signed by 1/2 keys",
        "spec": "5.3.4 2.root.json signed by the new root keys only, not a threshold of v1's",
    },
    "root-version-mismatch": {
        "ok": False, "stage": "root",
        "python_error": "BadVersionNumberError", "message": "Expected root version 2 instead got version 3",
        "spec": "5.3.5 file 2.root.json contains version 3 (validly signed by v1 and itself)",
    },
    "expired-root": {
        "ok": False, "stage": "root",
        "python_error": "ExpiredMetadataError", "message": "Final root.json is expired",
        "spec": "5.3.10 the newest root (v2) is expired",
    },
    "tampered-metadata": {
        "ok": False, "stage": "targets",
        "python_error": "UnsignedMetadataError", "message": "targets was signed by 0/1 keys",
        "spec": "5.6.3 targets metadata edited after signing, same length (with --meta-hashes: 5.6.2 hash mismatch first)",
    },
    "expired-snapshot": {
        "ok": False, "stage": "snapshot",
        "python_error": "ExpiredMetadataError", "message": "snapshot.json is expired",
        "spec": "5.5.6 snapshot expired",
    },
    "expired-targets": {
        "ok": False, "stage": "targets",
        "python_error": "ExpiredMetadataError", "message": "New targets is expired",
        "spec": "5.6.5 targets expired",
    },
    "snapshot-version-mismatch": {
        "ok": False, "stage": "snapshot",
        "python_error": "BadVersionNumberError", "message": "Expected snapshot version 3, got 2",
        "spec": "5.5.4 <3>.snapshot.json (the name timestamp points at) contains version 2",
    },
    "keyid-mismatch": {
        "ok": True,
        "spec": "root v2 lists the timestamp key under a key id != sha256(canonical key) (Sigstore root v11 "
                "had one such id). python-tuf/go-tuf/mini_tuf accept (they never recompute ids); awslabs/tough "
                "rejects it (that is what broke sigstore-rs on v11). Expected result depends on policy.",
    },
    "duplicate-key": {
        "ok": False, "stage": "timestamp", "python": "ok",
        "python_error": "", "message": "",
        "spec": "root v2 timestamp role: threshold 2 over two key ids that are the SAME public key "
                "(ids differ only by an x- field). go-tuf counts distinct key material -> 1/2 -> reject; "
                "python-tuf 7.0.1 counts key ids -> accepts. mini_tuf follows go-tuf.",
    },
    "missing-target": {
        "ok": False, "stage": "target-lookup",
        "python_error": "TargetNotFound", "message": "trusted_root.json",
        "spec": "5.7.2 target not listed (lookup walks top-level targets, then the npm delegation which does not match)",
    },
}


def utc(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


@dataclass
class Keyring:
    keytype: str
    quirks: bool
    keydir: Path
    signers: dict[str, CryptoSigner] = field(default_factory=dict)

    def get(self, name: str) -> CryptoSigner:
        if name in self.signers:
            return self.signers[name]
        if self.keytype == "ecdsa":
            s = CryptoSigner.generate_ecdsa()  # ecdsa / ecdsa-sha2-nistp256, PEM SPKI in keyval.public
        else:
            s = CryptoSigner.generate_ed25519()  # ed25519 / ed25519, 64 hex chars in keyval.public
        extra: dict = {}
        if self.quirks:
            extra = {"keyid_hash_algorithms": ["sha256", "sha512"], "x-tuf-on-ci-keyowner": f"@{name}"}
        return self._bind(name, s._private_key, s.public_key, extra, None)  # noqa: SLF001

    def alias(self, name: str, of: str, *, bogus_keyid: bool) -> CryptoSigner:
        """Same private/public key as `of`, listed under another key id.
        bogus_keyid=True : random id (like Sigstore root v11's one non-compliant id)
        bogus_keyid=False: compliant id that differs only because the unknown fields differ
                           (the same key material can then appear twice in one role)."""
        if name in self.signers:
            return self.signers[name]
        base = self.get(of)
        extra = dict(base.public_key.unrecognized_fields)
        extra["x-tuf-on-ci-keyowner"] = f"@{name}"
        return self._bind(name, base._private_key, base.public_key, extra,  # noqa: SLF001
                          secrets.token_hex(32) if bogus_keyid else None)

    def _bind(self, name, priv, pub, extra, keyid):
        key_dict = {"keytype": pub.keytype, "scheme": pub.scheme, "keyval": dict(pub.keyval), **extra}
        if keyid is None:
            # Sigstore root v12+ (tuf-on-ci) ids: sha256 of the OLPC canonical form of the WHOLE
            # key object as published, unknown fields included (NOT json.dumps: PEM newlines stay raw).
            keyid = hashlib.sha256(encode_canonical(key_dict).encode()).hexdigest()
        pub = SSlibKey(keyid, pub.keytype, pub.scheme, dict(pub.keyval), extra)
        s = CryptoSigner(priv, pub)  # rebind with the chosen keyid
        self.signers[name] = s
        self.keydir.mkdir(parents=True, exist_ok=True)
        (self.keydir / f"{name}.pem").write_bytes(s.private_bytes)
        (self.keydir / f"{name}.pub.json").write_text(json.dumps({"keyid": keyid, **pub.to_dict()}, indent=1))
        return s

    def key(self, name: str) -> SSlibKey:
        return self.get(name).public_key


def dump(md: Metadata, placeholders: list[str] | None = None) -> bytes:
    """Pretty JSON like Sigstore's files (indent=1, sorted keys), optional empty-sig placeholders."""
    d = md.to_dict()
    for kid in placeholders or []:
        if kid not in {s["keyid"] for s in d["signatures"]}:
            d["signatures"].append({"keyid": kid, "sig": ""})
    return json.dumps(d, indent=1, sort_keys=True).encode() + b""


def sign(md: Metadata, signers: list[CryptoSigner]) -> Metadata:
    md.signatures.clear()
    for s in signers:
        md.sign(s, append=True)
    return md


class Builder:
    def __init__(self, args, out: Path, keys: Keyring):
        self.a = args
        self.out = out
        self.k = keys
        self.now = utc(args.now) if args.now else datetime.now(timezone.utc).replace(microsecond=0)
        self.quirks = not args.no_quirks
        self.spec_version = "1.0" if self.quirks else "1.0.31"
        self.targets_payload: dict[str, bytes] = {}
        self.targets_source: dict[str, str] = {}
        for spec in args.target:
            name, _, path = spec.partition("=")
            self.targets_payload[name] = Path(path).read_bytes()
            self.targets_source[name] = str(Path(path).resolve())

    # ---- helpers -------------------------------------------------------------------------
    def exp(self, days: float) -> datetime:
        return self.now + timedelta(days=days)

    def role(self, names: list[str], threshold: int, period: int | None = None) -> Role:
        extra = {}
        if self.quirks and period is not None:
            extra = {"x-tuf-on-ci-expiry-period": period, "x-tuf-on-ci-signing-period": max(1, period // 2)}
        return Role([self.k.key(n).keyid for n in names], threshold, extra)

    def make_root(self, version: int, root_keys: list[str], root_threshold: int, ts_key: str | list[str],
                  expires: datetime, ts_threshold: int = 1) -> Root:
        ts_keys = [ts_key] if isinstance(ts_key, str) else ts_key
        keys = {}
        for n in sorted(set(root_keys + ts_keys + ["snapshot", "targets"])):
            keys[self.k.key(n).keyid] = self.k.key(n)
        roles = {
            "root": self.role(root_keys, root_threshold),
            "timestamp": self.role(ts_keys, ts_threshold, 7),
            "snapshot": self.role(["snapshot"], 1, 3650),
            "targets": self.role(["targets"], 1),
        }
        extra = {"x-tuf-on-ci-expiry-period": 197, "x-tuf-on-ci-signing-period": 46} if self.quirks else {}
        return Root(version=version, spec_version=self.spec_version, expires=expires, keys=keys,
                    roles=roles, consistent_snapshot=True, unrecognized_fields=extra)

    def metafile(self, version: int, data: bytes) -> MetaFile:
        if self.a.meta_hashes:
            return MetaFile.from_data(version, data, ["sha256"])
        return MetaFile(version)

    # ---- one repository state -----------------------------------------------------------
    def write_state(self, repo: Path, *, ts_version: int, snap_version: int, targets_version: int,
                    snapshot_meta_version: int | None = None, ts_expires: float = 7,
                    snap_expires: float = 3650, targets_expires: float = 3650,
                    omit_targets: tuple[str, ...] = (), tamper_target: str | None = None,
                    tamper_targets_md: bool = False, snapshot_file_version: int | None = None,
                    roots: list[bytes] | None = None, ts_key: str | list[str] = "timestamp2") -> dict:
        repo.mkdir(parents=True, exist_ok=True)
        (repo / "targets").mkdir(exist_ok=True)
        for i, rb in enumerate(roots or [], start=1):
            (repo / f"{i}.root.json").write_bytes(rb)

        tinfo = {}
        # -- delegated role (like Sigstore's "registry.npmjs.org") ------------------------
        deleg_bytes = None
        if not self.a.no_delegation:
            npm = Targets(version=2, spec_version=self.spec_version, expires=self.exp(182))
            tf = TargetFile.from_data(NPM_TARGET, NPM_KEYS_CONTENT, ["sha256"])
            npm.targets[NPM_TARGET] = tf
            deleg_md = sign(Metadata(npm), [self.k.get("npm")])
            deleg_bytes = dump(deleg_md)
            (repo / "targets" / NPM_ROLE).mkdir(exist_ok=True)
            (repo / "targets" / NPM_ROLE / f"{tf.hashes['sha256']}.keys.json").write_bytes(NPM_KEYS_CONTENT)
            (repo / f"2.{NPM_ROLE}.json").write_bytes(deleg_bytes)

        # -- top-level targets ------------------------------------------------------------
        targets = Targets(version=targets_version, spec_version=self.spec_version,
                          expires=self.exp(targets_expires),
                          unrecognized_fields={"x-tuf-on-ci-expiry-period": 3650,
                                               "x-tuf-on-ci-signing-period": 31} if self.quirks else {})
        for name, data in self.targets_payload.items():
            if name in omit_targets:
                continue
            tf = TargetFile.from_data(name, data, ["sha256"])
            if name.endswith(".pub") or name.endswith(".pem"):  # old-style targets carry custom metadata
                tf.unrecognized_fields["custom"] = {"sigstore": {"status": "Active", "usage": "Unknown"}}
            targets.targets[name] = tf
            h = tf.hashes["sha256"]
            payload = data
            if name == tamper_target:  # flip one byte after signing: same length, different hash
                payload = bytearray(data)
                payload[len(payload) // 2] ^= 0x01
                payload = bytes(payload)
            d = repo / "targets" / os.path.dirname(name)
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{h}.{os.path.basename(name)}").write_bytes(payload)
            tinfo[name] = {"length": len(data), "sha256": h, "url_path": f"targets/{h}.{name}",
                           "source": self.targets_source[name]}
        if deleg_bytes is not None:
            npm_key = self.k.key("npm")
            targets.delegations = Delegations(
                keys={npm_key.keyid: npm_key},
                roles={NPM_ROLE: DelegatedRole(NPM_ROLE, [npm_key.keyid], 1, True, paths=[f"{NPM_ROLE}/*"])},
            )
        targets_md = sign(Metadata(targets), [self.k.get("targets")])
        targets_bytes = dump(targets_md)
        signed_targets_bytes = targets_bytes
        if tamper_targets_md:
            # Edit after signing without changing the length: flip one hex digit of the first
            # target's sha256 (an attacker pointing the client at other bytes).
            first = next(iter(targets.targets.values())).hashes["sha256"]
            evil = ("0" if first[0] != "0" else "1") + first[1:]
            assert targets_bytes.count(first.encode()) == 1
            targets_bytes = targets_bytes.replace(first.encode(), evil.encode())
        (repo / f"{targets_version}.targets.json").write_bytes(targets_bytes)

        # -- snapshot ---------------------------------------------------------------------
        meta = {"targets.json": self.metafile(targets_version, signed_targets_bytes)}
        if deleg_bytes is not None:
            meta[f"{NPM_ROLE}.json"] = self.metafile(2, deleg_bytes)
        sv = snapshot_file_version if snapshot_file_version is not None else snap_version
        snapshot = Snapshot(version=sv, spec_version=self.spec_version, expires=self.exp(snap_expires), meta=meta)
        snap_bytes = dump(sign(Metadata(snapshot), [self.k.get("snapshot")]))
        (repo / f"{snap_version}.snapshot.json").write_bytes(snap_bytes)

        # -- timestamp --------------------------------------------------------------------
        smv = snapshot_meta_version if snapshot_meta_version is not None else snap_version
        ts = Timestamp(version=ts_version, spec_version=self.spec_version, expires=self.exp(ts_expires),
                       snapshot_meta=self.metafile(smv, snap_bytes) if smv == snap_version else MetaFile(smv))
        ts_signers = [self.k.get(n) for n in ([ts_key] if isinstance(ts_key, str) else ts_key)]
        (repo / "timestamp.json").write_bytes(dump(sign(Metadata(ts), ts_signers)))
        return tinfo

    # ---- root chain -----------------------------------------------------------------------
    def roots(self, variant: str = "ok") -> list[bytes]:
        """root v1: keys root1,root2 (threshold 2) [+ an unused 'root-spare' slot with quirks],
        timestamp key 'timestamp1'.  root v2: keys root2,root3 (threshold 2), timestamp key
        rotated to 'timestamp2' (so a client must use the *new* root to check timestamp.json).
        v2 is signed by root1,root2,root3: threshold of v1 (root1+root2) and of v2 (root2+root3).
        Variants: bad-rotation (v2 signed by root2,root3 only -> 1/2 of v1), version-mismatch
        (2.root.json says version 3), expired (v2 expired)."""
        v1_exp = self.exp(365) if self.a.fresh_v1_root else self.exp(-1)  # embedded roots are often expired
        v1_root_keys = ["root1", "root2"] + (["root-spare"] if self.quirks else [])
        r1 = self.make_root(1, v1_root_keys, 2, "timestamp1", v1_exp)
        r1_md = sign(Metadata(r1), [self.k.get("root1"), self.k.get("root2")])
        r1_bytes = dump(r1_md, [self.k.key("root-spare").keyid] if self.quirks else [])

        v2_version = 3 if variant == "version-mismatch" else 2
        v2_exp = self.exp(-1) if variant == "expired" else self.exp(365)
        if variant == "keyid-mismatch":
            self.k.alias("timestamp2-badid", "timestamp2", bogus_keyid=True)
            r2 = self.make_root(v2_version, ["root2", "root3"], 2, "timestamp2-badid", v2_exp)
        elif variant == "duplicate-key":
            self.k.alias("timestamp2-dup", "timestamp2", bogus_keyid=False)
            r2 = self.make_root(v2_version, ["root2", "root3"], 2, ["timestamp2", "timestamp2-dup"], v2_exp,
                                ts_threshold=2)
        else:
            r2 = self.make_root(v2_version, ["root2", "root3"], 2, "timestamp2", v2_exp)
        if variant == "bad-rotation":
            r2_md = sign(Metadata(r2), [self.k.get("root2"), self.k.get("root3")])
            r2_bytes = dump(r2_md, [self.k.key("root1").keyid] if self.quirks else [])
        else:
            r2_md = sign(Metadata(r2), [self.k.get("root1"), self.k.get("root2"), self.k.get("root3")])
            r2_bytes = dump(r2_md)
        return [r1_bytes, r2_bytes]

    # ---- scenarios -------------------------------------------------------------------------
    def build(self, name: str) -> dict:
        sdir = self.out / name
        if sdir.exists():
            shutil.rmtree(sdir)
        repo = sdir / "repo"
        variant = {"bad-root-rotation": "bad-rotation", "root-version-mismatch": "version-mismatch",
                   "expired-root": "expired", "keyid-mismatch": "keyid-mismatch",
                   "duplicate-key": "duplicate-key"}.get(name, "ok")
        roots = self.roots(variant)
        base = dict(ts_version=3, snap_version=3, targets_version=2, roots=roots)
        if name == "expired-timestamp":
            base["ts_expires"] = -1 / 24
        elif name == "expired-snapshot":
            base["snap_expires"] = -1 / 24
        elif name == "expired-targets":
            base["targets_expires"] = -1 / 24
        elif name == "tampered-target":
            base["tamper_target"] = "trusted_root.json"
        elif name == "tampered-metadata":
            base["tamper_targets_md"] = True
        elif name == "missing-target":
            base["omit_targets"] = ("trusted_root.json",)
        elif name == "snapshot-version-mismatch":
            base["snapshot_file_version"] = 2
        elif name == "keyid-mismatch":
            base["ts_key"] = "timestamp2-badid"
        elif name == "duplicate-key":
            base["ts_key"] = ["timestamp2", "timestamp2-dup"]
        elif name == "rollback":
            self.write_state(sdir / "prime", **{**base, "ts_version": 4, "snap_version": 4})
            # repo/: older but validly signed and unexpired timestamp v3 (a replayed old state)
        elif name == "rollback-snapshot":
            self.write_state(sdir / "prime", **base)
            base = {**base, "ts_version": 4, "snapshot_meta_version": 2}
        tinfo = self.write_state(repo, **base)
        (sdir / "pinned_root.json").write_bytes(roots[0])
        expect = dict(SCENARIOS[name])
        if name == "tampered-metadata" and self.a.meta_hashes:
            expect.update(python_error="LengthOrHashMismatchError", message="does not match expected hash")
        return {
            "pinned_root": str((sdir / "pinned_root.json").relative_to(self.out)),
            "repo": str(repo.relative_to(self.out)),
            "metadata_base": f"{name}/repo",
            "targets_base": f"{name}/repo/targets",
            "prime": str((sdir / "prime").relative_to(self.out)) if (sdir / "prime").exists() else None,
            "targets": tinfo,
            "expect": expect,
        }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--scenario", action="append", choices=sorted(SCENARIOS) + ["all"],
                   help="repeatable; default: all")
    p.add_argument("--target", action="append", default=[],
                   help="NAME=PATH target to publish (default: trusted_root.json=%s)" % DEFAULT_TARGET)
    p.add_argument("--signing-config", type=Path, help="also publish signing_config.v0.2.json from PATH")
    p.add_argument("--keytype", choices=["ecdsa", "ed25519"], default="ecdsa")
    p.add_argument("--meta-hashes", action="store_true", help="add length+sha256 to timestamp/snapshot meta")
    p.add_argument("--no-quirks", action="store_true", help="plain python-tuf output, no Sigstore quirks")
    p.add_argument("--no-delegation", action="store_true", help="omit the registry.npmjs.org delegation")
    p.add_argument("--fresh-v1-root", action="store_true", help="root v1 not expired (default: expired 1 day ago)")
    p.add_argument("--now", help="reference time YYYY-MM-DDTHH:MM:SSZ for all expiries (default: now)")
    a = p.parse_args()
    if not a.target:
        a.target = [f"trusted_root.json={DEFAULT_TARGET}"]
    if a.signing_config:
        a.target.append(f"signing_config.v0.2.json={a.signing_config}")
    names = sorted(SCENARIOS) if not a.scenario or "all" in a.scenario else a.scenario

    a.out.mkdir(parents=True, exist_ok=True)
    keys = Keyring(a.keytype, not a.no_quirks, a.out / "keys")
    b = Builder(a, a.out, keys)
    manifest = {
        "generated_with": "make_repo.py (python-tuf Metadata API)",
        "now": b.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keytype": a.keytype,
        "quirks": not a.no_quirks,
        "meta_hashes": a.meta_hashes,
        "layout": "serve OUT over HTTP; metadata base URL = <server>/<metadata_base>, "
                  "targets base URL = <server>/<targets_base>",
        "scenarios": {},
    }
    for n in names:
        manifest["scenarios"][n] = b.build(n)
        e = manifest["scenarios"][n]["expect"]
        print(f"{n}: pinned_root={a.out / manifest['scenarios'][n]['pinned_root']} "
              f"repo={a.out / manifest['scenarios'][n]['repo']} "
              f"expect={'OK' if e['ok'] else e['python_error'] + ': ' + e['message']}")
    (a.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    pinned = a.out / (manifest["scenarios"].get("valid") or next(iter(manifest["scenarios"].values())))["pinned_root"]
    print(f"PINNED_ROOT={pinned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
