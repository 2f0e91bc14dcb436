#!/usr/bin/python3
# bench/torch_bench.py: PyTorch's conv_transpose{1,2,3}d on the benchmark anchors,
# forward and both backward passes, at each requested thread count; and the
# correctness oracle of the benchmark: the outputs the C programs dumped
# (DIR/<anchor>/<impl>_<dir>.f32) are compared with PyTorch's on the same
# deterministic data (bench/common.h's fill, reproduced bit for bit below).
#
# Backward passes are timed separately through aten::convolution_backward with an
# output mask, which is what autograd calls for a transposed convolution: input
# gradient alone, weight gradient alone.  (The "step" row of bench/run adds the
# three medians up; nothing here times a whole step.)
#
# netc's training step (bench/netc_driver.c on the anchor's training twin) dumps the
# loss of its first step and the weight before and after it; --check compares the
# loss with mse(PyTorch's forward output, t) and must find it finite, and with
# --step-lr LR (bench/run --check-only, where the twins have lr = 1) also checks
# that the step moved the weight by exactly -LR * dW, dW from PyTorch's autograd.
#
#   torch_bench.py [--anchors a,b] [--threads 1,2] [--budget S] [--min-reps R]
#                  [--warmup W] [--once] [--check DIR] [--step-lr LR]
#                  [--batch-override N]
#
# Prints JSON lines: one "torch_info" (versions, BLAS, backend chosen), one per
# timing, one per comparison ("check").

import argparse
import json
import os
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchors as A  # noqa: E402

SEED_X, SEED_W, SEED_DY, SEED_T = 1, 2, 3, 4
TOLERANCE = 1e-4


def bench_fill(count, seed):
    """bench/common.h's bench_value for i = 0..count-1, as float32."""
    with np.errstate(over="ignore"):
        i = np.arange(count, dtype=np.uint32)
        h = i * np.uint32(0x9E3779B1) + np.uint32((seed * 0x85EBCA77) & 0xFFFFFFFF)
        h ^= h >> np.uint32(15)
        h *= np.uint32(0x2C1B3C6D)
        h ^= h >> np.uint32(12)
        h *= np.uint32(0x297A2D39)
        h ^= h >> np.uint32(15)
    return ((h >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / 8388608.0)
            - np.float32(1.0))


def tensors(a, n):
    r = A.rank(a)
    xs = [n, a["cin"]] + a["size"]
    ws = [a["cin"], a["cout"]] + [a["k"]] * r
    ys = [n, a["cout"]] + A.out_size(a)
    x = torch.from_numpy(bench_fill(A.prod(xs), SEED_X).reshape(xs))
    w = torch.from_numpy(bench_fill(A.prod(ws), SEED_W).reshape(ws))
    dy = torch.from_numpy(bench_fill(A.prod(ys), SEED_DY).reshape(ys))
    return x, w, dy


def ops(a, x, w, dy):
    r = A.rank(a)
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[r]
    st, pd, op, dl = [a["s"]] * r, [a["p"]] * r, [a["op"]] * r, [1] * r

    def fwd():
        return conv(x, w, None, st, pd, op)

    def bwd(mask, pick):
        def f():
            return torch.ops.aten.convolution_backward(
                dy, x, w, None, st, pd, dl, True, op, 1, mask)[pick]
        return f

    return {"fwd": fwd,
            "bwd_data": bwd([True, False, False], 0),
            "bwd_weights": bwd([False, True, False], 1)}


def time_fn(fn, warmup, min_reps, budget):
    """(last output, median wall ms, fastest ms, median process-CPU ms, calls)."""
    out = None
    for _ in range(warmup):
        out = fn()
    ms, cpu = [], []
    start = time.perf_counter()
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(1e3 * (time.process_time() - c0))
        ms.append(1e3 * (time.perf_counter() - t0))
        if len(ms) >= min_reps and time.perf_counter() - start >= budget:
            break
    return out, statistics.median(ms), min(ms), statistics.median(cpu), len(ms)


