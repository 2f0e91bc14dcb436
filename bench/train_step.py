#!/usr/bin/python3
"""bench/train_step.py — one training step (forward, loss, backward, Adam update) of
the autoencoder (batch 32) and of the DCGAN generator (batch 64), netc against
PyTorch single-threaded, in one run.  Median milliseconds per step and the ratio.

usage: train_step.py [--iters N]
netc: `NAME bench --train` of the program `netc build --exe` makes (-O3 -march=native).
PyTorch: Debian's python3-torch, torch.set_num_threads(1), the same architecture.
"""
import argparse, os, re, subprocess, sys, tempfile, time
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_models():
    ae = nn.Sequential(
        nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 3, 2, 1, 1), nn.Sigmoid())

    class Gen(nn.Module):
        def __init__(self):
            super().__init__()
            self.project = nn.Linear(100, 8192, bias=False)
            self.body = nn.Sequential(
                nn.BatchNorm2d(512), nn.ReLU(),
                nn.ConvTranspose2d(512, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
                nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
                nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                nn.ConvTranspose2d(64, 3, 4, 2, 1), nn.Tanh())

        def forward(self, z):
            return self.body(self.project(z).view(-1, 512, 4, 4))

    return {"autoencoder": (ae, 32, lambda b: (torch.rand(b, 1, 28, 28),), lambda m, x: ((m(x) - x) ** 2).mean(), (0.9, 0.999), 1e-3),
            "dcgan": (Gen(), 64, lambda b: (torch.randn(b, 100), torch.rand(b, 3, 64, 64)),
                      lambda m, z, t: ((m(z) - t) ** 2).mean(), (0.5, 0.999), 2e-4)}


def time_torch(model, batch, make, lossf, betas, lr, iters):
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=betas)
    data = make(batch)
    ts = []
    for i in range(iters + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        lossf(model, *data).backward()
        opt.step()
        if i >= 2:
            ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2] * 1e3


def time_netc(net, iters):
    work = tempfile.mkdtemp()
    subprocess.run([os.path.join(ROOT, "build/netc"), "build", os.path.join(ROOT, "examples/%s.net" % net), "--network", net,
                    "-o", work, "--exe", "--cflags", "-O3 -march=native"], check=True)
    out = subprocess.run([os.path.join(work, net), "bench", "--train", "--iters", str(iters)], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print("one training step (Adam), single thread; PyTorch %s" % torch.__version__)
    print("%-12s %6s %12s %12s %8s" % ("network", "batch", "netc ms", "PyTorch ms", "speed-up"))
    for name, (model, batch, make, lossf, betas, lr) in torch_models().items():
        iters = a.iters if name == "autoencoder" else max(3, a.iters // 3)
        n = time_netc(name, iters)
        t = time_torch(model, batch, make, lossf, betas, lr, iters)
        print("%-12s %6d %12.1f %12.1f %7.1fx" % (name, batch, n, t, t / n))


if __name__ == "__main__":
    sys.exit(main())
