#!/usr/bin/python3
"""examples_torch.py NAME JSON — compare `netc check --json` of examples/NAME.net
with PyTorch modules written here by hand from the same description (not from
the JSON): every layer's per-sample output shape and parameter count, the input
shapes, and the network's totals.  Prints a one-line summary; exits 1 with the
differences when they disagree, 3 when none of its networks has a description
here.  Descriptions are keyed by network name.  Oracle: torch.nn (Conv*d, ConvTranspose*d,
Linear, BatchNorm*d), run on zeros of the full batch.
"""
import json
import sys

import torch
import torch.nn as nn


class TimeDistributed(nn.Module):
    """Apply `m` to each of the T steps of [N, T, ...] with shared weights."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        n, t = x.shape[:2]
        y = self.m(x.reshape(n * t, *x.shape[2:]))
        return y.reshape(n, t, *y.shape[1:])


class Fn(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *xs):
        return self.f(*xs)


def seq(*ms):
    return nn.Sequential(*ms)


def autoencoder(code="e2"):
    """the first example of LANGUAGE.md; `code` names what the decoder half reads"""
    return 32, {"image": (1, 28, 28)}, [
        ("e1", seq(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU()), ["image"]),
        ("e2", seq(nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU()), ["e1"]),
        ("d1", seq(nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU()), [code]),
        ("rec", seq(nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid()), ["d1"]),
    ]


def decoder():
    """the decoder half of autoencoder.net, on its own for the firmware build"""
    return 1, {"code": (32, 7, 7)}, autoencoder("code")[2][2:]


def dcgan():
    layers = [
        ("project", nn.Linear(100, 8192, bias=False), ["z"]),
        ("p4", Fn(lambda x: x.reshape(x.shape[0], 512, 4, 4)), ["project"]),
        ("n4", nn.BatchNorm2d(512), ["p4"]),
        ("a4", nn.ReLU(), ["n4"]),
    ]
    prev, cin = "a4", 512
    for size, cout in ((8, 256), (16, 128), (32, 64)):
        layers += [
            ("g%d" % size, nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), [prev]),
            ("n%d" % size, nn.BatchNorm2d(cout), ["g%d" % size]),
            ("a%d" % size, nn.ReLU(), ["n%d" % size]),
        ]
        prev, cin = "a%d" % size, cout
    layers.append(("image", seq(nn.ConvTranspose2d(64, 3, 4, stride=2, padding=1), nn.Tanh()), [prev]))
    return 64, {"z": (100,), "target": (3, 64, 64)}, layers


def fsrcnn():
    act = lambda: nn.LeakyReLU(0.25)
    layers = [
        ("feature", seq(nn.Conv2d(1, 56, 5, padding=2), act()), ["lr"]),
        ("shrink", seq(nn.Conv2d(56, 12, 1), act()), ["feature"]),
    ]
    prev = "shrink"
    for i in range(1, 5):
        layers.append(("map%d" % i, seq(nn.Conv2d(12, 12, 3, padding=1), act()), [prev]))
        prev = "map%d" % i
    layers += [
        ("expand", seq(nn.Conv2d(12, 56, 1), act()), [prev]),
        ("sr", nn.ConvTranspose2d(56, 1, 9, stride=2, padding=4, output_padding=1), ["expand"]),
    ]
    return 16, {"lr": (1, 14, 14), "hr": (1, 28, 28)}, layers


def upsampler1d():
    return 32, {"signal": (1, 64), "target": (1, 256)}, [
        ("lift", seq(nn.Conv1d(1, 16, 5, padding=2), nn.ReLU()), ["signal"]),
        ("up2", seq(nn.ConvTranspose1d(16, 16, 4, stride=2, padding=1), nn.ReLU()), ["lift"]),
        ("up4", seq(nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1), nn.ReLU()), ["up2"]),
        ("out", nn.Conv1d(8, 1, 5, padding="same"), ["up4"]),
    ]


def decoder3d():
    td = TimeDistributed
    return 8, {"latent": (4, 8, 4, 4, 4), "target": (4, 1, 16, 16, 16)}, [
        ("up8", td(nn.ConvTranspose3d(8, 16, 4, stride=2, padding=1, bias=False)), ["latent"]),
        ("norm8", td(nn.BatchNorm3d(16)), ["up8"]),
        ("act8", td(nn.ReLU()), ["norm8"]),
        ("vol", td(seq(nn.ConvTranspose3d(16, 1, 4, stride=2, padding=1), nn.Sigmoid())), ["act8"]),
    ]


# keyed by network name; a file may hold several networks
EXAMPLES = {f.__name__: f for f in (autoencoder, decoder, dcgan, fsrcnn, upsampler1d, decoder3d)}


def compare(net, description):
    batch, inputs, layers = description
    errors = []
    if net["batch"] != batch:
        errors.append("batch %d, PyTorch description %d" % (net["batch"], batch))
    got_inputs = {i["name"]: tuple(i["shape"]) for i in net["inputs"]}
    if got_inputs != inputs:
        errors.append("inputs %s, PyTorch description %s" % (got_inputs, inputs))
    values = {k: torch.zeros(batch, *s) for k, s in inputs.items()}
    by_name = {L["name"]: L for L in net["layers"]}
    if [L["name"] for L in net["layers"]] != [n for n, _, _ in layers]:
        errors.append("layers %s, PyTorch description %s" % ([L["name"] for L in net["layers"]], [n for n, _, _ in layers]))
    total = 0
    with torch.no_grad():
        for lname, module, ins in layers:
            module.eval()
            y = module(*[values[i] for i in ins])
            values[lname] = y
            params = sum(p.numel() for p in module.parameters())
            total += params
            L = by_name.get(lname)
            if L is None:
                continue
            if tuple(L["output_shape"]) != tuple(y.shape[1:]):
                errors.append("%s: netc shape %s, PyTorch %s" % (lname, L["output_shape"], list(y.shape[1:])))
            if L["params"] != params:
                errors.append("%s: netc %d parameters, PyTorch %d" % (lname, L["params"], params))
            if L["inputs"] != ins:
                errors.append("%s: netc inputs %s, PyTorch description %s" % (lname, L["inputs"], ins))
    if net["params"] != total:
        errors.append("total parameters: netc %d, PyTorch %d" % (net["params"], total))
    out = net["outputs"][0]
    summary = "%s: %d layers, %d parameters, %s -> %s %s" % (net["name"], len(layers), total, ", ".join(
        "%s %s" % (k, list(v)) for k, v in inputs.items()), out["name"], out["shape"])
    return ["%s: %s" % (net["name"], e) for e in errors], summary


def main():
    name, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        nets = json.load(f)["networks"]
    errors, agree, unknown = [], [], []
    for net in nets:
        if net["name"] not in EXAMPLES:
            unknown.append(net["name"])
            continue
        e, summary = compare(net, EXAMPLES[net["name"]]())
        errors += e
        agree.append(summary)
    if errors:
        print("\n".join(errors))
        return 1
    if not agree:
        print("checked; no PyTorch description of %s (%s) in examples_torch.py" % (name, ", ".join(unknown)))
        return 3
    print("; ".join(agree) + " agree" + ("; no PyTorch description of %s" % ", ".join(unknown) if unknown else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
