#!/usr/bin/env bash
# supply's own container image, built without a Docker daemon, then put through exactly what
# the GitHub Action does after a push: an SBOM attestation, SLSA provenance attested, a
# signature, and the verification gate (signature, then provenance against a policy).
#
#   scripts/release-image.sh IMAGE            e.g. 127.0.0.1:5000/supply/supply:0.1.0
#
# The image: the `supply` binary with the few shared libraries it links (glibc, libgcc_s: what
# `ldd` lists) and the CA bundle, on an empty base; user 65532, no shell, no package manager.
# Assembled with umoci (as testdata/oci/make-image.sh does), pushed with skopeo.
#
# Environment:
#   SUPPLY_BIN          the binary to ship and run (default: target/release/supply, built here
#                       unless SUPPLY_SKIP_BUILD=1)
#   SIGN_ARGS           how to sign: "--key cosign.key" (COSIGN_PASSWORD set) or keyless flags
#                       (default: keyless, as in CI)
#   VERIFY_ARGS         who must have signed: "--key cosign.pub" or
#                       "--certificate-identity … --certificate-oidc-issuer …"
#   SKOPEO_DEST_ARGS    extra skopeo flags (e.g. --dest-tls-verify=false for a loopback registry)
#   OUT                 where the OCI layout, SBOM, provenance and policy go (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."

image=${1:?usage: scripts/release-image.sh IMAGE}
bin=${SUPPLY_BIN:-$PWD/target/release/supply}
if [[ -z "${SUPPLY_BIN:-}" && "${SUPPLY_SKIP_BUILD:-}" != 1 ]]; then
    cargo build --release --locked -p supply-cli
fi
for tool in umoci skopeo ldd; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y ${tool/ldd/libc-bin}" >&2; exit 2; }
done
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
read -r -a sign_args <<<"${SIGN_ARGS:-}"
read -r -a verify_args <<<"${VERIFY_ARGS:-}"
read -r -a skopeo_args <<<"${SKOPEO_DEST_ARGS:-}"
version=$("$bin" --version | awk '{print $2}')

# 1. The root filesystem.
layout=$out/layout
bundle=$out/bundle
rm -rf "$layout" "$bundle"
created=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
rootless=()
[[ $(id -u) -eq 0 ]] || rootless=(--rootless)
{
    umoci init --layout "$layout"
    umoci new --image "$layout:$version"
    umoci config --image "$layout:$version" --no-history --created "$created" --os linux --architecture amd64 \
        --config.user 65532:65532 --config.workingdir / \
        --config.entrypoint /usr/local/bin/supply \
        --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        --config.label org.opencontainers.image.title=supply \
        --config.label "org.opencontainers.image.version=$version" \
        --config.label org.opencontainers.image.licenses=Apache-2.0
    umoci unpack "${rootless[@]}" --image "$layout:$version" "$bundle"
} >&2
root=$bundle/rootfs
install -D -m 0755 "$bin" "$root/usr/local/bin/supply"
# The libraries the binary links, at the paths the dynamic loader looks in.
ldd "$bin" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
install -d -m 1777 "$root/tmp"
install -d -m 0755 -o 65532 -g 65532 "$root/home/nonroot" 2>/dev/null || install -d -m 0755 "$root/home/nonroot"
umoci repack --image "$layout:$version" --history.created "$created" --history.created_by "scripts/release-image.sh" "$bundle" >&2
umoci gc --layout "$layout" >&2

# 2. Push, and from here on work on the digest (as the Action does with build-push-action's).
skopeo copy --preserve-digests "${skopeo_args[@]}" "oci:$layout:$version" "docker://$image" >&2
digest=$("$bin" digest "$image")
pinned="${image%:*}@$digest"
echo "pushed $pinned" >&2

# 3. What the Action runs.
# Their reports go to stderr: this script's stdout is the pinned reference alone.
"$bin" sbom . -o "$out/sbom.cdx.json" --attest "$pinned" "${sign_args[@]}" >&2
builder=(--builder-id "https://github.com/supply-chain/supply/scripts/release-image.sh"
         --source-uri "git+https://github.com/supply-chain/supply"
         --source-commit "$(git rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)")
[[ -n "${GITHUB_ACTIONS:-}${GITLAB_CI:-}" ]] && builder=()
"$bin" provenance --subject "$pinned" -o "$out/provenance.json" "${builder[@]}"
"$bin" attest --type slsaprovenance1 --predicate "$out/provenance.json" "${sign_args[@]}" "$pinned" >&2
"$bin" sign "${sign_args[@]}" "$pinned" >&2

# 4. The gate.
"$bin" verify "${verify_args[@]}" "$pinned" >/dev/null
builder_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["predicate"]["runDetails"]["builder"]["id"])' "$out/provenance.json")
printf '[provenance]\nbuilder-id = "%s"\n' "$builder_id" >"$out/policy.toml"
"$bin" verify-attestation --type slsaprovenance1 --policy "$out/policy.toml" "${verify_args[@]}" "$pinned" >/dev/null
printf '[sbom]\nrequire-valid = true\n' >"$out/sbom-policy.toml"
"$bin" verify-attestation --type cyclonedx --policy "$out/sbom-policy.toml" "${verify_args[@]}" "$pinned" >/dev/null
echo "$pinned"
