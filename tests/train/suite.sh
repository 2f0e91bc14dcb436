#!/usr/bin/env bash
# tests/train — generated training steps against PyTorch: from the same weights on
# the same batches, N steps of every optimiser give the same losses and weights
# (running statistics included) for networks covering every layer kind and loss,
# and for every example network with a train block.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
steps=8; [ "${NETC_QUICK:-}" = 1 ] && steps=3
# the examples are full-size networks (the DCGAN generator takes seconds a step in
# the double-precision reference): fewer steps there
ex_steps=4; [ "${NETC_QUICK:-}" = 1 ] && ex_steps=2
pass=0; fail=0
run() {
    local out line
    out=$(/usr/bin/python3 "$root/tests/train/vs_torch.py" "$root/build/netc" "$@" 2>&1)
    echo "$out" | grep -v '^[0-9]* passed'
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
    [ -n "$line" ] || { fail=$((fail + 1)); return; }
    pass=$((pass + $(echo "$line" | cut -d' ' -f1))); fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
}
run "$root/tests/train/nets.net" "$work/nets" --steps "$steps"
# the batch-1 large-image net again as a host build with OpenMP, on 1 and 2 threads
# (row blocks on the threads; the same bits)
run "$root/tests/train/nets.net" "$work/rows-threads" --network rows,rowswide --steps "$steps" --threads 1,2
# the region path (GEMMs over each region's taps, forward and input gradient) as a
# host build with OpenMP, its chunks on 1 and 2 threads (the same bits)
run "$root/tests/train/nets.net" "$work/regions-threads" --network regions,regionpairs,regiondeep --steps "$steps" --threads 1,2
# the unrolled path (convolutions' and transposed ones' forwards and input gradients,
# in 2-D and 1-D, adding and not), its samples and panels on 1 and 2 threads (the same bits)
run "$root/tests/train/nets.net" "$work/unrolled-threads" --network unrolled,unrolled1d --steps "$steps" --threads 1,2
# the same on an AVX2 host without AVX-512 (the blocks on vectors of 8, NETC_VEC8),
# with the deep nets' tconvs on the unrolled path too
run "$root/tests/train/nets.net" "$work/unrolled-avx2" --network unrolled,unrolled1d,regiondeep --steps "$steps" --threads 1,2 --cflags=-mno-avx512f
# the broadcast weight gradient (the vector path's: 2-D, 1-D and 3-D convolutions and
# transposed ones, in units of samples and in row blocks, tiles of 32 and of 16 of R) on 1 and 2 threads (the same bits)
run "$root/tests/train/nets.net" "$work/dwbcast-threads" --network dwbcast,dwbcast1d,dwbcast3d,dwbcastrows,dwbcast16 --steps "$steps" --threads 1,2
# the same on an AVX2 host (NETC_VEC8's tiles: groups of rows on vectors of 8, the
# transposes 8 by 8)
run "$root/tests/train/nets.net" "$work/dwbcast-avx2" --network dwbcast,dwbcast1d,dwbcast3d,dwbcastrows,dwbcast16 --steps "$steps" --threads 1,2 --cflags=-mno-avx512f
# the pair path (a k2 s2 convolution's forward, two up-convolutions' input gradients,
# the second adding) on the vector path, on 1 and 2 threads (the same bits)
run "$root/tests/train/nets.net" "$work/pairs-threads" --network pairs --steps "$steps" --threads 1,2
# weight gradients in column chunks (of whole samples, and of row blocks), their units in parts on the threads (the same
# bits on 1 and 2)
run "$root/tests/train/nets.net" "$work/dwcols-threads" --network dwcols,dwcolsrows --steps "$steps" --threads 1,2
# direct weight gradients (2-D, rows of 8 two a vector, 1-D, 3-D) on the vector path, on 1 and 2 threads
run "$root/tests/train/nets.net" "$work/dwdirect-threads" --network dwdirect,dwdirect8,up1d,td3d --steps "$steps" --threads 1,2
# a large sample's loss, its blocks summed on the threads (the same bits on 1 and 2)
run "$root/tests/train/nets.net" "$work/bigloss-threads" --network bigloss --steps "$steps" --threads 1,2
# finite differences in double over every layer kind, and over a seeded random sweep
# of conv and tconv configurations
fdn=40; [ "${NETC_QUICK:-}" = 1 ] && fdn=10
/usr/bin/python3 "$root/tests/train/fd_sweep.py" "$work/fd_sweep.net" --count "$fdn"
cat "$root/tests/train/fd.net" "$work/fd_sweep.net" > "$work/fd_all.net"
out=$("$root/tests/train/fd.sh" "$root/build/netc" "$work/fd_all.net" "$work/fd" 2>&1)
echo "$out" | grep -E '^(network|FAIL)'
line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
echo "finite differences: $line"
if [ -n "$line" ]; then pass=$((pass + $(echo "$line" | cut -d' ' -f1))); fail=$((fail + $(echo "$line" | cut -d' ' -f3))); else fail=$((fail + 1)); fi
# On the sanitizer build (NETC_SANITIZE=1) the instrumented example networks take
# minutes each to compile and step: there they run once (Adam), at batch 4 (the same
# layers, kernels and index arithmetic per sample; batch norm still sees a batch), and
# only the two smallest (every example's generated program runs instrumented in
# tests/sanitize; their SGD runs here on the release build).
for f in "$root"/examples/*.net; do
    [ -e "$f" ] || continue
    grep -q '^ *train *{' "$f" || continue
    if [ "${NETC_SANITIZE:-0}" = 1 ]; then
        case $(basename "$f") in autoencoder.net | upsampler1d.net) ;; *) continue ;; esac
        sed -E "s/^([[:space:]]*batch[[:space:]]*=[[:space:]]*)[0-9]+/\14/" "$f" >"$work/$(basename "$f")"
        f=$work/$(basename "$f")
    fi
    run "$f" "$work/$(basename "$f" .net)" --steps "$ex_steps"
    # the SGD run is the host build with OpenMP, stepped on 1 and 2 threads (the same bits)
    [ "${NETC_SANITIZE:-0}" = 1 ] || run "$f" "$work/$(basename "$f" .net)-sgd" --steps "$ex_steps" --sgd --threads 1,2
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
