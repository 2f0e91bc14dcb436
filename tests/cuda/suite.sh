#!/usr/bin/env bash
# tests/cuda/suite.sh — the CUDA building blocks, proven without a GPU.
#   1. ABI: the driver table and the NVRTC declarations compile against the
#      toolkit's cuda.h / nvrtc.h (when /usr/local/cuda or $CUDA_HOME has them)
#   2. unit: image choice, ptxas log parsing, the loader's error paths, the
#      emulator's strictness (release and ASan builds)
#   3. nvrtc: every kernel template, over a set of configurations, compiles with
#      NVRTC for every default architecture plus PTX, warning-free and spill-free;
#      registers / shared memory / stack / spills per kernel are printed
#   4. sweep: a seeded random sweep of configurations (tests/cuda/gen.py, PyTorch's
#      conv_transpose{1,2,3}d forward and autograd gradients as the oracle) run
#      through the real host path against the emulator (release, and under ASan with
#      the kernels themselves built with ASan); --perturb shows a wrong answer fails
#   5. no driver: the loader fails with a clear message and a non-zero status
#   6. the device path through a stub driver
#   7. tests/cuda/examples.sh: `netc build --target cuda --exe` and `emit-cuda` on every
#      example network (and tests/cuda/nets/), `infer --emulate` and `train --emulate`
#      against the CPU build
# NETC_QUICK=1 shortens the sweep.  Ends with "N passed, N failed".
set -uo pipefail
# The body is one function, so bash has read the whole file before running any of it.
main() {
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export NETC_ROOT=$root
cd "$root"
py=/usr/bin/python3
pass=0; fail=0
add() { pass=$((pass + $1)); fail=$((fail + $2)); }
# sum the "N passed, N failed" line of a log into the totals
tally() {
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$line" ]; then add 0 1; return; fi
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
    add "$p" "$f"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work

# the ASan+UBSan variant; inside NETC_SANITIZE's shadow checkout build/ is it already
asan=build/asan
[ -L "$root/build" ] && asan=build
ninja -C "$root" build/all-cuda $asan/all-cuda build/netc build/libnetcfiles.a >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; echo "0 passed, 1 failed"; exit 1; }

echo "== 1. ABI against the CUDA toolkit headers"
cuda=${CUDA_HOME:-/usr/local/cuda}
if [ -f "$cuda/include/cuda.h" ] && [ -f "$cuda/include/nvrtc.h" ]; then
    if gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -fsyntax-only \
           -I"$cuda/include" -Iruntime -Icompiler tests/cuda/abi_check.c 2>"$work/abi.log"; then
        echo "ok   driver table and NVRTC declarations match $cuda/include"; add 1 0
    else
        cat "$work/abi.log"; echo "FAIL ABI check"; add 0 1
    fi
else
    echo "skip: no CUDA toolkit headers in $cuda/include"
fi

echo "== 2. unit"
variants=(build)
[ "$asan" != build ] && variants+=("$asan")   # in the shadow checkout build/ is the ASan build already
for v in "${variants[@]}"; do
    echo "-- $v"
    "$v/tests/cuda/unit" "$v/tests/cuda" "$root" >"$work/unit.log" 2>&1
    grep -v '^ok' "$work/unit.log"
    tally "$work/unit.log"
done

echo "== 3. NVRTC: every template, every default architecture"
$py tests/cuda/gen.py "$work/nv" 0 0 --nvrtc-set 2>"$work/gen.log" ||
    { mkdir -p "$work/nv"; $py tests/cuda/gen.py "$work/nv" 0 0 --nvrtc-set; }
nvcases=$work/nv/cases.txt
if [ "${NETC_SANITIZE:-0}" = 1 ]; then
    # NVRTC itself is not instrumented: the release pass compiles every case's
    # templates; here one case runs netc's NVRTC calls under the sanitizers
    head -n 2 "$nvcases" >"$work/nv/cases1.txt"
    nvcases=$work/nv/cases1.txt
fi
if build/tests/cuda/tconv_check probe --emulate >/dev/null &&
   ! build/tests/cuda/tconv_check nvrtc --dump "$work/nv" "$nvcases" >"$work/nvrtc.log" 2>&1 &&
   grep -q 'NVRTC not found' "$work/nvrtc.log"; then
    grep 'NVRTC not found' "$work/nvrtc.log"; echo "skip: no NVRTC on this machine"
else
    cat "$work/nvrtc.log"
    tally "$work/nvrtc.log"
fi

ptxas=${CUDA_HOME:-/usr/local/cuda}/bin/ptxas
if [ -x "$ptxas" ] && ls "$work"/nv/*.ptx >/dev/null 2>&1; then
    echo "-- the PTX (forward compatibility) assembles for architectures without a CUBIN"
    for a in sm_110 sm_121; do
        bad=0
        for p in "$work"/nv/*.ptx; do
            "$ptxas" -arch=$a -v "$p" -o "$work/ptx.cubin" >"$work/ptxas.log" 2>&1 &&
                ! grep -qi warning "$work/ptxas.log" || { cat "$work/ptxas.log"; bad=1; }
        done
        if [ $bad -eq 0 ]; then echo "ok   every PTX assembles for $a"; add 1 0
        else echo "FAIL PTX for $a"; add 0 1; fi
    done
fi

echo "-- each template alone is valid C11 through shim.h; the guards fire"
defs="-DNETC_N=2 -DNETC_CIN=4 -DNETC_COUT=6 -DNETC_GROUPS=2 -DNETC_I0=5 -DNETC_O0=11 -DNETC_K0=3 -DNETC_S0=2"
for t in tconv_fwd tconv_dact tconv_dx tconv_dw; do
    if gcc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c -Itemplates/cuda $defs \
           "templates/cuda/$t.cu" 2>"$work/c.log"; then
        echo "ok   $t.cu as C"; add 1 0
    else cat "$work/c.log"; echo "FAIL $t.cu as C"; add 0 1; fi
done
guard() {   # message, extra flags...
    local want=$1; shift
    if ! gcc -std=c11 -fsyntax-only -x c -Itemplates/cuda "$@" templates/cuda/tconv_fwd.cu \
             2>"$work/c.log" && grep -q "$want" "$work/c.log"; then
        echo "ok   guard: $want"; add 1 0
    else echo "FAIL guard: $want"; add 0 1; fi
}
guard "are required" -DNETC_N=1
guard "NETC_GROUPS must divide" $defs -UNETC_GROUPS -DNETC_GROUPS=3
guard "stride > 16 on axis 0" $defs -UNETC_S0 -DNETC_S0=17
guard "unknown NETC_ACT" $defs -DNETC_ACT=9

echo "== 4. sweep against PyTorch through the emulator"
count=240; asan_count=120
if [ "${NETC_QUICK:-0}" = 1 ]; then count=40; asan_count=20; fi
mkdir -p "$work/data"
$py tests/cuda/gen.py "$work/data" "$count" 20261122 || { echo "FAIL gen.py"; add 0 1; }
asan_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 4 ] && jobs=4
sweep() {   # variant label [extra args...]
    local v=$1 label=$2; shift 2
    local pids=() k
    for ((k = 0; k < jobs; k++)); do
        "$v/tests/cuda/tconv_check" run --emulate "$@" --shard "$k/$jobs" \
            "$work/data/cases.txt" "$work/data" >"$work/sweep.$label.$k" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}
echo "-- release ($count configurations)"
rel_flags="-O1"
[ "$asan" = build ] && rel_flags="-O1 $asan_flags"   # the shadow checkout: the kernels instrumented too
sweep build rel --hostcc-flags "$rel_flags"
: >"$work/rel.rows"
for ((k = 0; k < jobs; k++)); do
    grep -vE '^(device:|[0-9]+ passed, [0-9]+ failed$)' "$work/sweep.rel.$k" >>"$work/rel.rows"
    tally "$work/sweep.rel.$k"
done
grep -v '^ok' "$work/rel.rows"
sort -k3 -n -o "$work/rel.rows" "$work/rel.rows"
echo "$(grep -c '^ok' "$work/rel.rows") of $(grep -vc '^#' "$work/data/cases.txt") configurations" \
     "($count random + edge cases) match; worst error/tolerance" \
     "(1 = at the tolerance): $(awk '$1=="ok"{for(i=6;i<=12;i+=2) if($i>m) m=$i} END{print m+0}' "$work/rel.rows")"
head -n 12 "$work/rel.rows"; echo "..."

if [ "$asan" != build ]; then
echo "-- ASan+UBSan, kernels built with ASan too ($asan_count configurations)"
{ head -n $((asan_count + 1)) "$work/data/cases.txt"; tail -n 6 "$work/data/cases.txt"; } \
    >"$work/data/cases_asan.txt"
pids=()
for ((k = 0; k < jobs; k++)); do
    $asan/tests/cuda/tconv_check run --emulate --hostcc-flags "-O1 $asan_flags" \
        --shard "$k/$jobs" "$work/data/cases_asan.txt" "$work/data" >"$work/sweep.asan.$k" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for ((k = 0; k < jobs; k++)); do
    grep -vE '^(ok|device:|[0-9]+ passed)' "$work/sweep.asan.$k"
    tally "$work/sweep.asan.$k"
done
echo "$(cat "$work"/sweep.asan.* | grep -c '^ok') of $((asan_count + 6)) configurations match under ASan"
else
    echo "-- (the sweep above ran on the ASan+UBSan build, its kernels built with ASan+UBSan too)"
fi

echo "-- the comparison fails a wrong answer (weights scaled by 1.001)"
head -n 13 "$work/data/cases.txt" >"$work/data/cases_bad.txt"
build/tests/cuda/tconv_check run --emulate --perturb "$work/data/cases_bad.txt" "$work/data" \
    >"$work/bad.log" 2>&1
nbad=$(grep -c '^FAIL' "$work/bad.log")
if [ "$nbad" -eq 12 ]; then echo "ok   12 of 12 perturbed runs fail"; add 1 0
else cat "$work/bad.log"; echo "FAIL only $nbad of 12 perturbed runs fail"; add 0 1; fi

echo "== 5. no driver"
out=$(NETC_CUDA_DRIVER=/nonexistent/libcuda.so.1 build/tests/cuda/tconv_check probe 2>&1); rc=$?
echo "$out"
if [ $rc -ne 0 ] && [[ $out == "netc: no CUDA driver (/nonexistent/libcuda.so.1 not found): "* ]]; then
    echo "ok   probe without a driver fails with the message"; add 1 0
else echo "FAIL probe without a driver (status $rc)"; add 0 1; fi
out=$(NETC_CUDA_DRIVER=/nonexistent/libcuda.so.1 build/tests/cuda/tconv_check run --device 0 \
      "$work/data/cases_bad.txt" "$work/data" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q '^netc: no CUDA driver (' <<<"$out"; then
    echo "ok   a device run without a driver fails with the message"; add 1 0
else echo "$out"; echo "FAIL device run without a driver (status $rc)"; add 0 1; fi

echo "== 6. the device path up to the driver (a stub libcuda.so.1 reporting cc 8.6)"
if grep -q '^NVRTC ' "$work/nvrtc.log"; then
    out=$(NETC_CUDA_DRIVER=$root/build/tests/cuda/libcuda_stub.so NETC_STUB_INIT=0 \
          build/tests/cuda/tconv_check run --device 0 "$work/data/cases_bad.txt" "$work/data" 2>&1)
    echo "$out" | head -n 3
    n=$(grep -c 'cuModuleLoadDataEx (cubin sm 86) failed: CUDA_ERROR_NO_BINARY_FOR_GPU.*' <<<"$out")
    m=$(grep -c '^stub: ELF image, machine 190$' <<<"$out")
    if [ "$n" -eq 12 ] && [ "$m" -eq 12 ]; then
        echo "ok   NVRTC built sm_86 CUBINs, the picker chose them, the driver received CUDA ELF"; add 1 0
    else echo "FAIL device path through the stub ($n, $m of 12)"; add 0 1; fi
else
    echo "skip: no NVRTC"
fi

echo "== 7. netc build --target cuda on every example, against the CPU build (emulator)"
if grep -q '^NVRTC ' "$work/nvrtc.log"; then
    mkdir -p "$work/examples"
    tests/cuda/examples.sh "$work/examples" >"$work/examples.log" 2>&1
    grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$work/examples.log"
    tally "$work/examples.log"
else
    echo "skip: no NVRTC"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
}
main "$@"; exit $?   # on one line: bash never reads past it, even if the file changes
