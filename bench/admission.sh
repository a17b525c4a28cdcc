#!/usr/bin/env bash
# The admission webhook under load, loopback only: a real registry (CNCF distribution) holding
# signed images, `supply admission serve` over HTTPS, and
#   - cold reviews: the first review of each of COLD distinct images (registry round trips per
#     review from the server's own /metrics, and latency), with signatureFormat legacy (the
#     `.sig` tag only) and unset (bundle referrers first, then the tag);
#   - warm reviews: wrk for DURATION seconds at CONNECTIONS connections on one Pod review whose
#     verdict is cached (requests per second, p50/p99/max latency), and at a fixed 1,000
#     reviews/s paced by a client of our own (its p50/p99);
#   - the server's peak RSS (VmHWM) over the whole run.
# Bounded in requests and time; nothing leaves 127.0.0.1. No peer runs here: policy-controller
# and Kyverno need a Kubernetes cluster and Go modules, neither reachable from this machine.
# Usage: bench/admission.sh   (DURATION=10 CONNECTIONS=16 COLD=20 RATE=1000; SUPPLY_BIN)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
COLD=${COLD:-20}
RATE=${RATE:-1000}
SUPPLY=${SUPPLY_BIN:-$ROOT/target/release/supply}
if [[ -z ${SUPPLY_BIN:-} ]]; then (cd "$ROOT" && cargo build --release --locked -p supply-cli); fi
for tool in docker-registry skopeo umoci wrk openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y $tool" >&2; exit 1; }
done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "nothing on port $1" >&2; exit 1; }

# The registry and COLD + 1 distinct signed images (image 0 is the warm one).
port=$(free_port)
cat > "$work/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_port "$port"
host=127.0.0.1:$port
(cd "$work" && COSIGN_PASSWORD=bench "$SUPPLY" generate-key-pair >/dev/null 2>&1)
for i in $(seq 0 "$COLD"); do
  bash "$ROOT/testdata/oci/make-image.sh" "$work/layout-$i" v1 "bench image $i" >/dev/null 2>&1
  skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$work/layout-$i:v1" "docker://$host/bench/app-$i:v1"
  COSIGN_PASSWORD=bench "$SUPPLY" sign --key "$work/cosign.key" "$host/bench/app-$i:v1" >/dev/null
done
bash "$ROOT/testdata/oci/make-image.sh" "$work/layout-unsigned" v1 "unsigned" >/dev/null 2>&1
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$work/layout-unsigned:v1" "docker://$host/bench/unsigned:v1"

policy() { # $1 file, $2 signatureFormat line (or empty)
  {
    printf 'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: bench\nspec:\n  images:\n  - glob: "%s/bench/**"\n  authorities:\n  - key:\n      data: |\n' "$host"
    sed 's/^/        /' "$work/cosign.pub"
    if [[ -n $2 ]]; then printf "    %s\n" "$2"; fi
  } > "$1"
}
policy "$work/legacy.yaml" "signatureFormat: legacy"
policy "$work/any.yaml" ""
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" >/dev/null 2>&1

review() { # $1 image → AdmissionReview with one Pod container
  printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench-%s","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"bench","operation":"CREATE","userInfo":{"username":"bench"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"bench"},"spec":{"containers":[{"name":"web","image":"%s"}]}}}}' "$RANDOM" "$1"
}

start_server() { # $1 policy → sets server_pid, url
  local listen_port
  listen_port=$(free_port)
  "$SUPPLY" admission serve --policy "$1" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" \
    --listen "127.0.0.1:$listen_port" 2>"$work/server.log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_port "$listen_port"
  url=https://127.0.0.1:$listen_port
}
post() { curl -sS --cacert "$work/tls.crt" -H 'Content-Type: application/json' --data-binary @- "$url/validate?timeout=10s" "$@"; }
trips() { curl -sS --cacert "$work/tls.crt" "$url/metrics" | awk '/^supply_registry_requests_total/ {print $2}'; }

