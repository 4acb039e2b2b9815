#!/usr/bin/env bash
# Builds acdd, acdctl and every test that runs threads against each other
# (the end-to-end tests against the real acdd binary, the in-process gRPC
# server tests, the store writer, the runtime and acd::Mutex) with
# ThreadSanitizer, and runs them in ./build-tsan. tests/run.sh runs it after
# the ASan + UBSan run.
#
# clang, not GCC: GCC 12's TSan crashes inside Debian's protobuf. Debian's
# abseil, gRPC and protobuf are built without TSan, so:
#  - acd::Mutex is a std::mutex in TSan builds (server/base/mutex.h), which
#    TSan sees, instead of absl::Mutex, which it cannot;
#  - orderings gRPC guarantees are stated with acd::HappensBefore/After
#    (server/base/happens_before.h);
#  - code from gRPC's headers is left uninstrumented like the library
#    (tests/sanitizers/tsan_ignorelist.txt), and gRPC's own bookkeeping and
#    interceptor calls made inside those libraries are suppressed
#    (tests/sanitizers/tsan.supp: each entry says why).
# Any report fails the test that caused it.
#
#   tests/tsan.sh                     in ./build-tsan
#   BUILD_DIR=out tests/tsan.sh       in out
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh clang libclang-rt-14-dev

build_dir=${BUILD_DIR:-build-tsan}
jobs=${JOBS:-$(nproc)}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/sanitizers/tsan.supp:print_suppressions=0}

targets=(acdd acdctl
  acdd_e2e_test crash_test notify_test json_log_test slow_consumer_test
  daemon_test routing_e2e_test callback_e2e_test stats_test reload_test watch_resume_test
  auth_test tls_test store_fault_test validation_test metrics_test
  runtime_fault_test runtime_heartbeat_test store_test base_test cow_map_test http_server_test)

echo "== TSan: configure ($build_dir)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" -DCMAKE_CXX_COMPILER=clang++ -DACD_SANITIZE=thread \
  -DACD_BUILD_BENCHMARKS=OFF >/dev/null
echo "== TSan: build ${#targets[@]} targets (-j$jobs)"
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
echo "== TSan: end-to-end, gRPC server, store, runtime and mutex tests"
# Only the targets above are built, so only their tests are registered; the
# fuzz seed runs, the install and package test and the Prometheus test
# (add_test, always registered; the last two need acd-sim, and their threads
# are acdd's, which other tests here cover) are left to tests/run.sh.
cd "$build_dir"
ctest --output-on-failure -j "$jobs" --timeout 300 -L "e2e|rpc|unit" -LE fuzz \
  -E '^(install_package|prometheus_metrics)$'
