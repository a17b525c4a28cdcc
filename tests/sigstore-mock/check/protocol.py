#!/usr/bin/env python3
"""Wire-level checks of the mock, written against the specifications rather than its code.

Usage: protocol.py URL OUTDIR  (OUTDIR holds the server's trusted_root.json). Needs
cryptography, requests, rfc8785 and rfc3161-client: sigstore-python's venv has them all.
Prints one line per check and closes with 'N passed, N failed'; exit 1 on any failure.
"""
import base64
import hashlib
import json
import sys
import time

import requests
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

URL, OUT = sys.argv[1], sys.argv[2]
ROOT = json.load(open(f"{OUT}/trusted_root.json"))
GH_ISS = "https://token.actions.githubusercontent.com"
EMAIL_ISS = "https://oauth2.sigstore.dev/auth"
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name}{'' if cond else f'  ({detail})'}")


def b64d(s):
    return base64.b64decode(s)


def b64(b):
    return base64.b64encode(b).decode()


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def token(**q):
    return requests.get(f"{URL}/oidc/token", params=q).json()["value"]


def gh_token(audience="sigstore", **q):
    r = requests.get(f"{URL}/github/token", params={"audience": audience, **q},
                     headers={"Authorization": "bearer gha-request-token"})
    return r.json()["value"]


def claims_of(jwt):
    return json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))


