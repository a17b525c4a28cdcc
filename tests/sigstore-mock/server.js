#!/usr/bin/env node
// A loopback Sigstore instance for supply's keyless-signing tests: Fulcio (v2 signingCert),
// Rekor v1 (log entries), an RFC 3161 timestamp authority and a GitHub Actions OIDC token
// endpoint, on one 127.0.0.1 port. Built on sigstore-js's @sigstore/mock: its CA root, CT log,
// transparency-log key and TSA are used as they are; what the mock leaves out is added here
// (README.md lists what and why). All cryptography is real.
//
// Usage: node server.js OUTDIR
//   Writes OUTDIR/{trusted_root,signing_config,trust_config}.json, prints one line
//   {"url":"http://127.0.0.1:PORT"} on stdout, serves until SIGTERM/SIGINT or until stdin
//   closes (so give it a pipe; SIGSTORE_MOCK_IGNORE_STDIN=1 turns that off).
'use strict';

// @sigstore/mock loads reflect-metadata, which @peculiar/x509 needs: keep it first.
const mock = require('@sigstore/mock');
const x509 = require('@peculiar/x509');
const { Crypto } = require('@peculiar/webcrypto');
const asn1js = require('asn1js');
const pkijs = require('pkijs');
const canonicalize = require('canonicalize');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const OID = (n) => `1.3.6.1.4.1.57264.1.${n}`;
const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const OID_SAN = '2.5.29.17';
const OID_TSA_POLICY = '1.3.6.1.4.1.57264.2';
const HASH_OIDS = {
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', size: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', size: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', size: 64 },
};
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const GITHUB_URL = 'https://github.com';
const GHA_REQUEST_TOKEN = 'gha-request-token';
const OTHER_IDENTITY = 'someone-else@example.com';
const FAULT_CLAIM = 'sigstore_mock_fault';
const FAULTS = new Set([
  'fulcio-refuse',
  'fulcio-other-identity',
  'fulcio-other-key',
  'rekor-mismatch',
  'rekor-bad-set',
  'rekor-500',
]);
const CERT_LIFETIME_MS = 10 * 60 * 1000; // Fulcio's: ten minutes
const MAX_BODY = 16 * 1024 * 1024;
const FILLER_LEAVES = 5;

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const b64 = (buf) => Buffer.from(buf).toString('base64');
const isoSeconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const toPem = (der, label) =>
  `-----BEGIN ${label}-----\n${b64(der).replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
// A positive DER INTEGER of `bytes` random bytes (top bit clear, first byte non-zero).
const randomSerial = (bytes) => {
  const b = crypto.randomBytes(bytes);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b;
};

// An HTTP error that the router turns into a JSON reply.
class HttpError extends Error {
  constructor(status, body) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
  }
}
// Fulcio answers errors the way grpc-gateway does: {code, message, details}.
const fulcioError = (status, message) =>
  new HttpError(status, { code: status === 401 ? 16 : status === 400 ? 3 : 13, message, details: [] });
// Rekor's error model is {code, message}.
const rekorError = (status, message) => new HttpError(status, { code: status, message });

// ---------------------------------------------------------------------------------------------
// Keys and certificate authorities

async function setup() {
  const wc = new Crypto();
  x509.cryptoProvider.set(wc);
  const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  // The mock's Fulcio root and CT log, each with its own key (the mock's mockFulcio() shares one).
  const ctlog = await mock.initializeCTLog(ecKey());
  const ca = await mock.initializeCA(ecKey(), ctlog);
  // Real Fulcio issues from an intermediate under its root; do the same, so chain building is
  // exercised. P-384, ECDSA-SHA384, CA with path length 0 and the code-signing EKU, as Fulcio's.
  const intKeys = await wc.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const intCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(16).toString('hex'),
      subject: 'CN=sigstore-intermediate,O=sigstore.mock',
      issuer: ca.root.subjectName,
      notBefore: ca.root.notBefore,
      notAfter: ca.root.notAfter,
      publicKey: intKeys.publicKey,
      signingKey: ca.keyPair.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
        await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey, false, wc),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keyPair.publicKey, false, wc),
      ],
    },
    wc,
  );
  const intSpki = Buffer.from(await wc.subtle.exportKey('spki', intKeys.publicKey));

  // Rekor's signing key; the mock's TLog computes the SET (its own log() answers every entry as
  // a one-leaf tree, so the tree and the checkpoints are kept here instead).
  const tlogKeys = ecKey();
  const tlog = await mock.initializeTLog('http://127.0.0.1', tlogKeys);

  // The mock's TSA: a self-signed root and a timestamping leaf (same key). Three things are
  // patched: the clock (below), the TSTInfo serial (the mock's is a constant) and the nonce
  // (the mock's is a JS number; RFC 3161 nonces are 64-bit, so the request's INTEGER is echoed
  // byte for byte).
  const tsa = await mock.initializeTSA(ecKey());
  // Whole seconds: DER drops trailing zeros of a fractional genTime ("….66Z"), which is valid
  // but which sigstore-js's parser refuses (it takes exactly three digits or none).
  tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
  const mockTstInfo = tsa.tstInfo.bind(tsa);
  tsa.tstInfo = (req) => {
    const info = mockTstInfo({ ...req, nonce: 1 });
    info.serialNumber = new asn1js.Integer({ valueHex: randomSerial(16) });
    if ('nonceBytes' in req) {
      info.nonce = req.nonceBytes ? new asn1js.Integer({ valueHex: req.nonceBytes }) : undefined;
    } else {
      info.nonce = new asn1js.Integer({ value: req.nonce });
    }
    return info;
  };
  const tsaJson = mock.tsaHandler(tsa);

  const curves = await import('@noble/curves/nist.js');
  return { wc, ctlog, ca, intKeys, intCert, intSpki, tlogKeys, tlog, tsa, tsaJson, curves };
}

// ---------------------------------------------------------------------------------------------
// Signature checks (node:crypto, plus @noble/curves where the input is a digest, not a message)

function keyHash(key) {
  const d = key.asymmetricKeyDetails || {};
  if (key.asymmetricKeyType === 'ec') {
    return { 'prime256v1': 'sha256', 'secp384r1': 'sha384', 'secp521r1': 'sha512' }[d.namedCurve] || 'sha256';
  }
  if (key.asymmetricKeyType === 'ed25519') return null;
  return 'sha256';
}

// Verifies `sig` over `data` with `key` (a KeyObject), hashing with `hash` (null: the key's own
// rule, as for Ed25519). ECDSA signatures are DER, as every Sigstore service expects.
function verifyMessage(key, data, sig, hash) {
  try {
    return crypto.verify(hash, data, key, sig);
  } catch {
    return false;
  }
}

const DIGEST_INFO = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

// Verifies `sig` over a precomputed `digest` (hashedrekord): ECDSA P-256/P-384 and RSA PKCS#1 v1.5.
function verifyDigest(S, key, digest, sig, hashName) {
  if (key.asymmetricKeyType === 'ec') {
    const jwk = key.export({ format: 'jwk' });
    const curve = { 'P-256': S.curves.p256, 'P-384': S.curves.p384, 'P-521': S.curves.p521 }[jwk.crv];
    if (!curve) throw rekorError(400, `unsupported curve ${jwk.crv}`);
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    try {
      return curve.verify(sig, digest, point, { prehash: false, lowS: false, format: 'der' });
    } catch {
      return false;
    }
  }
  if (key.asymmetricKeyType === 'rsa') {
    try {
      const info = crypto.publicDecrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, sig);
      return info.equals(Buffer.concat([Buffer.from(DIGEST_INFO[hashName], 'hex'), digest]));
    } catch {
      return false;
    }
  }
  throw rekorError(400, `hashedrekord: unsupported key type ${key.asymmetricKeyType}`);
}

// Parses a PEM certificate or public key as Rekor does, returning the key and Rekor's canonical
// PEM of it (re-encoded, so the stored body matches what verifiers rebuild from the bundle).
function parseVerifier(pemBytes) {
  const text = Buffer.from(pemBytes).toString('utf8');
  try {
    if (text.includes('BEGIN CERTIFICATE')) {
      const cert = new crypto.X509Certificate(text);
      return { key: cert.publicKey, canonical: toPem(cert.raw, 'CERTIFICATE') };
    }
    const key = crypto.createPublicKey(text);
    return { key, canonical: key.export({ type: 'spki', format: 'pem' }).toString() };
  } catch (e) {
    throw rekorError(400, `could not parse public key: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fulcio

