#!/usr/bin/python3
# tests/shapes/gen.py — draw a seeded random sweep of conv/tconv configurations,
# write them as `.net` networks and compute what `netc check --json` must say.
#
# Every configuration is one small network: `input x`, one conv/tconv layer and
# sometimes a second one reading the first.  The file text is written first and read
# back (netref.parse_net); the expectation is computed from that text by running the
# layers with PyTorch on zero tensors (netref.torch_apply, which documents how each
# padding form maps onto PyTorch), never from a formula of ours alone.  A
# configuration that PyTorch refuses, or that LANGUAGE.md says must be rejected
# (netref.lang_errors), is written to its own file under reject/, expected to fail
# `netc check` with exit 1 and an error on a given line.  Besides the random draws,
# a share of configurations get one deliberate fault (padding >= dilated kernel,
# output_padding >= max(stride, dilation), groups not dividing, ...).
#
#   gen.py --out DIR [--seed N] [--valid N] [--reject N]
# writes DIR/valid_NN.net (many networks each), DIR/reject/rNNNNN.net (one network
# each) and DIR/expect.json.
import argparse
import json
import os
import random
import sys
from collections import Counter

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netref  # noqa: E402

ACTS = ["relu", "sigmoid", "tanh", "softplus", "identity"]


# ---------------------------------------------------------------- drawing

def axis_value(rng, n, lo, hi, scalar_p=0.6):
    """An attribute value: one integer (all axes) or a per-axis list."""
    if rng.random() < scalar_p:
        return rng.randint(lo, hi)
    return [rng.randint(lo, hi) for _ in range(n)]


def small_axis(rng, n, hi, weights):
    pick = lambda: rng.choices(range(1, hi + 1), weights=weights)[0]  # noqa: E731
    return pick() if rng.random() < 0.6 else [pick() for _ in range(n)]