def pem_key(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fulcio(body, headers=None, prefix=""):
    return requests.post(f"{URL}{prefix}/api/v2/signingCert", json=body, headers=headers or {})


def key_request(jwt, key, challenge=None, hash_alg=None):
    c = claims_of(jwt)
    challenge = challenge if challenge is not None else (c.get("email") or c["sub"])
    proof = key.sign(challenge.encode(), ec.ECDSA(hash_alg or hashes.SHA256()))
    return {"credentials": {"oidcIdentityToken": jwt},
            "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pem_key(key)}, "proofOfPossession": b64(proof)}}


def chain_of(resp):
    pems = resp.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"]
    return [x509.load_pem_x509_certificate(p.encode()) for p in pems]


def ext_value(cert, n):
    try:
        return cert.extensions.get_extension_for_oid(ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}")).value.value
    except x509.ExtensionNotFound:
        return None


def utf8(v):
    b = v.encode()
    assert len(b) < 128
    return bytes([0x0C, len(b)]) + b


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- Fulcio ---------------------------------------------------------------------------------
ca_chain = [x509.load_der_x509_certificate(b64d(c["rawBytes"])) for c in ROOT["certificateAuthorities"][0]["certChain"]["certificates"]]
ct_keyid = b64d(ROOT["ctlogs"][0]["logId"]["keyId"])
check("trusted root: ctlog keyId is SHA-256 of its DER key", ct_keyid == sha256(b64d(ROOT["ctlogs"][0]["publicKey"]["rawBytes"])))
tlog_der = b64d(ROOT["tlogs"][0]["publicKey"]["rawBytes"])
check("trusted root: tlog keyId is SHA-256 of its DER key", b64d(ROOT["tlogs"][0]["logId"]["keyId"]) == sha256(tlog_der))
tlog_key = serialization.load_der_public_key(tlog_der)

alice = ec.generate_private_key(ec.SECP256R1())
jwt = token(email="alice@example.com")
r = fulcio(key_request(jwt, alice))
check("fulcio: JSON credentials + public key + PoP -> 201", r.status_code == 201, r.text[:200])
chain = chain_of(r)
leaf = chain[0]
check("fulcio: chain is leaf, intermediate, root of the trusted root", [c.public_bytes(serialization.Encoding.DER) for c in chain[1:]] == [c.public_bytes(serialization.Encoding.DER) for c in ca_chain])
try:
    leaf.verify_directly_issued_by(chain[1])
    chain[1].verify_directly_issued_by(chain[2])
    ok = True
except Exception as e:  # noqa: BLE001
    ok = str(e)
check("fulcio: leaf signed by intermediate, intermediate by root", ok is True, ok)
check("fulcio: leaf key is the requested key", spki(leaf) == spki(alice))
san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
check("fulcio: SAN email, critical, empty subject", san.critical and san.value.get_values_for_type(x509.RFC822Name) == ["alice@example.com"] and len(leaf.subject) == 0)
check("fulcio: .1.8 issuer is a DER UTF8String, .1.1 the raw string", ext_value(leaf, 8) == utf8(EMAIL_ISS) and ext_value(leaf, 1) == EMAIL_ISS.encode())
eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
check("fulcio: code-signing EKU", list(eku) == [ExtendedKeyUsageOID.CODE_SIGNING])
life = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds()
check("fulcio: ten-minute certificate", life == 600, life)
scts = leaf.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
check("fulcio: one embedded SCT from the trusted root's CT log", len(scts) == 1 and scts[0].log_id == ct_keyid)

r = fulcio({"publicKeyRequest": key_request(jwt, alice)["publicKeyRequest"]}, headers={"Authorization": f"Bearer {jwt}"})
check("fulcio: token in Authorization: Bearer -> 201", r.status_code == 201, r.text[:200])
r = fulcio(key_request(jwt, alice, challenge="not-the-subject"))
check("fulcio: proof of possession over another string -> 400", r.status_code == 400 and r.json().get("code") == 3, r.text[:200])
r = fulcio(key_request(token(email="alice@example.com", exp_offset="-60"), alice))
check("fulcio: expired token -> 401", r.status_code == 401 and r.json().get("code") == 16, r.text[:200])
r = fulcio(key_request(token(email="alice@example.com", aud="other"), alice))
check("fulcio: audience other than sigstore -> 401", r.status_code == 401, r.text[:200])
r = fulcio({"publicKeyRequest": key_request(jwt, alice)["publicKeyRequest"]})
check("fulcio: no token -> 401", r.status_code == 401, r.text[:200])

p384 = ec.generate_private_key(ec.SECP384R1())
r = fulcio(key_request(jwt, p384, hash_alg=hashes.SHA384()))
check("fulcio: P-384 key with SHA-384 PoP -> 201", r.status_code == 201 and spki(chain_of(r)[0]) == spki(p384), r.text[:200])

csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(alice, hashes.SHA256())
body = {"credentials": {"oidcIdentityToken": jwt}, "certificateSigningRequest": b64(csr.public_bytes(serialization.Encoding.PEM))}
r = fulcio(body)
check("fulcio: base64(PEM) CSR (sigstore-python's form) -> 201, CSR key certified", r.status_code == 201 and spki(chain_of(r)[0]) == spki(alice), r.text[:200])
der = bytearray(csr.public_bytes(serialization.Encoding.DER))
der[-1] ^= 0x01  # last byte of the ECDSA s value: still DER, no longer a valid signature
r = fulcio({"credentials": {"oidcIdentityToken": jwt}, "certificateSigningRequest": b64(bytes(der))})
check("fulcio: base64(DER) CSR whose signature does not verify -> 400", r.status_code == 400 and "signature" in r.text, r.text[:200])

uri_jwt = token(email="", sub="https://ci.example.com/jobs/7", iss="https://ci.example.com")
r = fulcio(key_request(uri_jwt, alice))
c = chain_of(r)[0] if r.status_code == 201 else None
check("fulcio: URI sub -> URI SAN", c is not None and c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.UniformResourceIdentifier) == ["https://ci.example.com/jobs/7"], r.text[:200])
user_jwt = token(email="", sub="robot", iss="https://ci.example.com")
r = fulcio(key_request(user_jwt, alice))
c = chain_of(r)[0] if r.status_code == 201 else None
names = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.OtherName) if c else []
check("fulcio: plain sub -> OtherName SAN 1.3.6.1.4.1.57264.1.7", len(names) == 1 and names[0].type_id.dotted_string == "1.3.6.1.4.1.57264.1.7" and names[0].value == utf8("robot"), r.text[:200])

r = requests.get(f"{URL}/github/token", params={"audience": "sigstore"})
check("github token: no Authorization -> 401", r.status_code == 401)
r = requests.get(f"{URL}/github/token", params={"audience": "sigstore"}, headers={"Authorization": "bearer wrong"})
check("github token: wrong request token -> 401", r.status_code == 401)
gh = gh_token()
g = claims_of(gh)
check("github token: GitHub's claims, aud = audience, exp an hour ahead",
      g["iss"] == GH_ISS and g["aud"] == "sigstore" and g["sub"] == "repo:supply-test/app:ref:refs/heads/main" and 3500 < g["exp"] - time.time() <= 3600
      and all(k in g for k in ("repository", "repository_id", "repository_owner", "repository_owner_id", "ref", "sha", "workflow_ref",
                               "job_workflow_ref", "job_workflow_sha", "event_name", "runner_environment", "repository_visibility", "run_id", "run_attempt", "workflow")))
