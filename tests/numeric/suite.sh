#!/usr/bin/env bash
# tests/numeric — generated C against PyTorch, forward: a seeded sweep of tconv and
# conv configurations (1-D/2-D/3-D, stride, dilation, groups, asymmetric padding,
# output_padding, bias, every activation), in both interface layouts, through the
# real standalone program (safetensors weights, .npy inputs and outputs).
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
count=1000; count_nhwc=200; count_wide=200
[ "${NETC_QUICK:-}" = 1 ] && { count=100; count_nhwc=50; count_wide=40; }
pass=0; fail=0
run() {
    local out; out=$(/usr/bin/python3 "$root/tests/numeric/sweep.py" "$root/build/netc" "$work/$1" "${@:2}" 2>&1)
    echo "$out" | grep -v '^[0-9]* passed' | head -20
    local line; line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
    echo "sweep $*: $line"
    pass=$((pass + $(echo "$line" | cut -d' ' -f1)))
    fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
    [ -n "$line" ] || fail=$((fail + 1))
}
run nchw --count "$count" --seed 1 --layout nchw --expect-implicit
run nhwc --count "$count_nhwc" --seed 2 --layout nhwc
# GEMM-sized layers, compiled as a host build would be: on an AVX-512 machine this
# is the vector path (NETC_VEC), and -DNETC_PORTABLE checks the portable loops on
# the same layers
run wide --count "$count_wide" --seed 3 --layout nchw --wide --per-net 20 --expect-implicit --cflags "-O2 -march=native"
run wide-portable --count "$((count_wide / 4))" --seed 4 --layout nchw --wide --per-net 25 --cflags "-O1 -DNETC_PORTABLE"
# (an AVX2 host without AVX-512: the GEMMs' blocks of 16 columns and the unrolled
# blocks on vectors of 8, NETC_VEC8, the rest portable loops)
run wide-avx2 --count "$((count_wide / 2))" --seed 41 --layout nchw --wide --per-net 20 --threads 1,2 --cflags "-O2 -march=native -mno-avx512f -fopenmp"
# the same vector path compiled by Clang (its own branches of the prelude's macros)
CC=clang run wide-clang --count "$((count_wide / 4))" --seed 13 --layout nchw --wide --per-net 20 --threads 1,2 --expect-implicit --cflags "-O1 -march=native -fopenmp"
# host builds with OpenMP at batch 8: convolutions that run their chunks (or samples)
# on threads, each in its own scratch slot, and GEMMs that share out their panels;
# each program runs on 1, 2 and 3 threads and must give the same bits every time
run threads --count "$((count_wide / 4))" --seed 5 --layout nchw --wide --per-net 10 --batch 8 --threads 1,2,3 --expect-implicit --cflags "-O1 -march=native -fopenmp"
run threads-portable --count "$((count_wide / 10))" --seed 6 --layout nchw --wide --per-net 10 --batch 8 --threads 1,3 --cflags "-O1 -fopenmp -DNETC_PORTABLE"
# batch-1 large images: one sample's im2col over the chunk, so the calls work on
# blocks of rows (first, middle and last bodies), on 1 and 2 threads.
# --expect-implicit: the run must include layers on the implicit GEMM (few output
# channels: a padded copy of x whose rows every tap's GEMM reads in place)
run large --count "$((count_wide * 3 / 10))" --seed 7 --layout nchw --large --per-net 10 --batch 1 --threads 1,2 --expect-implicit --cflags "-O1 -march=native -fopenmp"
# few output channels and a long last axis: the direct path from a padded copy, whose
# host build holds every output channel's sums in registers over whole vectors (and
# a scalar tail), on 1 and 2 threads
run direct --count "$((count_wide / 4))" --seed 10 --layout nchw --direct --per-net 10 --threads 1,2 --expect-direct-vec --cflags "-O2 -march=native -fopenmp"
# layers whose GEMM writes y in place past the caches (a shallow GEMM and a y of
# 4 MiB or more; rows of whole vectors, whose stores stream, and rows that are not),
# on 1 and 2 threads, and on the portable path
run stream --count "$((count_wide / 10))" --seed 8 --layout nchw --stream --per-net 5 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
run stream-portable --count 4 --seed 9 --layout nchw --stream --per-net 4 --cflags "-O1 -DNETC_PORTABLE"
# stride-2 transposed convolutions into a y of 4 MiB or more whose phases store
# together: on the vector path each pair of phases along the last axis zips its
# results into y past the caches (and relu, bias, rows of part vectors, row blocks
# keep or take the plain store), on 1 and 2 threads, with GCC and Clang
run zip --count 16 --seed 16 --layout nchw --zip --per-net 4 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
CC=clang run zip-clang --count 4 --seed 17 --layout nchw --zip --per-net 4 --cflags "-O1 -march=native"
# layers with few border-free taps (one group, 32-64 output channels, small images,
# padded kernels wider than the stride, at batch 16): the unrolled path takes most;
# those too shallow for it (phases under 16 deep) and two forced ones past its 8192
# take the region path: border taps skipped, GEMMs reading a padded channels-last
# copy through row tables, regions of few rows merged and outputs no tap reaches;
# on 1 and 2 threads, and portable
run regions --count "$((count_wide / 4))" --seed 11 --layout nchw --regions --per-net 10 --batch 16 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
run regions-portable --count "$((count_wide / 10))" --seed 12 --layout nchw --regions --per-net 10 --batch 16 --cflags "-O1 -DNETC_PORTABLE"
# convolutions on the pair path (stride 2 and an even kernel on the last axis, no
# padding, rows of 16 outputs or more; those the unrolled path does not take first)
# and up-convolutions: GEMMs reading x in place, two lanes an output, bias and
# activation after each row; on 1 and 2 threads, portable, Clang
run pairs --count "$((count_wide / 5))" --seed 21 --layout nchw --pairs --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
run pairs-portable --count "$((count_wide / 10))" --seed 22 --layout nchw --pairs --per-net 10 --batch 3 --cflags "-O1 -DNETC_PORTABLE"
run pairs-avx2 --count "$((count_wide / 5))" --seed 24 --layout nchw --pairs --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -mno-avx512f -fopenmp"
CC=clang run pairs-clang --count "$((count_wide / 10))" --seed 23 --layout nchw --pairs --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
# small convolutions and transposed ones on the unrolled path (16-48 output channels,
# positions and taps unrolled, padding taps left out, a transposed one's positions
# their phase's taps, masked last blocks), and those over its limits, which must not
# take it: on 1 and 2 threads, portable, Clang
run unrolled --count "$((count_wide * 2 / 5))" --seed 31 --layout nchw --unrolled --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
run unrolled-portable --count "$((count_wide * 3 / 10))" --seed 32 --layout nchw --unrolled --per-net 10 --batch 3 --cflags "-O1 -DNETC_PORTABLE"
# (an AVX2 host without AVX-512: the blocks on vectors of 8, NETC_VEC8)
run unrolled-avx2 --count "$((count_wide * 3 / 10))" --seed 34 --layout nchw --unrolled --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -mno-avx512f -fopenmp"
# the unrolled blocks' inline asm in both of GCC's dialects (a project built with -masm=intel)
run unrolled-intel --count "$((count_wide / 10))" --seed 36 --layout nchw --unrolled --per-net 10 --batch 3 --cflags "-O1 -march=native -masm=intel"
run unrolled-avx2-intel --count "$((count_wide / 10))" --seed 37 --layout nchw --unrolled --per-net 10 --batch 3 --cflags "-O1 -march=native -mno-avx512f -masm=intel"
CC=clang run unrolled-clang --count "$((count_wide / 5))" --seed 33 --layout nchw --unrolled --per-net 10 --batch 3 --threads 1,2 --cflags "-O1 -march=native -fopenmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
