#!/usr/bin/env node
// sigstore-js (npm `sigstore`, with its @sigstore/verify and @sigstore/bundle) against the mock.
// SIGSTORE_JS_DIR names the folder whose node_modules holds them (run.sh installs it in /tmp).
//   sign   URL TOKEN FILE OUT          message-signature bundle (Fulcio + Rekor hashedrekord + TSA)
//   attest URL TOKEN FILE OUT          DSSE bundle over FILE as an in-toto payload (Rekor dsse)
//   verify TRUSTED_ROOT BUNDLE FILE SAN ISSUER [OID=VALUE...]
//          offline verification against the trusted root file; FILE is the artifact for a
//          message signature and the payload for DSSE; each OID=VALUE must be in the
//          certificate (Fulcio's .1.8+ compared as DER UTF8String). Exit 0 on success, 1 on refusal.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const dir = process.env.SIGSTORE_JS_DIR;
if (!dir) {
  console.error('SIGSTORE_JS_DIR is not set');
  process.exit(2);
}
const need = createRequire(path.join(path.resolve(dir), 'package.json'));
const sigstore = need('sigstore');

async function main() {
  const [cmd, ...a] = process.argv.slice(2);
  if (cmd === 'sign' || cmd === 'attest') {
    const [url, token, file, out] = a;
    const opts = { fulcioURL: url, rekorURL: url, tsaServerURL: url, identityToken: token, retry: 0 };
    const data = fs.readFileSync(file);
    const bundle = cmd === 'sign' ? await sigstore.sign(data, opts) : await sigstore.attest(data, 'application/vnd.in-toto+json', opts);
    fs.writeFileSync(out, JSON.stringify(bundle, null, 2));
    console.log(`sigstore-js: ${cmd} wrote ${out}`);
    return 0;
  }
  if (cmd === 'verify') {
    const [rootFile, bundleFile, file, san, issuer, ...oids] = a;
    const { Verifier, toSignedEntity, toTrustMaterial } = need('@sigstore/verify');
    const { bundleFromJSON } = need('@sigstore/bundle');
    const { TrustedRoot } = need('@sigstore/protobuf-specs');
    const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootFile, 'utf8'))));
    const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundleFile, 'utf8')));
    const isDsse = bundle.content.$case === 'dsseEnvelope';
    const entity = toSignedEntity(bundle, isDsse ? undefined : fs.readFileSync(file));
    if (isDsse && file) {
      const payload = Buffer.from(bundle.content.dsseEnvelope.payload);
      if (!payload.equals(fs.readFileSync(file))) throw new Error('DSSE payload differs from FILE');
    }
    const policy = { subjectAlternativeName: san, extensions: { issuer } };
    if (oids.length) {
      // sigstore-js compares the raw extension value: Fulcio's .1.8 and later hold a DER
      // UTF8String, the deprecated .1.1-.1.6 the bare string.
      const utf8 = (v) => {
        const b = Buffer.from(v);
        const len = b.length < 128 ? Buffer.from([b.length]) : Buffer.from([0x81, b.length]);
        return Buffer.concat([Buffer.from([0x0c]), len, b]);
      };
      policy.oids = oids.map((kv) => {
        const [oid, value] = kv.split(/=(.*)/s);
        const m = /^1\.3\.6\.1\.4\.1\.57264\.1\.(\d+)$/.exec(oid);
        return { oid: { id: oid.split('.').map(Number) }, value: m && Number(m[1]) >= 8 ? utf8(value) : Buffer.from(value) };
      });
    }
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    const signer = verifier.verify(entity, policy);
    console.log(`sigstore-js: verified ${bundleFile} (SAN ${signer.identity && signer.identity.subjectAlternativeName})`);
    return 0;
  }
  console.error('usage: sigstore-js.js sign|attest URL TOKEN FILE OUT | verify ROOT BUNDLE FILE SAN ISSUER [OID=VALUE...]');
  return 2;
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    console.error(`sigstore-js: ${e.code ? e.code + ': ' : ''}${e.message}${e.cause ? ` (cause: ${e.cause.message})` : ''}`);
    process.exit(1);
  },
);
