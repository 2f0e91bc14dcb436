"""fsrcnn_torch.py -- PyTorch's twin of examples/fsrcnn.net, the oracle of the
firmware profile's test (tests/firmware/suite.sh).

    fsrcnn_torch.py BATCH OUT_DIR

writes OUT_DIR/w.safetensors, the parameters of the twin as PyTorch initialises
them (seed 0), under PyTorch's names, and OUT_DIR/torch.txt, what
examples/firmware/main.c prints for the network when it runs on those weights:
the same header lines, every output value and the checksum, computed by PyTorch
in double from the same fixed input (main.c's formula, exact in float32).  The
suite builds the network with `netc build --profile firmware --weights` and
compares the Cortex-M4F's output with this file.
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

LAYERS = [  # name, in, out, kernel, padding (fsrcnn.net, leaky_relu 0.25 after each)
    ("feature", 1, 56, 5, 2),
    ("shrink", 56, 12, 1, 0),
    ("map1", 12, 12, 3, 1),
    ("map2", 12, 12, 3, 1),
    ("map3", 12, 12, 3, 1),
    ("map4", 12, 12, 3, 1),
    ("expand", 12, 56, 1, 0),
]


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, "<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def fnv1a(values):
    h = 2166136261
    for b in np.ascontiguousarray(values, "<f4").tobytes():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def main_input(n):
    """main.c's input: element k is ((k * 7919 + 13) mod 2001) / 1000 - 1 in float32."""
    k = np.arange(n, dtype=np.int64)
    return ((((k % 2001) * 7919 + 13) % 2001).astype(np.float32) / np.float32(1000) - np.float32(1)).astype(np.float32)


def write_torch_txt(path, net, batch, iname, ishape, x, oname, oshape, y):
    """What examples/firmware/main.c prints for network `net` with input x (iname,
    ishape) and output y (a torch tensor; oname, oshape): header lines, every value
    with its bits, the checksum."""
    y = y.numpy().astype(np.float32).reshape(-1)
    shape = lambda v: "[" + ",".join(map(str, v)) + "]"
    with open(path, "w") as f:
        f.write("net %s batch %d layout nchw state 0\n" % (net, batch))
        f.write("input %s %s %d fnv1a 0x%08x\n" % (iname, shape(ishape), x.size, fnv1a(x)))
        f.write("output %s %s %d\n" % (oname, shape(oshape), y.size))
        for i, v in enumerate(y):
            f.write("%s[%d] = %.9g 0x%08x\n" % (oname, i, v, struct.unpack("<I", struct.pack("<f", v))[0]))
        f.write("checksum %d values sum %.9g abs %.9g fnv1a 0x%08x\n"
                % (y.size, float(y.astype(np.float64).sum()), float(np.abs(y.astype(np.float64)).sum()), fnv1a(y)))


def main():
    batch, out = int(sys.argv[1]), sys.argv[2]
    torch.manual_seed(0)
    convs = {name: torch.nn.Conv2d(i, o, k, padding=p) for name, i, o, k, p in LAYERS}
    sr = torch.nn.ConvTranspose2d(56, 1, 9, stride=2, padding=4, output_padding=1)
    params = {}
    for name, m in list(convs.items()) + [("sr", sr)]:
        params[name + ".weight"] = m.weight.detach().numpy()
        params[name + ".bias"] = m.bias.detach().numpy()
    save_safetensors(out + "/w.safetensors", params)

    x = main_input(batch * 14 * 14)
    with torch.no_grad():
        h = torch.from_numpy(x.reshape(batch, 1, 14, 14)).double()
        for name, *_ in LAYERS:
            c = convs[name]
            h = F.leaky_relu(F.conv2d(h, c.weight.double(), c.bias.double(), padding=c.padding), 0.25)
        y = F.conv_transpose2d(h, sr.weight.double(), sr.bias.double(), stride=2, padding=4, output_padding=1)
    write_torch_txt(out + "/torch.txt", "fsrcnn", batch, "lr", [batch, 1, 14, 14], x, "sr", [batch, 1, 28, 28], y)


if __name__ == "__main__":
    main()