function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw fulcioError(401, 'identity token is not a JWT');
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw fulcioError(401, 'identity token payload is not JSON');
  }
}

// Checks the token the way Fulcio does, except the signature (no issuer keys to fetch here).
function checkClaims(claims) {
  const now = Date.now() / 1000;
  if (typeof claims.iss !== 'string' || !claims.iss) throw fulcioError(401, 'identity token has no issuer');
  if (typeof claims.exp !== 'number') throw fulcioError(401, 'identity token has no expiry');
  if (claims.exp < now) throw fulcioError(401, 'identity token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60) throw fulcioError(401, 'identity token is not yet valid');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes('sigstore')) throw fulcioError(401, 'identity token audience is not "sigstore"');
  if (claims.email !== undefined && claims.email_verified === false) {
    throw fulcioError(400, 'email_verified claim is false');
  }
}

// The certificate's identity from the token, as Fulcio chooses it: GitHub Actions → the URI of
// the job's workflow; a token with `email` → an email SAN; a URI `sub` → a URI SAN; anything
// else → an OtherName SAN (Fulcio's "username" identities), OID 1.3.6.1.4.1.57264.1.7.
function identityOf(claims) {
  if (claims.iss === GITHUB_ISSUER) {
    if (!claims.job_workflow_ref) throw fulcioError(400, 'GitHub token has no job_workflow_ref claim');
    return { type: 'uri', value: `${GITHUB_URL}/${claims.job_workflow_ref}` };
  }
  if (typeof claims.email === 'string' && claims.email) return { type: 'email', value: claims.email };
  if (typeof claims.sub !== 'string' || !claims.sub) throw fulcioError(400, 'identity token has no subject');
  if (/^[a-z][a-z0-9+.-]*:/i.test(claims.sub)) return { type: 'uri', value: claims.sub };
  return { type: 'otherName', value: claims.sub };
}

function sanExtension(identity) {
  const ia5 = (tag, v) => new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: tag }, valueHex: Buffer.from(v, 'ascii') });
  let name;
  if (identity.type === 'email') name = ia5(1, identity.value);
  else if (identity.type === 'uri') name = ia5(6, identity.value);
  else {
    name = new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [
        new asn1js.ObjectIdentifier({ value: OID(7) }),
        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Utf8String({ value: identity.value })] }),
      ],
    });
  }
  // Critical, as RFC 5280 requires when the subject is empty (Fulcio's certificates have none).
  return new x509.Extension(OID_SAN, true, new asn1js.Sequence({ value: [name] }).toBER(false));
}

