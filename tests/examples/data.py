#!/usr/bin/python3
"""tests/examples/data.py — the training data of the example networks, as .npy files.

    data.py autoencoder|fsrcnn|dcgan|upsampler1d|decoder3d OUTDIR

Every generator draws from numpy's default_rng with a fixed seed, so the files are
the same on every run.  Fashion-MNIST comes from Debian's dataset-fashion-mnist
package (/usr/share/datasets/fashion-mnist, or $NETC_FMNIST), read here from its
gzipped IDX files and scaled to [0, 1].

autoencoder  Trains on the IDX file train-images-idx3-ubyte.gz itself (the program
             reads IDX); written here: test_image.npy [1000, 1, 28, 28], the first
             1000 images of the test set, so `infer` (which reads .npy) can run on
             the same held-out images `eval` and `train --test` score.

fsrcnn       2x super-resolution pairs.  `hr` is a Fashion-MNIST image [1, 28, 28];
             `lr` is the same image average-pooled 2x2 to [1, 14, 14].  Training
             pairs from the first images of the training set (train_lr.npy,
             train_hr.npy), held-out pairs from the first images of the test set
             (test_lr.npy, test_hr.npy).
dcgan        A generator fitted to fixed targets: there is no discriminator.  64
             latent codes z ~ N(0, 1)^100 (z.npy) each paired with one target image
             [3, 64, 64] in [-1, 1] (target.npy): a Fashion-MNIST training image,
             resized bilinearly from 28x28 to 64x64 and tinted with a random colour
             (each channel scaled by a number in [0.3, 1]), then mapped x -> 2x - 1.
upsampler1d  Signals [1, 256] (target): sums of 3 sinusoids with frequencies drawn
             uniformly from 0.5 to 12 cycles per 256 samples, phases from [0, 2 pi)
             and amplitudes from [0.1, 0.5]; `signal` [1, 64] is every fourth sample
             of the target (target[4j]).  train_* and test_* from different seeds.
decoder3d    Sequences of T = 4 volumes.  `target` [4, 1, 16, 16, 16]: per step an
             occupancy grid (0 or 1) of 1 to 3 spheres with random centres in
             [3, 13)^3 and radii in [2, 4.5); `latent` [4, 8, 4, 4, 4]: the grid
             average-pooled 4x4x4 to [4, 4, 4], repeated over 8 channels, plus
             Gaussian noise of std 0.05.  train_* and test_* from different seeds.
"""
import gzip
import os
import sys

import numpy as np

FMNIST = os.environ.get("NETC_FMNIST", "/usr/share/datasets/fashion-mnist")


def idx_images(name, count):
    """The first `count` images of a gzipped IDX u8 file, float32 [count, 28, 28] in [0, 1]."""
    path = os.path.join(FMNIST, name)
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != b"\x00\x00\x08\x03":
        sys.exit(f"data.py: {path}: not an IDX file of u8 images (magic {raw[:4].hex()})")
    n, h, w = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    count = min(count, n)
    x = np.frombuffer(raw, np.uint8, count * h * w, 16).reshape(count, h, w)
    return x.astype(np.float32) / 255.0


def save(outdir, name, a):
    np.save(os.path.join(outdir, name + ".npy"), np.ascontiguousarray(a, np.float32))


def autoencoder(outdir):
    save(outdir, "test_image", idx_images("t10k-images-idx3-ubyte.gz", 1000)[:, None])


def fsrcnn(outdir):
    for split, fname, n in (("train", "train-images-idx3-ubyte.gz", 8192),
                            ("test", "t10k-images-idx3-ubyte.gz", 1000)):
        hr = idx_images(fname, n)[:, None]                                      # [n, 1, 28, 28]
        lr = hr.reshape(-1, 1, 14, 2, 14, 2).mean(axis=(3, 5))                   # 2x2 average pool
        save(outdir, split + "_lr", lr)
        save(outdir, split + "_hr", hr)


def dcgan(outdir):
    import torch  # only for the bilinear resize
    rng = np.random.default_rng(2016)
    n = 64                                                                      # one batch
    z = rng.standard_normal((n, 100))
    img = torch.from_numpy(idx_images("train-images-idx3-ubyte.gz", n)[:, None])
    big = torch.nn.functional.interpolate(img, size=(64, 64), mode="bilinear", align_corners=False).numpy()
    tint = rng.uniform(0.3, 1.0, (n, 3, 1, 1))
    save(outdir, "z", z)
    save(outdir, "target", np.clip(big * tint, 0, 1) * 2 - 1)


def upsampler1d(outdir):
    t = np.arange(256) / 256.0
    for split, seed, n in (("train", 11, 8192), ("test", 12, 1024)):
        rng = np.random.default_rng(seed)
        f = rng.uniform(0.5, 12.0, (n, 3, 1))
        ph = rng.uniform(0, 2 * np.pi, (n, 3, 1))
        amp = rng.uniform(0.1, 0.5, (n, 3, 1))
        target = (amp * np.sin(2 * np.pi * f * t + ph)).sum(axis=1)[:, None]     # [n, 1, 256]
        save(outdir, split + "_target", target)
        save(outdir, split + "_signal", target[:, :, ::4])                      # [n, 1, 64]


def decoder3d(outdir):
    g = np.arange(16) + 0.5
    zz, yy, xx = np.meshgrid(g, g, g, indexing="ij")
    for split, seed, n in (("train", 21, 256), ("test", 22, 64)):
        rng = np.random.default_rng(seed)
        target = np.zeros((n, 4, 1, 16, 16, 16), np.float32)
        for s in range(n):
            for t in range(4):
                for _ in range(rng.integers(1, 4)):
                    c = rng.uniform(3, 13, 3)
                    r = rng.uniform(2, 4.5)
                    inside = (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= r * r
                    target[s, t, 0][inside] = 1
        pooled = target.reshape(n, 4, 1, 4, 4, 4, 4, 4, 4).mean(axis=(4, 6, 8))  # [n, 4, 1, 4, 4, 4]
        latent = np.repeat(pooled, 8, axis=2) + rng.normal(0, 0.05, (n, 4, 8, 4, 4, 4))
        save(outdir, split + "_target", target)
        save(outdir, split + "_latent", latent)


KINDS = {"autoencoder": autoencoder, "fsrcnn": fsrcnn, "dcgan": dcgan, "upsampler1d": upsampler1d, "decoder3d": decoder3d}

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 2 or args[0] not in KINDS:
        sys.exit(f"usage: data.py {'|'.join(KINDS)} OUTDIR")
    os.makedirs(args[1], exist_ok=True)
    KINDS[args[0]](args[1])
