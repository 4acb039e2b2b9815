#!/usr/bin/env bash
# Installs what is missing, builds every target with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs every test, then builds the threaded
# tests with ThreadSanitizer and runs them (tests/tsan.sh), then builds acdd
# and acdctl with GCC as deploy/quickstart.sh does.
#
# The clang builds compile with -Wthread-safety as an error (CMakeLists.txt),
# and the ctest run includes the layer check (tests/layers_test.sh).
#
# Both sanitizer builds use clang: GCC 12 compiles with ASan + UBSan at about
# half clang's speed (server/app/daemon.cc 70 s against 39 s), which was most
# of a CI run. The last step keeps GCC, quickstart's compiler, building what
# it ships (-O0: it checks the code compiles cleanly, not how it runs).
#
#   tests/run.sh                  in ./build-asan, ./build-tsan, ./build-gcc
#   BUILD_DIR=out tests/run.sh    ASan in out (TSAN_BUILD_DIR and
#                                 GCC_BUILD_DIR name the others)
#   ACD_SKIP_TSAN=1 tests/run.sh  without the TSan run
#   ACD_SKIP_GCC=1 tests/run.sh   without the GCC build
set -euo pipefail
cd "$(dirname "$0")/.."

# clang (and its sanitizer runtimes) for both sanitizer builds; Prometheus
# (and its promtool) and curl for the metrics tests; systemd for
# systemd-analyze verify of the unit (tests/e2e/install_test.sh).
deploy/install-deps.sh clang libclang-rt-14-dev prometheus curl systemd

build_dir=${BUILD_DIR:-build-asan}
jobs=${JOBS:-$(nproc)}
# Any report fails the test that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# -O1 without debug info: sanitizer builds at about the cost of a plain one
# (reports still name functions; rebuild with -g locally for line numbers).
fast_flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG")

echo "== ASan + UBSan: configure ($build_dir)"
cmake -S . -B "$build_dir" -G Ninja "${fast_flags[@]}" -DCMAKE_CXX_COMPILER=clang++ \
  -DACD_SANITIZE=address,undefined >/dev/null
echo "== ASan + UBSan: build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"
echo "== ASan + UBSan: every test"
(cd "$build_dir" && ctest --output-on-failure -j "$jobs" --timeout 300)

if [[ ${ACD_SKIP_TSAN:-0} != 1 ]]; then
  BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan} JOBS=$jobs tests/tsan.sh
fi

if [[ ${ACD_SKIP_GCC:-0} != 1 ]]; then
  gcc_dir=${GCC_BUILD_DIR:-build-gcc}
  echo "== GCC: acdd and acdctl, warnings as errors ($gcc_dir)"
  cmake -S . -B "$gcc_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O0 \
    -DCMAKE_CXX_COMPILER=g++ -DCMAKE_COMPILE_WARNING_AS_ERROR=ON \
    -DACD_BUILD_TESTS=OFF -DACD_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$gcc_dir" -j "$jobs" --target acdd acdctl
fi
