#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test, under
# sanitizers:
#   1. every target with AddressSanitizer + UndefinedBehaviorSanitizer (GCC),
#      then every test;
#   2. the daemon, the CLI and the end-to-end tests with ThreadSanitizer
#      (clang: GCC 12's TSan crashes inside Debian's protobuf), then the
#      end-to-end tests (label e2e).
#
#   tests/run.sh                  both, in ./build and ./build-tsan
#   BUILD_DIR=out tests/run.sh    in out and out-tsan
#   ACD_TSAN=0 tests/run.sh       skip step 2 (e.g. a quick local run)
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh clang libclang-rt-14-dev

build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
# Any report fails the test that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp:print_suppressions=0}

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

if [[ ${ACD_TSAN:-1} != 0 ]]; then
  tsan_dir=$build_dir-tsan
  echo "== TSan: configure ($tsan_dir, clang)"
  cmake -S . -B "$tsan_dir" -G Ninja "${fast_flags[@]}" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DACD_SANITIZE=thread \
    -DACD_BUILD_BENCHMARKS=OFF >/dev/null
  echo "== TSan: build the daemon, the CLI and the end-to-end tests (-j$jobs)"
  cmake --build "$tsan_dir" -j "$jobs" --target acdd acdctl acdd_e2e_test crash_test
  echo "== TSan: end-to-end tests"
  (cd "$tsan_dir" && ctest --output-on-failure -j "$jobs" --timeout 300 -L e2e)
fi
