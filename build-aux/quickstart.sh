#!/usr/bin/env bash
# quickstart.sh: install what is missing, build tcpclient, then run the demo
# or the whole test suite.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage (from the repository checkout, as root on a fresh Debian 12):
#   bash build-aux/quickstart.sh demo   # install, build, run examples/demo.c
#   bash build-aux/quickstart.sh test   # install, build, run every test in a
#                                       # normal build and in an ASan/UBSan build,
#                                       # the C suites under valgrind, and each
#                                       # libFuzzer target for a bounded time
#   bash build-aux/quickstart.sh build  # install and build only
#
# Build directories: build/ (normal) and build-sanitize/ (address, leak and
# undefined-behaviour sanitizers, no introspection); build-fuzz/ (clang,
# libFuzzer) for the fuzz targets. Existing ones are reused.
# The last line of `test` is "N passed, M failed": the meson tests of both
# builds and of the valgrind run (a failed fuzzing stage counts as one failure).
# TCPC_FUZZ_SECONDS sets the time per fuzz target (default 20).
# As a non-root user the script installs nothing: it says what is missing.

set -euo pipefail

mode=${1:-demo}
case "$mode" in
  demo|test|build) ;;
  *)
    echo "usage: $0 [demo|test|build]" >&2
    exit 2
    ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian 12 packages: the toolchain, GLib, GObject-Introspection (to build the
# typelib), PyGObject and GJS (binding tests and examples), glib-networking
# (the TLS backend for the tls property) and netbase (/etc/services, for
# service names such as "echo" or "http").
packages=(
  gcc libc6-dev pkg-config meson ninja-build
  libglib2.0-dev libglib2.0-dev-bin
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0
  python3 python3-gi gjs
  glib-networking netbase
  openssl  # the TLS tests' CA, certificates and s_server
  gtk-doc-tools libglib2.0-doc  # the reference manual, linked to GLib's
  valac  # tcpclient-1.0.vapi (vapigen) and examples/head.vala
  libgtk-4-dev xvfb xauth  # the GTK 4 console (examples/gtk-console/), tested under Xvfb
  valgrind  # memcheck over the C suites (tests/valgrind.supp)
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz/)
)
# The tests also run the benchmarks' smoke test, which measures the peers of
# issue 3 (tests/benchmarks/peers/) beside the library: Node.js and Perl POE
# (asyncio comes with python3). A nodejs from another apt source counts.
if [ "$mode" = test ]; then
  packages+=(nodejs libpoe-perl)
fi

missing_packages() {
  local pkg
  for pkg in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -z "${missing// /}" ]; then
    echo "== All required packages are installed."
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "== Missing packages: $missing" >&2
    echo "== Run this script as root, or install them with: apt-get install $missing" >&2
    exit 1
  fi
  echo "== Installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y --no-install-recommends $missing
}

setup_build() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    echo "== Reusing $dir/"
  else
    echo "== Configuring $dir/"
    meson setup "$dir" "$@" || return 1
  fi
  echo "== Building $dir/"
  meson compile -C "$dir" || return 1
}

# Totals of one build directory's last `meson test` run, from its JSON log
# (testlog.json, or the log named by $2, e.g. testlog-valgrind):
# prints "ok fail skipped timeout expectedfail unexpectedpass".
test_totals() {
  python3 - "$1/meson-logs/${2:-testlog}.json" <<'EOF'
import json, sys
counts = dict.fromkeys(('OK', 'FAIL', 'SKIP', 'TIMEOUT', 'EXPECTEDFAIL',
                        'UNEXPECTEDPASS', 'ERROR'), 0)
try:
    with open(sys.argv[1]) as log:
        for line in log:
            if line.strip():
                result = json.loads(line).get('result', 'ERROR')
                counts[result] = counts.get(result, 0) + 1
except OSError:
    pass
print(counts['OK'], counts['FAIL'] + counts['ERROR'], counts['SKIP'],
      counts['TIMEOUT'], counts['EXPECTEDFAIL'], counts['UNEXPECTEDPASS'])
EOF
}

total_ok=0 total_fail=0 total_skip=0 total_timeout=0 total_xfail=0 total_xpass=0
status=0

