#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing acd need.
# Only what is missing is installed; `apt-get update` runs at most once.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  protobuf-compiler libprotobuf-dev
  libgrpc++-dev protobuf-compiler-grpc grpc-proto
  libsqlite3-dev sqlite3
  libssl-dev openssl
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev libabsl-dev libasio-dev rapidjson-dev tzdata
  prometheus-cpp-dev libcivetweb-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # The Debian package: dpkg-shlibdeps (cpack -G DEB).
  dpkg-dev
)
# Extra packages a caller needs (e.g. tests/run.sh adds clang for fuzzing).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
