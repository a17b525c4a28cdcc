#!/usr/bin/env bash
# Evidence that the loopback Sigstore mock speaks the protocols the way independent clients
# expect: sigstore-python and sigstore-js sign against it and verify each other's bundles (and
# refuse the wrong identity and the injected faults), openssl reads its certificates and
# timestamps, and protocol.py checks the wire formats against the specifications. Not part of
# CI (yet). Usage: tests/sigstore-mock/check/run.sh
# Installs sigstore-python and sigstore-js under CHECK_HOME (default /tmp/sigstore-mock-check)
# and the mock's own node_modules with npm ci. Closes with 'N passed, N failed'.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mockdir=$(dirname "$here")
home=${CHECK_HOME:-/tmp/sigstore-mock-check}
SP_VERSION=4.5.1
SJS_VERSION=5.0.1
py=$home/venv/bin/python
export SIGSTORE_JS_DIR=$home/sigstore-js

[[ -d $mockdir/node_modules/@sigstore/mock ]] || npm ci --prefix "$mockdir" --no-audit --no-fund
if ! "$py" -c "import sys, sigstore; sys.exit(sigstore.__version__ != '$SP_VERSION')" 2>/dev/null; then
  python3 -m venv "$home/venv"
  "$home/venv/bin/pip" install -q --disable-pip-version-check "sigstore==$SP_VERSION"
fi
if [[ $(node -p "require('$SIGSTORE_JS_DIR/node_modules/sigstore/package.json').version" 2>/dev/null) != "$SJS_VERSION" ]]; then
  mkdir -p "$SIGSTORE_JS_DIR"
  [[ -f $SIGSTORE_JS_DIR/package.json ]] || echo '{"private": true}' >"$SIGSTORE_JS_DIR/package.json"
  npm install --prefix "$SIGSTORE_JS_DIR" --no-audit --no-fund --loglevel=error "sigstore@$SJS_VERSION" >/dev/null
fi

# The server lives as long as its stdin: a fifo held open on fd 3 here, closed at the end.
work=$(mktemp -d)
mkfifo "$work/stdin"
node "$mockdir/server.js" "$work/out" <"$work/stdin" >"$work/url" 2>"$work/server.log" &
server=$!
exec 3>"$work/stdin"
trap 'exec 3>&-; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s $work/url ]] && break; sleep 0.1; done
url=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$work/url")
echo "mock at $url (files in $work/out)"
cd "$work"

