#!/usr/bin/env bash
# Fuzzes each target for N seconds (default 10) with libFuzzer + ASan + UBSan
# and fails if any of them finds a crash, hang, leak or violated property.
#
#   tests/fuzz/run.sh [seconds] [target...]     targets: config expr_parser
#
# Builds in build-fuzz/ (clang, ACD_FUZZ=ON; only the fuzz targets and the
# libraries they need). Installs clang first when it is missing. New inputs
# libFuzzer finds go to build-fuzz/corpus/<target>/ (the checked-in seeds in
# tests/fuzz/corpus/ are only read); a failing input is saved as
# build-fuzz/artifacts/<target>-crash-<sha1> (or leak-, timeout-, oom-).
set -euo pipefail

seconds=${1:-10}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(config expr_parser)
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds] [target...]" >&2; exit 2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"

if ! command -v clang++ >/dev/null; then
  "$root/deploy/install-deps.sh" clang
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DACD_FUZZ=ON -DACD_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/%/_fuzz}"

failed=()
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  mkdir -p "$work" "$build/artifacts"
  seeds=("$root/tests/fuzz/corpus/$target")
  # The shipped example config is a seed too (kept in one place, not copied).
  [[ $target == config ]] && cp "$root/config/acd.yaml" "$work/acd.yaml"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$target-")
  [[ -f $root/tests/fuzz/$target.dict ]] && args+=(-dict="$root/tests/fuzz/$target.dict")
  echo "== fuzzing $target for ${seconds}s"
  if ! "$build/tests/fuzz/${target}_fuzz" "${args[@]}" "$work" "${seeds[@]}" \
      2>"$build/$target.log"; then
    failed+=("$target")
    tail -n 60 "$build/$target.log" >&2
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done ' "$build/$target.log" || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/artifacts/, logs in $build/<target>.log)" >&2
  exit 1
fi
echo "fuzz: ${targets[*]} ran clean for ${seconds}s each"
