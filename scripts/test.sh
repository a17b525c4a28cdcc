#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs every test
# (unit, property, end-to-end, doc). `.ci/run` calls this after the format and lint gates.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests call. Nothing yet beyond the Rust toolchain; the registry tests (issue 3)
# add docker-registry, apache2-utils, skopeo and umoci here.
need_apt=()
if ((${#need_apt[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# One closing line over all test binaries (cargo's own last line is often an empty doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
