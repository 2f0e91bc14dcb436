#!/usr/bin/python3
"""tests/cuda/examples.py — helpers for tests/cuda/examples.sh.

  examples.py data DIR NAME.c SAMPLES SEED   write DIR/in_<name>.npy for every inference
                                             input and DIR/tr_<name>.npy for every train
                                             input of the network (the tensor tables of
                                             the C printer's NAME.c), uniform [0, 1)
  examples.py args DIR NAME.c infer|train    print the program's --input / --output or
                                             --data arguments for those files
  examples.py close A.npy B.npy RTOL         A and B have the same shape and agree within
                                             RTOL of B's largest magnitude (floor 1e-6)
  examples.py closest A.st B.st RTOL [ALLOW] the same for every tensor of two safetensors
                                             checkpoints (same names); ALLOW is added to
                                             the parameters' (not the optimiser state's)
                                             tolerance
  examples.py allow FILE.net NAME STEPS      ALLOW for a network trained STEPS steps: with
                                             Adam(W) a quarter of the largest distance its
                                             updates can move a weight, 0.25 * lr * STEPS,
                                             else 0.  Adam divides each gradient by its own
                                             magnitude, so where a gradient is near zero
                                             (near eps) rounding noise in it moves the weight
                                             by a visible fraction of lr; the gradients
                                             themselves are held to RTOL through exp_avg
  examples.py logs A.csv B.csv RTOL          the loss column of two --log files agrees
Each comparison prints one line (the worst error relative to the tolerance) and exits 1
when it does not hold.  The oracle is the CPU backend, itself checked against PyTorch by
tests/numeric and tests/train.
"""
import json
import re
import struct
import sys

import numpy as np


def tables(cfile):
    text = open(cfile).read()
    out = {}
    for name in ("inputs_", "outputs_", "train_inputs_"):
        m = re.search(r"static const netc_tensor %s\[\] = \{(.*?)\n\};" % name, text, re.S)
        rows = []
        if m:
            for t, dims in re.findall(r'\{"([^"]+)", \d+, \{([0-9, ]+)\}', m.group(1)):
                rows.append((t, [int(d) for d in dims.split(",")]))
        out[name] = rows
    return out


def safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    head = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in head.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(raw[base + b:base + e], dtype="<f4").reshape(v["shape"])
    return out


def close(a, b, rtol, what, allow=0.0):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        print("FAIL %s: shapes %s and %s" % (what, a.shape, b.shape))
        return False
    tol = rtol * max(np.abs(b).max() if b.size else 0.0, 1e-6) + allow
    err = np.abs(a - b).max() if a.size else 0.0
    ok = bool(np.all(np.isfinite(a))) and err <= tol
    print("%s %s: max |diff| %.3g, tolerance %.3g (%.3f of it)" % ("ok  " if ok else "FAIL", what, err, tol, err / tol))
    return ok


def main():
    cmd = sys.argv[1]
    if cmd == "data":
        d, cfile, samples, seed = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        rng = np.random.RandomState(seed)
        t = tables(cfile)
        for prefix, rows in (("in_", t["inputs_"]), ("tr_", t["train_inputs_"])):
            for name, shape in rows:
                x = rng.rand(samples, *shape[1:]).astype(np.float32)
                np.save("%s/%s%s.npy" % (d, prefix, name), x)
        return 0
    if cmd == "args":
        d, cfile, mode = sys.argv[2], sys.argv[3], sys.argv[4]
        t = tables(cfile)
        args = []
        if mode == "infer":
            for name, _ in t["inputs_"]:
                args += ["--input", "%s=%s/in_%s.npy" % (name, d, name)]
            for name, _ in t["outputs_"]:
                args += ["--output", "%s=%s/out_%s.npy" % (name, d, name)]
        else:
            for name, _ in t["train_inputs_"]:
                args += ["--data", "%s=%s/tr_%s.npy" % (name, d, name)]
        print(" ".join(args))
        return 0
    if cmd == "close":
        return 0 if close(np.load(sys.argv[2]), np.load(sys.argv[3]), float(sys.argv[4]), sys.argv[2].split("/")[-1]) else 1
    if cmd == "closest":
        a, b, rtol = safetensors(sys.argv[2]), safetensors(sys.argv[3]), float(sys.argv[4])
        allow = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
        if sorted(a) != sorted(b):
            print("FAIL checkpoints hold different tensors: %s / %s" % (sorted(a), sorted(b)))
            return 1
        opt = (".exp_avg", ".exp_avg_sq", ".momentum_buffer")
        ok = all([close(a[k], b[k], rtol, k, 0.0 if k.endswith(opt) else allow) for k in sorted(a)])
        return 0 if ok else 1
    if cmd == "allow":
        text, name, steps = open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
        m = re.search(r"network\s+%s\s*\{(.*?)\n\}" % re.escape(name), text, re.S)
        o = m and re.search(r"optimizer\s*=\s*(adamw|adam)\s*\{[^}]*?\blr\s*=\s*([0-9.eE+-]+)", m.group(1))
        print(0.25 * float(o.group(2)) * steps if o else 0.0)
        return 0
    if cmd == "logs":
        def losses(p):
            rows = [r.split(",") for r in open(p).read().split("\n")[1:] if r]
            return np.array([float(r[2]) for r in rows])
        return 0 if close(losses(sys.argv[2]), losses(sys.argv[3]), float(sys.argv[4]), "loss per step") else 1
    print("usage: see the file's docstring", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
