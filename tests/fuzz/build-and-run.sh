#!/usr/bin/env bash
# build-and-run.sh: build the libFuzzer targets with clang (address and
# undefined-behaviour sanitizers, libFuzzer's coverage instrumentation in the
# library too) and run each for a bounded time.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage (from anywhere):
#   bash tests/fuzz/build-and-run.sh [SECONDS-PER-TARGET] [TARGET...]
#
# SECONDS-PER-TARGET defaults to $TCPC_FUZZ_SECONDS or 20; the targets to
# all of them. Build directory: build-fuzz/ (reused). The seed corpus
# tests/fuzz/corpus/<target>/ is read, never written: what libFuzzer finds
# goes to a scratch corpus under build-fuzz/fuzz-work/. A crash stops the
# run with exit status 1; its input is saved under build-fuzz/fuzz-work/
# (crash-*, leak-*, timeout-*): copy it into tests/fuzz/corpus/<target>/
# so that the fuzz-replay suite keeps it as a regression test.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${1:-${TCPC_FUZZ_SECONDS:-20}}
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(line block netstring stream stackable map client)
fi
builddir=${TCPC_FUZZ_BUILDDIR:-build-fuzz}

if ! command -v clang >/dev/null; then
  echo "== build-and-run.sh: clang is not installed" >&2
  exit 1
fi

if [ ! -f "$builddir/build.ninja" ]; then
  echo "== Configuring $builddir/ (clang, libFuzzer, ASan/UBSan)"
  CC=clang meson setup "$builddir" \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link \
    -Dintrospection=disabled -Dexamples=false -Dgtk_doc=false
fi
echo "== Building the fuzz targets in $builddir/"
meson compile -C "$builddir" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}")

work="$builddir/fuzz-work"
mkdir -p "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}:suppressions=$PWD/tests/fuzz/ubsan.supp"
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly
export GIO_USE_VFS=local GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy

status=0
for target in "${targets[@]}"; do
  exe="$builddir/tests/fuzz/fuzz-$target"
  seeds="tests/fuzz/corpus/$target"
  scratch="$work/corpus-$target"
  mkdir -p "$scratch" "$seeds"
  echo "== Fuzzing $target for ${seconds}s"
  start=$(date +%s)
  # -rss_limit_mb: a filter that buffers without bound fails here too;
  # -timeout: one input may not take more than 10 s
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
       -max_len=4096 -print_final_stats=1 \
       -artifact_prefix="$work/$target-" "$scratch" "$seeds" \
       >"$work/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
    cov=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -1)
    echo "== $target: OK, ${runs:-?} inputs, ${cov:-cov: ?}, $(( $(date +%s) - start ))s"
  else
    status=1
    echo "== $target: FAILED ($(( $(date +%s) - start ))s); the log:" >&2
    grep -v '^#[0-9]' "$work/$target.log" | tail -60 >&2
    ls -1 "$work/$target-"* 2>/dev/null | sed 's/^/== crash input: /' >&2 || true
  fi
done
exit "$status"
