#!/usr/bin/python3
"""gen.py OUT_DIR COUNT SEED — random .net files that parse, to drive the semantic
passes where byte-level fuzzing rarely gets: every layer kind, attribute values
at and past their limits (0, 1, negative, 2^20, 2^31 - 1, 2^63 - 1), every padding
form, time_distributed on and off, train blocks.  Most files are rejected; the
point is that none crashes, hangs or trips a sanitizer (suite.sh checks)."""
import os
import random
import sys

out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
EDGE = [0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 8, 16, -1, 1 << 20, (1 << 20) + 1, 2147483647, 9223372036854775807,
        -9223372036854775808]


def small():
    return rng.choice([1, 1, 2, 2, 3, 4, 5, 7, 8, 16])


def num():
    return rng.choice(EDGE) if rng.random() < 0.2 else small()


def spatial(nsp):
    r = rng.random()
    if r < 0.6:
        return str(num())
    n = nsp if r < 0.9 else rng.choice([0, 1, 2, 3, 4])
    return "[" + ", ".join(str(num()) for _ in range(n)) + "]"


def padding(nsp):
    r = rng.random()
    if r < 0.3:
        return rng.choice(["none", "same", "half_kernel", "valid", "smae"])
    if r < 0.5:
        return str(rng.choice([0, 0, 1, 1, 2, -1, 1 << 21]))
    if r < 0.7:
        return "[" + ", ".join(str(rng.choice([0, 1, 2])) for _ in range(rng.choice([nsp, nsp, 2 * nsp, 4]))) + "]"
    return "[" + ", ".join("[%d, %d]" % (rng.choice([0, 1, 2]), rng.choice([0, 1, 2, 3])) for _ in range(rng.choice([nsp, nsp, 1, 3]))) + "]"


ACTS = ["relu", "sigmoid", "tanh", "identity", "softplus", "leaky_relu { alpha = 0.2 }", "elu", "rleu"]
INITS = ["xavier", "msra", "normal { std = 0.02 }", "uniform { low = -0.1, high = 0.1 }", "const { value = 1 }",
         "msra { variance_norm = out }"]


def layer(name, avail, nsp):
    src = rng.choice(avail)
    td = rng.random() < 0.25
    tds = ", time_distributed = true" if td else ""
    kind = rng.choice(["conv", "tconv", "tconv", "deconv", "dense", "maxpool", "avgpool", "relu", "batchnorm",
                       "add", "concat", "reshape", "flatten", "upsample", "leaky_relu", "elu", "sigmoid"])
    if kind in ("conv", "tconv", "deconv"):
        attrs = ["filters = %d" % num(), "kernel = %s" % spatial(nsp)]
        if rng.random() < 0.6: attrs.append("stride = %s" % spatial(nsp))
        if rng.random() < 0.3: attrs.append("dilation = %s" % spatial(nsp))
        if rng.random() < 0.7: attrs.append("padding = %s" % padding(nsp))
        if kind != "conv" and rng.random() < 0.3: attrs.append("output_padding = %s" % spatial(nsp))
        if kind != "conv" and rng.random() < 0.3: attrs.append("output_shape = %s" % spatial(nsp))
        if rng.random() < 0.2: attrs.append("groups = %d" % rng.choice([1, 2, 3, 4]))
        if rng.random() < 0.3: attrs.append("activation = %s" % rng.choice(ACTS))
        if rng.random() < 0.2: attrs.append("weight_init = %s" % rng.choice(INITS))
        if rng.random() < 0.1: attrs.append("bias = false")
        return "%s = %s(%s) { %s%s };" % (name, kind, src, ", ".join(attrs), tds)
    if kind == "dense":
        return "%s = dense(%s) { units = %d%s };" % (name, src, num(), tds)
    if kind in ("maxpool", "avgpool"):
        extra = (", stride = %s" % spatial(nsp)) if rng.random() < 0.5 else ""
        extra += (", padding = %s" % padding(nsp)) if rng.random() < 0.3 else ""
        return "%s = %s(%s) { kernel = %s%s%s };" % (name, kind, src, spatial(nsp), extra, tds)
    if kind in ("add", "concat"):
        return "%s = %s(%s);" % (name, kind, ", ".join(rng.choice(avail) for _ in range(rng.choice([1, 2, 2, 3]))))
    if kind == "reshape":
        return "%s = reshape(%s) { shape = [%s]%s };" % (name, src, ", ".join(str(small()) for _ in range(rng.choice([1, 2, 3]))), tds)
    if kind == "upsample":
        return "%s = upsample(%s) { factor = %s%s };" % (name, src, spatial(nsp), tds)
    if kind == "batchnorm":
        return "%s = batchnorm(%s) { momentum = 0.1%s };" % (name, src, tds)
    return "%s = %s(%s)%s;" % (name, kind, src, (" { time_distributed = true }" if td else ""))


def network(k):
    lines = ["network g%d {" % k]
    if rng.random() < 0.3: lines.append("    batch = %d;" % rng.choice([1, 2, 64, 0, 1 << 20, 1 << 21]))
    nsp = rng.choice([1, 2, 3])
    td = rng.random() < 0.2
    shape = ([small()] if td else []) + [small()] + [rng.choice([1, 2, 4, 7, 8, 16, 28, 65536]) for _ in range(nsp)]
    lines.append("    input x : [%s];" % ", ".join(map(str, shape)))
    lines.append("    input t : [%s];" % ", ".join(map(str, shape)))
    avail = ["x"]
    for i in range(rng.randint(1, 8)):
        name = "l%d" % i
        lines.append("    " + layer(name, avail, nsp))
        avail.append(name)
    lines.append("    output %s;" % avail[-1])
    if rng.random() < 0.4:
        opt = rng.choice(["adam { lr = 0.001 }", "sgd { lr = 0.1, momentum = 0.9 }", "adamw", "adam { lr = 0 }"])
        lines.append("    train { loss = %s(%s, t); optimizer = %s; }" % (rng.choice(["mse", "l1", "bce", "cross_entropy"]), avail[-1], opt))
    lines.append("}")
    return "\n".join(lines)


os.makedirs(out, exist_ok=True)
for f in range(count):
    with open(os.path.join(out, "gen%05d.net" % f), "w") as fh:
        fh.write("\n".join(network(k) for k in range(rng.randint(1, 4))) + "\n")