r = fulcio(key_request(gh, alice))
check("fulcio: GitHub token -> 201", r.status_code == 201, r.text[:200])
c = chain_of(r)[0]
gurl = "https://github.com"
want_utf8 = {8: g["iss"], 9: f"{gurl}/{g['job_workflow_ref']}", 10: g["job_workflow_sha"], 11: g["runner_environment"], 12: f"{gurl}/{g['repository']}",
             13: g["sha"], 14: g["ref"], 15: g["repository_id"], 16: f"{gurl}/{g['repository_owner']}", 17: g["repository_owner_id"],
             18: f"{gurl}/{g['workflow_ref']}", 19: g["workflow_sha"], 20: g["event_name"],
             21: f"{gurl}/{g['repository']}/actions/runs/{g['run_id']}/attempts/{g['run_attempt']}", 22: g["repository_visibility"]}
want_raw = {1: g["iss"], 2: g["event_name"], 3: g["sha"], 4: g["workflow"], 5: g["repository"], 6: g["ref"]}
bad = [n for n, v in want_utf8.items() if ext_value(c, n) != utf8(v)] + [n for n, v in want_raw.items() if ext_value(c, n) != v.encode()]
check("fulcio: GitHub claims -> extensions .1.1-.1.6 (raw) and .1.8-.1.22 (UTF8String) as Fulcio maps them", not bad, f"wrong: {bad}")
check("fulcio: GitHub SAN is https://github.com/<job_workflow_ref>",
      c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.UniformResourceIdentifier) == [f"{gurl}/{g['job_workflow_ref']}"])

r = fulcio(key_request(jwt, alice), prefix="/fault/fulcio-refuse")
check("fault fulcio-refuse: 401 with an error JSON", r.status_code == 401 and "message" in r.json())
r = fulcio(key_request(jwt, alice), prefix="/fault/fulcio-other-identity")
c = chain_of(r)[0]
check("fault fulcio-other-identity: cert for someone-else@example.com",
      c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.RFC822Name) == ["someone-else@example.com"])
r = fulcio(key_request(jwt, alice), prefix="/fault/fulcio-other-key")
check("fault fulcio-other-key: cert for another key", spki(chain_of(r)[0]) != spki(alice))
r = fulcio(key_request(token(email="alice@example.com", fault="fulcio-refuse"), alice))
check("fault by token claim (sigstore_mock_fault): fulcio-refuse -> 401", r.status_code == 401)
r = requests.post(f"{URL}/fault/no-such-mode/api/v2/signingCert", json={})
check("unknown fault mode -> 404", r.status_code == 404)

# --- Rekor ----------------------------------------------------------------------------------
cert_pem = leaf.public_bytes(serialization.Encoding.PEM)


def leaf_hash(body):
    return sha256(b"\x00", body)


def node(l, r):
    return sha256(b"\x01", l, r)


def root_from_proof(index, size, lh, proof):
    # RFC 9162 §2.1.3.2
    if index >= size:
        raise ValueError("index beyond tree")
    fn, sn, r = index, size - 1, lh
    for p in proof:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r