// Fulcio's identity extensions. `.1.1` and `.1.2`–`.1.6` are the deprecated raw-string forms;
// `.1.8` onward are DER UTF8Strings. GitHub's mapping follows Fulcio's (design doc §2.3).
function identityExtensions(claims) {
  const out = [];
  const raw = (n, v) => v !== undefined && v !== null && out.push({ n, der: Buffer.from(String(v), 'utf8') });
  const utf8 = (n, v) =>
    v !== undefined && v !== null && out.push({ n, der: Buffer.from(new asn1js.Utf8String({ value: String(v) }).toBER(false)) });
  raw(1, claims.iss);
  if (claims.iss === GITHUB_ISSUER) {
    const c = claims;
    const gh = (v) => (v === undefined || v === null ? undefined : `${GITHUB_URL}/${v}`);
    raw(2, c.event_name);
    raw(3, c.sha);
    raw(4, c.workflow);
    raw(5, c.repository);
    raw(6, c.ref);
    utf8(8, c.iss);
    utf8(9, gh(c.job_workflow_ref));
    utf8(10, c.job_workflow_sha);
    utf8(11, c.runner_environment);
    utf8(12, gh(c.repository));
    utf8(13, c.sha);
    utf8(14, c.ref);
    utf8(15, c.repository_id);
    utf8(16, gh(c.repository_owner));
    utf8(17, c.repository_owner_id);
    utf8(18, gh(c.workflow_ref));
    utf8(19, c.workflow_sha);
    utf8(20, c.event_name);
    if (c.repository && c.run_id && c.run_attempt) {
      utf8(21, `${GITHUB_URL}/${c.repository}/actions/runs/${c.run_id}/attempts/${c.run_attempt}`);
    }
    utf8(22, c.repository_visibility);
  } else {
    utf8(8, claims.iss);
  }
  return out.map(({ n, der }) => new x509.Extension(OID(n), false, der));
}

// RFC 6962 §3.3: the extension holds an OCTET STRING wrapping a TLS SignedCertificateTimestampList.
// pkijs's SCT serialisation already carries its own 2-byte length.
function sctListExtension(sct) {
  const serialized = Buffer.from(sct);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(serialized.length);
  const list = Buffer.concat([len, serialized]);
  return new x509.Extension(OID_SCT_LIST, false, new asn1js.OctetString({ valueHex: list }).toBER(false));
}

async function issueLeaf(S, spkiDer, identity, claims) {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const tbs = {
    serialNumber: randomSerial(20).toString('hex'),
    issuer: S.intCert.subjectName,
    notBefore: now,
    notAfter: new Date(now.getTime() + CERT_LIFETIME_MS),
    publicKey: spkiDer,
    signingKey: S.intKeys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
      await x509.SubjectKeyIdentifierExtension.create(spkiDer, false, S.wc),
      await x509.AuthorityKeyIdentifierExtension.create(S.intKeys.publicKey, false, S.wc),
      sanExtension(identity),
      ...identityExtensions(claims),
    ],
  };
  // The SCT signs the precertificate's TBS (the final TBS without the SCT list) together with
  // the issuer's key hash; the mock's CT log does the RFC 6962 signing.
  const pre = await x509.X509CertificateGenerator.create(tbs, S.wc);
  const sct = await S.ctlog.log(pre.rawData, sha256(S.intSpki));
  tbs.extensions.push(sctListExtension(sct));
  const leaf = await x509.X509CertificateGenerator.create(tbs, S.wc);
  return Buffer.from(leaf.rawData);
}

