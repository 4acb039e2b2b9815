#!/usr/bin/env bash
# Builds acdd, acdctl and the end-to-end tests with ThreadSanitizer (clang:
# GCC 12's TSan crashes inside Debian's protobuf) and runs the end-to-end
# tests (label e2e) in ./build-tsan.
#
# Not yet part of tests/run.sh: Debian's abseil is built without TSan, so
# absl::Mutex's locking is invisible to it and every field guarded by an
# absl::Mutex is reported as a race (e.g. StoreWriter::pending_ between
# Append and the writer thread). Interceptor reports from inside the
# uninstrumented libraries are ignored (ignore_noninstrumented_modules and
# tests/sanitizers/tsan.supp); the absl::Mutex ones need our locks made
# visible to TSan first (annotations or std::mutex in TSan builds).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh clang libclang-rt-14-dev

build_dir=${BUILD_DIR:-build-tsan}
jobs=${JOBS:-$(nproc)}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$PWD/tests/sanitizers/tsan.supp:print_suppressions=0}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DACD_SANITIZE=thread \
  -DACD_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target acdd acdctl acdd_e2e_test crash_test
cd "$build_dir"
ctest --output-on-failure -j "$jobs" --timeout 300 -L e2e