pass=0 fail=0
# expect ok|refuse NAME CMD...: passes when CMD succeeds (ok) or fails (refuse); shows its
# output when it does not.
expect() {
  local want=$1 name=$2 rc=0
  shift 2
  "$@" >"$work/last.log" 2>&1 || rc=$?
  if { [[ $want == ok ]] && ((rc == 0)); } || { [[ $want == refuse ]] && ((rc != 0)); }; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name (exit $rc, wanted $want)"
    tail -20 "$work/last.log" | sed 's/^/     /'
  fi
}
value() { "$py" -c 'import json, sys; print(json.load(sys.stdin)["value"])'; }
tok() { curl -fsS "$url/oidc/token?$1" | value; }
ghtok() { curl -fsS -H 'Authorization: bearer gha-request-token' "$url/github/token?audience=sigstore${1:-}" | value; }
sp() { "$py" -m sigstore --trust-config "$@"; }
sjs() { node "$here/sigstore-js.js" "$@"; }
# trust_config FILE BASE: the mock's client trust config with every service under BASE.
trust_config() {
  "$py" - "$work/out/trust_config.json" "$2" >"$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); base = sys.argv[2]; sc = c["signingConfig"]
sc["caUrls"][0]["url"] = sc["rekorTlogUrls"][0]["url"] = base
sc["tsaUrls"][0]["url"] = base + "/api/v1/timestamp"
print(json.dumps(c))
PY
}
# der_of BUNDLE OUT: the leaf certificate of a bundle, DER.
der_of() { "$py" -c 'import base64, json, sys; open(sys.argv[2], "wb").write(base64.b64decode(json.load(open(sys.argv[1]))["verificationMaterial"]["certificate"]["rawBytes"]))' "$1" "$2"; }
# pems_of INDEXES...: certificates of the trusted root as PEM files (ca0.pem ca1.pem tsa0.pem tsa1.pem).
"$py" - "$work/out/trusted_root.json" <<'PY'
import base64, json, sys, textwrap
r = json.load(open(sys.argv[1]))
for tag, group in (("ca", r["certificateAuthorities"][0]), ("tsa", r["timestampAuthorities"][0])):
    for i, c in enumerate(group["certChain"]["certificates"]):
        body = "\n".join(textwrap.wrap(c["rawBytes"], 64))
        open(f"{tag}{i}.pem", "w").write(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
PY

tc=$work/out/trust_config.json
root=$work/out/trusted_root.json
EISS=https://oauth2.sigstore.dev/auth
GISS=https://token.actions.githubusercontent.com
GID=https://github.com/supply-test/app/.github/workflows/release.yml@refs/heads/main
SHA=a1b2c3d4e5f60718293a4b5c6d7e8f9012345678
echo "hello from supply" >a.txt
echo "something else" >b.txt
digest=$(sha256sum a.txt | cut -d' ' -f1)

echo "--- sigstore-python $SP_VERSION"
expect ok "sign, email token" sp "$tc" sign --identity-token "$(tok email=alice@example.com)" --bundle py.sigstore.json a.txt
expect ok "verify identity --offline (alice@example.com)" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer "$EISS" --bundle py.sigstore.json a.txt
expect refuse "verify refuses another identity" sp "$tc" verify identity --offline --cert-identity bob@example.com --cert-oidc-issuer "$EISS" --bundle py.sigstore.json a.txt
expect refuse "verify refuses another issuer" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer https://accounts.google.com --bundle py.sigstore.json a.txt
expect refuse "verify refuses another artifact" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer "$EISS" --bundle py.sigstore.json b.txt
expect ok "sign, GitHub Actions token from /github/token" sp "$tc" sign --identity-token "$(ghtok)" --bundle gh.sigstore.json a.txt
expect ok "verify identity, workflow URI" sp "$tc" verify identity --offline --cert-identity "$GID" --cert-oidc-issuer "$GISS" --bundle gh.sigstore.json a.txt
expect ok "verify github (trigger, sha, name, repository, ref)" sp "$tc" verify github --offline --cert-identity "$GID" --trigger push --sha "$SHA" --name Release --repository supply-test/app --ref refs/heads/main --bundle gh.sigstore.json a.txt
expect refuse "verify github refuses another repository" sp "$tc" verify github --offline --cert-identity "$GID" --repository other/app --bundle gh.sigstore.json a.txt
expect refuse "verify refuses another workflow" sp "$tc" verify identity --offline --cert-identity "${GID/release.yml/ci.yml}" --cert-oidc-issuer "$GISS" --bundle gh.sigstore.json a.txt
echo '{"buildDefinition":{"buildType":"https://example.com/bt","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}' >pred.json
expect ok "attest (DSSE, SLSA predicate), GitHub token" sp "$tc" attest --identity-token "$(ghtok)" --predicate-type https://slsa.dev/provenance/v1 --predicate pred.json --bundle ghd.sigstore.json a.txt
expect ok "verify the DSSE bundle" sp "$tc" verify identity --offline --cert-identity "$GID" --cert-oidc-issuer "$GISS" --bundle ghd.sigstore.json a.txt

echo "--- sigstore-js $SJS_VERSION"
expect ok "sign, email token" sjs sign "$url" "$(tok email=carol@example.com)" a.txt js.sigstore.json
expect ok "verify its own bundle" sjs verify "$root" js.sigstore.json a.txt carol@example.com "$EISS"
expect refuse "verify refuses another identity" sjs verify "$root" js.sigstore.json a.txt alice@example.com "$EISS"
expect ok "verify sigstore-python's bundle" sjs verify "$root" py.sigstore.json a.txt alice@example.com "$EISS"
expect refuse "verify sigstore-python's bundle, another artifact" sjs verify "$root" py.sigstore.json b.txt alice@example.com "$EISS"
expect ok "sigstore-python verifies sigstore-js's bundle" sp "$tc" verify identity --offline --cert-identity carol@example.com --cert-oidc-issuer "$EISS" --bundle js.sigstore.json a.txt
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"%s"}}],"predicateType":"https://example.com/p/v1","predicate":{}}' "$digest" >stmt.json
expect ok "attest (DSSE, Rekor dsse entry)" sjs attest "$url" "$(tok email=carol@example.com)" stmt.json jsd.sigstore.json
expect ok "verify its own DSSE bundle" sjs verify "$root" jsd.sigstore.json stmt.json carol@example.com "$EISS"
expect ok "sigstore-python verifies sigstore-js's DSSE bundle" sp "$tc" verify identity --offline --cert-identity carol@example.com --cert-oidc-issuer "$EISS" --bundle jsd.sigstore.json a.txt
"$py" -c 'import base64, json, sys; open("ghd.payload", "wb").write(base64.b64decode(json.load(open("ghd.sigstore.json"))["dsseEnvelope"]["payload"]))'
expect ok "verify sigstore-python's GitHub DSSE bundle with extension values (.1.12, .1.14, .1.11)" sjs verify "$root" ghd.sigstore.json ghd.payload "$GID" "$GISS" 1.3.6.1.4.1.57264.1.12=https://github.com/supply-test/app 1.3.6.1.4.1.57264.1.14=refs/heads/main 1.3.6.1.4.1.57264.1.11=github-hosted
expect refuse "... refuses another source repository" sjs verify "$root" ghd.sigstore.json ghd.payload "$GID" "$GISS" 1.3.6.1.4.1.57264.1.12=https://github.com/other/app

