#!/usr/bin/env bash
# tests/cuda/examples.sh — the CUDA backend end to end on every network of examples/,
# against the CPU backend (itself checked against PyTorch by tests/numeric and
# tests/train), through the emulator (runtime/cuda_fake.c runs the same kernel source
# compiled as C).  Called by tests/cuda/suite.sh; prints ok/FAIL lines and ends with
# "N passed, N failed".  Usage: examples.sh WORKDIR
#   per network:  netc build --target cuda --exe (and the CPU build, at -O0 to build
#                 fast): NVRTC compiles every kernel for every default architecture
#                 (autoencoder, decoder3d, kinds, head and pools, which together
#                 instantiate every template; the others for sm_80; NETC_QUICK=1:
#                 autoencoder only),
#                 warning-free; ptxas's figures are in NAME_ptxas.txt, one row per
#                 kernel per architecture, and a spill fails
#                 infer --emulate == the CPU build's infer (same seed, same input)
#                 train --emulate == the CPU build's train: loss per step (1e-5) and
#                 every parameter and optimiser tensor of the final checkpoint (1e-3 of
#                 the tensor's largest magnitude; weights trained with Adam also get
#                 a quarter of lr per step: see examples.py allow)
#   once:         netc emit-cuda writes .cu, .ptx, a .cubin per architecture and the
#                 header; without a driver the program fails plainly; a wrong answer
#                 (another seed) fails the comparison
set -uo pipefail
main() {
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
work=$1
py=/usr/bin/python3
ex=tests/cuda/examples.py
export NETC_ROOT=$root
# a private copy of netc (others may relink build/netc while this runs), next to the
# libraries --exe links, as in build/
mkdir -p "$work/bin"
for try in 1 2 3 4 5 6; do
    cp build/netc "$work/bin/netc" 2>/dev/null && "$work/bin/netc" --version >/dev/null 2>&1 && break
    sleep 10
done
ln -sf "$root/build/libnetcfiles.a" "$work/bin/libnetcfiles.a"
ln -sfn "$root/build/runtime" "$work/bin/runtime"
netc=$work/bin/netc
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
rtol_out=1e-5; rtol_loss=1e-5; rtol_w=1e-3
# NETC_CUDA_DEVICE=1 (tests/gpu/run.sh): run on the GPU instead of the emulator;
# the device's float arithmetic (FMA contraction, its expf) needs looser tolerances
emu=--emulate; where=emulate
if [ "${NETC_CUDA_DEVICE:-0}" = 1 ]; then emu=; where=GPU; rtol_out=1e-4; rtol_loss=1e-4; rtol_w=3e-3; fi

nets=()
for f in examples/*.net tests/cuda/nets/*.net; do
    # on the sanitizer build (NETC_SANITIZE=1) the emulator runs every GPU thread of
    # every kernel instrumented on one host core: there the small networks of
    # tests/cuda/nets and the autoencoder example only
    if [ "${NETC_SANITIZE:-0}" = 1 ] && [[ $f == examples/* ]] && [ "$f" != examples/autoencoder.net ]; then continue; fi
    for n in $(grep -oE '^network +[A-Za-z_][A-Za-z0-9_]*' "$f" | awk '{print $2}'); do nets+=("$f:$n"); done
done
# built for every default architecture: together they instantiate every template
# (the others are built for sm_80 only, to keep the suite's time down)
allarch=" autoencoder decoder3d kinds head pools "
[ "${NETC_QUICK:-0}" = 1 ] && allarch=" autoencoder "
# dcgan's emulated training step takes minutes (every thread of every kernel runs on
# one host core; 6.7 GMAC a forward pass of its batch): dcgan itself is only compiled, its
# layer sequence runs and trains as tests/cuda/nets/dcgan_small

for fn in "${nets[@]}"; do
    f=${fn%%:*}; n=${fn##*:}
    d=$work/ex/$n; cpu=$work/ex/$n.cpu
    mkdir -p "$d" "$cpu"
    archs=()
    [[ $allarch == *" $n "* ]] || [ "${NETC_CUDA_DEVICE:-0}" = 1 ] || archs=(--cuda-arch sm_80)
    if ! $netc build "$f" --network "$n" --target cuda -o "$d" --exe "${archs[@]}" >"$d/build.log" 2>&1; then
        cat "$d/build.log"; bad "$n: netc build --target cuda --exe"; continue
    fi
    # ptxas: one row per kernel per architecture, no spills
    nk=$(grep -oE '_KERNEL_COUNT [0-9]+' "$d/${n}_kernels.h" | awk '{print $2}')
    na=$(awk '!/^#/{print $1}' "$d/${n}_ptxas.txt" | sort -u | wc -l)
    rows=$(grep -vc '^#' "$d/${n}_ptxas.txt")
    spills=$(awk '!/^#/ && ($7 + $8) > 0' "$d/${n}_ptxas.txt" | wc -l)
    maxr=$(awk '!/^#/ && $3 > m {m = $3} END {print m + 0}' "$d/${n}_ptxas.txt")
    if [ "$rows" -eq $((nk * na)) ] && [ "$spills" -eq 0 ] && [ "$nk" -gt 0 ]; then
        ok "$n: $nk kernels x $na architectures compiled by NVRTC, no warnings, no spills (at most $maxr registers)"
    else bad "$n: ptxas rows $rows for $nk kernels x $na archs, $spills spilling"; fi
    [ "$n" = dcgan ] && continue
    if ! $netc build "$f" --network "$n" -o "$cpu" --exe --cflags -O0 >"$cpu/build.log" 2>&1; then
        cat "$cpu/build.log"; bad "$n: the CPU build"; continue
    fi
    $py $ex data "$d" "$d/$n.c" 64 7 || { bad "$n: test data"; continue; }
    # inference
    iargs=$($py $ex args "$d" "$d/$n.c" infer)
    cargs=$($py $ex args "$cpu" "$d/$n.c" infer)
    cp "$d"/in_*.npy "$cpu"/
    if "$d/$n" infer $emu --seed 5 $iargs >"$d/infer.log" 2>&1 && "$cpu/$n" infer --seed 5 $cargs >"$cpu/infer.log" 2>&1; then
        good=1
        for o in "$d"/out_*.npy; do
            $py $ex close "$o" "$cpu/$(basename "$o")" $rtol_out >"$d/cmp.log" || good=0
            sed "s/^/     /" "$d/cmp.log"
        done
        [ $good = 1 ] && ok "$n: infer ($where) matches the CPU build" || bad "$n: infer ($where) differs from the CPU build"
    else
        cat "$d/infer.log" "$cpu/infer.log"; bad "$n: infer"
    fi
    # training
    if grep -q '_train_step' "$d/$n.h"; then
        targs=$($py $ex args "$d" "$d/$n.c" train)
        cp "$d"/tr_*.npy "$cpu"/
        ctargs=$($py $ex args "$cpu" "$d/$n.c" train)
        if "$d/$n" train $emu --steps 3 --seed 9 $targs --log "$d/loss.csv" --save "$d/w.safetensors" >"$d/train.log" 2>&1 &&
           "$cpu/$n" train --steps 3 --seed 9 $ctargs --log "$cpu/loss.csv" --save "$cpu/w.safetensors" >"$cpu/train.log" 2>&1; then
            if $py $ex logs "$d/loss.csv" "$cpu/loss.csv" $rtol_loss >"$d/cmp.log"; then
                sed "s/^/     /" "$d/cmp.log"; ok "$n: train ($where): the loss of 3 steps matches the CPU build"
            else cat "$d/cmp.log"; bad "$n: train ($where) loss"; fi
            allow=$($py $ex allow "$f" "$n" 3)
            if $py $ex closest "$d/w.safetensors" "$cpu/w.safetensors" $rtol_w "$allow" >"$d/cmp.log"; then
                echo "     $(grep -c '^ok' "$d/cmp.log") tensors, worst: $(sed 's/.*(\([0-9.]*\) of it)$/\1 &/' "$d/cmp.log" | sort -g -r | head -n 1 | cut -d' ' -f2-)"
                ok "$n: train ($where): parameters and optimiser state after 3 steps match"
            else grep -v '^ok' "$d/cmp.log"; bad "$n: train ($where) checkpoint"; fi
        else
            tail -n 5 "$d/train.log" "$cpu/train.log"; bad "$n: train"
        fi
    fi
done

echo "-- the host side under ASan and UBSan (dcgan_small, emulated)"
n=dcgan_small; d=$work/ex/$n.asan; src=$work/ex/$n
mkdir -p "$d"
if [ -f "$src/tr_z.npy" ] &&
   NETC_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
       $netc build tests/cuda/nets/dcgan_small.net --target cuda -o "$d" --exe --cuda-arch sm_80 >"$d/build.log" 2>&1; then
    if ASAN_OPTIONS=detect_leaks=1 "$d/$n" infer --emulate --seed 5 $($py $ex args "$src" "$src/$n.c" infer | sed "s|$src/out_|$d/out_|g") >"$d/run.log" 2>&1 &&
       ASAN_OPTIONS=detect_leaks=1 "$d/$n" train --emulate --steps 2 --seed 9 $($py $ex args "$src" "$src/$n.c" train) >>"$d/run.log" 2>&1; then
        ok "$n's program (upload, launch, download, the emulator) is clean under ASan and UBSan"
    else tail -n 20 "$d/run.log"; bad "$n under ASan"; fi
else
    tail -n 20 "$d/build.log"; bad "$n: the ASan build"
fi

echo "-- the comparison fails a wrong answer (the CPU build with another seed)"
n=autoencoder; d=$work/ex/$n; cpu=$work/ex/$n.cpu
if [ -x "$d/$n" ]; then
    "$cpu/$n" infer --seed 6 $($py $ex args "$cpu" "$d/$n.c" infer) >/dev/null 2>&1
    if ! $py $ex close "$d/out_rec.npy" "$cpu/out_rec.npy" $rtol_out >/dev/null; then ok "another seed's output fails the comparison"
    else bad "the comparison passed a wrong answer"; fi
    "$cpu/$n" train --steps 3 --seed 10 $($py $ex args "$cpu" "$d/$n.c" train) --log "$cpu/loss10.csv" \
        --save "$cpu/w10.safetensors" >/dev/null 2>&1
    if ! $py $ex logs "$d/loss.csv" "$cpu/loss10.csv" $rtol_loss >/dev/null &&
       ! $py $ex closest "$d/w.safetensors" "$cpu/w10.safetensors" $rtol_w "$($py $ex allow examples/autoencoder.net $n 3)" >/dev/null; then
        ok "training on other batches (another seed) fails the loss and checkpoint comparisons"
    else bad "the training comparison passed a wrong answer"; fi
fi

echo "-- without a driver the program says so and fails"
if [ -x "$d/$n" ]; then
    out=$(NETC_CUDA_DRIVER=/nonexistent/libcuda.so.1 "$d/$n" infer --seed 5 $($py $ex args "$d" "$d/$n.c" infer) 2>&1); rc=$?
    if [ $rc -ne 0 ] && grep -q '^netc: no CUDA driver (/nonexistent/libcuda.so.1 not found)' <<<"$out" &&
       grep -q 'runs on a CUDA GPU; without one, --emulate' <<<"$out"; then
        ok "infer without a driver: status $rc, \"$(head -n 1 <<<"$out" | cut -c1-60)...\""
    else echo "$out"; bad "infer without a driver (status $rc)"; fi
    out=$("$d/$n" info 2>&1) && grep -q "network $n" <<<"$out" && ok "info needs no GPU" || bad "info"
fi

echo "-- netc emit-cuda"
e=$work/emit
if $netc emit-cuda examples/autoencoder.net --network decoder -o "$e" >"$work/emit.log" 2>&1; then
    na=$(awk '!/^#/{print $1}' "$e/decoder_ptxas.txt" | sort -u | wc -l)
    nc=$(ls "$e"/decoder_sm_*.cubin 2>/dev/null | wc -l)
    if [ -s "$e/decoder.cu" ] && [ -s "$e/decoder.ptx" ] && [ "$nc" -eq "$na" ] && [ "$nc" -ge 1 ] &&
       grep -q 'DECODER_KERNELS(X)' "$e/decoder_kernels.h" && grep -q '\.entry netc_tconv_fwd_k0' "$e/decoder.ptx" &&
       [ ! -e "$e/decoder_cuda.c" ]; then
        ok "emit-cuda wrote decoder.cu, .ptx, $nc CUBINs (one per architecture) and the header"
    else ls -l "$e"; bad "emit-cuda files"; fi
    if gcc -std=c11 -fsyntax-only -x c "$e/decoder_kernels.h" 2>"$work/h.log"; then ok "the kernel header is valid C"
    else cat "$work/h.log"; bad "kernel header"; fi
else
    cat "$work/emit.log"; bad "netc emit-cuda"
fi
out=$($netc emit-cuda examples/upsampler1d.net -o "$work/x" --cuda-arch sm_1 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--cuda-arch 'sm_1'" <<<"$out" && ok "a bad --cuda-arch is a usage error" || { echo "$out"; bad "--cuda-arch sm_1 (status $rc)"; }
out=$($netc build examples/upsampler1d.net --target opencl -o "$work/x" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown target 'opencl'" <<<"$out" && [ ! -e "$work/x" ] && ok "an unknown --target is a usage error" ||
    { echo "$out"; bad "--target opencl (status $rc)"; }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
}
main "$@"; exit $?
