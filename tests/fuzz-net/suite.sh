#!/usr/bin/env bash
# tests/fuzz-net/suite.sh — fuzz the whole front end (parse → build → passes →
# reports) with libFuzzer under ASan, UBSan and LeakSanitizer.
#
# The target (fuzz_net.c) is built here with clang -fsanitize=fuzzer,address,undefined
# straight from the front-end sources and the bison/flex output in build/grammar/,
# into build/fuzz-net/.  It starts from the committed seeds in corpus/ (refresh
# them with seed.sh) and the dictionary net.dict, runs for 30 s (5 s with
# NETC_QUICK=1; FUZZ_SECONDS overrides), and fails on any crash, leak, sanitizer
# report or input that takes over 10 s.  New inputs go to a scratch corpus that is
# thrown away; a crash leaves its input in build/fuzz-net/ to become a golden case.
# Prints the executions and the coverage; one test.  Then gen.py writes random
# networks that parse (600, 100 with NETC_QUICK=1; GEN_SEED picks them) for the
# ASan build of netc: a second test.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
here=$root/tests/fuzz-net
out=$root/build/fuzz-net
secs=${FUZZ_SECONDS:-30}
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
      compiler/check_train.c compiler/passes.c compiler/report.c compiler/lower.c compiler/lower_train.c
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

# Random networks that parse (gen.py), through the ASan build of netc: exit 0 or 1,
# no sanitizer report, each within 10 s.
n=${GEN_COUNT:-600}
[ "${NETC_QUICK:-0}" = 1 ] && n=${GEN_COUNT:-100}
seed=${GEN_SEED:-$(date +%s)}
if ! ninja -C "$root" build/asan/netc >"$tmp/build.log" 2>&1 || ! /usr/bin/python3 "$here/gen.py" "$tmp/gen" "$n" "$seed"; then
    cat "$tmp/build.log"; echo "FAIL generated networks: setup"; echo "1 passed, 1 failed"; exit 1
fi
cp "$root/build/asan/netc" "$tmp/netc-asan"   # a copy: others may relink build/ meanwhile
bad=0; clean=0
for f in "$tmp"/gen/*.net; do
    timeout 10 "$tmp/netc-asan" check --quiet "$f" >/dev/null 2>"$f.err"
    rc=$?
    [ "$rc" -eq 0 ] && clean=$((clean + 1))
    if { [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; } || grep -qE 'runtime error:|Sanitizer' "$f.err"; then
        bad=$((bad + 1))
        cp "$f" "$out/gen-seed$seed-$(basename "$f")"
        echo "     exit $rc on $(basename "$f") (kept in $out/):"; head -n 20 "$f.err" | sed 's/^/     /'
    fi
done
if [ "$bad" -ne 0 ]; then
    echo "FAIL generated networks: $bad of $n crashed or tripped a sanitizer (gen.py seed $seed)"
    echo "1 passed, 1 failed"
    exit 1
fi
echo "ok   generated networks: $n files (gen.py seed $seed), $clean clean, the rest rejected, no crash"
echo "2 passed, 0 failed"
