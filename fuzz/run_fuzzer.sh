#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its committed seed corpus; fails on a crash,
# a sanitizer report, a leak, an input slower than 10 s or memory over 2 GiB (libFuzzer exits
# non-zero and leaves the input as crash-*/timeout-*/oom-* in the work folder).
# usage: run_fuzzer.sh FUZZER SEED_DIR SECONDS WORK_DIR
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3 work=$4
rm -rf "$work"
mkdir -p "$work/corpus"
# New inputs go to the work folder, so the committed corpus is never changed by a run.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$work/" "$work/corpus" "$seeds"
