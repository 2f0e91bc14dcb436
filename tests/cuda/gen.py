#!/usr/bin/python3
"""tests/cuda/gen.py — the oracle for the CUDA tconv kernels: a seeded random sweep
of transposed-convolution configurations with PyTorch's answers, plus fixed edge cases (edge_cases).

    gen.py OUTDIR COUNT SEED [--nvrtc-set]

writes OUTDIR/cases.txt (one configuration per line, fields as in FIELDS) and
OUTDIR/case_<id>.bin: float64 arrays in this order
    x, w, b (absent without bias), dy,                        the inputs (float32 values)
    y, dx, dw, db (absent without bias),                      PyTorch's answers (float64)
    y_abs, dx_abs, dw_abs, db_abs                             error scales
PyTorch computes in float64: y = act(conv_transpose(x, w, b)) and autograd's
gradients for the upstream gradient dy.  The *_abs arrays are the same sums over
absolute values (|x|, |w|, |dy| * max(1, alpha), identity activation): the size of
what a float32 kernel adds up, so a kernel passes when |got - ref| <= 1e-4 * |ref|
+ 1e-5 * abs, elementwise (a missing or extra tap costs far more than that).
Asymmetric padding is not in PyTorch's API: the answer is then PyTorch's unpadded
conv_transpose cropped [pb : pb + o] (zero-extended for output_padding), which is
the definition in LANGUAGE.md.  With --nvrtc-set it writes a fixed, small set of
configurations (1-D/2-D/3-D, groups, dilation, every activation) without data.
"""
import sys, random
import numpy as np
import torch
import torch.nn.functional as F

ACTS = ["identity", "relu", "sigmoid", "tanh", "softplus", "leaky_relu", "elu"]
FIELDS = ("id dims n cin cout groups i0 i1 i2 o0 o1 o2 k0 k1 k2 s0 s1 s2 d0 d1 d2 "
          "pb0 pb1 pb2 pe0 pe1 pe2 a0 a1 a2 bias act alpha").split()


def out_size(i, k, s, d, pb, pe, a):
    return (i - 1) * s - pb - pe + d * (k - 1) + a + 1


def random_case(rng, cid):
    while True:
        dims = rng.choice([1, 1, 2, 2, 2, 3])
        groups = rng.choice([1, 1, 1, 2, 3, 4])
        cg = rng.randint(1, 4 if dims < 3 else 3)
        fg = rng.randint(1, 4 if dims < 3 else 3)
        n = rng.randint(1, 3)
        ax = []
        for _ in range(dims):
            k = rng.randint(1, {1: 6, 2: 4, 3: 3}[dims])
            s = rng.choice([1, 1, 2, 2, 3, 4])
            d = rng.choice([1, 1, 1, 2, 3])
            i = rng.randint(1, {1: 12, 2: 7, 3: 4}[dims])
            full = d * (k - 1) + 1
            pb = rng.randint(0, full - 1)
            pe = pb if rng.random() < 0.5 else rng.randint(0, full - 1)
            a = rng.randint(0, max(s, d) - 1) if rng.random() < 0.6 else 0
            o = out_size(i, k, s, d, pb, pe, a)
            ax.append((i, k, s, d, pb, pe, a, o))
        if all(t[7] >= 1 for t in ax):
            break
    act = rng.choice(ACTS)
    alpha = {"leaky_relu": rng.choice([0.01, 0.2]), "elu": rng.choice([1.0, 0.5, 1.5])}.get(act, 0.0)
    bias = 1 if rng.random() < 0.8 else 0
    return make_case(cid, dims, n, cg * groups, fg * groups, groups, ax, bias, act, alpha)


def make_case(cid, dims, n, cin, cout, groups, ax, bias, act, alpha):
    ax = list(ax) + [(1, 1, 1, 1, 0, 0, 0, 1)] * (3 - len(ax))
    c = dict(id=cid, dims=dims, n=n, cin=cin, cout=cout, groups=groups, bias=bias,
             act=ACTS.index(act), alpha=alpha)
    for j, (i, k, s, d, pb, pe, a, o) in enumerate(ax):
        c.update({f"i{j}": i, f"k{j}": k, f"s{j}": s, f"d{j}": d, f"pb{j}": pb,
                  f"pe{j}": pe, f"a{j}": a, f"o{j}": o})
    return c


def nvrtc_set():
    """Configurations for the NVRTC compile check (no data)."""
    A = lambda i, k, s, d, pb, pe, a: (i, k, s, d, pb, pe, a, out_size(i, k, s, d, pb, pe, a))
    return [
        make_case(0, 1, 8, 16, 8, 1, [A(32, 5, 2, 1, 2, 2, 1)], 1, "relu", 0),
        make_case(1, 2, 4, 64, 32, 1, [A(16, 3, 2, 1, 1, 1, 1)] * 2, 1, "sigmoid", 0),
        make_case(2, 2, 2, 32, 32, 4, [A(8, 4, 2, 1, 1, 2, 0), A(8, 3, 3, 2, 0, 1, 2)], 1, "leaky_relu", 0.2),
        make_case(3, 2, 1, 8, 8, 8, [A(28, 3, 1, 2, 2, 2, 0)] * 2, 0, "tanh", 0),
        make_case(4, 3, 2, 8, 4, 2, [A(6, 3, 2, 1, 1, 1, 1)] * 3, 1, "elu", 1.0),
        make_case(5, 3, 1, 4, 4, 1, [A(4, 2, 2, 2, 0, 1, 1), A(5, 3, 3, 1, 1, 0, 2), A(3, 1, 1, 1, 0, 0, 0)], 1, "softplus", 0),
        make_case(6, 1, 16, 3, 6, 3, [A(100, 7, 4, 3, 3, 5, 2)], 1, "identity", 0),
    ]


