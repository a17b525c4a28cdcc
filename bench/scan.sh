#!/usr/bin/env bash
# `supply scan` of a 5,000-component SBOM against OSV databases of the real exports' size,
# cold (no prepared index: every archive inflated and parsed, the index written) and warm
# (the prepared index read), with peak RSS.
#
#   bench/scan.sh [RUNS]
#
# Environment:
#   SUPPLY_BIN=target/release/supply   binary under test (built when missing)
#   SCAN_BENCH_DIR=bench/out/scan      where the generated database and SBOM are kept
#                                      (generated once by bench/gen_osv_db.py, about 1 minute)
#   SCAN_SCALE=1.0                     database size relative to the real exports
#   SCAN_COMPONENTS=5000               SBOM size
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"
SUPPLY_BIN="${SUPPLY_BIN:-$ROOT/target/release/supply}"
OUT="${SCAN_BENCH_DIR:-$ROOT/bench/out/scan}"
SCALE="${SCAN_SCALE:-1.0}"
COMPONENTS="${SCAN_COMPONENTS:-5000}"
GNU_TIME=/usr/bin/time

log() { printf '[scan-bench] %s\n' "$*" >&2; }

[ -x "$GNU_TIME" ] || { log "needs GNU time: apt-get install -y time"; exit 2; }
if [ ! -x "$SUPPLY_BIN" ]; then
    log "building $SUPPLY_BIN"
    cargo build --release -p supply-cli --locked
fi
stamp="$OUT/.generated-$SCALE-$COMPONENTS"
if [ ! -e "$stamp" ]; then
    log "generating the database (scale $SCALE) and a $COMPONENTS-component SBOM in $OUT"
    rm -rf "$OUT"
    mkdir -p "$OUT"
    python3 "$ROOT/bench/gen_osv_db.py" "$OUT" --scale "$SCALE" --components "$COMPONENTS" >/dev/null
    touch "$stamp"
fi
DB="$OUT/db"
SBOM="$OUT/sbom.cdx.json"
cat "$DB"/*.zip >/dev/null # the page cache holds the archives in both cases

# One timed run: prints "seconds max_rss_kib"; exit 1 (findings) is the expected outcome.
timed() {
    local status=0
    "$GNU_TIME" -f '%e %M' -o "$OUT/time.txt" "$SUPPLY_BIN" scan "$SBOM" --db "$DB" \
        --output json >"$OUT/report.json" 2>"$OUT/stderr.txt" || status=$?
    if [ "$status" -gt 1 ]; then
        log "supply scan failed ($status):"
        cat "$OUT/stderr.txt" >&2
        exit 1
    fi
    tail -n 1 "$OUT/time.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$OUT/cold.tsv"
: >"$OUT/warm.tsv"
for _ in $(seq "$RUNS"); do
    rm -f "$DB/.supply-index"
    timed >>"$OUT/cold.tsv"
    timed >>"$OUT/warm.tsv"
done

records=$(python3 - "$DB" <<'EOF'
import sys, zipfile, os
total = 0
for name in sorted(os.listdir(sys.argv[1])):
    if name.endswith(".zip"):
        n = len(zipfile.ZipFile(os.path.join(sys.argv[1], name)).namelist())
        total += n
        print(f"{name[:-4]}={n}", end=" ")
print(f"total={total}")
EOF
)
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$OUT/report.json")
db_mb=$(du -sm --exclude=.supply-index "$DB" | cut -f1)
index_mb=$(du -m "$DB/.supply-index" | cut -f1)
cold_s=$(cut -d' ' -f1 "$OUT/cold.tsv" | median)
warm_s=$(cut -d' ' -f1 "$OUT/warm.tsv" | median)
cold_rss=$(cut -d' ' -f2 "$OUT/cold.tsv" | sort -n | tail -n 1)
warm_rss=$(cut -d' ' -f2 "$OUT/warm.tsv" | sort -n | tail -n 1)
cat <<EOF
| scan of $COMPONENTS components | median of $RUNS | peak RSS |
|---|---|---|
| cold (archives parsed, index written) | ${cold_s} s | $((cold_rss / 1024)) MiB |
| warm (prepared index) | ${warm_s} s | $((warm_rss / 1024)) MiB |
| cold / warm | $(awk -v c="$cold_s" -v w="$warm_s" 'BEGIN {printf "%.0f×", c / w}') | |

database: ${db_mb} MB of archives ($records records), index ${index_mb} MB; $findings findings; $(nproc) cores
EOF
