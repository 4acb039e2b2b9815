#!/usr/bin/env bash
# Runs the README's five-minute walkthrough, command for command, against a real
# acdd on 127.0.0.1 (a free port) and checks what each step should show.
# Usage: walkthrough_test.sh ACDD ACDCTL CONFIG
set -euo pipefail
acdd=$1 acdctl_bin=$2 config=$3
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
acdctl() { "$acdctl_bin" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Terminal 1: the daemon (quickstart.sh runs the same with --db var/acd.db).
"$acdd" --config "$config" --db "$work/acd.db" --listen 127.0.0.1:0 --port-file "$work/port" \
  >"$work/acdd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || { cat "$work/acdd.log"; fail "acdd did not start"; }
export ACD_SERVER=127.0.0.1:$(cat "$work/port")

acdctl health | grep -q SERVING || fail "health"

# Terminal 2: the agent logs in ready and waits for offers.
acdctl agent login alice --ready | grep -q available || fail "login"
acdctl agent offers alice --count 1 >"$work/offers.txt" 2>&1 &
offers=$!
sleep 0.5

# Terminal 3: the integrator puts a Spanish-speaking caller in the support queue.
acdctl call enqueue call-1001 --queue support --attr caller=+15550100 --skill spanish=3 \
  | grep -q offered || fail "enqueue: call-1001 should be offered at once"
wait "$offers" || fail "offers stream"
grep -q "call-1001" "$work/offers.txt" || { cat "$work/offers.txt"; fail "no offer shown"; }

acdctl agent accept alice call-1001 | grep -q connected || fail "accept"
acdctl call end call-1001 | grep -q wrap_up || fail "end"
acdctl agent complete alice call-1001 --disposition resolved --notes "reset voicemail PIN" \
  | grep -q completed || fail "complete"

acdctl queues | grep -q '^support' || fail "queues"
acdctl calls --state completed | grep -q call-1001 || fail "calls"
acdctl agents | grep alice | grep -q available || fail "agents"
acdctl call get call-1001 -o json | grep -q '"disposition": "resolved"' || fail "json"
# The wallboard: one answered call in support, so a service level and an AHT.
acdctl watch --once >"$work/watch.txt" || fail "watch"
grep -E '^support +0 +0s +1 +0 +0 +0 +100\.0%/100\.0% ' "$work/watch.txt" >/dev/null \
  || { cat "$work/watch.txt"; fail "watch: support row"; }
acdctl watch --once --queue support --agents | grep -E '^alice +available .* 1/1 ' >/dev/null \
  || fail "watch --agents"
if acdctl watch --interval 10ms 2>"$work/err.txt"; then fail "watch: 10ms interval accepted"; fi
grep -q 'INVALID_ARGUMENT: interval 10ms' "$work/err.txt" || { cat "$work/err.txt"; fail "watch error"; }
# Reports: from an hour ago rather than the default start of today, so a run
# just after midnight still sees call-1001.
since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
acdctl report --queue support --from "$since" >"$work/report.txt"
grep -Eq '^total +1 +1 +0 +0 +0 +100\.0% +0\.0% ' "$work/report.txt" \
  || { cat "$work/report.txt"; fail "report table"; }
acdctl report --queue support --from "$since" --interval 15m -o csv >"$work/report.csv"
head -1 "$work/report.csv" | grep -q '^row,start,end,offered,answered,' || fail "report csv header"
tail -1 "$work/report.csv" | grep -Eq '^total,[^,]+,[^,]+,1,1,1,0,0,0,1,' \
  || { cat "$work/report.csv"; fail "report csv total"; }
acdctl report --agent alice --from "$since" | grep -Eq '^total +1 +1 ' || fail "agent report"
if acdctl report --queue support --interval 20m 2>"$work/err.txt"; then fail "20m accepted"; fi
grep -q "report: --interval: '20m' is not 15m, 30m or 60m" "$work/err.txt" \
  || { cat "$work/err.txt"; fail "report interval error"; }

# Bad input reads well and exits non-zero.
if acdctl call enqueue call-1002 --queue nowhere 2>"$work/err.txt"; then fail "unknown queue accepted"; fi
grep -q 'NOT_FOUND: unknown queue "nowhere"' "$work/err.txt" || { cat "$work/err.txt"; fail "error text"; }
# A missing verb lists the verbs, and only verbs (CLI11's option groups are
# nameless subcommands), with the usage exit status 2.
for noun in "" call; do
  rc=0
  acdctl ${noun:+"$noun"} 2>"$work/err.txt" || rc=$?
  [[ $rc == 2 ]] || fail "acdctl $noun: exit status $rc, want 2"
  want="want one of call, agent, queues,"
  [[ -z $noun ]] || want="want one of enqueue, get, abandon,"
  grep -q "missing verb; $want" "$work/err.txt" || { cat "$work/err.txt"; fail "acdctl $noun: verbs"; }
  if grep -Eq 'of ,|, ,|, *$' "$work/err.txt"; then cat "$work/err.txt"; fail "acdctl $noun: empty verb"; fi
done

# Ctrl-C (SIGTERM here) stops the daemon cleanly; the events are in SQLite.
kill -TERM "$pid"
wait "$pid" || fail "acdd exit status $?"
pid=""
n=$(sqlite3 "$work/acd.db" "SELECT count(*) FROM events WHERE call_id = 'call-1001'")
[[ $n == 5 ]] || fail "expected 5 events for call-1001, found $n"

# With acdd gone, acdctl says it cannot reach it and where it looked, for a
# unary verb and a stream alike, rather than gRPC's text; exit status 1.
for verb in queues "events --follow"; do
  rc=0
  # shellcheck disable=SC2086  # "events --follow": a verb and its flag
  acdctl $verb 2>"$work/err.txt" || rc=$?
  [[ $rc == 1 ]] || fail "$verb without acdd: exit status $rc, want 1"
  grep -qx "acdctl: ${verb% *}: cannot reach acdd at $ACD_SERVER: connection refused; is it running? (deploy/quickstart.sh starts one)" \
    "$work/err.txt" || { cat "$work/err.txt"; fail "$verb without acdd: message"; }
done
echo "walkthrough: 1 passed, 0 failed"