# run_tests DIR WHAT [LOG MESON-TEST-ARGS...]
run_tests() {
  local dir=$1 what=$2 log=${3:-testlog} rc=0 ok fail skip timeout xfail xpass
  local start=$SECONDS
  shift 2
  [ $# -eq 0 ] || shift
  echo "== Testing $dir/ ($what)"
  rm -f "$dir/meson-logs/$log.json"
  meson test -C "$dir" --print-errorlogs "$@" || rc=$?
  read -r ok fail skip timeout xfail xpass < <(test_totals "$dir" "$log")
  if [ "$rc" -ne 0 ] && [ $((fail + timeout + xpass)) -eq 0 ]; then
    # meson itself failed (e.g. a build error before any test ran).
    fail=1
  fi
  [ "$rc" -eq 0 ] || status=1
  echo "== $dir/ ($what): Ok: $ok  Fail: $fail  Skipped: $skip  Timeout: $timeout" \
       " ($((SECONDS - start)) s)"
  total_ok=$((total_ok + ok))
  total_fail=$((total_fail + fail))
  total_skip=$((total_skip + skip))
  total_timeout=$((total_timeout + timeout))
  total_xfail=$((total_xfail + xfail))
  total_xpass=$((total_xpass + xpass))
}

install_packages

# Warnings are errors in the project's own builds.
setup_build build -Dwerror=true -Dgtk_doc=true

case "$mode" in
  build)
    ;;
  demo)
    echo "== Running the demo (build/examples/tcpc-demo)"
    ./build/examples/tcpc-demo
    ;;
  test)
    run_tests build "normal build"

    # g-ir-scanner runs the library it scans, so introspection is off under
    # the sanitizers (the binding tests run in the normal build).
    if setup_build build-sanitize -Dwerror=true \
         -Db_sanitize=address,undefined -Db_lundef=false -Dintrospection=disabled; then
      # The suite is leak-free, so LeakSanitizer stays on: a leak fails the run.
      export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
      export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
      export G_SLICE=always-malloc
      run_tests build-sanitize "ASan/UBSan build"
    else
      echo "== build-sanitize/ failed to build" >&2
      status=1
      total_fail=$((total_fail + 1))
    fi

    # valgrind memcheck over the C suites of the normal build: GLib's
    # suppressions and the project's (each one explained in the file),
    # timeouts times 5, the heavy fault scenarios scaled down. Skipped
    # there: /Tcpc/Network/tls/handshake-timeout, whose 0.4 s connect
    # timeout can expire before the slowed-down TLS backend sends its
    # ClientHello (it runs in the two builds above).
    export G_SLICE=always-malloc TCPC_TEST_QUICK=1
    run_tests build "valgrind memcheck, C suites" testlog-valgrind \
      --no-rebuild --suite client --suite filter --suite network --suite fault \
      --no-suite bindings -t 5 --test-args="-s /Tcpc/Network/tls/handshake-timeout" \
      --wrap="valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --suppressions=/usr/share/glib-2.0/valgrind/glib.supp --suppressions=$PWD/tests/valgrind.supp --num-callers=30"
    unset TCPC_TEST_QUICK

    # libFuzzer: every target for a bounded time (a crash input found
    # becomes a regression test in tests/fuzz/corpus/, see the script)
    fuzz_start=$SECONDS
    if bash tests/fuzz/build-and-run.sh; then
      echo "== Fuzzing: OK ($((SECONDS - fuzz_start)) s)"
    else
      echo "== Fuzzing: FAILED ($((SECONDS - fuzz_start)) s)" >&2
      status=1
      total_fail=$((total_fail + 1))
    fi

    passed=$((total_ok + total_xfail))
    failed=$((total_fail + total_timeout + total_xpass))
    echo "== All stages (${SECONDS} s): Ok: $total_ok  Expected Fail: $total_xfail  Fail: $total_fail" \
         " Unexpected Pass: $total_xpass  Skipped: $total_skip  Timeout: $total_timeout"
    # The plain closing line: meson tests of both builds and of valgrind.
    if [ "$total_skip" -gt 0 ]; then
      echo "$passed passed, $failed failed, $total_skip skipped"
    else
      echo "$passed passed, $failed failed"
    fi
    ;;
esac

exit "$status"
