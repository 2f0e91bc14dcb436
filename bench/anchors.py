# bench/anchors.py: the anchor shapes of the benchmark, in one place.  bench/run and
# bench/torch_bench.py import this list; the C programs get each shape on their
# command line (args()); bench/nets/NAME.net holds the same layer in the .net
# language, and net_text() is the canonical text of that file (bench/run warns when
# a file drifts from it, and writes batch-reduced copies from it for --quick).
# bench/nets/NAME_train.net is the anchor's training twin (train_net_text()): the
# same tconv behind a cheap add so that its input needs a gradient, an mse loss and
# SGD, for timing netc's training step (forward + both backward passes + update).
# NAME_train_dx.net and NAME_train_dw.net are its partial twins (part "dx": the tconv
# frozen, so a step computes only its input gradient; part "dw": the tconv on the
# network input, so only its weight gradient): bench/run times their steps and
# subtracts the forward for netc's bwd_data and bwd_weights rows.
#
# Every anchor is one transposed convolution, fp32, no bias, nchw.  Spatial lists
# are outer to inner (depth, height, width), as in PyTorch.

ANCHORS = [
    # DCGAN generator layers, N = 64, kernel 4 stride 2 padding 1
    dict(name="dcgan4x4",   group="DCGAN",    n=64, cin=512, cout=256, size=[4, 4],   k=4, s=2, p=1, op=0),
    dict(name="dcgan8x8",   group="DCGAN",    n=64, cin=256, cout=128, size=[8, 8],   k=4, s=2, p=1, op=0),
    dict(name="dcgan16x16", group="DCGAN",    n=64, cin=128, cout=64,  size=[16, 16], k=4, s=2, p=1, op=0),
    dict(name="dcgan32x32", group="DCGAN",    n=64, cin=64,  cout=3,   size=[32, 32], k=4, s=2, p=1, op=0),
    # U-Net up-convolutions, N = 1
    dict(name="unet64k2",   group="U-Net",    n=1, cin=128, cout=64, size=[64, 64],   k=2, s=2, p=0, op=0),
    dict(name="unet128k3",  group="U-Net",    n=1, cin=64,  cout=32, size=[128, 128], k=3, s=2, p=1, op=1),
    # firmware-sized, N = 1
    dict(name="fw2dk3",     group="firmware", n=1, cin=8,  cout=4, size=[16, 16],  k=3, s=2, p=1, op=1),
    dict(name="fw2dk4",     group="firmware", n=1, cin=16, cout=8, size=[8, 8],    k=4, s=2, p=1, op=0),
    dict(name="fw1dk5",     group="firmware", n=1, cin=16, cout=8, size=[128],     k=5, s=2, p=2, op=1),
    dict(name="fw3dk3",     group="firmware", n=1, cin=8,  cout=4, size=[8, 8, 8], k=3, s=2, p=1, op=1),
]

DIRECTIONS = ["fwd", "bwd_data", "bwd_weights"]
# What the table shows: the three directions and the whole training step (netc's
# train_step; for the others the sum of their three directions).
ROW_DIRECTIONS = DIRECTIONS + ["step"]

# The training twins' learning rate: tiny, so that the weights stay where they
# started over hundreds of timed steps.  `bench/run --check-only` builds them with
# CHECK_LR = 1 instead, where one step moves the weights by exactly -dW.
TRAIN_LR = 1e-6
CHECK_LR = 1


def rank(a):
    return len(a["size"])


def out_size(a):
    return [(i - 1) * a["s"] - 2 * a["p"] + a["k"] + a["op"] for i in a["size"]]


def prod(v):
    r = 1
    for x in v:
        r *= x
    return r


def flops(a, n=None, d="fwd"):
    """2 * N * Cin * Cout * input spatial size * kernel volume (each of the three
    directions); three times that for the training step."""
    n = a["n"] if n is None else n
    return (3 if d == "step" else 1) * 2.0 * n * a["cin"] * a["cout"] * prod(a["size"]) * a["k"] ** rank(a)


def describe(a):
    dims = "x".join(str(v) for v in a["size"])
    extra = f" op{a['op']}" if a["op"] else ""
    return (f"{a['cin']}->{a['cout']} @{dims} N={a['n']} "
            f"k{a['k']} s{a['s']} p{a['p']}{extra}")


