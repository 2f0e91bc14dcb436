#!/usr/bin/env bash
# tests/sanitize/suite.sh — every example's generated code under ASan and UBSan.
#
# For every network of examples/*.net, build/asan/netc (the compiler itself under
# ASan+UBSan) builds the standalone program with `--exe` and
# NETC_CFLAGS="-O0 -g -fsanitize=address,undefined -fno-sanitize-recover=all", linked
# with build/asan/libnetcfiles.a, and the suite runs
#     info, infer (batch + 3 samples: a full chunk and a padded one),
#     train --steps 2 --save (2 * batch + 3 samples: a dropped remainder),
#     eval --weights (the checkpoint; a padded last chunk), bench --iters 2 (and with
#     --layers, --train --layers: the layer timers),
# and, for a network without a train block, train (refused, exit 2);
# with ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 and UBSAN halt_on_error=1.  Each
# command must exit as expected and print no sanitizer report; infer's output must be
# finite and every element written (program.c fills outputs with a NaN sentinel).
#
# Sanitizers slow the unrolled kernels a hundredfold (dcgan's batch of 64 takes
# minutes per step), so the examples are built with their batch set to 2
# (BATCH overrides): the same layers, kernels, shapes and index arithmetic per sample,
# the batch loops shorter.  Budget: under 4 minutes on the shared 2-core machine.
#
# Every other suite runs on the sanitizer build in tests/run's second pass (quick
# sizes; `NETC_SANITIZE=1 tests/run SUITE...` or `ninja tests-asan` for that pass
# alone), which skips this suite.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
here=$root/tests/sanitize
py=/usr/bin/python3
BATCH=${BATCH:-2}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && head -c 3000 <<<"$2" | sed 's/^/     /'; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

echo "== build"
asan=build/asan
[ -L "$root/build" ] && asan=build   # inside NETC_SANITIZE's shadow checkout build/ is build/asan/
if ! ninja -C "$root" $asan/netc $asan/all-files >"$T/build.log" 2>&1; then
    bad "ninja $asan/netc $asan/all-files" "$(tail -20 "$T/build.log")"; finish
fi
# a copy beside a copy of the library: a rebuild in the checkout cannot pull them away
mkdir -p "$T/bin"
cp "$root/$asan/netc" "$root/$asan/libnetcfiles.a" "$T/bin/" || { bad "copy $asan"; finish; }
netc=$T/bin/netc
export NETC_ROOT=$root
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
SAN="-O0 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

report() { grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$@" 2>/dev/null; }
# step DESC WANT_RC CMD...: run, expect the status and no sanitizer report
step() {
    local d=$1 want=$2
    shift 2
    local t0=$SECONDS
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if report "$T/err" >/dev/null; then bad "$d: sanitizer report" "$(grep -A12 -E 'ERROR|runtime error' "$T/err" | head -30)"; return 1; fi
    if [ "$rc" -ne "$want" ]; then bad "$d: exit $rc, wanted $want" "$(tail -5 "$T/err")"; return 1; fi
    ok "$d ($((SECONDS - t0)) s)"
}

t_all=$SECONDS
for f in "$root"/examples/*.net; do
    base=$(basename "$f" .net)
    src=$T/$base.net
    sed -E "s/^([[:space:]]*batch[[:space:]]*=[[:space:]]*)[0-9]+/\1$BATCH/" "$f" >"$src"
    "$netc" check --json "$src" >"$T/$base.json" 2>"$T/err" || { bad "$base: netc check --json" "$(cat "$T/err")"; continue; }
    for net in $($py -c 'import json,sys; print(" ".join(n["name"] for n in json.load(open(sys.argv[1]))["networks"]))' "$T/$base.json"); do
        d=$T/$net
        mkdir -p "$d"
        echo "== $net ($base.net, batch $BATCH)"
        NETC_CFLAGS="$SAN" step "$net: build/asan/netc build --exe, generated code with -fsanitize=address,undefined" 0 \
            "$netc" build "$src" --network "$net" -o "$d/gen" --exe || continue
        P=$d/gen/$net
        trains=$($py "$here/gen.py" "$T/$base.json" "$net" "$d") || { bad "$net: gen.py"; continue; }
        step "$net: info" 0 "$P" info
        ins=()
        for x in "$d"/in_*.npy; do [ -e "$x" ] && { n=${x##*/in_}; ins+=(--input "${n%.npy}=$x"); }; done
        outs=()
        for o in $("$P" info | awk '/^  output/ {print $2}'); do outs+=(--output "$o=$d/out_$o.npy"); done
        if step "$net: infer $((BATCH + 3)) samples" 0 "$P" infer --seed 3 "${ins[@]}" "${outs[@]}"; then
            $py -c "
import sys, numpy as np
for p in sys.argv[2:]:
    a = np.load(p)
    assert a.shape[0] == int(sys.argv[1]) and np.all(np.isfinite(a)), p
" $((BATCH + 3)) "$d"/out_*.npy && ok "$net: infer's outputs finite, every element written" || bad "$net: infer's outputs hold NaN (unwritten) or Inf"
        fi
        if [ -n "$trains" ]; then
            data=()
            for n in $trains; do data+=(--data "$n=$d/tr_$n.npy"); done
            step "$net: train --steps 2 --save" 0 "$P" train "${data[@]}" --steps 2 --seed 5 --save "$d/w.st"
            step "$net: eval --weights the checkpoint" 0 "$P" eval "${data[@]}" --weights "$d/w.st"
        else
            step "$net: train without a train block is refused" 2 "$P" train --data "x=$d/none.npy"
        fi
        step "$net: bench --iters 2" 0 "$P" bench --iters 2
        step "$net: bench --layers --iters 2" 0 "$P" bench --layers --iters 2
        [ -n "$trains" ] && step "$net: bench --train --layers --iters 2" 0 "$P" bench --train --layers --iters 2
    done
done
echo "     $((SECONDS - t_all)) s for every example"

finish
