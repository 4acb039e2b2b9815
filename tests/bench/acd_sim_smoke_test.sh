#!/usr/bin/env bash
# acd-sim smoke test: a short Erlang run (with patience, two agent counts at
# once) against real acdd daemons that acd-sim starts, a tiny --max-rate run
# against acdd and acd-noop-server (and one with idle desktops and waiting
# calls beside it), a restart with waiting calls, and a bad flag. Checks the figures are
# there and sane, not that they match theory (too few calls for that; see
# README.md for the long runs).
# Usage: acd_sim_smoke_test.sh ACD_SIM ACDD NOOP_SERVER
set -euo pipefail
sim=$1 acdd=$2 noop=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 2 Erlangs, N = 2 and 3, patience 2 min: 120 measured calls each at 1000x
# (about 11 s of real time, both rows at once). Not faster: each millisecond
# the daemon takes is a simulated second, and at 5000x a loaded machine (the
# other tests of a parallel ctest) pushed N = 2's abandonment from ~0.4 to
# 0.66; at 1000x it reads the prediction's ~0.3.
"$sim" --acdd "$acdd" --erlangs 2 --aht 180s --agents 2-3 --jobs 2 --patience 120s \
  --calls 120 --warmup 20m --scale 1000 --format csv --quiet >"$work/erlang.csv" \
  2>"$work/erlang.err" || { cat "$work/erlang.err" "$work/erlang.csv"; fail "erlang run"; }
cat "$work/erlang.csv"
[[ $(wc -l <"$work/erlang.csv") -eq 3 ]] || fail "expected a header and two rows"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  function v(name) { return $(col[name]) }
  function check(ok, what) { if (!ok) { print "row " NR-1 ": " what > "/dev/stderr"; bad = 1 } }
  {
    check(v("calls") == 120, "calls " v("calls") " != 120")
    check(v("errors") == 0 && v("unfinished") == 0, "errors or unfinished calls")
    check(v("p_wait") >= 0 && v("p_wait") <= 1, "p_wait " v("p_wait"))
    check(v("service_level") >= 0 && v("service_level") <= 1, "service_level " v("service_level"))
    check(v("abandonment") > 0 && v("abandonment") < 0.6, "abandonment " v("abandonment"))
    check(v("occupancy") > 0.2 && v("occupancy") <= 1, "occupancy " v("occupancy"))
    d = v("p_wait") - v("p_wait_pred"); if (d < 0) d = -d
    check(d < 0.3, "p_wait " v("p_wait") " far from the prediction " v("p_wait_pred"))
    check(v("aht_s") > 90 && v("aht_s") < 600, "measured AHT " v("aht_s") " s")
  }
  END { exit bad }' "$work/erlang.csv" || fail "erlang figures"

# Max rate: 2 workers, 40 lifecycles against acdd, then the no-op server.
"$sim" --max-rate --acdd "$acdd" --noop-server "$noop" --workers 2 --lifecycles 40 \
  --duration 30s --format csv --quiet >"$work/rate.csv" 2>"$work/rate.err" \
  || { cat "$work/rate.err" "$work/rate.csv"; fail "max-rate run"; }
cat "$work/rate.csv"
grep -Eq '^acdd \(ack=committed synchronous=full\),throughput,40,[0-9.]+' "$work/rate.csv" \
  || fail "acdd throughput row"
grep -Eq '^no-op server,throughput,40,' "$work/rate.csv" || fail "no-op throughput row"
grep -Eq '^acdd [^,]*,CompleteCall,40,' "$work/rate.csv" || fail "acdd CompleteCall latencies"
grep -Eq '^no-op server,lifecycle,40,' "$work/rate.csv" || fail "no-op lifecycle latencies"

# Background load beside the workers: idle desktops and waiting calls.
"$sim" --max-rate --acdd "$acdd" --workers 2 --lifecycles 20 --idle-desktops 30 \
  --preload-calls 40 --duration 30s --format csv --quiet >"$work/background.csv" \
  2>"$work/background.err" || { cat "$work/background.err"; fail "max-rate with background"; }
grep -Eq '^acdd [^,]*,throughput,20,' "$work/background.csv" || fail "background throughput row"

# Restart mode: the waiting calls come back, and the time is printed.
"$sim" --restart-time --acdd "$acdd" --preload-calls 50 --quiet >"$work/restart.out" \
  2>"$work/restart.err" || { cat "$work/restart.err" "$work/restart.out"; fail "restart run"; }
cat "$work/restart.out"
grep -Eq '^acdd restarted with 50 waiting calls and 0 finished lifecycles in [0-9.]+ s' \
  "$work/restart.out" \
  || fail "restart line"

# Bad input names the value and exits 2.
set +e
"$sim" --acdd "$acdd" --agents 0 >/dev/null 2>"$work/bad.err"
code=$?
set -e
[[ $code -eq 2 ]] || fail "--agents 0 exited $code, want 2"
grep -q '"0"' "$work/bad.err" || { cat "$work/bad.err"; fail "message should name the value"; }
echo PASS
