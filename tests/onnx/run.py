#!/usr/bin/python3
# tests/onnx/run.py — build each translated ONNX case with netc, run it, and compare
# with ONNX's expected output.
#
#   run.py DIR NETC
# DIR is what onnx2net.py wrote (cases.json and one directory per case).  For each
# translated case: `NETC build CASE.net -o DIR/CASE/build --exe`, then
# `DIR/CASE/build/CASE infer --weights weights.safetensors --input x=x.npy
# --output y=y.npy`, and y.npy must match expected.npy within rtol 1e-5, atol 1e-6.
# Cases build in parallel (a few at a time).  One test per case (a case whose translation failed its PyTorch self-check fails
# too); skipped cases are counted as skipped.  Ends with `N passed, N failed, N skipped`.
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

RTOL, ATOL = 1e-5, 1e-6


def tail(s, n=4):
    lines = s.strip().split("\n")
    return " | ".join(lines[-n:])[:500] if s.strip() else "(no output)"


def run_case(netc, d, c):
    """(ok, message) for one translated case."""
    cdir = os.path.join(d, c["dir"])
    bdir = os.path.join(cdir, "build")
    name = c["case"]
    try:
        p = subprocess.run([netc, "build", os.path.join(cdir, c["net"]), "-o", bdir, "--exe"],
                           capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return False, "netc build timed out"
    except OSError as e:
        return False, "cannot run netc: %s" % e
    if p.returncode != 0:
        return False, "netc build --exe exited %d: %s" % (p.returncode, tail(p.stderr))
    prog = os.path.join(bdir, name)
    if not os.access(prog, os.X_OK):
        return False, "netc build --exe made no program %s" % os.path.relpath(prog, d)
    out = os.path.join(cdir, "y.npy")
    cmd = [prog, "infer", "--weights", os.path.join(cdir, "weights.safetensors"),
           "--input", "x=" + os.path.join(cdir, "x.npy"), "--output", "y=" + out]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, "infer timed out"
    except OSError as e:
        return False, "cannot run the program: %s" % e
    if p.returncode != 0:
        return False, "%s infer exited %d: %s" % (name, p.returncode, tail(p.stderr or p.stdout))
    try:
        y = np.load(out)
    except (OSError, ValueError) as e:
        return False, "cannot read the program's y.npy: %s" % e
    exp = np.load(os.path.join(cdir, "expected.npy"))
    if y.shape != exp.shape:
        return False, "output shape %s, ONNX %s" % (list(y.shape), list(exp.shape))
    if y.dtype != np.float32:
        return False, "output dtype %s, expected float32" % y.dtype
    err = float(np.abs(y.astype(np.float64) - exp).max())
    if not np.all(np.isfinite(y)):
        return False, "non-finite values in the output"
    if not np.allclose(y, exp, rtol=RTOL, atol=ATOL):
        bad = np.argwhere(~np.isclose(y, exp, rtol=RTOL, atol=ATOL))
        i = tuple(bad[0])
        return False, "max abs error %.3g; %d elements off, first at %s: %r vs ONNX %r" % (
            err, len(bad), list(i), float(y[i]), float(exp[i]))
    return True, "max abs error %.3g" % err


def main():
    d, netc = sys.argv[1], sys.argv[2]
    cases = json.load(open(os.path.join(d, "cases.json")))
    npass = nfail = nskip = 0
    print("building and running each case with netc (rtol %g, atol %g)" % (RTOL, ATOL))
    todo = [c for c in cases if "skipped" not in c and c["self_ok"]]
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        results = dict(zip((c["case"] for c in todo), pool.map(lambda c: run_case(netc, d, c), todo)))
    for c in cases:
        if "skipped" in c:
            nskip += 1
            continue
        if not c["self_ok"]:
            nfail += 1
            print("FAIL %-44s translation failed its PyTorch self-check: %s" % (c["case"], c["self_msg"]))
            continue
        ok, msg = results[c["case"]]
        if ok:
            npass += 1
            print("ok   %-44s %s" % (c["case"], msg))
        else:
            nfail += 1
            print("FAIL %-44s %s" % (c["case"], msg))
            print("     layer: %s" % json.dumps(c["layer"]))
    if todo and all(not ok and "exited 2:" in msg for ok, msg in results.values()):
        print("FAIL: `netc build --exe` is not available (usage error on every case)")
    for c in cases:
        if "skipped" in c:
            print("skip %-44s %s" % (c["case"], c["skipped"]))
    print("%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
