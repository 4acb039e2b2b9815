#!/usr/bin/env bash
# Installs what is missing, builds every target with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs every test, then builds the threaded
# tests with ThreadSanitizer and runs them (tests/tsan.sh).
#
#   tests/run.sh                  in ./build (and ./build-tsan)
#   BUILD_DIR=out tests/run.sh    in out (TSan: TSAN_BUILD_DIR, default
#                                 out-tsan)
#   ACD_SKIP_TSAN=1 tests/run.sh  without the TSan run
set -euo pipefail
cd "$(dirname "$0")/.."

# clang for the ThreadSanitizer build (tests/tsan.sh).
deploy/install-deps.sh clang libclang-rt-14-dev

build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
# Any report fails the test that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# -O1 without debug info: sanitizer builds at about the cost of a plain one
# (reports still name functions; rebuild with -g locally for line numbers).
fast_flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"
            "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG")

echo "== ASan + UBSan: configure ($build_dir)"
cmake -S . -B "$build_dir" -G Ninja "${fast_flags[@]}" -DACD_SANITIZE=address,undefined >/dev/null
echo "== ASan + UBSan: build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"
echo "== ASan + UBSan: every test"
(cd "$build_dir" && ctest --output-on-failure -j "$jobs" --timeout 300)

if [[ ${ACD_SKIP_TSAN:-0} != 1 ]]; then
  BUILD_DIR=${TSAN_BUILD_DIR:-$build_dir-tsan} JOBS=$jobs tests/tsan.sh
fi
