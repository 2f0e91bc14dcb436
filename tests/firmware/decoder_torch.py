"""decoder_torch.py -- PyTorch's twin of the decoder of examples/autoencoder.net, the
oracle of the firmware profile's unrolled path (tests/firmware/suite.sh).

    decoder_torch.py OUT_DIR

writes OUT_DIR/w.safetensors, the decoder's parameters as PyTorch initialises them
(seed 0), under PyTorch's names, and OUT_DIR/torch.txt, what
examples/firmware/main.c prints for the network on those weights, computed by
PyTorch in double from main.c's fixed input (as fsrcnn_torch.py does).  Its first
layer (a k3 s2 tconv 32 -> 16) takes the unrolled path in a compact schedule,
reading the weights where they lie.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from fsrcnn_torch import main_input, save_safetensors, write_torch_txt


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    d1 = torch.nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1)
    rec = torch.nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1)
    params = {}
    for name, m in (("d1", d1), ("rec", rec)):
        params[name + ".weight"] = m.weight.detach().numpy()
        params[name + ".bias"] = m.bias.detach().numpy()
    save_safetensors(out + "/w.safetensors", params)

    x = main_input(32 * 7 * 7)
    with torch.no_grad():
        h = torch.from_numpy(x.reshape(1, 32, 7, 7)).double()
        h = F.relu(F.conv_transpose2d(h, d1.weight.double(), d1.bias.double(), stride=2, padding=1, output_padding=1))
        y = torch.sigmoid(F.conv_transpose2d(h, rec.weight.double(), rec.bias.double(), stride=2, padding=1, output_padding=1))
    write_torch_txt(out + "/torch.txt", "decoder", 1, "code", [1, 32, 7, 7], x, "rec", [1, 1, 28, 28], y)


if __name__ == "__main__":
    main()
