#!/usr/bin/env bash
# Installs what is missing, builds every target with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs every test. (tests/tsan.sh runs the
# end-to-end tests under ThreadSanitizer; see there why it is not part of
# this run yet.)
#
#   tests/run.sh                  in ./build
#   BUILD_DIR=out tests/run.sh    in out
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh

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