def args(a, n=None):
    """Command-line shape for naive / onednn."""
    n = a["n"] if n is None else n
    return ["--n", str(n), "--cin", str(a["cin"]), "--cout", str(a["cout"]),
            "--in", "x".join(str(v) for v in a["size"]), "--k", str(a["k"]),
            "--s", str(a["s"]), "--p", str(a["p"]), "--op", str(a["op"])]


def net_text(a, n=None):
    """The .net file of one anchor (batch n overrides the anchor's N)."""
    n = a["n"] if n is None else n
    shape = ", ".join(str(v) for v in [a["cin"]] + a["size"])
    extra = f", output_padding = {a['op']}" if a["op"] else ""
    return (f"# netc benchmark anchor ({a['group']}): one transposed convolution,\n"
            f"# {describe(a)}, fp32, no bias.  Generated from bench/anchors.py;\n"
            f"# bench/run checks that this file still matches it.\n"
            f"network {a['name']} {{\n"
            f"    batch  = {n};\n"
            f"    layout = nchw;\n"
            f"\n"
            f"    input x : [{shape}];\n"
            f"    y = tconv(x) {{ filters = {a['cout']}, kernel = {a['k']}, stride = {a['s']}, "
            f"padding = {a['p']}{extra}, bias = false }};\n"
            f"\n"
            f"    output y;\n"
            f"}}\n")


TWIN_PARTS = {"step": "_train", "dx": "_train_dx", "dw": "_train_dw"}


def train_net_text(a, n=None, lr=TRAIN_LR, part="step"):
    """The training twin of one anchor: input x0, x = add(x0, x0) (so the tconv's
    input is a layer and its gradient is computed: a tconv reading a network input
    gets no input gradient), the anchor's tconv on x, and an mse loss against a
    target input t with plain SGD.  The benchmark feeds x0 = x / 2 (exact in
    float32), so the tconv sees the forward's x.  part "dx": the same with the tconv
    frozen (trainable = false: the input gradient only); "dw": the tconv reading
    the network input x (the weight gradient only)."""
    n = a["n"] if n is None else n
    shape = ", ".join(str(v) for v in [a["cin"]] + a["size"])
    tshape = ", ".join(str(v) for v in [a["cout"]] + out_size(a))
    extra = f", output_padding = {a['op']}" if a["op"] else ""
    what = {"step": "behind x = x0 + x0 (so that its input gradient is\n# computed)",
            "dx": "frozen, behind x = x0 + x0 (so that a step computes\n# its input gradient alone)",
            "dw": "on the network input (so that a step computes its\n# weight gradient alone)"}[part]
    body = ("    input x : [" + shape + "];\n    input t : [" + tshape + "];\n" if part == "dw" else
            "    input x0 : [" + shape + "];\n    input t : [" + tshape + "];\n    x = add(x0, x0);\n")
    frozen = ", trainable = false" if part == "dx" else ""
    return (f"# netc benchmark anchor ({a['group']}), training twin: the tconv of {a['name']}.net,\n"
            f"# {describe(a)}, {what}, an mse loss and SGD.  Generated from bench/anchors.py;\n"
            f"# bench/run checks that this file still matches it.\n"
            f"network {a['name']}{TWIN_PARTS[part]} {{\n"
            f"    batch  = {n};\n"
            f"    layout = nchw;\n"
            f"\n"
            f"{body}"
            f"    y = tconv(x) {{ filters = {a['cout']}, kernel = {a['k']}, stride = {a['s']}, "
            f"padding = {a['p']}{extra}, bias = false{frozen} }};\n"
            f"\n"
            f"    output y;\n"
            f"\n"
            f"    train {{\n"
            f"        loss      = mse(y, t);\n"
            f"        optimizer = sgd {{ lr = {lr:g} }};\n"
            f"    }}\n"
            f"}}\n")


if __name__ == "__main__":
    # `anchors.py --write-nets DIR` regenerates the .net files (forward and
    # training twin of every anchor).
    import os
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--write-nets":
        for a in ANCHORS:
            with open(os.path.join(sys.argv[2], a["name"] + ".net"), "w") as f:
                f.write(net_text(a))
            for part, suffix in TWIN_PARTS.items():
                with open(os.path.join(sys.argv[2], a["name"] + suffix + ".net"), "w") as f:
                    f.write(train_net_text(a, part=part))
    else:
        for a in ANCHORS:
            print(f"{a['name']:12s} {describe(a)}  {flops(a) / 1e9:.3f} GFLOP")
