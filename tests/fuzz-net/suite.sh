#!/usr/bin/env bash
# tests/fuzz-net/suite.sh — fuzz the whole front end (parse → build → passes →
# reports) with libFuzzer under ASan, UBSan and LeakSanitizer.
#
# The target (fuzz_net.c) is built here with clang -fsanitize=fuzzer,address,undefined
# straight from the front-end sources and the bison/flex output in build/grammar/,
# into build/fuzz-net/.  It starts from the committed seeds in corpus/ (refresh
# them with seed.sh) and the dictionary net.dict, runs for 60 s (5 s with
# NETC_QUICK=1; FUZZ_SECONDS overrides), and fails on any crash, leak, sanitizer
# report or input that takes over 10 s.  New inputs go to a scratch corpus that is
# thrown away; a crash leaves its input in build/fuzz-net/ to become a golden case.
# Prints the executions and the coverage; one test.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
here=$root/tests/fuzz-net
out=$root/build/fuzz-net
secs=${FUZZ_SECONDS:-60}
[ "${NETC_QUICK:-0}" = 1 ] && secs=${FUZZ_SECONDS:-5}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fuzz-net: libFuzzer over the front end for ${secs}s"
if ! ninja -C "$root" build/grammar/net.tab.c build/grammar/net.yy.c >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"; echo "0 passed, 1 failed"; exit 1
fi
srcs=(compiler/arena.c compiler/diag.c compiler/parse.c compiler/ir.c compiler/layers.c compiler/layer_*.c
      compiler/resolve.c compiler/check_attrs.c compiler/infer_shapes.c compiler/validate.c
      compiler/check_train.c compiler/passes.c compiler/report.c
      build/grammar/net.tab.c build/grammar/net.yy.c tests/fuzz-net/fuzz_net.c)
if ! clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Icompiler -Igrammar -Ibuild/grammar "${srcs[@]}" -lm -o "$out/fuzz_net.new" >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"; echo "0 passed, 1 failed"; exit 1
fi
mv -f "$out/fuzz_net.new" "$out/fuzz_net"

mkdir -p "$tmp/corpus"
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$out/fuzz_net" "$tmp/corpus" "$here/corpus" -dict="$here/net.dict" -max_total_time="$secs" \
    -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$out/" >"$tmp/fuzz.log" 2>&1
rc=$?
execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$tmp/fuzz.log" | tail -n 1)
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$tmp/fuzz.log" | tail -n 1)
corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$tmp/fuzz.log" | tail -n 1)
echo "executions ${execs:-?}, coverage ${cov:-?} (edges / features), corpus ${corp:-?}"
if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|ERROR: libFuzzer' "$tmp/fuzz.log"; then
    grep -E -A40 'ERROR:|runtime error:' "$tmp/fuzz.log" | head -80
    ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | sed 's/^/artifact: /'
    echo "FAIL fuzz_net (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok   fuzz_net: no crash, leak, sanitizer report or timeout in ${secs}s"
echo "1 passed, 0 failed"