function parseSpki(text) {
  const s = String(text || '').trim();
  try {
    const key = s.includes('BEGIN') ? crypto.createPublicKey(s) : crypto.createPublicKey({ key: Buffer.from(s, 'base64'), format: 'der', type: 'spki' });
    return key;
  } catch (e) {
    throw fulcioError(400, `could not parse public key: ${e.message}`);
  }
}

async function parseCsr(field) {
  let text = String(field || '').trim();
  if (!text.includes('BEGIN')) {
    const decoded = Buffer.from(text, 'base64');
    text = decoded.includes('-----BEGIN') ? decoded.toString('utf8') : toPem(decoded, 'CERTIFICATE REQUEST');
  }
  let csr;
  try {
    csr = new x509.Pkcs10CertificateRequest(text);
  } catch (e) {
    throw fulcioError(400, `could not parse certificate signing request: ${e.message}`);
  }
  let ok = false;
  try {
    ok = await csr.verify();
  } catch {
    ok = false;
  }
  if (!ok) throw fulcioError(400, 'certificate signing request signature is invalid');
  return crypto.createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
}

async function fulcio(S, req, body, fault) {
  const refuse = () => fulcioError(401, 'There was an error processing the identity token (fault injected)');
  if (fault === 'fulcio-refuse') throw refuse();
  let json;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw fulcioError(400, 'request body is not JSON');
  }
  const auth = req.headers.authorization || '';
  const bearer = /^bearer\s+(\S+)$/i.exec(auth.trim());
  const token = (json.credentials && json.credentials.oidcIdentityToken) || (bearer && bearer[1]);
  if (!token) throw fulcioError(401, 'no identity token (credentials.oidcIdentityToken or Authorization: Bearer)');
  const claims = decodeJwt(token);
  // A client that resolves the Fulcio path against the host root (sigstore-python's urljoin)
  // loses a /fault/ prefix; such a test can name the fault in the token instead.
  if (!fault && FAULTS.has(claims[FAULT_CLAIM]) && claims[FAULT_CLAIM].startsWith('fulcio-')) fault = claims[FAULT_CLAIM];
  if (fault === 'fulcio-refuse') throw refuse();
  checkClaims(claims);
  let identity = identityOf(claims);

  let key;
  if (json.publicKeyRequest) {
    key = parseSpki(json.publicKeyRequest.publicKey && json.publicKeyRequest.publicKey.content);
    const challenge = typeof claims.email === 'string' && claims.email ? claims.email : claims.sub;
    const proof = Buffer.from(String(json.publicKeyRequest.proofOfPossession || ''), 'base64');
    if (!challenge || !verifyMessage(key, Buffer.from(String(challenge)), proof, keyHash(key))) {
      throw fulcioError(400, 'The client provided an invalid argument: proof of possession over the token subject does not verify');
    }
  } else if (json.certificateSigningRequest) {
    key = await parseCsr(json.certificateSigningRequest);
  } else {
    throw fulcioError(400, 'request has neither publicKeyRequest nor certificateSigningRequest');
  }
  let spki = key.export({ type: 'spki', format: 'der' });

  let extClaims = claims;
  if (fault === 'fulcio-other-identity') {
    identity = { type: 'email', value: OTHER_IDENTITY };
    extClaims = { iss: claims.iss };
  }
  if (fault === 'fulcio-other-key') {
    spki = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
  }
  const leaf = await issueLeaf(S, spki, identity, extClaims);
  return {
    status: 201,
    json: {
      signedCertificateEmbeddedSct: {
        chain: {
          certificates: [toPem(leaf, 'CERTIFICATE'), toPem(S.intCert.rawData, 'CERTIFICATE'), toPem(S.ca.root.rawData, 'CERTIFICATE')],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rekor v1: an append-only RFC 6962 tree in memory

function makeLog(S, hostname) {
  const treeId = (crypto.randomBytes(8).readBigUInt64BE() >> 1n).toString();
  const treeIdHex = BigInt(treeId).toString(16).padStart(16, '0');
  const origin = `${hostname} - ${treeId}`;
  const pubDer = S.tlog.publicKey;
  const logId = sha256(pubDer);
  const leaves = []; // leaf hashes
  const entries = new Map(); // 64-hex leaf hash → entry
  const empty = sha256(Buffer.alloc(0));
  const node = (l, r) => sha256(Buffer.from([1]), l, r);
  const split = (n) => {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  };
  const mth = (lo, hi) => {
    const n = hi - lo;
    if (n === 0) return empty;
    if (n === 1) return leaves[lo];
    const k = split(n);
    return node(mth(lo, lo + k), mth(lo + k, hi));
  };
  const auditPath = (m, lo, hi) => {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = split(n);
    return m - lo < k ? [...auditPath(m, lo, lo + k), mth(lo + k, hi)] : [...auditPath(m, lo + k, hi), mth(lo, lo + k)];
  };
  // A Rekor v1 checkpoint: the note body, a blank line, and one signature line named after the
  // host (Rekor signs as its hostname; the origin line adds the tree id).
  const checkpoint = (size, root) => {
    const text = `${origin}\n${size}\n${b64(root)}\n`;
    const sig = crypto.sign('sha256', Buffer.from(text), S.tlogKeys.privateKey);
    return `${text}\n\u2014 ${hostname} ${b64(Buffer.concat([logId.subarray(0, 4), sig]))}\n`;
  };
  const view = (e, size = leaves.length) => {
    const root = mth(0, size);
    return {
      [treeIdHex + e.uuid]: {
        body: b64(e.body),
        integratedTime: e.integratedTime,
        logID: logId.toString('hex'),
        logIndex: e.index,
        verification: {
          inclusionProof: {
            checkpoint: checkpoint(size, root),
            hashes: auditPath(e.index, 0, size).map((h) => h.toString('hex')),
            logIndex: e.index,
            rootHash: root.toString('hex'),
            treeSize: size,
          },
          signedEntryTimestamp: b64(e.set),
        },
      },
    };
  };
  const append = (body) => {
    const lh = sha256(Buffer.from([0]), body);
    const uuid = lh.toString('hex');
    if (entries.has(uuid)) {
      const err = rekorError(409, `An equivalent entry already exists in the transparency log with UUID ${treeIdHex + uuid}`);
      err.location = `/api/v1/log/entries/${treeIdHex + uuid}`;
      throw err;
    }
    const index = leaves.length;
    const integratedTime = Math.floor(Date.now() / 1000);
    const set = S.tlog.calculateSET({ body, timestamp: integratedTime, logIndex: index, logID: logId });
    leaves.push(lh);
    const e = { uuid, index, body, integratedTime, set };
    entries.set(uuid, e);
    return e;
  };
  // The log is never empty: a few filler leaves (random, not retrievable) come first, as on any
  // real log. Index 0 would otherwise be the first test entry, and proto3 JSON writers (as
  // sigstore-js's) drop a zero logIndex and an empty hashes list, which sigstore-python refuses.
  for (let i = 0; i < FILLER_LEAVES; i++) leaves.push(sha256(Buffer.from([0]), crypto.randomBytes(32)));
  const get = (id) => entries.get(String(id).toLowerCase().slice(-64));
  const info = () => {
    const root = mth(0, leaves.length);
    return { rootHash: root.toString('hex'), treeSize: leaves.length, signedTreeHead: checkpoint(leaves.length, root), treeID: treeId, inactiveShards: [] };
  };
  return { append, view, get, info, logId, pubDer };
}

// DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload.
const PAE = (type, payload) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);

// Turns a proposed entry into the body Rekor stores, checking its signatures as Rekor does.
function canonicalEntry(S, pe) {
  if (!pe || typeof pe !== 'object') throw rekorError(400, 'proposed entry is not an object');
  const spec = pe.spec || {};
  if (pe.kind === 'hashedrekord' && pe.apiVersion === '0.0.1') {
    const hash = (spec.data && spec.data.hash) || {};
    const alg = hash.algorithm || 'sha256';
    const size = { sha256: 32, sha384: 48, sha512: 64 }[alg];
    if (!size) throw rekorError(400, `hashedrekord: unsupported hash algorithm ${alg}`);
    if (typeof hash.value !== 'string' || !/^[0-9a-fA-F]+$/.test(hash.value) || hash.value.length !== size * 2) {
      throw rekorError(400, 'hashedrekord: invalid value for hash');
    }
    const sig = Buffer.from(String((spec.signature && spec.signature.content) || ''), 'base64');
    const keyB64 = spec.signature && spec.signature.publicKey && spec.signature.publicKey.content;
    if (!sig.length || !keyB64) throw rekorError(400, 'hashedrekord: missing signature or public key');
    const { key, canonical } = parseVerifier(Buffer.from(String(keyB64), 'base64'));
    if (!verifyDigest(S, key, Buffer.from(hash.value, 'hex'), sig, alg)) {
      throw rekorError(400, 'hashedrekord: verifying signature: invalid signature when validating ASN.1 encoded signature');
    }
    return {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: alg, value: hash.value } }, signature: { content: b64(sig), publicKey: { content: b64(canonical) } } },
    };
  }
  if (pe.kind === 'dsse' && pe.apiVersion === '0.0.1') {
    const pc = spec.proposedContent;
    if (!pc || typeof pc.envelope !== 'string' || !Array.isArray(pc.verifiers) || !pc.verifiers.length) {
      throw rekorError(400, 'dsse: proposedContent.envelope (string) and proposedContent.verifiers are required');
    }
    let env;
    try {
      env = JSON.parse(pc.envelope);
    } catch {
      throw rekorError(400, 'dsse: envelope is not JSON');
    }
    if (typeof env.payloadType !== 'string' || typeof env.payload !== 'string' || !Array.isArray(env.signatures) || !env.signatures.length) {
      throw rekorError(400, 'dsse: envelope needs payloadType, payload and signatures');
    }
    const payload = Buffer.from(env.payload, 'base64');
    const pae = PAE(env.payloadType, payload);
    const verifiers = pc.verifiers.map((v) => parseVerifier(Buffer.from(String(v), 'base64')));
    const bySig = new Map();
    for (const s of env.signatures) {
      const sigBytes = Buffer.from(String(s.sig || ''), 'base64');
      // Rekor checks DSSE signatures with SHA-256 whatever the key.
      const v = verifiers.find((x) => verifyMessage(x.key, pae, sigBytes, x.key.asymmetricKeyType === 'ed25519' ? null : 'sha256'));
      if (!v) throw rekorError(400, 'dsse: all signatures must have a key that verifies it');
      bySig.set(String(s.sig), v.canonical);
    }
    const signatures = [...bySig.keys()].sort().map((sig) => ({ signature: sig, verifier: b64(bySig.get(sig)) }));
    return {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(pc.envelope, 'utf8')).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures,
      },
    };
  }
  throw rekorError(400, `unsupported entry kind/apiVersion ${pe.kind}/${pe.apiVersion} (hashedrekord and dsse 0.0.1 only)`);
}

