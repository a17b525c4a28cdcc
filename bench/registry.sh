#!/usr/bin/env bash
# Registry round trips and whole-command time of `supply digest`, `tree` and `verify` on a cold
# cache, against a local CNCF distribution registry with an image built by umoci and pushed by
# skopeo. Prints one table. Usage: bench/registry.sh  (RUNS=20 by default; SUPPLY_BIN to choose)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
SUPPLY=${SUPPLY_BIN:-$ROOT/target/release/supply}
if [[ -z ${SUPPLY_BIN:-} ]]; then (cd "$ROOT" && cargo build --release --locked -p supply-cli); fi
for tool in docker-registry skopeo umoci perf; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y ${tool/perf/linux-perf}" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'kill "$registry_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
bash "$ROOT/testdata/oci/make-image.sh" "$work/layout" v1 >/dev/null
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$work/layout:v1" "docker://127.0.0.1:$port/bench/app:v1"
image=127.0.0.1:$port/bench/app:v1
(cd "$work" && COSIGN_PASSWORD=bench "$SUPPLY" generate-key-pair >/dev/null 2>&1)
COSIGN_PASSWORD=bench "$SUPPLY" sign --key "$work/cosign.key" "$image" >/dev/null

printf '| command | round trips (cold) | mean wall ms over %s runs |\n|---|---|---|\n' "$RUNS"
measure() {
  local name=$1; shift
  local trips wall
  trips=$("$SUPPLY" "$@" --show-round-trips 2>&1 >/dev/null | sed -n 's/^registry round trips: //p')
  wall=$(perf stat -r "$RUNS" "$SUPPLY" "$@" 2>&1 >/dev/null | awk '/seconds time elapsed/ {printf "%.1f", $1 * 1000}')
  printf '| %s | %s | %s |\n' "$name" "$trips" "$wall"
}
measure "supply digest" digest "$image"
measure "supply tree" tree "$image"
measure "supply verify" verify --key "$work/cosign.pub" "$image"

# sigstore-rs verifying the same signature (tests/sigstore-interop/examples/verify.rs).
interop="$ROOT/tests/sigstore-interop"
(cd "$interop" && cargo build --release --locked --example verify -q)
digest=$("$SUPPLY" digest "$image")
sigstore_verify=("$interop/target/release/examples/verify" "127.0.0.1:$port" bench/app "$digest" "$work/cosign.pub")
"${sigstore_verify[@]}" >/dev/null
wall=$(perf stat -r "$RUNS" "${sigstore_verify[@]}" 2>&1 >/dev/null | awk '/seconds time elapsed/ {printf "%.1f", $1 * 1000}')
printf '| sigstore-rs verify (same image) | – | %s |\n' "$wall"