def verify_entry(entry, body_bytes=None):
    """Checks one Rekor v1 response value: SET, inclusion proof, checkpoint. Returns list of failures."""
    fails = []
    body = b64d(entry["body"])
    if body_bytes is not None and body != body_bytes:
        fails.append("body")
    payload = rfc8785.dumps({"body": entry["body"], "integratedTime": entry["integratedTime"], "logID": entry["logID"], "logIndex": entry["logIndex"]})
    try:
        tlog_key.verify(b64d(entry["verification"]["signedEntryTimestamp"]), payload, ec.ECDSA(hashes.SHA256()))
    except Exception:  # noqa: BLE001
        fails.append("SET")
    p = entry["verification"]["inclusionProof"]
    try:
        root = root_from_proof(p["logIndex"], p["treeSize"], leaf_hash(body), [bytes.fromhex(h) for h in p["hashes"]])
        if root.hex() != p["rootHash"]:
            fails.append("inclusion root")
    except ValueError as e:
        fails.append(f"inclusion: {e}")
    note, _, sigs = p["checkpoint"].partition("\n\n")
    lines = note.split("\n")
    if len(lines) != 3 or lines[1] != str(p["treeSize"]) or b64d(lines[2]) != bytes.fromhex(p["rootHash"]):
        fails.append("checkpoint body")
    if not sigs.startswith("\u2014 ") or not sigs.endswith("\n"):
        fails.append("checkpoint signature line")
    else:
        name, sig_b64 = sigs[2:-1].split(" ")
        raw = b64d(sig_b64)
        if raw[:4] != sha256(tlog_der)[:4]:
            fails.append("checkpoint key hint")
        try:
            tlog_key.verify(raw[4:], (note + "\n").encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:  # noqa: BLE001
            fails.append("checkpoint signature")
        if not lines[0].startswith(name + " - "):
            fails.append("checkpoint origin")
    if entry["logID"] != sha256(tlog_der).hex():
        fails.append("logID")
    if entry["logIndex"] != p["logIndex"]:
        fails.append("logIndex")
    return fails


def hashedrekord(data, key=alice, pem=cert_pem):
    digest = hashlib.sha256(data).digest()
    sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
    proposed = {"apiVersion": "0.0.1", "kind": "hashedrekord",
                "spec": {"data": {"hash": {"algorithm": "sha256", "value": digest.hex()}}, "signature": {"content": b64(sig), "publicKey": {"content": b64(pem)}}}}
    return proposed, rfc8785.dumps(proposed)  # Rekor stores the same structure, canonicalised


def post(proposed, prefix=""):
    return requests.post(f"{URL}{prefix}/api/v1/log/entries", json=proposed)


first = None
for i in range(3):
    proposed, want_body = hashedrekord(f"artifact {i} {time.time()}".encode())
    r = post(proposed)
    if r.status_code != 201:
        check(f"rekor: hashedrekord #{i} -> 201", False, r.text[:200])
        continue
    (uuid, entry), = r.json().items()
    fails = verify_entry(entry, want_body)
    check(f"rekor: hashedrekord #{i} -> 201, canonical body, SET, inclusion proof, signed checkpoint", not fails and len(uuid) == 80, fails)
    if first is None:
        first = (uuid, entry, want_body)
    else:
        check(f"rekor: logIndex increments (#{i})", entry["logIndex"] == prev + 1, (prev, entry["logIndex"]))
    check(f"rekor: audit path is non-trivial (#{i})", len(entry["verification"]["inclusionProof"]["hashes"]) > 0)
    prev = entry["logIndex"]

uuid, entry, body0 = first
r = requests.get(f"{URL}/api/v1/log/entries/{uuid}")
(u2, e2), = r.json().items()
check("rekor: GET entry by UUID: same body, proof against the grown tree verifies",
      r.status_code == 200 and u2 == uuid and not verify_entry(e2, body0) and e2["verification"]["inclusionProof"]["treeSize"] > entry["verification"]["inclusionProof"]["treeSize"])
r = requests.get(f"{URL}/api/v1/log/entries/{uuid[16:]}")
check("rekor: GET entry by 64-hex UUID", r.status_code == 200)
info = requests.get(f"{URL}/api/v1/log").json()
check("rekor: GET /api/v1/log reports the tree", info["treeSize"] == prev + 1)

proposed, _ = hashedrekord(b"duplicate me")
post(proposed)
r = post(proposed)
check("rekor: same entry twice -> 409", r.status_code == 409, r.status_code)
proposed, _ = hashedrekord(b"tampered")
proposed["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"something else").hexdigest()
r = post(proposed)
check("rekor: signature not over the hash -> 400", r.status_code == 400, r.status_code)
proposed, _ = hashedrekord(b"raw key", pem=pem_key(alice).encode())
r = post(proposed)
check("rekor: hashedrekord with a PEM public key -> 201", r.status_code == 201, r.text[:200])

payload = json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "https://example.com/x", "predicate": {}}).encode()
ptype = "application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(payload), payload)
dsig = b64(alice.sign(pae, ec.ECDSA(hashes.SHA256())))
envelope = json.dumps({"payload": b64(payload), "payloadType": ptype, "signatures": [{"sig": dsig, "keyid": ""}]})
r = post({"apiVersion": "0.0.1", "kind": "dsse", "spec": {"proposedContent": {"envelope": envelope, "verifiers": [b64(cert_pem)]}}})
ok = r.status_code == 201
if ok:
    (_, de), = r.json().items()
    want = {"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(envelope.encode()).hexdigest()},
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        "signatures": [{"signature": dsig, "verifier": b64(cert_pem)}]}}
    fails = verify_entry(de, rfc8785.dumps(want))
