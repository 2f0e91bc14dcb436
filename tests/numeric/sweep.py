#!/usr/bin/python3
"""tests/numeric/sweep.py — netc's generated C against PyTorch, forward.

Draws a seeded random sweep of layer configurations (tconv and conv in 1-D, 2-D
and 3-D with strides, dilations, groups, asymmetric padding, output_padding,
with and without bias, every activation; pools, upsample, dense, batchnorm,
add, concat), packs them as many single-layer branches of a few networks (so
one compiled program checks many configurations), writes random weights as a
safetensors file and inputs as .npy, runs `NET infer` from `netc build --exe`,
and compares every output with PyTorch's functional ops.  Outputs are pre-filled
with a NaN sentinel by the program, so an element the code forgets to write
fails.  Prints one line per failure and ends with "N passed, N failed".

usage: sweep.py NETC WORKDIR [--count N] [--seed S] [--layout nchw|nhwc]
"""
import argparse
import itertools, json, os, re, struct, subprocess, sys
import numpy as np
import torch
import torch.nn.functional as F

ACTS = ["identity", "relu", "sigmoid", "tanh", "softplus", "leaky_relu", "elu"]


def act_torch(name, x):
    return {"identity": lambda v: v, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "softplus": F.softplus, "leaky_relu": lambda v: F.leaky_relu(v, 0.01), "elu": lambda v: F.elu(v, 1.0)}[name](x)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def draw_stream(rng, kind):
    """A layer whose GEMM writes y in place and streams its stores past the caches
    (NETC_STREAM): no bias, no activation, one phase (a conv, or a stride-1 tconv),
    a GEMM depth (input channels x taps) of at most 128, and a y of at least 4 MiB
    over the batch of 2; rows of 16 floats and rows that are not, so that some
    stores take the aligned path and others the plain one."""
    nsp = int(rng.choice([1, 2, 2, 3]))
    cin = int(rng.choice([1, 3, 8, 14]))
    cout = int(rng.choice([33, 40, 48, 64]))   # above CONV_IMPLICIT_MAX_FG, whose calls take the implicit GEMM
    k = [int(rng.integers(1, 4)) for _ in range(nsp)]
    while cin * int(np.prod(k)) > 128:
        k = [max(1, v - 1) for v in k]
    d = [int(rng.integers(1, 3)) for _ in range(nsp)]
    per = 2 ** 19 // cout * 2    # floats of one sample's output: at least 4 MiB over 2 samples
    side = int(np.ceil(per ** (1.0 / nsp)))
    size = [side + int(rng.integers(0, 9)) for _ in range(nsp)]
    if nsp >= 2 and rng.random() < 0.5:
        size[-1] = 16 * ((size[-1] + 15) // 16)    # rows of whole vectors
    pads = [[(d[i] * (k[i] - 1)) // 2, d[i] * (k[i] - 1) - (d[i] * (k[i] - 1)) // 2] for i in range(nsp)]
    return dict(kind=kind, nsp=nsp, groups=1, cin=cin, cout=cout, k=k, s=[1] * nsp, d=d, size=size, pads=pads,
                op=[0] * nsp, bias=False, act="identity")


def draw_zip(rng):
    """A transposed convolution whose phases store together (interleaved) into a y of
    at least 4 MiB over the batch of 2, stride 2 on the last axis, so that on the
    vector path each pair of phases along it zips its results into y past the caches
    (NETC_ZIPLO, NETC_ZIPHI, NETC_STREAM): k2 p0 or k4 p1 per axis, k4 on the last
    (equal phases),
    with and without a bias; a few with a relu or rows that are not whole vectors,
    which keep the plain store; and a third the U-Net k3 s2 up-convolution (p1,
    output_padding 1, at most 32 output channels): phases of 1-4 taps on the implicit
    GEMM, whose results the zip reads at the padded copy's positions."""
    nsp = int(rng.choice([1, 2, 2, 2, 3]))
    cin = int(rng.choice([3, 8, 16]))
    cout = int(rng.choice([33, 40, 64]))
    k = [int(rng.choice([2, 4])) for _ in range(nsp)]
    s = [2 if i == nsp - 1 else int(rng.choice([1, 2])) for i in range(nsp)]
    k = [k[i] if s[i] == 2 else 1 for i in range(nsp)]
    k[-1] = 4   # (kernel = stride on every axis is the pair path's: no phases)
    per = 2 ** 19 // cout * 2    # floats of one sample's output: at least 4 MiB over 2 samples
    out_side = int(np.ceil(per ** (1.0 / nsp)))
    size = [max(2, (out_side + s[i] - 1) // s[i] + int(rng.integers(0, 5))) for i in range(nsp)]
    whole = rng.random() < 0.8
    size[-1] = 16 * ((size[-1] + 15) // 16) + (0 if whole else int(rng.integers(1, 16)))
    pads = [[(k[i] - s[i]) // 2, (k[i] - s[i]) // 2] for i in range(nsp)]
    op = [0] * nsp
    if rng.random() < 0.35:
        cout = int(rng.choice([16, 24, 32]))
        k = [3 if s[i] == 2 else 1 for i in range(nsp)]
        pads = [[1, 1] if s[i] == 2 else [0, 0] for i in range(nsp)]
        op = [1 if s[i] == 2 else 0 for i in range(nsp)]
        size = [max(2, int(np.ceil((2 ** 19 // cout * 2) ** (1.0 / nsp))) // s[i] + int(rng.integers(0, 3))) for i in range(nsp)]
        size[-1] = 16 * ((size[-1] + 15) // 16)
    act = "relu" if rng.random() < 0.15 else "identity"
    return dict(kind="tconv", nsp=nsp, groups=1, cin=cin, cout=cout, k=k, s=s, d=[1] * nsp, size=size, pads=pads,
                op=op, bias=bool(rng.random() < 0.5), act=act)


def pairs_eligible(c):
    """Whether conv_pairs admits layer c in a host build (schedule.h): one group; a
    convolution with stride 2, an even kernel and unit dilation on the last axis, no
    padding, rows of whole vectors of outputs, 16 output channels or more, at most
    1024 pair rows and not on the unrolled path; a transposed one with kernel = stride (2 on the last axis), no
    padding, output padding or dilation, rows of x of whole vectors, at least 16
    GEMM rows (output channels x kernel volume / 2) and at most 1024 input channels."""
    nsp, k, s, d = c["nsp"], c["k"], c["s"], c["d"]
    kvol = int(np.prod(k))
    if c["groups"] != 1 or s[-1] != 2 or any(p != [0, 0] for p in c["pads"]):
        return False
    if c["kind"] == "conv" and unrolled_eligible(c):
        return False   # (the unrolled path comes first)
    if c["kind"] == "tconv":
        return (all(k[i] == s[i] and d[i] == 1 and c["op"][i] == 0 for i in range(nsp)) and c["size"][-1] % 16 == 0
                and c["cin"] <= 1024 and c["cout"] * kvol // 2 >= 16)
    out_last = (c["size"][-1] - d[-1] * (k[-1] - 1) - 1) // s[-1] + 1
    return (k[-1] % 2 == 0 and d[-1] == 1 and out_last % 16 == 0 and c["cout"] >= 16
            and c["cin"] * kvol // 2 <= 1024)


def draw_pairs(rng, kind):
    """A convolution for the pair path (conv_pairs): stride 2 and an even kernel on the
    last axis, no padding, 16 output channels or more, so that its GEMM reads x in
    place, two lanes an output (and for kind tconv an up-convolution, below); 1-D to 3-D, the other axes any stride, kernel and
    dilation; an output row of 16, 32 or 48 (one panel of 64 lanes and a half one),
    and one in eight not a multiple of 16 (im2col instead); every activation and
    bias (a pass over each row after its GEMM)."""
    nsp = int(rng.integers(1, 4))
    k = [int(rng.integers(1, 4)) for _ in range(nsp)]
    s = [int(rng.integers(1, 3)) for _ in range(nsp)]
    d = [int(rng.integers(1, 3)) for _ in range(nsp)]
    size = [int(rng.integers(1, 4 if nsp == 3 else 6)) for _ in range(nsp)]
    k[-1], s[-1], d[-1] = int(rng.choice([2, 2, 4])), 2, 1
    wo = int(rng.choice([16, 32, 48])) if rng.random() < 0.875 else int(rng.integers(5, 40))
    size[-1] = 2 * (wo - 1) + k[-1] + int(rng.integers(0, 2))
    for i in range(nsp - 1):
        size[i] += d[i] * (k[i] - 1)
    cfg = dict(kind="conv", nsp=nsp, groups=1, cin=int(rng.choice([1, 3, 16, 40])), cout=int(rng.choice([16, 20, 33, 64])),
               k=k, s=s, d=d, size=size, pads=[[0, 0] for _ in range(nsp)], op=[0] * nsp,
               bias=bool(rng.integers(0, 2)), act=str(rng.choice(ACTS)))
    if kind == "tconv":
        # the up-convolution (kernel = stride, 2 on the last axis, no padding): its GEMM
        # reads each row of x in place, each input in two lanes; rows of x of 16, 32
        # or 48 (one in eight not whole vectors: phases instead); 8 to 33 output
        # channels times the other axes' taps (the GEMM's rows, a short last block)
        s = [int(rng.integers(1, 4)) for _ in range(nsp)]
        s[-1] = 2
        size = [int(rng.integers(1, 4 if nsp == 3 else 7)) for _ in range(nsp)]
        size[-1] = int(rng.choice([16, 32, 48])) if rng.random() < 0.875 else int(rng.integers(3, 40))
        cout = int(rng.choice([8, 11, 16, 33]))
        if cout * int(np.prod(s[:-1])) < 16:
            cout = 16
        cfg.update(kind="tconv", cin=int(rng.choice([1, 3, 16, 40])), cout=cout, k=list(s), s=s, d=[1] * nsp, size=size)
    return cfg


def conv_out(c):
    """The output size of layer c on each axis."""
    o = []
    for i in range(c["nsp"]):
        (pb, pe), k, s, d, n = c["pads"][i], c["k"][i], c["s"][i], c["d"][i], c["size"][i]
        if c["kind"] == "tconv":
            o.append((n - 1) * s - pb - pe + d * (k - 1) + c["op"][i] + 1)
        else:
            o.append((n + pb + pe - d * (k - 1) - 1) // s + 1)
    return o


def tconv_phases(c):
    """Transposed convolution c's stride phases (geom_phases): for each phase with
    outputs (o + pb = s q on each axis, o in range), the kernel taps reaching them
    (t d = the phase mod s on each axis), phases and taps in row-major order."""
    nsp, out = c["nsp"], conv_out(c)
    phases = []
    for ph in itertools.product(*[range(s) for s in c["s"]]):
        if all(any((o + c["pads"][i][0]) % c["s"][i] == ph[i] for o in range(out[i])) for i in range(nsp)):
            phases.append([t for t in itertools.product(*[range(k) for k in c["k"]])
                           if all(t[i] * c["d"][i] % c["s"][i] == ph[i] for i in range(nsp))])
    return phases


def unroll_blocks(c):
    """conv_unroll_blocks for layer c: (kinds of block, multiply-adds printed over their
    bodies per input channel).  A block is 16 consecutive output positions; its kind,
    how many positions it has and each position's taps that read inside x, at their
    offsets from the block's first input: a convolution's first output times the
    strides, a transposed one's first input read."""
    nsp, out, size, tr = c["nsp"], conv_out(c), c["size"], c["kind"] == "tconv"
    xst = [int(np.prod(size[i + 1:])) for i in range(nsp)]
    taps = list(itertools.product(*[range(k) for k in c["k"]]))
    Q = int(np.prod(out))
    kinds = {}
    for b0 in range(0, Q, 16):
        reads = []   # (position, tap, input offset)
        for p in range(b0, min(b0 + 16, Q)):
            q = np.unravel_index(p, out)
            for t in taps:
                if tr:
                    v = [int(q[i]) + c["pads"][i][0] - t[i] * c["d"][i] for i in range(nsp)]
                    if any(v[i] % c["s"][i] for i in range(nsp)):
                        continue   # (a tap of another phase)
                    xi = [v[i] // c["s"][i] for i in range(nsp)]
                else:
                    xi = [int(q[i]) * c["s"][i] + t[i] * c["d"][i] - c["pads"][i][0] for i in range(nsp)]
                if all(0 <= xi[i] < size[i] for i in range(nsp)):
                    reads.append((p - b0, t, sum(xi[i] * xst[i] for i in range(nsp))))
        if tr:
            base = min((o for _, _, o in reads), default=0)
        else:
            q0 = np.unravel_index(b0, out)
            base = sum(int(q0[i]) * c["s"][i] * xst[i] for i in range(nsp))
        sig = (min(16, Q - b0),) + tuple((p, t, o - base) for p, t, o in reads)
        kinds.setdefault(sig, len(reads))
    return len(kinds), sum(kinds.values())


def unrolled_eligible(c):
    """Whether conv_unrolled admits layer c in a host build (schedule.h): one group, a
    multiple of 16 output channels, not a transposed one on the pair path, every phase with taps a GEMM
    at least 16 deep (input channels times its taps; a convolution: one phase of every
    tap) and at most 8192 over them all, at most 32 kinds of block and 4096
    multiply-adds printed over their bodies."""
    phases = tconv_phases(c) if c["kind"] == "tconv" else [list(itertools.product(*[range(k) for k in c["k"]]))]
    depths = [c["cin"] * len(p) for p in phases if p]
    if not (c["groups"] == 1 and c["cout"] % 16 == 0 and not (c["kind"] == "tconv" and pairs_eligible(c)) and depths and min(depths) >= 16
            and sum(depths) <= 8192):
        return False
    kinds, lines = unroll_blocks(c)
    return kinds <= 32 and lines <= 4096


def draw_unrolled(rng, kind):
    """A small convolution or transposed one for the unrolled path (conv_unrolled): 16,
    32 or 48 output channels (one to three panels), 1-D to 3-D, any stride, dilation
    and padding (positions whose taps read padding lose those taps; a transposed
    one's positions take only their phase's taps, and outputs no tap reaches only the
    bias), output positions not a multiple of 16 (a masked last block), every
    activation and bias; some too large (positions times taps) or too shallow, which
    must not take it."""
    nsp = int(rng.integers(1, 4))
    k = [int(rng.integers(1, 5 if nsp < 3 else 4)) for _ in range(nsp)]
    s = [int(rng.integers(1, 4)) for _ in range(nsp)]
    d = [int(rng.integers(1, 3)) for _ in range(nsp)]
    big = rng.random() < 0.25
    if big:   # (mostly over the limits)
        s = [1] * nsp
        k = [max(2, t) for t in k]
    size = [int(rng.integers(1, (200 if big else 40) if nsp == 1 else (40 if big else 14) if nsp == 2 else (12 if big else 7))) for _ in range(nsp)]
    pads = [[int(rng.integers(0, d[i] * (k[i] - 1) + 1)), int(rng.integers(0, d[i] * (k[i] - 1) + 1))] for i in range(nsp)]
    cfg = dict(kind=kind, nsp=nsp, groups=1, cin=int(rng.choice([2, 3, 8, 17, 60 if big else 8])), cout=int(rng.choice([16, 16, 32, 48])),
               k=k, s=s, d=d, size=size, pads=pads, op=[0] * nsp, bias=bool(rng.integers(0, 2)), act=str(rng.choice(ACTS)))
    if kind == "tconv":
        cfg["op"] = [int(rng.integers(0, max(s[i], d[i]))) for i in range(nsp)]
    return cfg if min(conv_out(cfg)) >= 1 else None


def draw(rng, kind, wide=False, large=False, direct=False, regions=False):
    nsp = int(rng.integers(1, 4))
    groups = int(rng.choice([1, 1, 1, 2, 3]))
    # per-group channel counts both below and above the printer's direct-path limit (4)
    cin = groups * int(rng.choice([1, 2, 3, 5]))
    cout = groups * int(rng.choice([1, 2, 3, 4, 6]))
    k = [int(rng.integers(1, 5)) for _ in range(nsp)]
    s = [int(rng.integers(1, 4)) for _ in range(nsp)]
    d = [int(rng.integers(1, 3)) for _ in range(nsp)]
    size = [int(rng.integers(1, 7 if nsp == 3 else 10)) for _ in range(nsp)]
    if wide:
        # GEMM-sized layers: register-block tails (rows mod 6, columns mod 16 and 32),
        # GEMM depths over one 256-deep slice, im2col split into sample chunks
        groups = int(rng.choice([1, 1, 2]))
        cin = groups * int(rng.choice([7, 16, 40, 70]))
        cout = groups * int(rng.choice([5, 7, 13, 32, 33]))
        if rng.random() < 0.25:
            # at most 4 outputs per group: the direct path, which a host build runs
            # from a zero-padded copy of the input once the layer is large enough
            cout = groups * int(rng.choice([1, 2, 3, 4]))
        size = [int(rng.integers(1, 10 if nsp == 3 else (400 if nsp == 1 else 40))) for _ in range(nsp)]
        if direct:
            # the direct path on vectors: few output channels, and a last axis whose
            # phases are at least one vector long (whole vectors and a tail)
            cout = groups * int(rng.choice([1, 2, 3, 4]))
            size[-1] = int(rng.integers(16, 120 if nsp == 1 else 60))
    if regions:
        # the region path (convolutions and transposed ones): one group, output channels a
        # multiple of 16 (at least 32), small images and kernels wider than the
        # stride with padding, so that the taps on the padding are a large share of
        # the multiply-adds; sizes down to 1 (a box that is all border), 1-D rows
        # long enough for small regions to merge
        groups = 1
        # (136 input channels: a region's taps split into groups, the later ones adding)
        cin = int(rng.choice([3, 5, 16, 24, 40, 136]))
        cout = int(rng.choice([32, 48, 64]))
        s = [int(rng.integers(1, 4)) for _ in range(nsp)]
        k = [s[i] + int(rng.integers(1, 4 if nsp < 3 else 3)) for i in range(nsp)]
        d = [1] * nsp
        size = [int(rng.integers(1, 9 if nsp < 3 else 5)) for _ in range(nsp)]
        if nsp == 2 and rng.random() < 0.4:
            # the DCGAN kernel, 4 x 4 (16 taps: the weights' pack transposes 16 output
            # channels' taps at a time on the vector path)
            k, s = [4, 4], [int(rng.choice([1, 2])), 2]
    if large:
        # one sample's im2col over the printer's chunk (2^17 floats): the call works
        # on blocks of rows, whose first and last blocks clip their taps
        groups = int(rng.choice([1, 1, 2]))
        cin = groups * int(rng.choice([8, 16, 24]))
        cout = groups * int(rng.choice([5, 8, 17]))
        k = [int(rng.integers(2, 5)) for _ in range(nsp)]
        size = [int(rng.integers(2000, 9000))] if nsp == 1 else \
               [int(rng.integers(40, 120)) for _ in range(nsp)] if nsp == 2 else [int(rng.integers(12, 24)) for _ in range(nsp)]
    pads = []
    for i in range(nsp):
        dk = d[i] * (k[i] - 1) + 1
        pads.append([int(rng.integers(0, dk)), int(rng.integers(0, dk))])
        if regions and kind == "tconv":
            # the padding a decoder would use, give or take one
            p = (dk - s[i]) // 2
            pads[-1] = [max(0, min(dk - 1, p + int(rng.integers(-1, 2)))), max(0, min(dk - 1, p + int(rng.integers(-1, 2))))]
    unet = large and kind == "tconv" and rng.random() < 0.3
    if unet:
        # the U-Net up-convolution (kernel = stride, no padding): one tap per phase
        # that reads x as it lies, so the GEMM reads x in place (conv_reads_x)
        s = [int(rng.choice([2, 2, 3])) for _ in range(nsp)]
        k = list(s)
        d = [1] * nsp
        pads = [[0, 0] for _ in range(nsp)]
    op = [0] * nsp
    if kind == "tconv":
        op = [int(rng.integers(0, max(s[i], d[i]))) for i in range(nsp)]
    if unet:
        op = [0] * nsp
    if wide and kind == "tconv" and rng.random() < 0.3:
        # the generator/decoder shape (kernel a multiple of the stride, "same" padding
        # halves, output = input * stride): every phase the same box, so the printer
        # stores the phases interleaved (conv_interleaved)
        s = [int(rng.choice([2, 2, 3])) for _ in range(nsp)]
        k = [s[i] * int(rng.choice([1, 2])) for i in range(nsp)]
        d = [1] * nsp
        pads = [[(k[i] - s[i]) // 2, (k[i] - s[i]) - (k[i] - s[i]) // 2] for i in range(nsp)]
        op = [0] * nsp
    if regions and kind == "tconv" and rng.random() < 0.4:
        # the decoder's last axis (k4 s2 p1): its two phases pair up, so the vector
        # path stores each pair's results together, in rows of 2, 4, 8, 16 or 24
        # outputs (12: rows of 24 refused)
        k[-1], s[-1], pads[-1], op[-1] = 4, 2, [1, 1], 0
        size[-1] = int(rng.choice([1, 2, 4, 8, 12]))
    cfg = dict(kind=kind, nsp=nsp, groups=groups, cin=cin, cout=cout, k=k, s=s, d=d, size=size, pads=pads, op=op,
               bias=bool(rng.integers(0, 2)), act=str(rng.choice(ACTS)))
    # keep only configurations with a valid output
    return cfg if min(conv_out(cfg)) >= 1 else None


def layer_text(name, inp, c):
    spatial = lambda v: "[" + ", ".join(map(str, v)) + "]"
    pad = "[" + ", ".join("[%d, %d]" % tuple(p) for p in c["pads"]) + "]"
    attrs = ["filters = %d" % c["cout"], "kernel = %s" % spatial(c["k"]), "stride = %s" % spatial(c["s"]),
             "dilation = %s" % spatial(c["d"]), "padding = %s" % pad, "groups = %d" % c["groups"],
             "bias = %s" % ("true" if c["bias"] else "false"), "activation = %s" % c["act"]]
    if c["kind"] == "tconv":
        attrs.append("output_padding = %s" % spatial(c["op"]))
    return "    %s = %s(%s) { %s };" % (name, c["kind"], inp, ", ".join(attrs))


def torch_ref(c, x, w, b):
    nsp = c["nsp"]
    xt = torch.from_numpy(x).double()
    wt = torch.from_numpy(w).double()
    bt = torch.from_numpy(b).double() if b is not None else None
    if c["kind"] == "conv":
        padspec = []
        for pb, pe in reversed(c["pads"]):
            padspec += [pb, pe]
        xt = F.pad(xt, padspec)
        fn = [F.conv1d, F.conv2d, F.conv3d][nsp - 1]
        y = fn(xt, wt, bt, stride=c["s"], dilation=c["d"], groups=c["groups"])
    else:
        fn = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][nsp - 1]
        # full result without padding, then crop [pb, end - pe]; output_padding extends the end
        y = fn(xt, wt, bt, stride=c["s"], dilation=c["d"], groups=c["groups"])
        extra = [c["op"][i] for i in range(nsp)]
        if any(extra):
            padspec = []
            for i in reversed(range(nsp)):
                padspec += [0, extra[i]]
            y = F.pad(y, padspec)
            if bt is not None:  # the padded rows still get the bias
                shape = [1, -1] + [1] * nsp
                mask = torch.ones_like(y)
                sl = [slice(None), slice(None)] + [slice(0, y.shape[2 + i] - extra[i]) for i in range(nsp)]
                mask[tuple(sl)] = 0
                y = y + mask * bt.view(shape)
        sl = [slice(None), slice(None)]
        for i in range(nsp):
            pb, pe = c["pads"][i]
            sl.append(slice(pb, y.shape[2 + i] - pe))
        y = y[tuple(sl)]
    return act_torch(c["act"], y).float().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("netc")
    ap.add_argument("work")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-net", type=int, default=50)
    ap.add_argument("--layout", default="nchw")
    ap.add_argument("--wide", action="store_true", help="GEMM-sized channel counts and sizes")
    ap.add_argument("--large", action="store_true", help="large images (run at --batch 1): row blocks")
    ap.add_argument("--cflags", default="-O0", help="C compiler flags for the generated program")
    ap.add_argument("--batch", type=int, default=2, help="the networks' batch (3 samples are fed: two chunks)")
    ap.add_argument("--threads", default="", help="comma-separated OMP_NUM_THREADS values: run the program "
                    "once per value and require the same bits from each (the host build's threads)")
    ap.add_argument("--direct", action="store_true", help="wide layers with at most 4 output channels per group "
                    "and a long last axis: the direct path, on the vector path's register blocks in a host build")
    ap.add_argument("--expect-direct-vec", action="store_true", help="fail unless some layer runs a direct phase "
                    "(few output channels, from a padded copy) on the vector path's register blocks")
    ap.add_argument("--stream", action="store_true", help="only layers whose GEMMs may stream their stores (draw_stream); "
                    "fails unless at least half of them do (a long 1-D row may still go through the results buffer)")
    ap.add_argument("--regions", action="store_true", help="layers for the region path (one group, 32-64 output "
                    "channels, small images, wide kernels); fails unless at least a quarter of them take it")
    ap.add_argument("--expect-implicit", action="store_true", help="fail unless some layer runs the implicit GEMM "
                    "(a padded copy of x that every tap's GEMM rows read in place, no im2col)")
    ap.add_argument("--pairs", action="store_true", help="only convolutions and transposed ones for the pair path "
                    "(draw_pairs); fails unless exactly the layers its conditions admit take it, some of each kind")
    ap.add_argument("--unrolled", action="store_true", help="only small convolutions for the unrolled path "
                    "(draw_unrolled); fails unless exactly the layers its conditions admit take it, and some do")
    ap.add_argument("--zip", action="store_true", help="only stride-2 transposed convolutions with a large y whose "
                    "phases zip their results into y past the caches (draw_zip); fails unless a third of them do")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    cfgs = []
    while len(cfgs) < a.count:
        kind = "tconv" if len(cfgs) % 2 == 0 else "conv"
        c = draw_unrolled(rng, kind) if a.unrolled else draw_pairs(rng, kind) if a.pairs else draw_zip(rng) if a.zip else draw_stream(rng, kind) if a.stream else draw(rng, kind, a.wide or a.large or a.direct or a.regions, a.large, a.direct, a.regions)
        if c and a.regions and not cfgs:
            # the first layer is a decoder's (k4 s2 p1 over 4 x 8, rows of 16), whose
            # phases pair on the region path however few the draws (the draws after it
            # are the same; 3 input channels: phases 12 deep, too shallow for the
            # unrolled path)
            c.update(nsp=2, groups=1, cin=3, cout=32, k=[4, 4], s=[2, 2], d=[1, 1], size=[4, 8], pads=[[1, 1], [1, 1]], op=[0, 0])
        if c and a.large and len(cfgs) == 1:
            # the second layer has more output channels (40, not a multiple of 16: not
            # the unrolled path) than the implicit GEMM's 32, but a GEMM 288 deep and
            # rows of 65 columns for 64 outputs: it takes the implicit GEMM
            # (CONV_IMPLICIT_WIDE_K, _EXTRA) in row blocks, checked below
            c.update(nsp=2, groups=1, cin=32, cout=40, k=[3, 3], s=[2, 2], d=[1, 1], size=[64, 128], pads=[[1, 1], [1, 1]], op=[0, 0])
        if c and a.regions and len(cfgs) in (1, 2):
            # then a convolution and a transposed one whose padding taps are few (6%
            # and 9% of their multiply-adds) but whose GEMMs are 512 deep or more (8320
            # over their taps, past the unrolled path's 8192): the region path's deep
            # rule (CONV_REGION_DEEP), checked below
            if kind == "conv":
                c.update(nsp=2, groups=1, cin=520, cout=32, k=[4, 4], s=[2, 2], d=[1, 1], size=[32, 32], pads=[[1, 1], [1, 1]], op=[0, 0])
            else:
                c.update(nsp=2, groups=1, cin=520, cout=32, k=[4, 4], s=[2, 2], d=[1, 1], size=[8, 16], pads=[[1, 1], [1, 1]], op=[0, 0])
        if c:
            cfgs.append(c)
    os.makedirs(a.work, exist_ok=True)
    passed = failed = 0
    batch = a.batch
    threads = [int(t) for t in a.threads.split(",") if t]
    jobs = []
    for start in range(0, len(cfgs), a.per_net):
        chunk = cfgs[start:start + a.per_net]
        net = "sweep%d" % (start // a.per_net)
        lines = ["network %s {" % net, "    batch = %d;" % batch, "    layout = %s;" % a.layout]
        tensors, feeds, expect = {}, [], []
        for j, c in enumerate(chunk):
            shape = [c["cin"]] + c["size"]
            lines.append("    input x%d : [%s];" % (j, ", ".join(map(str, shape))))
            lines.append(layer_text("y%d" % j, "x%d" % j, c))
            kv = int(np.prod(c["k"]))
            if c["kind"] == "tconv":
                wshape = [c["cin"], c["cout"] // c["groups"]] + c["k"]
            else:
                wshape = [c["cout"], c["cin"] // c["groups"]] + c["k"]
            w = rng.standard_normal(wshape).astype(np.float32) / np.sqrt(kv * c["cin"])
            b = rng.standard_normal(c["cout"]).astype(np.float32) if c["bias"] else None
            tensors["y%d.weight" % j] = w
            if b is not None:
                tensors["y%d.bias" % j] = b
            # batch + 1 samples: the program runs a full chunk and a partial one
            x = rng.standard_normal([batch + 1] + shape).astype(np.float32)
            # the rounding of a float32 sum scales with the sum, before the
            # activation (whose slope is at most 1): keep its largest magnitude
            expect.append((torch_ref(c, x, w, b), float(np.max(np.abs(torch_ref(dict(c, act="identity"), x, w, b))))))
            feeds.append(x)
        lines.append("    output %s;" % ", ".join("y%d" % j for j in range(len(chunk))))
        lines.append("}")
        d = os.path.join(a.work, net)
        os.makedirs(d, exist_ok=True)
        src = os.path.join(d, net + ".net")
        open(src, "w").write("\n".join(lines) + "\n")
        save_safetensors(os.path.join(d, "w.safetensors"), tensors)
        args = [os.path.join(d, net), "infer", "--weights", os.path.join(d, "w.safetensors")]
        for j, x in enumerate(feeds):
            xin = x if a.layout == "nchw" else np.moveaxis(x, 1, -1)
            np.save(os.path.join(d, "x%d.npy" % j), np.ascontiguousarray(xin))
            args += ["--input", "x%d=%s" % (j, os.path.join(d, "x%d.npy" % j))]
            args += ["--output", "y%d=%s" % (j, os.path.join(d, "y%d.npy" % j))]
        jobs.append((net, d, src, args, chunk, expect))
    # build and run the chunks two at a time (the machine has two cores); -O0
    # compiles the many unrolled layers several times faster and is as correct
    import concurrent.futures
    def build_and_run(job):
        net, d, src, args, chunk, expect = job
        r = subprocess.run([a.netc, "build", src, "-o", d, "--exe", "--cflags", a.cflags], capture_output=True, text=True)
        if r.returncode != 0:
            return job, r, "build"
        if not threads:
            return job, subprocess.run(args, capture_output=True, text=True), "run"
        # once per thread count, each run's outputs kept apart and compared bit for bit
        got = None
        for t in threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), OMP_WAIT_POLICY="PASSIVE")
            targs = [x.replace(".npy", ".t%d.npy" % t) if x.startswith("y") and x.endswith(".npy") else x for x in args]
            r = subprocess.run(targs, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                return job, r, "run"
            outs = [open(os.path.join(d, "y%d.t%d.npy" % (j, t)), "rb").read() for j in range(len(chunk))]
            if got is None:
                got = outs
            elif outs != got:
                bad = [j for j in range(len(chunk)) if outs[j] != got[j]]
                r.returncode = 1
                r.stderr = "outputs %s differ between OMP_NUM_THREADS=%d and %d" % (
                    ", ".join("y%d" % j for j in bad), threads[0], t)
                return job, r, "run"
        for j in range(len(chunk)):      # the checks below read y<j>.npy
            os.replace(os.path.join(d, "y%d.t%d.npy" % (j, threads[-1])), os.path.join(d, "y%d.npy" % j))
        return job, r, "run"
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(build_and_run, jobs))
    # the layers whose generated function runs the implicit GEMM (its offset tables),
    # and those with a direct phase on the vector path (sums in registers, emit_direct_vec)
    def layer_functions(only=None):
        """The generated layer functions (their text from `layer_` on) of every built
        network, or of network `only`."""
        for (net, d, src, args, chunk, expect), r, what in results:
            path = os.path.join(d, net + ".c")
            if what != "build" and only in (None, net) and os.path.exists(path):
                yield from open(path).read().split("static void layer_")[1:]
    implicit = sum("static const int bo[" in f for f in layer_functions())
    direct_vec = sum(" wv = wc[" in f for f in layer_functions())
    # (and those storing two direct phases at once, conv_direct_pairs: the decoder shape)
    direct_pairs = sum("the pair's two phases, side by side" in f for f in layer_functions())
    print("%d layers on the implicit GEMM, %d with direct phases on vectors, %d storing them in pairs" % (implicit, direct_vec, direct_pairs))
    if a.expect_direct_vec and direct_vec == 0:
        print("FAIL no layer ran a direct phase on vectors (--expect-direct-vec)")
        failed += 1
    if a.expect_direct_vec and direct_pairs == 0:
        print("FAIL no layer stored its direct phases in pairs (--expect-direct-vec)")
        failed += 1
    def first_net_layer(j):
        """The generated functions of layer y<j> of the first network (one per build of it)."""
        return [f for f in layer_functions("sweep0") if f.startswith("y%d(" % j)]
    def layers_with(test):
        """How many generated layer functions pass test(text) over the built networks."""
        return sum(bool(test(f)) for f in layer_functions())
    if a.stream:
        # every layer's GEMM must be a streaming one (its name starts s..gemm_)
        streams = layers_with(lambda f: re.search(r"\bs[pwao]*gemm_", f))
        print("%d layers stream their stores" % streams)
        if 2 * streams < len(cfgs):
            print("FAIL only %d of %d layers stream their stores (--stream)" % (streams, len(cfgs)))
            failed += 1
    if a.zip:
        zips = layers_with(lambda f: "NETC_ZIPLO(a, b)" in f)
        zips_ip = layers_with(lambda f: "NETC_ZIPLO(a, b)" in f and "static const int bo[" in f)
        print("%d layers zip their phases into y, %d of them from the implicit GEMM's results" % (zips, zips_ip))
        if len(cfgs) >= 8 and zips_ip == 0:
            print("FAIL no layer zipped the implicit GEMM's results (--zip)")
            failed += 1
        if 3 * zips < len(cfgs):
            print("FAIL only %d of %d layers zip their phases (--zip)" % (zips, len(cfgs)))
            failed += 1
    def path_mismatches(name, eligible):
        """The built layers on path `name` (their function carries "/* the <name>"), by
        kind, and the failures: each layer that takes it and eligible(c) refuses, or the
        other way round."""
        took, bad = {"conv": 0, "tconv": 0}, 0
        for (net, d, src, args, chunk, expect), r, what in results:
            path = os.path.join(d, net + ".c")
            if what == "build" or not os.path.exists(path):
                continue
            fns = {f.split("(")[0]: f for f in open(path).read().split("static void layer_")[1:]}
            for j, c in enumerate(chunk):
                on = ("/* the " + name) in fns.get("y%d" % j, "")
                took[c["kind"]] += on
                if on != eligible(c):
                    print("FAIL %s/y%d %s the %s: %s" % (net, j, "took" if on else "missed", name, json.dumps(c)))
                    bad += 1
        return took, bad
    if a.pairs:
        # every layer the pair path's conditions admit (pairs_eligible) takes it, and
        # no other; and some layer of each kind does
        took, bad = path_mismatches("pair path", pairs_eligible)
        failed += bad
        ntr = sum(c["kind"] == "tconv" for c in cfgs)
        print("%d of %d convolutions and %d of %d transposed ones on the pair path" % (took["conv"], len(cfgs) - ntr, took["tconv"], ntr))
        if not took["conv"] or not took["tconv"]:
            print("FAIL no convolution or no transposed one took the pair path (--pairs)")
            failed += 1
    if a.unrolled:
        # every layer conv_unrolled admits (unrolled_eligible) takes the path, and no other
        kinds, bad = path_mismatches("unrolled path", unrolled_eligible)
        failed += bad
        took = kinds["conv"] + kinds["tconv"]
        print("%d of %d layers on the unrolled path" % (took, len(cfgs)))
        if not took:
            print("FAIL no layer took the unrolled path (--unrolled)")
            failed += 1
    if a.regions:
        # the layers split into border regions (their functions carry region comments;
        # a transposed convolution's name its stride phases)
        regs = layers_with(lambda f: "/* region 0:" in f and ", phase " in f)
        zips = layers_with(lambda f: "/* the pair's store:" in f)
        cregs = layers_with(lambda f: "/* region 0:" in f and ", phase " not in f)
        ntr = sum(c["kind"] == "tconv" for c in cfgs)
        print("%d of %d transposed convolutions and %d of %d convolutions on the region path" % (regs, ntr, cregs, len(cfgs) - ntr))
        print("%d of them store their phases in pairs" % zips)
        if not zips:
            print("FAIL no transposed convolution on the region path stored its phases in pairs (--regions)")
            failed += 1
        deep = sum(any("/* region 0:" in f for f in first_net_layer(j)) for j in (1, 2))
        if deep != 2:
            print("FAIL %d of the 2 layers with few padding taps and 512-deep GEMMs took the region path (--regions)" % deep)
            failed += 1
        # (layers up to 8192 deep take the unrolled path first)
        off = [c["kind"] for c in cfgs if not unrolled_eligible(c)]
        if 4 * regs < off.count("tconv"):
            print("FAIL only %d of %d transposed convolutions off the unrolled path took the region path (--regions)" % (regs, off.count("tconv")))
            failed += 1
        if 8 * cregs < off.count("conv"):
            print("FAIL only %d of %d convolutions off the unrolled path took the region path (--regions)" % (cregs, off.count("conv")))
            failed += 1
    if a.large:
        if not any("static const int bo[" in f and "row blocks" in f for f in first_net_layer(1)):
            print("FAIL the layer of 40 output channels and rows of 64 outputs did not take the implicit GEMM in row blocks (--large)")
            failed += 1
    if a.expect_implicit and implicit == 0:
        print("FAIL no layer took the implicit GEMM (--expect-implicit)")
        failed += 1
    for (net, d, src, args, chunk, expect), r, what in results:
        if what == "build":
            print("FAIL build %s: %s" % (net, r.stderr[-2000:]))
            failed += len(chunk)
            continue
        if r.returncode != 0:
            print("FAIL run %s: %s" % (net, r.stderr[-2000:]))
            failed += len(chunk)
            continue
        for j, c in enumerate(chunk):
            got = np.load(os.path.join(d, "y%d.npy" % j))
            if a.layout == "nhwc":
                got = np.moveaxis(got, -1, 1)
            want, pre = expect[j]
            # 1e-5 relative; elements that cancel to near zero get an absolute floor of
            # 1e-6 of the largest magnitude of the output or of the sums before the
            # activation (tanh or sigmoid compress them) for float32 sums of up to 100 terms,
            # growing as the square root of the sum's length beyond (rounding errors of
            # a long float32 sum grow like a random walk)
            depth = c["cin"] // c["groups"] * int(np.prod(c["k"]))
            floor = 1e-6 * max(1.0, float(np.max(np.abs(want))), pre) * max(1.0, (depth / 100.0) ** 0.5)
            ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=floor)
            if ok:
                passed += 1
            else:
                failed += 1
                err = float(np.nanmax(np.abs(got - want))) if got.shape == want.shape else float("nan")
                print("FAIL %s/y%d %s: got %s want %s, max error %g" % (net, j, json.dumps(c), got.shape, want.shape, err))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
