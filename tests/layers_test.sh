#!/usr/bin/env bash
# The layers, held by a test: fails when a file under server/ or client/
# includes a header of a layer above its own, or a library its layer must not
# use. The arrows point down only:
#
#   server/app      -> everything below
#   server/http     -> runtime, core, base
#   server/rpc      -> runtime, store (its readers), config, core, base, proto
#   server/runtime  -> store, config, core, base
#   server/store    -> core, base
#   server/config   -> core, base
#   server/core     -> std and absl only: no clock, thread or lock either
#   server/base     -> std, absl, spdlog
#   client/common   -> proto
#   client/acdctl   -> client/common, proto
#   client/acd-sim  -> client/common, proto, server/core (runs the engine in
#                      process), Erlang
#
# Usage: tests/layers_test.sh [ROOT]     checks ROOT (default: the repository)
#        tests/layers_test.sh --self-test  checks that a tree with crossings fails
set -euo pipefail

if [[ ${1:-} == --self-test ]]; then
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' EXIT
  mkdir -p "$tree"/server/{core,store,rpc} "$tree"/client/acdctl
  printf '#include <vector>\n#include "absl/status/status.h"\n#include "server/core/types.h"\n' \
    >"$tree/server/core/fine.h"
  printf '#include <string>\n#include <asio.hpp>\n#include <chrono>\n' >"$tree/server/core/engine.cc"
  printf '#include "server/rpc/services.h"\n' >"$tree/server/store/reader.cc"
  printf '  #  include <sqlite3.h>\n' >"$tree/server/rpc/convert.cc"
  printf '#include "server/core/engine.h"\n' >"$tree/client/acdctl/main.cc"
  expected="server/core/engine.cc:2: includes asio.hpp
server/core/engine.cc:3: includes chrono
server/store/reader.cc:1: includes server/rpc/services.h
server/rpc/convert.cc:1: includes sqlite3.h
client/acdctl/main.cc:1: includes server/core/engine.h
layers: 5 include(s) cross"
  if output=$("$0" "$tree" 2>&1); then
    echo "self-test: a tree with five crossings passed:" >&2
    echo "$output" >&2
    exit 1
  fi
  while IFS= read -r want; do
    if [[ $output != *"$want"* ]]; then
      echo "self-test: expected a line with \"$want\" in:" >&2
      echo "$output" >&2
      exit 1
    fi
  done <<<"$expected"
  echo "self-test: the five crossings planted were reported, and nothing else"
  exit 0
fi

root=${1:-"$(dirname "$0")/.."}
cd "$root"

# The project's folders each layer may include from.
declare -A uses=(
  [server/base]="server/base"
  [server/core]="server/core"
  [server/config]="server/config server/core server/base"
  [server/store]="server/store server/core server/base"
  [server/runtime]="server/runtime server/store server/config server/core server/base"
  [server/rpc]="server/rpc server/runtime server/store server/config server/core server/base"
  [server/http]="server/http server/runtime server/core server/base"
  [server/app]="server/app server/http server/rpc server/runtime server/store server/config server/core server/base"
  [client/common]="client/common"
  [client/acdctl]="client/acdctl client/common"
  [client/acd-sim]="client/acd-sim client/common server/core"
)

# Libraries (extended regular expressions on the included path) each layer
# must not include. server/core is checked by an allow-list instead, below.
grpc='^(grpc|grpcpp)/|\.grpc\.pb\.h$'
proto='^acd/v1/|^google/protobuf/'
asio='^asio(\.hpp|/)'
sqlite='^sqlite3\.h$'
postgres='^(libpq-fe\.h|postgresql/)'
yaml='^yaml-cpp/'
http='^(civetweb\.h|prometheus/|curl/)'
declare -A forbids=(
  [server/base]="$grpc|$proto|$asio|$sqlite|$postgres|$yaml|$http"
  [server/config]="$grpc|$proto|$asio|$sqlite|$postgres|$http"
  [server/store]="$grpc|$proto|$asio|$yaml|$http"
  [server/runtime]="$grpc|$proto|$sqlite|$postgres|$yaml|$http"
  [server/rpc]="$asio|$sqlite|$postgres|$yaml|^civetweb\.h$|^curl/"
  [server/http]="$grpc|$asio|$sqlite|$postgres|$yaml"
  [server/app]="^$"
  [client/common]="$asio|$sqlite|$postgres|$yaml|$http"
  [client/acdctl]="$asio|$sqlite|$postgres|$yaml|$http"
  [client/acd-sim]="$asio|$postgres|$yaml|$http"
)
# server/core: the standard library (no clock, thread or lock), abseil
# (no clock or lock) and itself.
core_allows='^[a-z_]+$|^absl/|^server/core/'
core_forbids='^(chrono|thread|mutex|shared_mutex|condition_variable|future|ctime)$|^absl/time/clock\.h$|^absl/synchronization/'

failures=0
fail() {
  echo "$1" >&2
  failures=$((failures + 1))
}

files=$(find server client -name '*.h' -o -name '*.cc' | sort)
checked=0
for file in $files; do
  [[ $file =~ ^[^/]+/[^/]+ ]] && layer=${BASH_REMATCH[0]}
  if [[ -z ${uses[$layer]+x} ]]; then
    fail "$file: in no known layer ($layer): add it to tests/layers_test.sh"
    continue
  fi
  checked=$((checked + 1))
  while IFS=: read -r line included; do
    [[ -n $included ]] || continue
    if [[ $included =~ ^(server|client)/ ]]; then
      [[ $included =~ ^[^/]+/[^/]+ ]] && from=${BASH_REMATCH[0]}
      if [[ " ${uses[$layer]} " != *" $from "* ]]; then
        fail "$file:$line: includes $included: $layer may include only from ${uses[$layer]}"
      fi
    elif [[ $layer == server/core ]]; then
      if [[ ! $included =~ $core_allows || $included =~ $core_forbids ]]; then
        fail "$file:$line: includes $included: server/core uses only the standard library and abseil, and reads no clock and takes no lock"
      fi
    elif [[ $included =~ ${forbids[$layer]} ]]; then
      fail "$file:$line: includes $included, a library $layer must not use"
    fi
  done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]+)[">].*/\1/p;t;s/.*//p' "$file" |
    awk '{ if ($0 != "") print NR ":" $0 }')
done

if ((checked == 0)); then
  fail "no source files found under $(pwd)/server or client"
fi
if ((failures > 0)); then
  echo "layers: $failures include(s) cross a layer's boundary (of $checked files)" >&2
  exit 1
fi
echo "layers: $checked files, every include within its layer's reach"