def blas_line():
    """BLAS_INFO from torch's build configuration (e.g. "generic": whatever
    libblas.so.3 the system provides)."""
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return "BLAS_INFO=" + (m.group(1) if m else "unknown")


def libblas_target():
    """What the libblas.so.3 that torch links resolves to (Debian alternatives)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                if "libblas" in line or "openblas" in line or "blis" in line or "mkl" in line:
                    return os.path.realpath(line.split()[-1])
    except OSError:
        pass
    return "unknown"


def compare(ref, path):
    """max |got - ref| / max |ref|, or (None, why) when the sizes differ."""
    got = np.fromfile(path, dtype=np.float32)
    ref = ref.detach().contiguous().numpy().reshape(-1)
    if got.size != ref.size:
        return None, f"size {got.size} != {ref.size}"
    scale = float(np.max(np.abs(ref))) or 1.0
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) / scale
    return err, None


def target(a, n):
    """The training twin's target t: the seed-4 fill, shaped like y."""
    ys = [n, a["cout"]] + A.out_size(a)
    return torch.from_numpy(bench_fill(A.prod(ys), SEED_T).reshape(ys))


def check_step(a, n, x, w, y, sub, lr):
    """Check records for netc's training step from the dumps under `sub` (none when
    the twin was not run).  The loss: finite, and within max(TOLERANCE, (M - 1) *
    2^-24) of PyTorch's (relative; computed here in float64): the loss is a float32
    sum of M = numel(y) squares, and (M - 1) * 2^-24 bounds the rounding of such a
    sum in any order (netc sums each sample in order: 1.4e-3 on unet128k3, whose
    2M squares per sample a float64 or pairwise sum would get to 1e-7; the
    gradients do not go through that sum).  The weight update (only when lr is given): w0 must be the fill
    PyTorch uses, and w0 - w1 = lr * dW within TOLERANCE * max |lr * dW| once half
    an ulp of w1 per element is allowed for (the update rounds w0 - lr * dW to
    float32 once; an lr far below 1 leaves nothing but that rounding to check)."""
    out = []
    base = {"check": "netc", "anchor": a["name"], "dir": "step", "batch": n}
    lpath = os.path.join(sub, "netc_step_loss.f32")
    if not os.path.exists(lpath):
        return out
    t = target(a, n)
    ref = float(torch.mean((y.double() - t.double()) ** 2))
    got = np.fromfile(lpath, dtype=np.float32)
    tol = max(TOLERANCE, (t.numel() - 1) * 2.0 ** -24)
    rec = dict(base, what="loss", tol=tol)
    if got.size != 1 or not np.isfinite(got[0]):
        rec.update(rel_err=None, ok=False, why=f"loss is not finite: {got.tolist()}")
    else:
        err = abs(float(got[0]) - ref) / (abs(ref) or 1.0)
        rec.update(rel_err=err, ok=err <= tol, netc=float(got[0]), torch=ref)
    out.append(rec)
    if lr is None:
        return out
    rec = dict(base, what="weight update")
    p0, p1 = os.path.join(sub, "netc_step_w0.f32"), os.path.join(sub, "netc_step_w1.f32")
    if not (os.path.exists(p0) and os.path.exists(p1)):
        rec.update(rel_err=None, ok=False, why="netc_step_w0/w1.f32 missing")
        return out + [rec]
    w0, w1 = np.fromfile(p0, dtype=np.float32), np.fromfile(p1, dtype=np.float32)
    wref = w.contiguous().numpy().reshape(-1)
    if w0.size != wref.size or w1.size != wref.size:
        rec.update(rel_err=None, ok=False, why=f"weight sizes {w0.size}, {w1.size} != {wref.size}")
        return out + [rec]
    if not np.array_equal(w0, wref):
        rec.update(rel_err=None, ok=False, why="weights before the step differ from the fill (param() layout?)")
        return out + [rec]
    r = A.rank(a)
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[r]
    with torch.enable_grad():
        wg = w.clone().requires_grad_(True)
        loss = F.mse_loss(conv(x, wg, None, [a["s"]] * r, [a["p"]] * r, [a["op"]] * r), target(a, n))
        loss.backward()
    step = lr * wg.grad.double().numpy().reshape(-1)
    moved = w0.astype(np.float64) - w1.astype(np.float64)
    slack = 0.5 * np.spacing(np.abs(w1)).astype(np.float64)
    scale = float(np.max(np.abs(step))) or 1.0
    err = float(np.max(np.maximum(np.abs(moved - step) - slack, 0.0))) / scale
    if not np.all(np.isfinite(w1)):
        rec.update(rel_err=None, ok=False, why="weights after the step are not finite")
    else:
        rec.update(rel_err=err, ok=err <= TOLERANCE, lr=lr, max_abs_step=scale)
    return out + [rec]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchors", default="")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--budget", type=float, default=1.0)
    ap.add_argument("--min-reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--once", action="store_true", help="one untimed-quality call each")
    ap.add_argument("--check", metavar="DIR", help="compare dumps under DIR/<anchor>/")
    ap.add_argument("--step-lr", type=float, default=None, metavar="LR",
                    help="the training twins' lr: also check netc's weight update (use with lr 1)")
    ap.add_argument("--batch-override", type=int, default=0,
                    help="run anchors whose N is larger at this batch")
    o = ap.parse_args()
    if o.once:
        o.warmup, o.min_reps, o.budget = 0, 1, 0.0
    wanted = [s for s in o.anchors.split(",") if s]
    threads = [int(t) for t in o.threads.split(",") if t]

    torch.set_grad_enabled(False)
    info = {"impl": "torch_info", "torch": torch.__version__,
            "blas_info": blas_line(), "libblas": libblas_target(),
            "mkldnn_available": torch.backends.mkldnn.is_available(),
            "config": torch.__config__.show()}
    print(json.dumps(info), flush=True)
    print(f"PyTorch {torch.__version__}, {info['blas_info']}, libblas -> {info['libblas']}\n"
          + info["config"], file=sys.stderr, flush=True)

    for a in A.ANCHORS:
        if wanted and a["name"] not in wanted:
            continue
        n = min(a["n"], o.batch_override) if o.batch_override else a["n"]
        x, w, dy = tensors(a, n)
        r = A.rank(a)
        try:
            backend = str(torch._C._select_conv_backend(
                x, w, None, [a["s"]] * r, [a["p"]] * r, [1] * r, True, [a["op"]] * r, 1))
        except Exception as e:  # private API; only informative
            backend = f"unknown ({type(e).__name__})"
        fns = ops(a, x, w, dy)
        results = {}
        for t in threads:
            torch.set_num_threads(t)
            for d in A.DIRECTIONS:
                out, med, mn, cpu, reps = time_fn(fns[d], o.warmup, o.min_reps, o.budget)
                results[d] = out
                print(json.dumps({"impl": "torch", "anchor": a["name"], "dir": d, "threads": t,
                                  "torch_threads": torch.get_num_threads(), "batch": n,
                                  "median_ms": med, "min_ms": mn, "cpu_ms": cpu, "reps": reps,
                                  "backend": backend}), flush=True)
        if o.check:
            sub = os.path.join(o.check, a["name"])
            for d in A.DIRECTIONS:
                for impl in ("naive", "onednn", "netc"):
                    path = os.path.join(sub, f"{impl}_{d}.f32")
                    if not os.path.exists(path):
                        continue
                    err, why = compare(results[d], path)
                    rec = {"check": impl, "anchor": a["name"], "dir": d, "batch": n,
                           "rel_err": err, "ok": err is not None and err <= TOLERANCE}
                    if why:
                        rec["why"] = why
                    print(json.dumps(rec), flush=True)
            for rec in check_step(a, n, x, w, results["fwd"], sub, o.step_lr):
                print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