// A different but well-formed body: the hash (hashedrekord) or payload hash (dsse) is changed.
function tamper(entry) {
  const flip = (hex) => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
  const e = JSON.parse(JSON.stringify(entry));
  if (e.kind === 'hashedrekord') e.spec.data.hash.value = flip(e.spec.data.hash.value);
  else e.spec.payloadHash.value = flip(e.spec.payloadHash.value);
  return e;
}

function rekorCreate(S, log, body, fault) {
  if (fault === 'rekor-500') throw rekorError(500, 'Internal Server Error (fault injected)');
  let pe;
  try {
    pe = JSON.parse(body.toString('utf8'));
  } catch {
    throw rekorError(400, 'request body is not JSON');
  }
  let entry = canonicalEntry(S, pe);
  if (fault === 'rekor-mismatch') entry = tamper(entry);
  const e = log.append(Buffer.from(canonicalize(entry), 'utf8'));
  const view = log.view(e);
  if (fault === 'rekor-bad-set') {
    const v = Object.values(view)[0];
    const set = Buffer.from(v.verification.signedEntryTimestamp, 'base64');
    // Inside r: the DER stays well-formed, the signature no longer verifies.
    set[6] ^= 0x01;
    v.verification.signedEntryTimestamp = b64(set);
  }
  return { status: 201, json: view, headers: { Location: `/api/v1/log/entries/${Object.keys(view)[0]}` } };
}