cold() { # $1 policy file, $2 label
  start_server "$1"
  local ms=() deltas=()
  for i in $(seq 1 "$COLD"); do
    local before after took answer
    before=$(trips)
    answer=$(review "$host/bench/app-$i:v1" | post -w '\n%{time_total}')
    took=$(tail -1 <<<"$answer")
    grep -q '"allowed":true' <<<"$answer" || { echo "image $i was not admitted: $answer" >&2; exit 1; }
    after=$(trips)
    ms+=("$(python3 -c "print(round($took*1000, 2))")")
    deltas+=("$((after - before))")
  done
  python3 - "$2" "${ms[*]}" "${deltas[*]}" <<'PY'
import statistics, sys
label, ms, deltas = sys.argv[1], [float(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
print(f"| cold, {label} | {len(ms)} images | round trips per review: {min(deltas)}–{max(deltas)} | "
      f"p50 {statistics.median(ms):.2f} ms, max {max(ms):.2f} ms |")
PY
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
}

echo "supply $("$SUPPLY" --version | awk '{print $2}'); wrk $(wrk --version 2>&1 | awk 'NR==1{print $2}'); $(nproc) cores; loopback"
echo
echo "| run | load | registry | latency |"
echo "|---|---|---|---|"
cold "$work/legacy.yaml" "signatureFormat legacy"
cold "$work/any.yaml" "signatureFormat unset"

# Warm: one review whose verdict is cached, as hard as wrk can push, then paced at RATE/s.
start_server "$work/any.yaml"
review "$host/bench/app-0:v1" > "$work/warm.json"
post < "$work/warm.json" | grep -q '"allowed":true' || { echo "the warm image is not admitted" >&2; exit 1; }
review "$host/bench/unsigned:v1" | post | grep -q '"allowed":false' || { echo "an unsigned image was admitted" >&2; exit 1; }
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("REVIEW"), "r")
wrk.body = f:read("*a")
f:close()
LUA
before=$(trips)
REVIEW="$work/warm.json" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" "$url/validate?timeout=10s" > "$work/wrk.txt"
after=$(trips)
python3 - "$work/wrk.txt" "$CONNECTIONS" "$DURATION" "$((after - before))" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def pct(p):
    m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: (.*)", text)
print(f"| warm, wrk {sys.argv[2]} connections {sys.argv[3]} s | {rps:,.0f} reviews/s | {sys.argv[4]} requests |"
      f" p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms |"
      + (f" non-2xx: {errors.group(1)}" if errors else "") + (f" socket errors: {socket.group(1)}" if socket else ""))
PY
python3 - "$url" "$work/tls.crt" "$work/warm.json" "$RATE" "$DURATION" <<'PY'
# Paced load: RATE reviews/s for DURATION s over keep-alive connections, latency per review.
import http.client, json, ssl, statistics, sys, threading, time
url, ca, body_file, rate, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
host, port = url.removeprefix("https://").split(":")
body = open(body_file, "rb").read()
context = ssl.create_default_context(cafile=ca)
workers, latencies, failures, lock = 8, [], [0], threading.Lock()
start = time.perf_counter() + 0.2
total = rate * duration
def worker(w):
    conn = http.client.HTTPSConnection(host, int(port), context=context)
    for n in range(w, total, workers):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        conn.request("POST", "/validate?timeout=10s", body, {"Content-Type": "application/json"})
        answer = conn.getresponse().read()
        took = (time.perf_counter() - t0) * 1000
        with lock:
            latencies.append(took)
            if b'"allowed":true' not in answer:
                failures[0] += 1
threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - start
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
print(f"| warm, paced {rate}/s {duration} s | {len(latencies) / elapsed:,.0f} reviews/s achieved | – |"
      f" p50 {q(0.50):.2f} ms, p99 {q(0.99):.2f} ms | not admitted: {failures[0]}")
PY
rss=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
echo
echo "server peak RSS (VmHWM): $((rss / 1024)) MiB"
kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
