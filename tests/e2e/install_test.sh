#!/usr/bin/env bash
# Installs a build (cmake --install) into a temporary prefix and builds its
# Debian package (cpack -G DEB), then checks both as an operator would use
# them: the README walkthrough with the installed programs and config, the
# package's files, control fields and scripts, the walkthrough again from the
# unpacked package, and `systemd-analyze verify` on the unit.
# Usage: install_test.sh BUILD_DIR VERSION
# (CMAKE and CPACK name the programs to use; ctest passes the build's own.)
# acdd, acdctl and acd-sim must be built. Everything happens in one temporary
# directory; the build dir's install_manifest.txt, which cmake --install and
# cpack rewrite, is put back as it was.
set -euo pipefail
build=$(cd "$1" && pwd) version=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
manifest=$build/install_manifest.txt
[[ -e $manifest ]] && cp -p "$manifest" "$work/install_manifest.txt.saved"
cleanup() {
  if [[ -e $work/install_manifest.txt.saved ]]; then
    cp -p "$work/install_manifest.txt.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# The walkthrough's own temporary directory goes in ours too.
export TMPDIR=$work
fail() { echo "FAIL: $*" >&2; exit 1; }
cmake=${CMAKE:-cmake} cpack=${CPACK:-cpack}
passed=0
pass() { echo "ok: $*"; passed=$((passed + 1)); }

for f in server/app/acdd client/acdctl/acdctl client/acd-sim/acd-sim CPackConfig.cmake; do
  [[ -e $build/$f ]] || fail "$build/$f is missing: build acdd, acdctl and acd-sim first"
done

# 1. cmake --install into a prefix, then the walkthrough with what it installed.
prefix=$work/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "cmake --install"; }
# Nothing lands outside the prefix (the config's /etc applies to /usr only).
if grep -E '^-- (Installing|Up-to-date): ' "$work/install.log" | grep -Fv -- "-- Installing: $prefix/" \
  | grep -Fv -- "-- Up-to-date: $prefix/"; then
  fail "cmake --install wrote outside $prefix"
fi
for f in bin/acdd bin/acdctl bin/acd-sim; do
  [[ -x $prefix/$f ]] || fail "installed tree: no executable $f"
done
for f in etc/acd/acd.yaml lib/systemd/system/acdd.service lib/sysusers.d/acd.conf \
  share/doc/acd/README.md share/doc/acd/config/README.md share/doc/acd/examples/acd.yaml; do
  [[ -f $prefix/$f ]] || fail "installed tree: no $f"
done
cmp -s "$here/../../config/acd.yaml" "$prefix/etc/acd/acd.yaml" || fail "installed config differs"
unit=$prefix/lib/systemd/system/acdd.service
grep -qxF "ExecStart=$prefix/bin/acdd --config $prefix/etc/acd/acd.yaml --db \${STATE_DIRECTORY}/acd.db" \
  "$unit" || { grep ExecStart "$unit"; fail "installed unit: ExecStart not the installed acdd"; }
pass "cmake --install: programs, config, unit, sysusers.d and docs under the prefix"

bash "$here/walkthrough_test.sh" "$prefix/bin/acdd" "$prefix/bin/acdctl" \
  "$prefix/etc/acd/acd.yaml" >"$work/walkthrough.log" 2>&1 \
  || { cat "$work/walkthrough.log"; fail "walkthrough with the installed programs"; }
pass "walkthrough with the installed acdd, acdctl and config"

# 2. The Debian package.
(cd "$work" && "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/deb") \
  >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
debs=("$work"/deb/acd_"$version"_*.deb)
[[ -f ${debs[0]} ]] || { ls "$work/deb"; fail "no acd_${version}_*.deb"; }
deb=${debs[0]}