// ---------------------------------------------------------------------------------------------
// TSA

async function timestamp(S, req, body) {
  const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    // The mock's own JSON request form ({artifactHash, hashAlgorithm, nonce, certificates}).
    const r = await S.tsaJson.fn(body.toString('utf8'));
    if (r.statusCode >= 300) throw new HttpError(r.statusCode, { code: r.statusCode, message: String(r.response) });
    return { status: 201, raw: r.response, type: 'application/timestamp-reply' };
  }
  // Anything else is read as a DER TimeStampReq (application/timestamp-query).
  let tsq;
  try {
    const asn = asn1js.fromBER(new Uint8Array(body).buffer);
    if (asn.offset === -1) throw new Error(asn.result.error);
    tsq = new pkijs.TimeStampReq({ schema: asn.result });
  } catch (e) {
    throw new HttpError(400, { code: 400, message: `could not parse TimeStampReq: ${e.message}` });
  }
  const algorithmId = tsq.messageImprint.hashAlgorithm.algorithmId;
  const hashed = Buffer.from(tsq.messageImprint.hashedMessage.valueBlock.valueHexView);
  const alg = HASH_OIDS[algorithmId];
  if (!alg || hashed.length !== alg.size) throw new HttpError(400, { code: 400, message: `unsupported message imprint (${algorithmId}, ${hashed.length} bytes)` });
  if (tsq.reqPolicy && tsq.reqPolicy !== OID_TSA_POLICY) {
    throw new HttpError(400, { code: 400, message: `unsupported TSA policy ${tsq.reqPolicy}` });
  }
  const reply = await S.tsa.timestamp({
    artifactHash: hashed,
    hashAlgorithmOID: algorithmId,
    nonceBytes: tsq.nonce ? Buffer.from(tsq.nonce.valueBlock.valueHexView) : null,
    policyOID: OID_TSA_POLICY,
    certReq: tsq.certReq === true,
  });
  return { status: 201, raw: reply, type: 'application/timestamp-reply' };
}

