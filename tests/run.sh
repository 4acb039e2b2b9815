#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test.
#   tests/run.sh              # build in ./build and run all tests
#   BUILD_DIR=out tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh

build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
echo "== configure ($build_dir)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "== build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"
echo "== test"
cd "$build_dir"
ctest --output-on-failure -j "$jobs" --timeout 300
