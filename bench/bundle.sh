#!/usr/bin/env bash
# Whole-process offline Sigstore bundle verification: `supply verify-bundle` against sigstore-python
# (`python -m sigstore verify identity --offline`) on the same bundles, artifacts and trusted roots,
# in one run. Prints one table: median wall ms per bundle for each tool and the ratio
# sigstore-python / supply. Usage: bench/bundle.sh  (RUNS=20 by default; SUPPLY_BIN to choose;
# SIGSTORE_PYTHON_VERSION to pin another sigstore-python; BENCH_TIMER=loop to skip hyperfine)
set -euo pipefail
shopt -s inherit_errexit  # a failed run inside $(median_ms ...) must stop the script
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
SUPPLY=${SUPPLY_BIN:-$ROOT/target/release/supply}
SP_VERSION=${SIGSTORE_PYTHON_VERSION:-4.5.1}
VENV=$ROOT/target/bench-sigstore-python
PY=$VENV/bin/python

# Setup needs the network (cargo, pip); the timed part then re-runs this script in a network
# namespace of its own, so "offline" is enforced rather than taken on trust.
if [[ -z ${BUNDLE_BENCH_NETNS:-} ]]; then
  if [[ -z ${SUPPLY_BIN:-} ]]; then (cd "$ROOT" && cargo build --release --locked -p supply-cli); fi
  if ! "$PY" -c "import sys, sigstore; sys.exit(sigstore.__version__ != '$SP_VERSION')" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "sigstore==$SP_VERSION" >&2
  fi
  if unshare -n true 2>/dev/null; then BUNDLE_BENCH_NETNS=1 exec unshare -n "$0" "$@"; fi
  echo "unshare -n unavailable: the runs keep the network (both tools are offline by their flags)" >&2
fi
if [[ ${BENCH_TIMER:-} != loop ]] && ! command -v hyperfine >/dev/null; then
  echo "hyperfine missing (apt-get install -y hyperfine): falling back to a bash timing loop" >&2
  BENCH_TIMER=loop
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

S=$ROOT/testdata/sigstore
ISS=https://token.actions.githubusercontent.com
CONF_ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
JS_ID=https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main
# name|bundle|artifact|trusted root|identity
cases=()
for c in happy-path-v0.1 happy-path-v0.2 happy-path-v0.3 happy-path-intoto-in-dsse-v3; do
  cases+=("conformance/$c|$S/conformance/$c/bundle.sigstore.json|$S/conformance/a.txt|$S/trusted_root_pgi.json|$CONF_ID")
done
cases+=("github/sigstore-js-2.1.0|$S/github/sigstore-js-2.1.0-bundle.json|$S/github/sigstore-js-2.1.0.tgz|$S/github/trusted_root.json|$JS_ID")

# sigstore-python takes the trusted root only inside a ClientTrustConfig, which must also hold a
# signing config it accepts (it insists on one Fulcio and one Rekor URL with an operator); offline
# verification never contacts them.
trust_config() {
  "$PY" - "$1" <<'PY'
import json, sys
svc = lambda url, start: {"url": url, "majorApiVersion": 1, "validFor": {"start": start}, "operator": "sigstore.dev"}
print(json.dumps({
    "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
    "trustedRoot": json.load(open(sys.argv[1])),
    "signingConfig": {
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [svc("https://fulcio.sigstore.dev", "2022-04-13T20:06:15Z")],
        "rekorTlogUrls": [svc("https://rekor.sigstore.dev", "2021-01-12T11:53:27Z")],
        "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"},
    },
}))
PY
}
supply_cmd() { cmd=("$SUPPLY" verify-bundle --bundle "$1" --certificate-identity "$4" --certificate-oidc-issuer "$ISS" --trusted-root "$3" "$2"); }
python_cmd() { cmd=("$PY" -m sigstore --trust-config "$3" verify identity --offline --bundle "$1" --cert-identity "$4" --cert-oidc-issuer "$ISS" "$2"); }