// ---------------------------------------------------------------------------------------------
// OIDC tokens (for tests; Fulcio does not check their signatures)

function jwtSigner() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kid = sha256(publicKey.export({ type: 'spki', format: 'der' })).toString('hex').slice(0, 16);
  return (claims) => {
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ alg: 'ES256', typ: 'JWT', kid })}.${enc(claims)}`;
    const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  };
}

function githubClaims(query) {
  const now = Math.floor(Date.now() / 1000);
  const repo = 'supply-test/app';
  const ref = 'refs/heads/main';
  const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  const claims = {
    jti: crypto.randomUUID(),
    sub: `repo:${repo}:ref:${ref}`,
    aud: query.get('audience') || 'https://github.com/supply-test',
    ref,
    ref_type: 'branch',
    ref_protected: 'true',
    sha,
    repository: repo,
    repository_id: '123456789',
    repository_owner: 'supply-test',
    repository_owner_id: '987654321',
    repository_visibility: 'public',
    run_id: '4242424242',
    run_number: '17',
    run_attempt: '1',
    actor: 'supply-bot',
    actor_id: '55555555',
    workflow: 'Release',
    workflow_ref: `${repo}/.github/workflows/release.yml@${ref}`,
    workflow_sha: sha,
    job_workflow_ref: `${repo}/.github/workflows/release.yml@${ref}`,
    job_workflow_sha: sha,
    event_name: 'push',
    head_ref: '',
    base_ref: '',
    runner_environment: 'github-hosted',
    iss: GITHUB_ISSUER,
    nbf: now - 5,
    iat: now,
    exp: now + 3600,
  };
  // Test conveniences (GitHub has neither): ?<claim>=<value> overrides a string claim, and
  // ?fault=<fulcio fault mode> adds the claim that selects it.
  for (const [k, v] of query) if (k !== 'audience' && typeof claims[k] === 'string') claims[k] = v;
  if (query.has('fault')) claims[FAULT_CLAIM] = query.get('fault');
  return claims;
}

// GET /oidc/token?email=&sub=&iss=&aud=&exp_offset=&fault=: an email-style token for tests
// (email= empty: no email claim, the identity is then `sub`).
function emailClaims(query) {
  const now = Math.floor(Date.now() / 1000);
  const email = query.has('email') ? query.get('email') : 'signer@example.com';
  const claims = {
    iss: query.get('iss') || 'https://oauth2.sigstore.dev/auth',
    sub: query.get('sub') || email || 'signer',
    aud: query.get('aud') || 'sigstore',
    iat: now,
    nbf: now - 5,
    exp: now + Number(query.get('exp_offset') || 3600),
  };
  if (email) Object.assign(claims, { email, email_verified: true });
  if (query.has('fault')) claims[FAULT_CLAIM] = query.get('fault');
  return claims;
}

// ---------------------------------------------------------------------------------------------
// Server

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, { code: 413, message: 'request body too large' }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function trustFiles(S, log, url, startMs) {
  const validFor = { start: isoSeconds(startMs - 2 * 3600 * 1000) };
  const key = (der) => ({ rawBytes: b64(der), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  const ctDer = Buffer.from(S.ctlog.publicKey);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: key(log.pubDer), logId: { keyId: b64(log.logId) } }],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(S.intCert.rawData) }, { rawBytes: b64(S.ca.root.rawData) }] },
        validFor,
      },
    ],
    ctlogs: [{ baseUrl: `${url}/ct`, hashAlgorithm: 'SHA2_256', publicKey: key(ctDer), logId: { keyId: b64(sha256(ctDer)) } }],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: `${url}/api/v1/timestamp`,
        certChain: { certificates: [{ rawBytes: b64(S.tsa.intCertificate) }, { rawBytes: b64(S.tsa.rootCertificate) }] },
        validFor,
      },
    ],
  };
  const svc = (u) => ({ url: u, majorApiVersion: 1, validFor, operator: 'sigstore-mock' });
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [svc(url)],
    oidcUrls: [],
    rekorTlogUrls: [svc(url)],
    tsaUrls: [svc(`${url}/api/v1/timestamp`)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
  const trustConfig = {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot,
    signingConfig,
  };
  return { trustedRoot, signingConfig, trustConfig };
}

async function main() {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node server.js OUTDIR\n');
    process.exit(2);
  }
  const startMs = Date.now();
  const S = await setup();
  const log = makeLog(S, '127.0.0.1');
  const signJwt = jwtSigner();

  const route = async (req, pathname, query, fault) => {
    const m = req.method;
    if (m === 'POST' && pathname === '/api/v2/signingCert') return fulcio(S, req, await readBody(req), fault);
    if (m === 'POST' && pathname === '/api/v1/log/entries') return rekorCreate(S, log, await readBody(req), fault);
    if (m === 'GET' && pathname.startsWith('/api/v1/log/entries/')) {
      const e = log.get(pathname.slice('/api/v1/log/entries/'.length));
      if (!e) throw rekorError(404, 'entry not found');
      return { status: 200, json: log.view(e) };
    }
    if (m === 'GET' && pathname === '/api/v1/log') return { status: 200, json: log.info() };
    if (m === 'GET' && pathname === '/api/v1/log/publicKey') {
      return { status: 200, raw: toPem(log.pubDer, 'PUBLIC KEY'), type: 'application/x-pem-file' };
    }
    if (m === 'POST' && pathname === '/api/v1/timestamp') return timestamp(S, req, await readBody(req));
    if (m === 'GET' && pathname === '/api/v1/timestamp/certchain') {
      return { status: 200, raw: toPem(S.tsa.intCertificate, 'CERTIFICATE') + toPem(S.tsa.rootCertificate, 'CERTIFICATE'), type: 'application/pem-certificate-chain' };
    }
    // GitHub's ACTIONS_ID_TOKEN_REQUEST_URL carries a query already and clients append
    // "&audience=…"; a URL given without one still works (/github/token&audience=…).
    const gh = /^\/github\/token(?:&(.*))?$/.exec(pathname);
    if (gh && gh[1]) for (const [k, v] of new URLSearchParams(gh[1])) query.append(k, v);
    if (m === 'GET' && gh) {
      const auth = String(req.headers.authorization || '').trim();
      if (!/^bearer\s+/i.test(auth) || auth.replace(/^bearer\s+/i, '') !== GHA_REQUEST_TOKEN) {
        throw new HttpError(401, { message: 'Unauthorized' });
      }
      return { status: 200, json: { value: signJwt(githubClaims(query)) } };
    }
    if (m === 'GET' && pathname === '/oidc/token') return { status: 200, json: { value: signJwt(emailClaims(query)) } };
    throw new HttpError(404, { code: 404, message: `no route for ${m} ${pathname}` });
  };

  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    let pathname = u.pathname;
    let fault = null;
    let reply;
    try {
      const fm = /^\/fault\/([^/]+)(\/.*)$/.exec(pathname);
      if (fm) {
        if (!FAULTS.has(fm[1])) throw new HttpError(404, { code: 404, message: `unknown fault mode ${fm[1]}` });
        fault = fm[1];
        pathname = fm[2];
      }
      reply = await route(req, pathname, u.searchParams, fault);
    } catch (e) {
      if (!(e instanceof HttpError)) {
        process.stderr.write(`sigstore-mock: internal error: ${e && e.stack}\n`);
        e = new HttpError(500, { code: 500, message: String(e && e.message) });
      }
      reply = { status: e.status, json: e.body, headers: e.location ? { Location: e.location } : undefined };
    }
    const headers = { ...(reply.headers || {}) };
    let payload;
    if (reply.json !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.json));
      headers['Content-Type'] = 'application/json';
    } else {
      payload = Buffer.from(reply.raw);
      headers['Content-Type'] = reply.type;
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(reply.status, headers);
    res.end(payload);
    // Path only: the query may carry claims and the headers carry tokens.
    process.stderr.write(`${req.method} ${u.pathname.replace(/&.*$/, '')} ${reply.status}\n`);
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const files = trustFiles(S, log, url, startMs);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'trusted_root.json'), JSON.stringify(files.trustedRoot, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'signing_config.json'), JSON.stringify(files.signingConfig, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'trust_config.json'), JSON.stringify(files.trustConfig, null, 2) + '\n');
  process.stdout.write(JSON.stringify({ url }) + '\n');

  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.SIGSTORE_MOCK_IGNORE_STDIN !== '1') {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

main().catch((e) => {
  process.stderr.write(`sigstore-mock: ${e && e.stack}\n`);
  process.exit(1);
});