dpkg-deb -c "$deb" | awk '{print $NF}' >"$work/contents.txt"
for f in ./usr/bin/acdd ./usr/bin/acdctl ./usr/bin/acd-sim ./etc/acd/acd.yaml \
  ./usr/lib/systemd/system/acdd.service ./usr/lib/sysusers.d/acd.conf \
  ./usr/share/doc/acd/README.md ./usr/share/doc/acd/config/README.md \
  ./usr/share/doc/acd/examples/acd.yaml; do
  grep -qx -- "$f" "$work/contents.txt" || { cat "$work/contents.txt"; fail "package: no $f"; }
done
if grep -v -e '^\./etc/' -e '^\./usr/' "$work/contents.txt" | grep -vx '\./'; then
  fail "package: files outside /etc and /usr"
fi
pass "package contents"

dpkg-deb -f "$deb" Package Version Section Priority Depends >"$work/control.txt"
grep -qx 'Package: acd' "$work/control.txt" || fail "control: Package"
grep -qx "Version: $version" "$work/control.txt" || { cat "$work/control.txt"; fail "control: Version"; }
grep -qx 'Section: net' "$work/control.txt" || fail "control: Section"
# Depends computed by dpkg-shlibdeps: the gRPC, SQLite and C libraries.
for lib in libc6 libgrpc++ libsqlite3-0; do
  grep -Eq "^Depends: .*\\b${lib//+/\\+}[0-9.]* \\(" "$work/control.txt" \
    || { cat "$work/control.txt"; fail "control: Depends has no $lib (dpkg-shlibdeps)"; }
done
[[ $(dpkg-deb -I "$deb" conffiles) == /etc/acd/acd.yaml ]] || fail "conffiles: want /etc/acd/acd.yaml"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >"$work/$script" || fail "package: no $script"
  sh -n "$work/$script" || fail "$script: syntax"
done
grep -q 'systemd-sysusers acd.conf' "$work/postinst" || fail "postinst: does not create the user"
# An operator edits the config first: installing never enables or starts acdd.
if grep -v '^ *#' "$work/postinst" \
  | grep -Eq 'systemctl +(--[a-z-]+ +)*(enable|start|restart|reload-or-restart)\b'; then
  fail "postinst enables or starts acdd"
fi
pass "package control: version, shlibdeps Depends, conffiles, maintainer scripts"

root=$work/root
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/acdd" --help >"$work/help.txt" 2>&1 || { cat "$work/help.txt"; fail "acdd --help"; }
grep -q -- '--config' "$work/help.txt" || fail "acdd --help: no --config"
# shellcheck disable=SC2016  # systemd's variables, as written in the unit
grep -qxF 'ExecStart=/usr/bin/acdd --config ${CONFIGURATION_DIRECTORY}/acd.yaml --db ${STATE_DIRECTORY}/acd.db' \
  "$root/usr/lib/systemd/system/acdd.service" || fail "packaged unit: ExecStart"
bash "$here/walkthrough_test.sh" "$root/usr/bin/acdd" "$root/usr/bin/acdctl" \
  "$root/etc/acd/acd.yaml" >"$work/walkthrough.log" 2>&1 \
  || { cat "$work/walkthrough.log"; fail "walkthrough from the unpacked package"; }
pass "unpacked package: acdd --help and the walkthrough"

# 3. systemd-analyze verify: the installed unit, and the packaged one pointed
# at the unpacked acdd (verify checks that ExecStart's program exists). Any
# complaint about the unit fails, warnings included (they exit 0).
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze verify: no systemd-analyze (package systemd)"
else
  mkdir "$work/units"
  sed "s|^ExecStart=/usr/bin/acdd |ExecStart=$root/usr/bin/acdd |" \
    "$root/usr/lib/systemd/system/acdd.service" >"$work/units/acdd.service"
  for u in "$unit" "$work/units/acdd.service"; do
    rc=0
    systemd-analyze verify "$u" >"$work/verify.txt" 2>&1 || rc=$?
    if [[ $rc != 0 ]] || grep -q 'acdd\.service' "$work/verify.txt"; then
      cat "$work/verify.txt"
      fail "systemd-analyze verify $u (exit $rc)"
    fi
  done
  pass "systemd-analyze verify: installed and packaged units"
fi
echo "install: $passed passed, 0 failed"
