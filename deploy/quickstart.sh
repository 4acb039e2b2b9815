#!/usr/bin/env bash
# Installs what is missing, builds acdd and acdctl, and starts acdd with
# config/acd.yaml on an embedded SQLite file (var/acd.db).
#   deploy/quickstart.sh                # in the foreground; Ctrl-C stops it
#   deploy/quickstart.sh --background   # in the background; prints how to stop it
set -euo pipefail
cd "$(dirname "$0")/.."

background=false
[[ ${1:-} == --background ]] && background=true

deploy/install-deps.sh

build_dir=${BUILD_DIR:-build}
echo "== building acdd and acdctl in $build_dir (first time: a few minutes)"
# No sanitizer, whatever an older tests/run.sh left in this directory's cache.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACD_SANITIZE= >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target acdd acdctl

mkdir -p var
db=${ACD_DB:-var/acd.db}
# Transparent huge pages for acdd's heap (glibc 2.35+; ignored where THP is
# off): routing at a large size is bound by cache and TLB misses, and this
# cuts a decision's p99 by about a third there (tests/bench/README.md).
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}
args=(--config config/acd.yaml --db "$db")
echo "== acdd: config config/acd.yaml, database $db"
echo "   acdctl is at $build_dir/client/acdctl/acdctl"

if ! $background; then
  exec "$build_dir/server/app/acdd" "${args[@]}"
fi

rm -f var/acdd.port
"$build_dir/server/app/acdd" "${args[@]}" --port-file var/acdd.port >var/acdd.log 2>&1 &
pid=$!
echo "$pid" >var/acdd.pid
for _ in $(seq 100); do
  [[ -s var/acdd.port ]] && break
  kill -0 "$pid" 2>/dev/null || { cat var/acdd.log; echo "acdd failed to start" >&2; exit 1; }
  sleep 0.1
done
[[ -s var/acdd.port ]] || { echo "acdd did not start within 10 s; see var/acdd.log" >&2; exit 1; }
echo "== acdd is running (pid $pid, log var/acdd.log); stop it with: kill \$(cat var/acdd.pid)"
