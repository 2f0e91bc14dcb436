#!/usr/bin/env bash
# tests/fuzz/suite.sh — run every libFuzzer target tests/fuzz/NAME.c for a bounded time.
#
# Each target is built by ninja as build/fuzz/NAME (release variant only; the edge lives
# in its owner's fragment — runtime/files.ninja for the file-format parsers).  A target
# is seeded with tests/fuzz/corpus/NAME/ (copied, so the committed corpus is never
# changed) and tests/fuzz/NAME.dict when present, and runs for 20 s (5 s with
# NETC_QUICK=1; NETC_FUZZ_SECONDS overrides).  Any crash, leak, timeout or out-of-memory
# fails the target; its input is kept in build/fuzz/artifacts/.  Per target the suite
# prints executions and coverage (cov:/ft: from libFuzzer's final stats).
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
secs=${NETC_FUZZ_SECONDS:-$([ "${NETC_QUICK:-0}" = 1 ] && echo 5 || echo 20)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p build/fuzz/artifacts
pass=0; fail=0

for src in tests/fuzz/*.c; do
    name=$(basename "$src" .c)
    bin=build/fuzz/$name
    if ! ninja -C "$root" -t query "$bin" >/dev/null 2>&1; then
        echo "FAIL $name: no ninja edge builds $bin (add one to the owning area's fragment)"
        fail=$((fail + 1)); continue
    fi
    if ! ninja -C "$root" "$bin" >"$tmp/build.log" 2>&1; then
        cat "$tmp/build.log"; echo "FAIL $name: build failed"
        fail=$((fail + 1)); continue
    fi
    corpus=$tmp/corpus-$name
    mkdir -p "$corpus"
    seeds=()
    [ -d "tests/fuzz/corpus/$name" ] && seeds+=("tests/fuzz/corpus/$name")
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict+=("-dict=tests/fuzz/$name.dict")
    log=$tmp/$name.log
    timeout $((2 * secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build/fuzz/artifacts/$name-" "${dict[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -n 1)
    stats=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -n 1)
    cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$stats")
    ft=$(sed -nE 's/.* ft: ([0-9]+) .*/\1/p' <<<"$stats")
    corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$stats")
    if [ "$rc" -eq 0 ]; then
        echo "ok   $name: ${execs:-?} executions in ${secs}s, cov: ${cov:-?} ft: ${ft:-?} corpus: ${corp:-?}"
        pass=$((pass + 1))
    else
        echo "FAIL $name (status $rc) after ${execs:-?} executions, cov: ${cov:-?}:"
        grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==|Test unit written|artifact_prefix|Slowest' "$log" | head -n 20
        fail=$((fail + 1))
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