def draw_layer(rng, kind, n, C, spatial):
    """Attributes of a conv/tconv on an input with C channels and the given spatial
    sizes; mostly valid, sometimes not (the evaluation sorts them)."""
    at = {}
    divs = [g for g in range(1, C + 1) if C % g == 0]
    g = 1 if rng.random() < 0.6 else rng.choice(divs)
    fmax = 24 if n < 3 else 8
    at["filters"] = g * rng.randint(1, max(1, fmax // g)) if g <= fmax else g
    kmax = 5 if n < 3 else 4
    at["kernel"] = small_axis(rng, n, kmax, [3, 4, 5, 2, 2][:kmax])
    if rng.random() < 0.75:
        at["stride"] = small_axis(rng, n, 4, [4, 4, 2, 1])
    if rng.random() < 0.35:
        at["dilation"] = small_axis(rng, n, 3, [3, 2, 1])
    k = netref.per_axis(at["kernel"], n)
    s = netref.per_axis(at.get("stride", 1), n)
    d = netref.per_axis(at.get("dilation", 1), n)
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    form = rng.choices(["default", "none", "int", "axis", "nested", "same", "half_kernel"],
                       weights=[2, 1, 3, 3, 4, 3, 2])[0]
    if form == "none":
        at["padding"] = "none"
    elif form == "int":
        at["padding"] = rng.randint(0, min(dk) - 1)
    elif form == "axis":
        at["padding"] = [rng.randint(0, dk[j] - 1) for j in range(n)]
    elif form == "nested":
        at["padding"] = [[rng.randint(0, dk[j] - 1), rng.randint(0, dk[j] - 1)] for j in range(n)]
    elif form in ("same", "half_kernel"):
        at["padding"] = form
    if g != 1 or rng.random() < 0.1:
        at["groups"] = g
    if kind != "conv" and form != "same":
        r = rng.random()
        ms = [max(s[j], d[j]) for j in range(n)]
        if r < 0.25:
            a = [rng.randint(0, ms[j] - 1) for j in range(n)]
            at["output_padding"] = a[0] if len(set(a)) == 1 and rng.random() < 0.6 else a
        elif r < 0.45:
            pairs, _ = netref.padding_pairs(at.get("padding", "none"), n, k, s, d, spatial, "tconv")
            base = [(spatial[j] - 1) * s[j] - sum(pairs[j]) + dk[j] for j in range(n)]
            want = [base[j] + rng.randint(0, ms[j] - 1) for j in range(n)]
            at["output_shape"] = want[0] if len(set(want)) == 1 and rng.random() < 0.5 else want
    if rng.random() < 0.2:
        at["bias"] = False
    elif rng.random() < 0.05:
        at["bias"] = True
    r = rng.random()
    if r < 0.15:
        at["activation"] = rng.choice(ACTS)
    elif r < 0.2:
        at["activation"] = {"object": rng.choice(["leaky_relu", "elu"]), "attrs": {"alpha": 0.2}}
    return at


def draw_net(rng):
    """A network description: settings, input shape, layers (kind, attrs)."""
    n = rng.choices([1, 2, 3], weights=[3, 5, 3])[0]
    C = rng.choice([1, 1, 2, 3, 4, 4, 6, 8, 12, 16])
    hi = {1: 20, 2: 11, 3: 6}[n]
    spatial = [rng.randint(1, hi) for _ in range(n)]
    if rng.random() < 0.3:  # a square / cubic input, the common case
        spatial = [spatial[0]] * n
    td = rng.random() < 0.07
    shape = ([rng.randint(1, 3)] if td else []) + [C] + spatial
    settings = {}
    r = rng.random()
    if r < 0.5:
        settings["batch"] = rng.choice([1, 2, 3, 4, 8, 16, 32, 64])
    if rng.random() < 0.2:
        settings["layout"] = rng.choice(["nchw", "nhwc"])
    layers = []
    kind = rng.choice(["tconv", "tconv", "conv"])
    name = rng.choice(["kind", "alias"])
    spelled = kind if name == "kind" or kind == "conv" else rng.choice(["deconv", "conv_transpose"])
    at = draw_layer(rng, kind, n, C, spatial)
    if td:
        at["time_distributed"] = True
    layers.append((spelled, at))
    if rng.random() < 0.25:
        errs, out = netref.lang_errors(kind, shape, at, td)
        if not errs:
            o = out[1:] if td else out
            kind2 = rng.choice(["tconv", "conv"])
            at2 = draw_layer(rng, kind2, n, o[0], o[1:])
            if td:
                at2["time_distributed"] = True
            layers.append((kind2, at2))
    return {"settings": settings, "shape": shape, "layers": layers}


# ---------------------------------------------------------------- faults

FAULTS = ["pad_ge_dk", "pad_neg", "opad_ge", "opad_and_oshape", "oshape_unreachable",
          "out_lt1", "groups", "below1", "batch0", "flat_pad_len", "list_len", "rank",
          "conv_opad", "pad_word"]


def inject(rng, net):
    """Give the network one deliberate fault; returns its name, or None if the fault
    does not apply.  The evaluation still decides whether the result is rejected."""
    fault = rng.choice(FAULTS)
    li = rng.randrange(len(net["layers"]))
    spelled, at = net["layers"][li]
    kind = netref.KINDS[spelled]
    td = bool(at.get("time_distributed"))
    n = len(net["shape"]) - (2 if td else 1)
    k = netref.per_axis(at["kernel"], n)
    s = netref.per_axis(at.get("stride", 1), n)
    d = netref.per_axis(at.get("dilation", 1), n)
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    j = rng.randrange(n)
    if fault == "pad_ge_dk":
        p = [[rng.randint(0, e - 1), rng.randint(0, e - 1)] for e in dk]
        p[j][rng.randrange(2)] = dk[j] + rng.randint(0, 2)
        if rng.random() < 0.5 and n == 1 or rng.random() < 0.3:
            at["padding"] = dk[j] + rng.randint(0, 1) if n == 1 else [max(x) for x in p]
        else:
            at["padding"] = p
    elif fault == "pad_neg":
        at["padding"] = rng.choice([-1, [[-1, 0]] * n, [-1 - rng.randrange(2)] * n])
    elif fault == "opad_ge":
        if kind != "tconv":
            return None
        a = [0] * n
        a[j] = max(s[j], d[j]) + rng.randint(0, 1)
        at.pop("output_shape", None)
        if at.get("padding") == "same":
            at.pop("padding")
        at["output_padding"] = a if n > 1 or rng.random() < 0.5 else a[0]
    elif fault == "opad_and_oshape":
        if kind != "tconv" or at.get("padding") == "same":
            return None
        at.pop("output_shape", None)
        at.pop("output_padding", None)
        errs, out = netref.lang_errors(kind, net_shape_at(net, li), at, td)
        if errs:
            return None
        at["output_padding"] = 0
        at["output_shape"] = out[-n:]
    elif fault == "oshape_unreachable":
        if kind != "tconv" or at.get("padding") == "same":
            return None
        at.pop("output_shape", None)
        at.pop("output_padding", None)
        errs, out = netref.lang_errors(kind, net_shape_at(net, li), at, td)
        if errs:
            return None
        want = out[-n:]
        if rng.random() < 0.5 and want[j] > 1:
            want[j] -= rng.randint(1, want[j] - 1)
        else:
            want[j] += max(s[j], d[j]) + rng.randint(0, 2)
        at["output_shape"] = want
    elif fault == "out_lt1":
        if li != 0:
            return None
        for key in ("padding", "output_padding", "output_shape", "stride"):
            at.pop(key, None)
        sp = net["shape"][-n:]
        if kind == "conv":
            k[j] = sp[j] + 1 + rng.randint(0, 2)
            at["kernel"] = k
            at.pop("dilation", None)
        else:
            sp[j] = 1
            net["shape"][-n:] = sp
            dkj = dk[j]
            if dkj < 2:
                k[j] = 3
                at["kernel"] = k
                at.pop("dilation", None)
                dkj = 3
            pads = [[0, 0] for _ in range(n)]
            pads[j] = [dkj - 1, dkj - 1]
            at["padding"] = pads
    elif fault == "groups":
        C = net_shape_at(net, li)[1 if td else 0]
        F_ = at["filters"]
        cands = [g for g in range(2, max(C, F_) + 2) if C % g or F_ % g]
        at["groups"] = rng.choice(cands)
    elif fault == "below1":
        key = rng.choice(["kernel", "stride", "dilation", "groups", "filters"])
        v = rng.choice([0, -1]) if key != "filters" else 0
        if key in ("kernel", "stride", "dilation") and n > 1 and rng.random() < 0.5:
            lst = netref.per_axis(at.get(key, 1), n)
            lst[j] = v
            v = lst
        at[key] = v
        if key == "kernel":
            at.pop("output_shape", None)
            at["padding"] = "none"
    elif fault == "batch0":
        net["settings"]["batch"] = rng.choice([0, -2])
    elif fault == "flat_pad_len":
        m = rng.choice([x for x in (1, 2, 3, 4, 6) if x != n and not (x == 1 and n == 1)])
        at["padding"] = [0] * m
    elif fault == "list_len":
        key = rng.choice(["kernel", "stride", "dilation"] + (["output_padding"] if kind == "tconv" else []))
        m = rng.choice([x for x in (2, 3, 4) if x != n])
        at[key] = [1] * m
        if key == "output_padding":
            at.pop("output_shape", None)
    elif fault == "rank":
        if li != 0:
            return None
        if rng.random() < 0.5:
            net["shape"] = ([net["shape"][0]] if td else []) + [net["shape"][1 if td else 0]]
        else:
            net["shape"] = net["shape"] + [2] * (4 - n)
        del net["layers"][1:]
    elif fault == "conv_opad":
        if kind != "conv":
            return None
        at["output_padding" if rng.random() < 0.5 else "output_shape"] = 1
    elif fault == "pad_word":
        at["padding"] = rng.choice(["samee", "half_kernal", "nonee", "halfkernel"])
    return fault


def net_shape_at(net, li):
    """Per-sample input shape of layer li, following the earlier layers (valid ones)."""
    shape = net["shape"]
    for spelled, at in net["layers"][:li]:
        errs, shape = netref.lang_errors(spelled, shape, at, bool(at.get("time_distributed")))
        if errs:
            raise ValueError(errs)
    return shape


# ---------------------------------------------------------------- text

def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(e) for e in v) + "]"
    if isinstance(v, dict):
        return "%s { %s }" % (v["object"], ", ".join("%s = %s" % kv for kv in v["attrs"].items()))
    return str(v)


def render(name, net, rng):
    """`.net` text of one network, and the line (1-based, within the text) of each
    statement: settings, input, layers."""
    lines = ["network %s {" % name]
    where = {}
    for key, v in net["settings"].items():
        where[key] = len(lines) + 1
        lines.append("    %s = %s;" % (key, fmt(v)))
    where["input"] = len(lines) + 1
    lines.append("    input x : %s;" % fmt(net["shape"]))
    prev = "x"
    for i, (spelled, at) in enumerate(net["layers"]):
        items = list(at.items())
        rng.shuffle(items)
        lname = "y%d" % (i + 1)
        where[lname] = len(lines) + 1
        lines.append("    %s = %s(%s) { %s };" % (lname, spelled, prev,
                                               ", ".join("%s = %s" % (k, fmt(v)) for k, v in items)))
        prev = lname
    lines.append("    output %s;" % prev)
    lines.append("}")
    return "\n".join(lines) + "\n", where


# ---------------------------------------------------------------- evaluation

def evaluate(net):
    """Run a parsed network with PyTorch (and through our reading of the rules).
    Returns ("ok", expectation) or ("reject", line, why, torch_also_rejects)."""
    batch = net["settings"].get("batch", 1)
    name, shape, in_line = net["inputs"][0]
    if not isinstance(batch, int) or batch < 1:
        return ("reject", [net_line(net, "batch")], "batch %r below 1" % (batch,), None)
    exp = {"batch": batch, "inputs": [{"name": name, "shape": shape}], "layers": []}
    cur = shape
    for lname, kind, args, at, line in net["layers"]:
        td = bool(at.get("time_distributed"))
        errs, out = netref.lang_errors(kind, cur, at, td)
        terr = None
        try:
            tk = netref.KINDS[kind]
            chans = cur[1 if td else 0]
            k = netref.per_axis(at.get("kernel"), len(cur) - (2 if td else 1))
            g = at.get("groups", 1)
            F_ = at.get("filters")
            if k is None or min(k) < 1 or not isinstance(F_, int) or F_ < 1 or g < 1:
                raise ValueError("no weight shape")
            wshape = [chans, F_ // g] + k if tk == "tconv" else [F_, chans // g] + k
            if 0 in wshape:
                raise ValueError("empty weight %s" % wshape)
            x = torch.zeros([1] + cur)
            y = netref.torch_apply(kind, x, torch.zeros(wshape), None, at, td)
            tout = list(y.shape[1:])
        except Exception as e:  # PyTorch (or its argument checks) refused
            terr = str(e).split("\n")[0][:120]
        lines = [line] + ([in_line] if errs and errs[0].startswith("input of rank") else [])
        if errs or terr:
            return ("reject", lines, "; ".join(errs) or "PyTorch: " + terr, terr is not None)
        if tout != out:
            raise SystemExit("gen.py: our size formula %s disagrees with PyTorch %s for\n%s"
                             % (out, tout, net))
        params, macs = netref.params_and_macs(kind, cur, tout, at, td)
        exp["layers"].append({"name": lname, "kind": netref.KINDS[kind], "spelled": kind,
                              "inputs": args, "output_shape": tout, "params": params, "macs": macs})
        cur = tout
    exp["outputs"] = [{"name": net["outputs"][0], "shape": cur}]
    return ("ok", exp)


def net_line(net, key):
    return net["lines"][key]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--valid", type=int, default=2600)
    ap.add_argument("--reject", type=int, default=700)
    ap.add_argument("--per-file", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(a.seed)
    os.makedirs(os.path.join(a.out, "reject"), exist_ok=True)
    valid, reject = [], []
    cover = Counter()
    fault_counts = Counter()
    torch_accepts_lang_rejects = 0
    tries = 0
    drawn = 0
    while len(valid) < a.valid or len(reject) < a.reject:
        tries += 1
        if tries > 20 * (a.valid + a.reject):
            raise SystemExit("gen.py: cannot draw enough configurations")
        net = draw_net(rng)
        fault = None
        if rng.random() < 0.25:
            fault = inject(rng, net)
        idx = len(valid) + len(reject)
        name = "c%05d" % idx
        text, where = render(name, net, rng)
        parsed = netref.parse_net(text)[0]
        parsed["lines"] = where
        res = evaluate(parsed)
        if res[0] == "ok":
            if len(valid) >= a.valid:
                continue
            for lname, kind, _, at, _ in parsed["layers"]:
                n = len(res[1]["inputs"][0]["shape"]) - (2 if at.get("time_distributed") else 1)
                pad = at.get("padding", "default")
                form = pad if isinstance(pad, str) else (
                    "int" if isinstance(pad, int) else "nested" if isinstance(pad[0], list) else "axis")
                extra = "+oshape" if "output_shape" in at else "+opad" if "output_padding" in at else ""
                cover["%s %dd %s%s" % (netref.KINDS[kind], n, form, extra)] += 1
            res[1]["text"] = text
            valid.append((name, res[1]))
        else:
            if len(reject) >= a.reject or (fault is None and drawn >= a.reject // 4):
                continue
            drawn += fault is None
            _, lines, why, torch_rejects = res
            if not torch_rejects:
                torch_accepts_lang_rejects += 1
            fault_counts[fault or "drawn"] += 1
            fname = os.path.join("reject", name + ".net")
            with open(os.path.join(a.out, fname), "w") as f:
                f.write("# expected to fail: %s\n" % why)
                f.write(text)
            reject.append({"name": name, "file": fname, "lines": [ln + 1 for ln in lines],
                           "why": why, "fault": fault, "torch_rejects": torch_rejects,
                           "text": text})
    files = []
    for i in range(0, len(valid), a.per_file):
        fname = "valid_%02d.net" % (i // a.per_file)
        files.append(fname)
        with open(os.path.join(a.out, fname), "w") as f:
            f.write("# generated by tests/shapes/gen.py, seed %d\n" % a.seed)
            for name, exp in valid[i:i + a.per_file]:
                exp["file"] = fname
                f.write(exp["text"])
    with open(os.path.join(a.out, "expect.json"), "w") as f:
        json.dump({"seed": a.seed, "files": files, "valid": dict(valid), "reject": reject}, f)
    print("gen.py: seed %d: %d valid configurations in %d files, %d to be rejected"
          % (a.seed, len(valid), len(files), len(reject)))
    forms = Counter()
    for key, c in cover.items():
        forms[key.split()[0] + " " + key.split()[2]] += c
    print("  layers by kind and padding form: " + ", ".join("%s %d" % kv for kv in sorted(forms.items())))
    dims = Counter()
    for key, c in cover.items():
        dims[" ".join(key.split()[:2])] += c
    print("  layers by kind and rank: " + ", ".join("%s %d" % kv for kv in sorted(dims.items())))
    print("  rejected: " + ", ".join("%s %d" % kv for kv in sorted(fault_counts.items()))
          + "; %d of them accepted by PyTorch but not by LANGUAGE.md" % torch_accepts_lang_rejects)


if __name__ == "__main__":
    main()
