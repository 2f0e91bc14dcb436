#!/usr/bin/python3
"""tests/examples/check.py — measures for tests/examples/suite.sh, against baselines we
did not write (PyTorch's bicubic interpolation, numpy's linear interpolation).

    check.py psnr SR.npy LR.npy HR.npy
        PSNR (dB, peak 1, the mean over images of 10 log10(1 / MSE)) of netc's 2x
        super-resolution SR against the originals HR, and of bicubic upscaling of
        LR (torch.nn.functional.interpolate, mode='bicubic', align_corners=False);
        both clipped to [0, 1] first, as images are.  Exit 0 when netc's is higher.
    check.py interp OUT.npy SIGNAL.npy TARGET.npy
        MSE against TARGET [N, 1, 256] of netc's upsampled OUT and of linear
        interpolation (numpy.interp) between the known samples SIGNAL = TARGET[4j]
        (held constant past the last one).  Exit 0 when netc's is lower.
    check.py mse OUT.npy TARGET.npy LOSS
        numpy's MSE of OUT (from `infer`) against TARGET, in double, and LOSS (what
        the program's own eval reported for the same samples).  Exit 0 when they
        agree to a relative 1e-4 (float32 sums over the set).
    check.py encode CKPT.safetensors IMAGE.npy CODE.npy
        The autoencoder's encoder in PyTorch (conv2d, stride 2, padding 1, relu,
        twice) with the e1/e2 tensors of the checkpoint netc saved, applied to IMAGE;
        writes the codes [N, 32, 7, 7] for the separately built `decoder` network.
    check.py same A.npy B.npy
        Exit 0 when the arrays agree within 1e-5 (absolute).
    check.py log LOG.csv FACTOR
        The first and the last step's loss of a `train --log` file.  Exit 0 when the
        last is below FACTOR times the first.

Each prints one line with both numbers.
"""
import sys

import numpy as np


def psnr(sr_path, lr_path, hr_path):
    import torch
    sr, lr, hr = (np.load(p).astype(np.float64) for p in (sr_path, lr_path, hr_path))
    bic = torch.nn.functional.interpolate(torch.from_numpy(lr), scale_factor=2, mode="bicubic",
                                          align_corners=False).numpy()
    if sr.shape != hr.shape or bic.shape != hr.shape:
        sys.exit(f"check.py psnr: shapes differ: netc {sr.shape}, bicubic {bic.shape}, originals {hr.shape}")

    def db(x):
        mse = ((np.clip(x, 0, 1) - hr) ** 2).reshape(len(hr), -1).mean(axis=1)
        return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-12))))
    a, b = db(sr), db(bic)
    print(f"PSNR over {len(hr)} held-out images: netc {a:.2f} dB, bicubic {b:.2f} dB")
    return a > b


def interp(out_path, signal_path, target_path):
    out, sig, tgt = (np.load(p).astype(np.float64) for p in (out_path, signal_path, target_path))
    if out.shape != tgt.shape or sig.shape[0] != tgt.shape[0]:
        sys.exit(f"check.py interp: shapes differ: netc {out.shape}, signal {sig.shape}, target {tgt.shape}")
    t = np.arange(tgt.shape[-1])
    known = np.arange(sig.shape[-1]) * (tgt.shape[-1] // sig.shape[-1])
    lin = np.stack([np.interp(t, known, s[0]) for s in sig])[:, None]
    a, b = float(((out - tgt) ** 2).mean()), float(((lin - tgt) ** 2).mean())
    print(f"MSE over {len(tgt)} held-out signals: netc {a:.6f}, linear interpolation {b:.6f}")
    return a < b


def mse(out_path, target_path, loss):
    out, tgt = (np.load(p).astype(np.float64) for p in (out_path, target_path))
    if out.shape != tgt.shape:
        sys.exit(f"check.py mse: shapes differ: {out.shape} and {tgt.shape}")
    a, b = float(((out - tgt) ** 2).mean()), float(loss)
    print(f"MSE of infer's outputs over {len(tgt)} samples: numpy {a:.7g}, the program's eval {b:.7g}")
    return abs(a - b) <= 1e-4 * abs(a)


def safetensors(path):
    """name -> float32 array, from a safetensors file (F32 tensors)."""
    import json
    import struct
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            sys.exit(f"check.py: {path}: tensor {name} is {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], "<f4").reshape(t["shape"])
    return out


def encode(ckpt, image_path, code_path):
    import torch
    w = {k: torch.from_numpy(v.copy()) for k, v in safetensors(ckpt).items()}
    x = torch.from_numpy(np.load(image_path))
    with torch.no_grad():
        for layer in ("e1", "e2"):
            x = torch.relu(torch.nn.functional.conv2d(x, w[layer + ".weight"], w[layer + ".bias"], stride=2, padding=1))
    np.save(code_path, x.numpy())
    print(f"encoded {x.shape[0]} images to codes {list(x.shape[1:])} in PyTorch")
    return True


def same(a_path, b_path):
    a, b = np.load(a_path), np.load(b_path)
    if a.shape != b.shape:
        print(f"shapes differ: {a.shape} and {b.shape}")
        return False
    err = float(np.abs(a.astype(np.float64) - b).max())
    print(f"{a.shape[0]} samples, largest difference {err:.2g}")
    return err <= 1e-5


def log(path, factor):
    rows = [line.split(",") for line in open(path).read().split("\n")[1:] if line]
    if not rows:
        sys.exit(f"check.py log: {path} holds no steps")
    first, last = float(rows[0][2]), float(rows[-1][2])
    print(f"training loss: step 1 {first:.6f}, step {rows[-1][0]} {last:.6f} ({last / first:.3f} of the first)")
    return last < float(factor) * first


if __name__ == "__main__":
    cmds = {"psnr": (psnr, 3), "interp": (interp, 3), "mse": (mse, 3), "encode": (encode, 3), "same": (same, 2), "log": (log, 2)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != 2 + cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[sys.argv[1]]
    sys.exit(0 if fn(*sys.argv[2:]) else 1)
