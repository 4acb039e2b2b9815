#!/usr/bin/env bash
# What serving metrics costs acdd: acd-sim --max-rate (W paired callers and
# desktops) against a fresh acdd without server.http, then against one with it
# while a scraper reads /metrics every second (15x Prometheus' default rate),
# alternated PAIRS times. For each run: lifecycles/s as acd-sim measures them,
# and acdd's CPU time per lifecycle (utime + stime from /proc, the steadier
# figure on a shared machine). Prints each pair and the medians.
# Results and method: tests/bench/README.md.
# Usage: metrics_overhead.sh [BUILD_DIR]   (default build; PAIRS, WORKERS and
#        DURATION from the environment)
set -euo pipefail
build=${1:-build}
pairs=${PAIRS:-6} workers=${WORKERS:-16} duration=${DURATION:-10s}
sim=$build/client/acd-sim/acd-sim acdd=$build/server/app/acdd
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ticks_per_ms=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN { print hz / 1000 }')
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# acd-sim's paired config: queue sim-i served by agent sim-i alone, wrap-up
# 10 min so CompleteCall ends it.
{
  echo "server: {log_level: warn}"
  echo "queues:"
  for i in $(seq "$workers"); do
    echo "  - {name: sim-$i, offer_timeout: 10s, wrap_up_time: 10m, max_missed_offers: 0}"
  done
  echo "agents:"
  for i in $(seq "$workers"); do echo "  - {id: sim-$i, queues: [sim-$i]}"; done
} >"$work/acd.yaml"

run() {  # run off|on -> "lifecycles/s cpu_ms_per_lifecycle"
  rm -rf "$work/db" "$work/port" "$work/http-port"
  mkdir "$work/db"
  local extra=()
  [[ $1 == on ]] && extra=(--http 127.0.0.1:0 --http-port-file "$work/http-port")
  "$acdd" --config "$work/acd.yaml" --db "$work/db/acd.db" --listen 127.0.0.1:0 \
    --port-file "$work/port" "${extra[@]}" 2>"$work/acdd.log" &
  local pid=$! scraper=""
  pids=("$pid")
  for _ in $(seq 200); do [[ -s $work/port ]] && break; sleep 0.05; done
  if [[ $1 == on ]]; then
    (while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:$(cat "$work/http-port")/metrics"; done) &
    scraper=$!
    pids+=("$scraper")
  fi
  local before after rate lifecycles
  before=$(cpu_ticks "$pid")
  "$sim" --max-rate --target "127.0.0.1:$(cat "$work/port")" --workers "$workers" \
    --duration "$duration" --format csv --quiet >"$work/sim.csv"
  after=$(cpu_ticks "$pid")
  [[ -n $scraper ]] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
  kill "$pid"
  wait "$pid" || true
  pids=()
  rate=$(awk -F, '$2 == "throughput" { print $4 }' "$work/sim.csv")
  lifecycles=$(awk -F, '$2 == "throughput" { print $3 }' "$work/sim.csv")
  awk -v r="$rate" -v t=$((after - before)) -v n="$lifecycles" -v k="$ticks_per_ms" \
    'BEGIN { printf "%s %.3f\n", r, t / k / n }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/off" && : >"$work/on"
for i in $(seq "$pairs"); do
  read -r off_rate off_cpu < <(run off)
  read -r on_rate on_cpu < <(run on)
  echo "$off_rate $off_cpu" >>"$work/off"
  echo "$on_rate $on_cpu" >>"$work/on"
  echo "pair $i: off $off_rate/s ${off_cpu} ms CPU per lifecycle; on $on_rate/s ${on_cpu} ms" >&2
done
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
rate_off=$(col 1 "$work/off") rate_on=$(col 1 "$work/on")
cpu_off=$(col 2 "$work/off") cpu_on=$(col 2 "$work/on")
echo "medians: lifecycles/s off $rate_off, on $rate_on (on/off" \
  "$(awk -v a="$rate_on" -v b="$rate_off" 'BEGIN { printf "%.3f", a / b }'));" \
  "acdd CPU ms per lifecycle off $cpu_off, on $cpu_on (on/off" \
  "$(awk -v a="$cpu_on" -v b="$cpu_off" 'BEGIN { printf "%.3f", a / b }'))"