echo "--- openssl"
der_of gh.sigstore.json gh.der
openssl x509 -inform der -in gh.der -noout -text >gh.txt
has_github_extensions() {
  grep -q "URI:$GID" gh.txt || return 1
  grep -q "CT Precertificate SCTs" gh.txt || return 1
  grep -q "Code Signing" gh.txt || return 1
  for n in 1 2 3 4 5 6 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do grep -q "1.3.6.1.4.1.57264.1.$n:" gh.txt || { echo "missing .1.$n"; return 1; }; done
}
expect ok "x509 -text of the GitHub leaf: URI SAN, EKU, SCT, .1.1-.1.6 and .1.8-.1.22" has_github_extensions
openssl x509 -inform der -in gh.der -out gh.pem
expect ok "verify the leaf against the trusted root's chain" openssl verify -CAfile ca1.pem -untrusted ca0.pem gh.pem
openssl ts -query -data a.txt -sha256 -cert -out q.tsq 2>/dev/null
expect ok "POST an openssl TimeStampReq (application/timestamp-query)" curl -fsS -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq -o r.tsr "$url/api/v1/timestamp"
expect ok "ts -reply -in parses the reply" openssl ts -reply -in r.tsr -text
expect ok "ts -verify: imprint, nonce and signature against the trusted root's TSA chain" openssl ts -verify -in r.tsr -queryfile q.tsq -CAfile tsa1.pem -untrusted tsa0.pem
"$py" -c 'import base64, json; open("py.tst", "wb").write(base64.b64decode(json.load(open("py.sigstore.json"))["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]))'
expect ok "ts -reply -in parses the timestamp in sigstore-python's bundle" openssl ts -reply -in py.tst -text