def edge_cases(first):
    """Fixed corner cases appended to every sweep: strides above 16 (the template then
    needs NETC_TS, which tconv_check passes), strides sharing a factor with the
    dilation, output_padding beyond PyTorch's limit, outputs shorter than the
    kernel, one-element axes."""
    A = lambda i, k, s, d, pb, pe, a: (i, k, s, d, pb, pe, a, out_size(i, k, s, d, pb, pe, a))
    cs = [
        (1, 2, 2, 2, 1, [A(3, 3, 17, 2, 1, 0, 5)], 1, "relu", 0),
        (1, 1, 3, 3, 3, [A(4, 5, 18, 4, 2, 9, 16)], 1, "tanh", 0),
        (2, 1, 2, 4, 2, [A(5, 4, 4, 6, 3, 3, 0), A(6, 3, 6, 4, 0, 8, 7)], 0, "elu", 1.5),
        (2, 2, 1, 1, 1, [A(1, 1, 1, 1, 0, 0, 0), A(1, 7, 2, 1, 6, 0, 3)], 1, "sigmoid", 0),
        (3, 1, 2, 2, 2, [A(2, 2, 20, 3, 0, 0, 19), A(1, 1, 1, 1, 0, 0, 0), A(3, 2, 2, 2, 1, 1, 1)], 1, "softplus", 0),
        (1, 4, 8, 8, 8, [A(9, 3, 1, 1, 2, 2, 0)], 1, "leaky_relu", 0.2),
    ]
    return [make_case(first + j, *c) for j, c in enumerate(cs)]


def act_fn(name, alpha):
    return {"identity": lambda z: z, "relu": F.relu, "sigmoid": torch.sigmoid,
            "tanh": torch.tanh, "softplus": F.softplus,
            "leaky_relu": lambda z: F.leaky_relu(z, alpha),
            "elu": lambda z: F.elu(z, alpha)}[name]


def tconv(c, x, w, b):
    dims = c["dims"]
    op = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[dims]
    r = range(dims)
    s = [c[f"s{j}"] for j in r]
    d = [c[f"d{j}"] for j in r]
    pb = [c[f"pb{j}"] for j in r]
    pe = [c[f"pe{j}"] for j in r]
    a = [c[f"a{j}"] for j in r]
    o = [c[f"o{j}"] for j in r]
    if pb == pe and all(a[j] < max(s[j], d[j]) for j in r):
        return op(x, w, b, stride=s, padding=pb, output_padding=a, groups=c["groups"],
                  dilation=d)
    full = op(x, w, None, stride=s, padding=0, groups=c["groups"], dilation=d)
    ext = []
    for j in reversed(r):           # F.pad lists the last axis first
        ext += [0, max(0, pb[j] + o[j] - full.shape[2 + j])]
    full = F.pad(full, ext)
    sl = (slice(None), slice(None)) + tuple(slice(pb[j], pb[j] + o[j]) for j in r)
    y = full[sl]
    if b is not None:
        y = y + b.view(1, -1, *([1] * dims))
    return y


def write_case(outdir, c, rng_np):
    dims = c["dims"]
    xs = [c["n"], c["cin"]] + [c[f"i{j}"] for j in range(dims)]
    ws = [c["cin"], c["cout"] // c["groups"]] + [c[f"k{j}"] for j in range(dims)]
    ys = [c["n"], c["cout"]] + [c[f"o{j}"] for j in range(dims)]
    f32 = lambda shape: torch.tensor(rng_np.uniform(-1, 1, shape).astype(np.float32),
                                     dtype=torch.float64)
    x, w, dy = f32(xs), f32(ws), f32(ys)
    b = f32([c["cout"]]) if c["bias"] else None
    act = ACTS[c["act"]]
    alpha = c["alpha"]

    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    br = b.clone().requires_grad_() if b is not None else None
    y = act_fn(act, alpha)(tconv(c, xr, wr, br))
    y.backward(dy)
    gain = max(1.0, alpha)
    xa, wa = x.abs().requires_grad_(), w.abs().requires_grad_()
    ba = b.abs().requires_grad_() if b is not None else None
    ya = tconv(c, xa, wa, ba)
    ya.backward(dy.abs() * gain)

    parts = [x, w] + ([b] if b is not None else []) + [dy]
    parts += [y.detach(), xr.grad, wr.grad] + ([br.grad] if b is not None else [])
    parts += [ya.detach() * gain, xa.grad, wa.grad] + ([ba.grad] if b is not None else [])
    with open(f"{outdir}/case_{c['id']}.bin", "wb") as f:
        for p in parts:
            f.write(p.detach().contiguous().numpy().astype(np.float64).tobytes())


def main():
    outdir, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_grad_enabled(True)
    if "--nvrtc-set" in sys.argv:
        cases = nvrtc_set()
    else:
        rng = random.Random(seed)
        cases = [random_case(rng, i) for i in range(count)] + edge_cases(count)
        rng_np = np.random.default_rng(seed)
        for c in cases:
            write_case(outdir, c, rng_np)
    with open(f"{outdir}/cases.txt", "w") as f:
        f.write("# " + " ".join(FIELDS) + "\n")
        for c in cases:
            f.write(" ".join(str(c[k]) for k in FIELDS) + "\n")


if __name__ == "__main__":
    main()