# median_ms CMD...: median wall time of RUNS runs, in ms. hyperfine -N spawns without a shell;
# the loop reads $EPOCHREALTIME (no fork, unlike `date +%s%N`, which would add ~1 ms per sample).
median_ms() {
  if [[ ${BENCH_TIMER:-} != loop ]]; then
    hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/h.json" -- "$(printf '%q ' "$@")" >&2
    "$PY" -c 'import json, sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$work/h.json"
    return
  fi
  local i t0 t1 samples=()
  "$@" >/dev/null 2>&1; "$@" >/dev/null 2>&1
  for i in $(seq "$RUNS"); do
    t0=${EPOCHREALTIME/./}; "$@" >/dev/null 2>&1; t1=${EPOCHREALTIME/./}
    samples+=($((10#$t1 - 10#$t0)))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f\n", m / 1000}'
}

timer="hyperfine $(hyperfine --version 2>/dev/null | cut -d' ' -f2), median of $RUNS runs after 2 warm-ups"
[[ ${BENCH_TIMER:-} != loop ]] || timer="bash loop, median of $RUNS runs after 2 warm-ups"
echo "supply: $("$SUPPLY" --version) ($SUPPLY); sigstore-python $("$PY" -c 'import sigstore; print(sigstore.__version__)') ($VENV); $timer; network: $([[ -n ${BUNDLE_BENCH_NETNS:-} ]] && echo 'none (unshare -n)' || echo kept)"

# Both tools must accept every bundle and refuse a wrong identity before any number counts.
compared=() notes=() refused_s=0 refused_p=0 n_p=0
for c in "${cases[@]}"; do
  IFS='|' read -r name bundle artifact root id <<<"$c"
  trust_config "$root" >"$work/${name//\//_}.trust.json"
  supply_cmd "$bundle" "$artifact" "$root" "$id"
  "${cmd[@]}" >/dev/null 2>"$work/err" || { echo "supply rejects $name:" >&2; cat "$work/err" >&2; exit 1; }
  supply_cmd "$bundle" "$artifact" "$root" https://example.com/wrong-identity
  if ! "${cmd[@]}" >/dev/null 2>&1; then refused_s=$((refused_s + 1)); else echo "supply ACCEPTS a wrong identity on $name" >&2; exit 1; fi
  python_cmd "$bundle" "$artifact" "$work/${name//\//_}.trust.json" "$id"
  if COLUMNS=200 "${cmd[@]}" >/dev/null 2>"$work/err"; then
    compared+=("$name")
    python_cmd "$bundle" "$artifact" "$work/${name//\//_}.trust.json" https://example.com/wrong-identity
    n_p=$((n_p + 1))
    if ! "${cmd[@]}" >/dev/null 2>&1; then refused_p=$((refused_p + 1)); else echo "sigstore-python ACCEPTS a wrong identity on $name" >&2; exit 1; fi
  else
    # rich wraps the log lines; keep the last ERROR message as the reason.
    why=$(grep -o 'ERROR .*' "$work/err" | tail -n 1 | sed 's/^ERROR *//; s/ *[a-z_]*\.py:[0-9]* *$//')
    notes+=("$name: left out of the comparison, sigstore-python $SP_VERSION rejects it: ${why:-exit non-zero}")
  fi
done
echo "sanity: wrong identity refused by supply on $refused_s/${#cases[@]} bundles, by sigstore-python on $refused_p/$n_p"

printf '\n| bundle | supply ms | sigstore-python ms | ratio (python / supply) |\n|---|---|---|---|\n'
worst_ms=0 worst_ratio=""
for c in "${cases[@]}"; do
  IFS='|' read -r name bundle artifact root id <<<"$c"
  supply_cmd "$bundle" "$artifact" "$root" "$id"; s=$(median_ms "${cmd[@]}")
  worst_ms=$(awk -v a="$worst_ms" -v b="$s" 'BEGIN {print (b > a) ? b : a}')
  if [[ " ${compared[*]} " == *" $name "* ]]; then
    python_cmd "$bundle" "$artifact" "$work/${name//\//_}.trust.json" "$id"; p=$(median_ms "${cmd[@]}")
    r=$(awk -v p="$p" -v s="$s" 'BEGIN {printf "%.1f", p / s}')
    worst_ratio=$(awk -v a="${worst_ratio:-1e9}" -v b="$r" 'BEGIN {print (b < a) ? b : a}')
    printf '| %s | %s | %s | %sx |\n' "$name" "$s" "$p" "$r"
  else
    printf '| %s | %s | – (not verified, see below) | – |\n' "$name" "$s"
  fi
done
echo
for n in ${notes[@]+"${notes[@]}"}; do echo "note: $n"; done
echo "supply per bundle: at most $worst_ms ms (goal < 10 ms: $(awk -v m="$worst_ms" 'BEGIN {print (m < 10) ? "met" : "NOT met"}'))"
if [[ -n $worst_ratio ]]; then
  echo "speed-up: at least ${worst_ratio}x over ${#compared[@]} bundles (goal >= 10x: $(awk -v r="$worst_ratio" 'BEGIN {print (r >= 10) ? "met" : "NOT met"}'))"
fi
