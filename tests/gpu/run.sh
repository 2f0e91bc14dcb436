#!/usr/bin/env bash
# tests/gpu/run.sh [--device N] [--count N] [--seed S] — the CUDA backend on a real GPU:
# the tconv kernel sweep, then every example network end to end.
#
# For a machine WITH an NVIDIA GPU, its driver (libcuda.so.1) and NVRTC (the CUDA
# toolkit, /usr/local/cuda or $CUDA_HOME; $NETC_NVRTC names libnvrtc.so directly).
# It runs exactly what tests/cuda/suite.sh runs against the emulator: the same
# configurations from tests/cuda/gen.py (PyTorch's conv_transpose{1,2,3}d forward and
# autograd gradients as the oracle) through the same program, build/tests/cuda/
# tconv_check, with `--device N` instead of `--emulate`.  Kernels are compiled by
# NVRTC for the device's architecture (CUBIN) plus PTX, and netc_cuda_pick_image
# chooses.  Prints one row per configuration (image used, worst error / tolerance
# for y, dx, dw, db; 1.000 = at the tolerance) and ends with "N passed, N failed".
# Then tests/cuda/examples.sh with NETC_CUDA_DEVICE=1: every network of examples/ and
# tests/cuda/nets/ built with `netc build --target cuda --exe` (CUBINs for every default
# architecture plus PTX), `infer` and `train` on the device compared with the CPU
# build (outputs, loss per step, final parameters and optimiser state; ok/FAIL rows
# with the worst error against the tolerance).  CUDA_VISIBLE_DEVICES picks the GPU
# for the programs (they use device 0).
# Not part of tests/run: CI machines have no GPU.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export NETC_ROOT=$root
cd "$root"
device=0; count=240; seed=20261122
while [ $# -gt 0 ]; do
    case $1 in
        --device) device=$2; shift 2 ;;
        --count) count=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        *) echo "usage: tests/gpu/run.sh [--device N] [--count N] [--seed S]" >&2; exit 2 ;;
    esac
done
if [ -z "${NETC_NVRTC:-}" ] && [ -d "${CUDA_HOME:-/usr/local/cuda}/lib64" ]; then
    export LD_LIBRARY_PATH=${CUDA_HOME:-/usr/local/cuda}/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
ninja -C "$root" build/all-cuda >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
check=build/tests/cuda/tconv_check
"$check" probe --device "$device" || { echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/cuda/gen.py "$work" "$count" "$seed" ||
    { echo "gen.py failed"; echo "0 passed, 1 failed"; exit 1; }
printf '%-4s %-9s %-7s %s\n' "" "config" "image" "worst error / tolerance per tensor, configuration"
"$check" run --device "$device" "$work/cases.txt" "$work" | tee "$work/log"
line=$(tail -n 1 "$work/log")
p1=${line%% passed*}; f1=${line#*, }; f1=${f1%% failed}
[[ $p1 =~ ^[0-9]+$ && $f1 =~ ^[0-9]+$ ]] || { p1=0; f1=1; }

echo "== the example networks on the device, against the CPU build"
ninja -C "$root" build/netc >/dev/null || { echo "build failed"; echo "$p1 passed, $((f1 + 1)) failed"; exit 1; }
mkdir -p "$work/ex"
NETC_CUDA_DEVICE=1 tests/cuda/examples.sh "$work/ex" | tee "$work/exlog"
line=$(tail -n 1 "$work/exlog")
p2=${line%% passed*}; f2=${line#*, }; f2=${f2%% failed}
[[ $p2 =~ ^[0-9]+$ && $f2 =~ ^[0-9]+$ ]] || { p2=0; f2=1; }
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
[ $((f1 + f2)) -eq 0 ]
