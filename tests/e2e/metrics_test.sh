#!/usr/bin/env bash
# /metrics of a real acdd after a scripted stretch of traffic (acd-sim, one
# queue, callers who abandon): promtool checks the page, a real Prometheus
# scrapes it and answers acd_queue_calls through its query API, and
# acd_calls_total agrees with GetReport's counts for the same span.
# Everything on 127.0.0.1, in a temp dir.
# Usage: metrics_test.sh ACDD ACDCTL ACD_SIM
set -euo pipefail
acdd=$1 acdctl=$2 sim=$3
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Waits (at most 10 s) for a non-empty file written by process $2.
wait_for_file() {
  for _ in $(seq 200); do
    [[ -s $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# One queue served by sim-1..3, its thresholds a thousandth of a real centre's
# (acd-sim runs a thousand times faster than real time).
cat >"$work/acd.yaml" <<'YAML'
queues:
  - name: sim
    offer_timeout: 1s
    wrap_up_time: 0s
    max_missed_offers: 0
    service_level_threshold: 20ms
    short_abandon: 5ms
agents:
  - {id: sim-1, queues: [sim]}
  - {id: sim-2, queues: [sim]}
  - {id: sim-3, queues: [sim]}
YAML
from=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)
"$acdd" --config "$work/acd.yaml" --db "$work/acd.db" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --port-file "$work/port" --http-port-file "$work/http-port" --log-level warn \
  2>"$work/acdd.log" &
pids+=($!)
wait_for_file "$work/http-port" "${pids[0]}" || { cat "$work/acdd.log"; fail "acdd did not start"; }
export ACD_SERVER=127.0.0.1:$(cat "$work/port")
http=127.0.0.1:$(cat "$work/http-port")

# About 100 calls at 2 Erlangs, mean talk 60 s, mean patience 60 s: some are
# answered, some abandon (about 2 s of real time).
"$sim" --target "$ACD_SERVER" --queue sim --agents 3 --agent-prefix sim- --erlangs 2 --aht 60s \
  --patience 60s --calls 80 --warmup 10m --scale 1000 --format csv --quiet \
  >"$work/sim.csv" 2>"$work/sim.err" || { cat "$work/sim.err"; fail "acd-sim"; }

curl -sf "http://$http/metrics" >"$work/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$work/metrics.txt" || fail "promtool check metrics"

# The counters against the report of the same calls (all of them finished).
metric() {
  awk -v want="$1" '$1 == want { print $2; found = 1 } END { if (!found) print "absent" }' \
    "$work/metrics.txt"
}
offered=$(metric 'acd_calls_offered_total{queue="sim"}')
answered=$(metric 'acd_calls_total{queue="sim",outcome="answered"}')
abandoned=$(metric 'acd_calls_total{queue="sim",outcome="abandoned"}')
short=$(metric 'acd_calls_total{queue="sim",outcome="short_abandoned"}')
timed_out=$(metric 'acd_calls_total{queue="sim",outcome="timed_out"}')
"$acdctl" report --queue sim --from "$from" -o csv >"$work/report.csv" || fail "report"
report() {
  awk -F, -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == "total" { print $(col[want]) }' "$work/report.csv"
}
echo "metrics: offered $offered answered $answered abandoned $abandoned+$short timed_out $timed_out"
echo "report:  offered $(report offered) answered $(report answered)" \
  "abandoned $(report abandoned) ($(report short_abandoned) short) timed_out $(report timed_out)"
((offered >= 80)) || fail "only $offered calls offered"
((answered > 0 && abandoned + short > 0)) || fail "want both answered and abandoned calls"
[[ $offered == "$(report offered)" ]] || fail "offered: metrics $offered, report $(report offered)"
[[ $answered == "$(report answered)" ]] || fail "answered: metrics $answered, report $(report answered)"
[[ $((abandoned + short)) == "$(report abandoned)" ]] || fail "abandoned differ"
[[ $short == "$(report short_abandoned)" ]] || fail "short abandons differ"
[[ $timed_out == "$(report timed_out)" ]] || fail "timed out differ"

# A real Prometheus scrapes acdd every second; its query API must answer.
cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: acd
    static_configs: [{targets: ["$http"]}]
YAML
prom=""
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$work/prometheus.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && { prom=127.0.0.1:$port; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -n $prom ]]; then
    pids+=("$pid")
    break
  fi
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true  # the port was taken: another
done
[[ -n $prom ]] || { cat "$work/prometheus.log"; fail "prometheus did not start"; }
query() { curl -sf "http://$prom/api/v1/query" --data-urlencode "query=$1"; }
got=""
for _ in $(seq 150); do
  got=$(query 'acd_queue_calls{queue="sim",state="queued"}' || true)
  [[ $got == *'"__name__":"acd_queue_calls"'* ]] && break
  sleep 0.2
done
[[ $got == *'"__name__":"acd_queue_calls"'* && $got == *'"queue":"sim"'* ]] \
  || { echo "$got"; cat "$work/prometheus.log"; fail "no acd_queue_calls from Prometheus"; }
got=$(query 'acd_calls_total{queue="sim",outcome="answered"}')
[[ $got == *"\"$answered\"]"* ]] || { echo "$got"; fail "Prometheus' answered count"; }
echo "metrics: promtool, Prometheus and the report agree"
