#!/usr/bin/python3
"""bench/fmnist_autoencoder.py — the autoencoder example trained on Fashion-MNIST by
netc and by PyTorch from the same initial weights, on the same batches in the same
order (file order, batch 32), with the same optimiser; prints both test MSEs and
both training speeds.  Not a test: it takes minutes (PyTorch is the slow side).

usage: fmnist_autoencoder.py [--epochs E] [--threads T]
PyTorch is Debian's python3-torch; its convolutions go through the BLAS that
libblas.so.3 points to (reported below).
"""
import argparse, gzip, json, os, struct, subprocess, sys, tempfile, time
import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def images(name):
    raw = gzip.open(os.path.join(DATA, name)).read()
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = np.ascontiguousarray(v, "<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 3, 2, 1, 1), nn.Sigmoid())
    names = ["e1", None, "e2", None, "d1", None, "rec", None]
    work = tempfile.mkdtemp()
    w0 = {}
    for i, n in enumerate(names):
        if n:
            w0[n + ".weight"] = model[i].weight.detach().numpy()
            w0[n + ".bias"] = model[i].bias.detach().numpy()
    save_safetensors(os.path.join(work, "w0.safetensors"), w0)
    # netc: build, train in file order, evaluate
    netc = os.path.join(ROOT, "build/netc")
    subprocess.run([netc, "build", os.path.join(ROOT, "examples/autoencoder.net"), "--network", "autoencoder",
                    "-o", work, "--exe", "--cflags", "-O3 -march=native"], check=True)
    t0 = time.time()
    subprocess.run([os.path.join(work, "autoencoder"), "train", "--no-shuffle", "--epochs", str(a.epochs),
                    "--weights", os.path.join(work, "w0.safetensors"),
                    "--data", "image=" + os.path.join(DATA, "train-images-idx3-ubyte.gz"),
                    "--save", os.path.join(work, "w1.safetensors")], check=True, stderr=subprocess.DEVNULL)
    netc_s = time.time() - t0
    ev = subprocess.run([os.path.join(work, "autoencoder"), "eval", "--weights", os.path.join(work, "w1.safetensors"),
                         "--data", "image=" + os.path.join(DATA, "t10k-images-idx3-ubyte.gz")], capture_output=True, text=True, check=True)
    netc_mse = float(ev.stdout.split()[1])
    # PyTorch: same weights, same order, same optimiser
    x = torch.from_numpy(images("train-images-idx3-ubyte.gz"))
    xt = torch.from_numpy(images("t10k-images-idx3-ubyte.gz"))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    steps = x.shape[0] // 32
    t0 = time.time()
    for _ in range(a.epochs):
        for s in range(steps):
            b = x[s * 32:(s + 1) * 32]
            opt.zero_grad()
            loss = ((model(b) - b) ** 2).mean()
            loss.backward()
            opt.step()
    torch_s = time.time() - t0
    with torch.no_grad():
        torch_mse = float(((model(xt) - xt) ** 2).mean())
    n = a.epochs * steps * 32
    print("autoencoder on Fashion-MNIST, %d epoch(s), batch 32, Adam lr 1e-3, same initial weights and batch order" % a.epochs)
    print("  test MSE   netc %.6f   PyTorch %.6f   (ratio %.3f)" % (netc_mse, torch_mse, netc_mse / torch_mse))
    print("  training   netc %.0f samples/s   PyTorch %.0f samples/s (%d thread%s)   speed-up %.1fx" % (
        n / netc_s, n / torch_s, a.threads, "" if a.threads == 1 else "s", torch_s / netc_s))
    print("  PyTorch %s; %s" % (torch.__version__, torch.__config__.show().split("\n")[3].strip() if len(torch.__config__.show().split("\n")) > 3 else ""))


if __name__ == "__main__":
    sys.exit(main())