echo "--- faults (sigstore-python and sigstore-js)"
# sigstore-python resolves the Fulcio path against the host root, dropping a /fault/ prefix,
# so its Fulcio faults are named in the token; Rekor faults go by the prefix.
expect refuse "fulcio-refuse: sigstore-python sign fails" sp "$tc" sign --identity-token "$(tok 'email=alice@example.com&fault=fulcio-refuse')" --bundle f1.sigstore.json a.txt
expect refuse "fulcio-refuse: sigstore-js sign fails (prefix)" sjs sign "$url/fault/fulcio-refuse" "$(tok email=alice@example.com)" a.txt f1js.sigstore.json
expect ok "fulcio-other-identity: sigstore-python sign succeeds" sp "$tc" sign --identity-token "$(tok 'email=alice@example.com&fault=fulcio-other-identity')" --bundle f2.sigstore.json a.txt
expect refuse "fulcio-other-identity: verify as alice refuses" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer "$EISS" --bundle f2.sigstore.json a.txt
expect ok "fulcio-other-identity: the bundle is someone-else@example.com's" sp "$tc" verify identity --offline --cert-identity someone-else@example.com --cert-oidc-issuer "$EISS" --bundle f2.sigstore.json a.txt
expect refuse "fulcio-other-key: sigstore-python sign fails" sp "$tc" sign --identity-token "$(tok 'email=alice@example.com&fault=fulcio-other-key')" --bundle f3.sigstore.json a.txt
expect refuse "fulcio-other-key: sigstore-js sign fails (prefix)" sjs sign "$url/fault/fulcio-other-key" "$(tok email=alice@example.com)" a.txt f3js.sigstore.json
trust_config tc-mismatch.json "$url/fault/rekor-mismatch"
expect ok "rekor-mismatch: sigstore-python sign succeeds" sp tc-mismatch.json sign --identity-token "$(tok email=alice@example.com)" --bundle f4.sigstore.json a.txt
expect refuse "rekor-mismatch: sigstore-python verify refuses" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer "$EISS" --bundle f4.sigstore.json a.txt
expect refuse "rekor-mismatch: sigstore-js verify refuses" sjs verify "$root" f4.sigstore.json a.txt alice@example.com "$EISS"
trust_config tc-badset.json "$url/fault/rekor-bad-set"
expect ok "rekor-bad-set: sigstore-python sign succeeds" sp tc-badset.json sign --identity-token "$(tok email=alice@example.com)" --bundle f5.sigstore.json a.txt
expect refuse "rekor-bad-set: sigstore-python verify refuses" sp "$tc" verify identity --offline --cert-identity alice@example.com --cert-oidc-issuer "$EISS" --bundle f5.sigstore.json a.txt
expect refuse "rekor-bad-set: sigstore-js verify refuses" sjs verify "$root" f5.sigstore.json a.txt alice@example.com "$EISS"
trust_config tc-500.json "$url/fault/rekor-500"
expect refuse "rekor-500: sigstore-python sign fails" sp tc-500.json sign --identity-token "$(tok email=alice@example.com)" --bundle f6.sigstore.json a.txt
expect refuse "rekor-500: sigstore-js sign fails" sjs sign "$url/fault/rekor-500" "$(tok email=alice@example.com)" a.txt f6js.sigstore.json
expect refuse "expired token: sigstore-js sign fails" sjs sign "$url" "$(tok 'email=alice@example.com&exp_offset=-60')" a.txt f7js.sigstore.json

echo "--- wire formats (protocol.py)"
rc=0
"$py" "$here/protocol.py" "$url" "$work/out" >protocol.log 2>&1 || rc=$?
grep -v '^ok ' protocol.log || true
p=$(sed -n 's/^protocol: \([0-9]*\) passed, [0-9]* failed$/\1/p' protocol.log)
f=$(sed -n 's/^protocol: [0-9]* passed, \([0-9]*\) failed$/\1/p' protocol.log)
pass=$((pass + ${p:-0}))
fail=$((fail + ${f:-0}))
if ((rc != 0 && ${f:-0} == 0)); then
  fail=$((fail + 1))
  echo "FAIL protocol.py exited $rc"
fi

echo "--- server"
no_tokens_logged() { ! grep -q 'eyJ' "$work/server.log"; }
expect ok "the request log never shows a token" no_tokens_logged
exec 3>&-
stopped() { for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
expect ok "the server exits when its stdin closes" stopped

echo "check: $pass passed, $fail failed"
((fail == 0))