check("rekor: dsse -> 201, body as Rekor stores it (envelopeHash, payloadHash, signatures+verifier)", ok and not fails, r.text[:200] if not ok else fails)
bad_env = json.dumps({"payload": b64(payload + b" "), "payloadType": ptype, "signatures": [{"sig": dsig, "keyid": ""}]})
r = post({"apiVersion": "0.0.1", "kind": "dsse", "spec": {"proposedContent": {"envelope": bad_env, "verifiers": [b64(cert_pem)]}}})
check("rekor: dsse whose signature does not verify -> 400", r.status_code == 400, r.status_code)

proposed, want_body = hashedrekord(b"mismatch me")
r = post(proposed, prefix="/fault/rekor-mismatch")
(_, fe), = r.json().items()
fails = verify_entry(fe)
check("fault rekor-mismatch: body differs from the proposal, SET/proof/checkpoint still valid", r.status_code == 201 and b64d(fe["body"]) != want_body and not fails, fails)
proposed, want_body = hashedrekord(b"bad set")
r = post(proposed, prefix="/fault/rekor-bad-set")
(_, fe), = r.json().items()
check("fault rekor-bad-set: only the SET fails", verify_entry(fe, want_body) == ["SET"], verify_entry(fe, want_body))
proposed, _ = hashedrekord(b"500")
r = post(proposed, prefix="/fault/rekor-500")
check("fault rekor-500: 500", r.status_code == 500)
r = requests.post(f"{URL}/fault/rekor-500/api/v2/signingCert", json=key_request(jwt, alice))
check("fault prefix leaves the other services alone (Fulcio under rekor-500)", r.status_code == 201)

# --- TSA ------------------------------------------------------------------------------------
req = TimestampRequestBuilder().hash_algorithm(HashAlgorithm.SHA256).data(b"sig bytes").nonce(nonce=True).build()
r = requests.post(f"{URL}/api/v1/timestamp", data=req.as_bytes(), headers={"Content-Type": "application/timestamp-query"})
ok = r.status_code == 201 and r.headers["Content-Type"] == "application/timestamp-reply"
tsr = decode_timestamp_response(r.content) if ok else None
check("tsa: DER TimeStampReq -> 201 application/timestamp-reply", ok, r.status_code)
if tsr:
    info = tsr.tst_info
    check("tsa: nonce echoed (64-bit), imprint matches, whole-second genTime",
          info.nonce == req.nonce and info.message_imprint.message == hashlib.sha256(b"sig bytes").digest() and info.gen_time.microsecond == 0,
          (info.nonce, req.nonce, info.gen_time))
    check("tsa: policy 1.3.6.1.4.1.57264.2", info.policy.dotted_string == "1.3.6.1.4.1.57264.2")
r = requests.post(f"{URL}/api/v1/timestamp", json={"artifactHash": b64(hashlib.sha256(b"x").digest()), "hashAlgorithm": "sha256", "certificates": True})
check("tsa: the mock's JSON request form -> 201 DER reply", r.status_code == 201 and decode_timestamp_response(r.content) is not None)
r = requests.post(f"{URL}/api/v1/timestamp", data=b"garbage", headers={"Content-Type": "application/timestamp-query"})
check("tsa: garbage -> 400", r.status_code == 400)
r = requests.post(f"{URL}/fault/rekor-bad-set/api/v1/timestamp", data=req.as_bytes(), headers={"Content-Type": "application/timestamp-query"})
check("tsa: works under a fault prefix", r.status_code == 201)

print(f"protocol: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
