#!/usr/bin/python3
"""tests/train/vs_torch.py — netc's generated training step against PyTorch.

From the same initial weights on the same batches, runs STEPS optimiser steps
through the generated `<net>_train_step` (driven by step_driver.c) and through a
PyTorch model rebuilt from `netc check --json` (functional ops, torch.optim), and
compares every loss and every final parameter and running statistic.

usage: vs_torch.py NETC FILE.net WORKDIR [--steps K] [--seed S] [--network NAME[,NAME...]]
prints "N passed, N failed" (one test per network: losses and weights).
"""
import argparse, json, os, struct, subprocess, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + b:8 + n + e], "<f4").reshape(v["shape"])
    return out


def act(name, x, alpha):
    if name == "identity": return x
    if name == "relu": return F.relu(x)
    if name == "sigmoid": return torch.sigmoid(x)
    if name == "tanh": return torch.tanh(x)
    if name == "softplus": return F.softplus(x)
    if name == "leaky_relu": return F.leaky_relu(x, alpha)
    if name == "elu": return F.elu(x, alpha)
    raise ValueError(name)


def padspec(pb, pe):
    spec = []
    for i in reversed(range(len(pb))):
        spec += [pb[i], pe[i]]
    return spec


def apply_layer(L, xs, P, training):
    kind = L["kind"]
    x = xs[0]
    td = L.get("time_distributed", False)
    lead = None
    if td and kind not in ("add",):
        lead = x.shape[:2]
        xs = [t.reshape((-1,) + tuple(t.shape[2:])) for t in xs]
        x = xs[0]
    if kind in ("conv", "tconv"):
        nsp = len(L["kernel"])
        W = P[L["name"] + ".weight"]
        b = P.get(L["name"] + ".bias")
        if kind == "conv":
            x = F.pad(x, padspec(L["pad_begin"], L["pad_end"]))
            y = [F.conv1d, F.conv2d, F.conv3d][nsp - 1](x, W, b, stride=L["stride"], dilation=L["dilation"], groups=L["groups"])
        else:
            y = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][nsp - 1](
                x, W, None, stride=L["stride"], dilation=L["dilation"], groups=L["groups"])
            op = L["output_padding"]
            if any(op):
                y = F.pad(y, padspec([0] * nsp, op))
            sl = [slice(None), slice(None)] + [slice(L["pad_begin"][i], y.shape[2 + i] - L["pad_end"][i]) for i in range(nsp)]
            y = y[tuple(sl)]
            if b is not None:
                y = y + b.view([1, -1] + [1] * nsp)
        y = act(L["activation"], y, L["alpha"])
    elif kind == "dense":
        y = x.flatten(1) @ P[L["name"] + ".weight"].t()
        if L["name"] + ".bias" in P:
            y = y + P[L["name"] + ".bias"]
        y = act(L["activation"], y, L["alpha"])
    elif kind in ("maxpool", "avgpool"):
        nsp = len(L["kernel"])
        if kind == "maxpool":
            x = F.pad(x, padspec(L["pad_begin"], L["pad_end"]), value=-float("inf"))
            y = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nsp - 1](x, L["kernel"], L["stride"])
        else:
            x = F.pad(x, padspec(L["pad_begin"], L["pad_end"]))
            y = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][nsp - 1](x, L["kernel"], L["stride"])
    elif kind in ("relu", "sigmoid", "tanh", "softplus", "identity", "leaky_relu", "elu"):
        y = act(kind, x, L.get("alpha", 0.01))
    elif kind == "batchnorm":
        n = L["name"]
        y = F.batch_norm(x, P[n + ".running_mean"], P[n + ".running_var"], P[n + ".weight"], P[n + ".bias"],
                         training=training, momentum=L["momentum"], eps=L["eps"])
    elif kind == "add":
        y = xs[0]
        for t in xs[1:]:
            y = y + t
    elif kind == "concat":
        y = torch.cat(xs, dim=1)
    elif kind in ("reshape", "flatten"):
        y = x.reshape((x.shape[0],) + tuple(L["output_shape"][1:] if td else L["output_shape"]))
    elif kind == "upsample":
        y = F.interpolate(x, scale_factor=[float(f) for f in L["factor"]], mode="nearest")
    else:
        raise ValueError(kind)
    if lead is not None:
        y = y.reshape(tuple(lead) + tuple(y.shape[1:]))
    return y


def loss_fn(kind, p, t):
    if kind == "mse": return F.mse_loss(p, t)
    if kind == "l1": return F.l1_loss(p, t)
    if kind == "bce": return F.binary_cross_entropy_with_logits(p, t)
    if kind == "cross_entropy":
        tt = t.reshape((t.shape[0],) + tuple(p.shape[2:])).long() if p.dim() > 2 else t.reshape(t.shape[0]).long()
        return F.cross_entropy(p, tt)
    raise ValueError(kind)


def init_params(net, rng):
    params = {}
    shapes = {}
    for L in net["layers"]:
        n, k = L["name"], L["kind"]
        ins = L["inputs"]
        if k in ("conv", "tconv"):
            params["_"] = None
    return params


def param_shapes(net, json_layers_in):
    """Shapes of every parameter, from the layer descriptions (PyTorch layouts)."""
    shapes = {}
    out_shape = {i["name"]: i["shape"] for i in net["inputs"]}
    for L in net["layers"]:
        n, k = L["name"], L["kind"]
        xin = out_shape[L["inputs"][0]]
        td = L.get("time_distributed", False)
        xin = xin[1:] if td else xin
        out = L["output_shape"][1:] if td else L["output_shape"]
        if k == "conv":
            shapes[n + ".weight"] = [out[0], xin[0] // L["groups"]] + L["kernel"]
            if L["bias"]: shapes[n + ".bias"] = [out[0]]
        elif k == "tconv":
            shapes[n + ".weight"] = [xin[0], out[0] // L["groups"]] + L["kernel"]
            if L["bias"]: shapes[n + ".bias"] = [out[0]]
        elif k == "dense":
            shapes[n + ".weight"] = [out[0], int(np.prod(xin))]
            if L["bias"]: shapes[n + ".bias"] = [out[0]]
        elif k == "batchnorm":
            for s in ("weight", "bias", "running_mean", "running_var"):
                shapes[n + "." + s] = [out[0]]
        out_shape[n] = L["output_shape"]
    return shapes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("netc")
    ap.add_argument("file")
    ap.add_argument("work")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--network")
    ap.add_argument("--rtol", type=float, default=2e-4)
    ap.add_argument("--atol", type=float, default=2e-5)
    ap.add_argument("--sgd", action="store_true", help="replace each train block's optimizer by sgd { lr = 0.01, momentum = 0.9 }")
    ap.add_argument("--threads", default="", help="comma-separated OMP_NUM_THREADS values: compile with -fopenmp, "
                    "step once per value and require the same losses and weights, bit for bit")
    ap.add_argument("--cflags", default="", help="more flags for cc after the defaults (-march=native -mno-avx512f: "
                    "the code an AVX2 host without AVX-512 runs)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.sgd:
        import re
        text = open(a.file).read()
        text = re.sub(r"optimizer\s*=\s*[a-z]+\s*(\{[^}]*\})?\s*;", "optimizer = sgd { lr = 0.01, momentum = 0.9 };", text)
        a.file = os.path.join(a.work, "sgd_" + os.path.basename(a.file))
        open(a.file, "w").write(text)
    desc = json.loads(subprocess.run([a.netc, "check", a.file, "--json"], capture_output=True, text=True, check=True).stdout)
    passed = failed = 0
    for net in desc["networks"]:
        if a.network and net["name"] not in a.network.split(","):
            continue
        if "train" not in net:
            continue
        name, T, B = net["name"], net["train"], net["batch"]
        rng = np.random.default_rng(a.seed)
        d = os.path.join(a.work, name)
        os.makedirs(d, exist_ok=True)
        r = subprocess.run([a.netc, "build", a.file, "-o", d, "--network", name], capture_output=True, text=True)
        if r.returncode:
            print("FAIL %s: netc build: %s" % (name, r.stderr[-1500:])); failed += 1; continue
        open(os.path.join(d, name + "_main.c"), "w").write('#include "%s.h"\nconst netc_model *const netc_program_model = &%s_model;\n' % (name, name))
        exe = os.path.join(d, "step_driver")
        threads = [int(t) for t in a.threads.split(",") if t]
        cmd = ["cc", "-O2", "-std=c99"] + (["-march=native", "-fopenmp"] if threads else []) + a.cflags.split() + ["-I" + d, "-I" + os.path.join(ROOT, "runtime"), os.path.join(d, name + ".c"),
               os.path.join(d, name + "_main.c"), os.path.join(ROOT, "tests/train/step_driver.c"),
               os.path.join(ROOT, "build/libnetcfiles.a"), "-o", exe, "-lz", "-lm"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print("FAIL %s: cc: %s" % (name, r.stderr[-1500:])); failed += 1; continue
        shapes = param_shapes(net, None)
        init = {}
        for pn, sh in shapes.items():
            if pn.endswith("running_var"):
                init[pn] = (1 + 0.1 * rng.random(sh)).astype(np.float32)
            elif pn.endswith("running_mean"):
                init[pn] = (0.1 * rng.standard_normal(sh)).astype(np.float32)
            else:
                fan = int(np.prod(sh[1:])) if len(sh) > 1 else 1
                init[pn] = (rng.standard_normal(sh) / np.sqrt(max(fan, 1))).astype(np.float32)
        save_safetensors(os.path.join(d, "w0.safetensors"), init)
        # data for every train input, in declaration order (the generated step's order)
        used = set(l2 for L in net["layers"] for l2 in L["inputs"]) | {T["target"]}
        tin = [i for i in net["inputs"] if i["name"] in used]
        data = {}
        files = []
        for i in tin:
            sh = [a.steps * B] + i["shape"]
            if T["loss"] == "cross_entropy" and i["name"] == T["target"]:
                pred = next(L for L in net["layers"] if L["name"] == T["prediction"])
                C = pred["output_shape"][1 if pred.get("time_distributed") else 0]
                arr = rng.integers(0, C, sh).astype(np.float32)
            elif T["loss"] == "bce" and i["name"] == T["target"]:
                arr = rng.random(sh).astype(np.float32)
            else:
                arr = rng.standard_normal(sh).astype(np.float32) * 0.5
            data[i["name"]] = arr
            fpath = os.path.join(d, "in_%s.npy" % i["name"])
            np.save(fpath, arr if net["layout"] == "nchw" or len(i["shape"]) < 2 else np.moveaxis(arr, 1, -1))
            files.append(fpath)
        runs = []
        for t in threads or [None]:
            env = dict(os.environ) if t is None else dict(os.environ, OMP_NUM_THREADS=str(t), OMP_WAIT_POLICY="PASSIVE")
            r = subprocess.run([exe, os.path.join(d, "w0.safetensors"), str(a.steps), os.path.join(d, "loss.npy"),
                                os.path.join(d, "w1.safetensors")] + files, capture_output=True, text=True, env=env)
            if r.returncode:
                break
            runs.append(tuple(open(os.path.join(d, f), "rb").read() for f in ("loss.npy", "w1.safetensors")))
        if r.returncode:
            print("FAIL %s: step_driver: %s" % (name, r.stderr[-1500:])); failed += 1; continue
        if any(x != runs[0] for x in runs[1:]):
            t = threads[next(i for i, x in enumerate(runs) if x != runs[0])]
            print("FAIL %s: the losses or weights after %d steps differ between OMP_NUM_THREADS=%d and %d"
                  % (name, a.steps, threads[0], t)); failed += 1; continue
        if threads:
            print("%s: %d steps give the same bits on %s threads" % (name, a.steps, " / ".join(map(str, threads))))
        got_loss = np.load(os.path.join(d, "loss.npy"))
        got_w = load_safetensors(os.path.join(d, "w1.safetensors"))
        # PyTorch
        P = {k: torch.tensor(v.astype(np.float64)) for k, v in init.items()}
        layer_of = {}
        for L in net["layers"]:
            for s in ("weight", "bias"):
                if L["name"] + "." + s in P:
                    layer_of[L["name"] + "." + s] = L
        groups = []
        for pn, t in P.items():
            L = layer_of.get(pn)
            if L is None:
                continue
            if not L.get("trainable", True) or L.get("lr_mult", 1) == 0:
                continue
            t.requires_grad_(True)
            groups.append({"params": [t], "lr": T["lr"] * L.get("lr_mult", 1)})
        if T["optimizer"] == "sgd":
            opt = torch.optim.SGD(groups, lr=T["lr"], momentum=T["momentum"], nesterov=T["nesterov"], weight_decay=T["weight_decay"])
        elif T["optimizer"] == "adam":
            opt = torch.optim.Adam(groups, lr=T["lr"], betas=(T["beta1"], T["beta2"]), eps=T["eps"], weight_decay=T["weight_decay"])
        else:
            opt = torch.optim.AdamW(groups, lr=T["lr"], betas=(T["beta1"], T["beta2"]), eps=T["eps"], weight_decay=T["weight_decay"])
        want_loss = []
        for step in range(a.steps):
            vals = {n: torch.tensor(v[step * B:(step + 1) * B].astype(np.float64)) for n, v in data.items()}
            for L in net["layers"]:
                vals[L["name"]] = apply_layer(L, [vals[i] for i in L["inputs"]], P, True)
            loss = loss_fn(T["loss"], vals[T["prediction"]], vals[T["target"]])
            opt.zero_grad()
            loss.backward()
            if T["clip_norm"] > 0:
                torch.nn.utils.clip_grad_norm_([g["params"][0] for g in groups], T["clip_norm"])
            opt.step()
            want_loss.append(loss.item())
        ok = np.allclose(got_loss, want_loss, rtol=a.rtol, atol=a.atol)
        worst = ""
        adam_noise = []
        if not ok:
            worst = "losses %s vs %s" % (got_loss.tolist(), want_loss)
        for pn, t in P.items():
            w = t.detach().numpy()
            g = got_w[pn]
            bad = ~np.isclose(g, w, rtol=a.rtol * 10, atol=a.atol * 10)
            if not bad.any():
                continue
            # Adam divides by the root of the squared-gradient average, so an element
            # whose gradient is float rounding noise (a bias in front of a batchnorm,
            # a far corner of a generator) moves by up to lr per step in a direction
            # float and double disagree on.  Such elements are allowed when they are
            # rare and move no further than Adam's step bound.
            L = layer_of.get(pn)
            bound = 1.5 * a.steps * T["lr"] * (L.get("lr_mult", 1) if L else 1)
            if T["optimizer"] != "sgd" and bad.mean() <= 0.01 and float(np.max(np.abs(g - w)[bad])) <= bound:
                adam_noise.append("%s: %d of %d elements within Adam's step bound" % (pn, int(bad.sum()), bad.size))
                continue
            # running statistics average the activations of weights that carry that
            # noise: under Adam they are held to 1% of their scale instead
            if T["optimizer"] != "sgd" and ".running_" in pn and np.allclose(g, w, rtol=1e-2, atol=1e-2 * max(1e-3, float(np.max(np.abs(w))))):
                adam_noise.append("%s: within 1%% (running statistic of Adam-updated weights)" % pn)
                continue
            ok = False
            worst += " %s max|diff| %.3g (%d of %d elements)" % (pn, float(np.max(np.abs(g - w))), int(bad.sum()), bad.size)
        # the updates themselves: a layer far from the loss, at a small lr, moves its
        # weights so little that a weight gradient half wrong stays within the weights'
        # tolerance, so under SGD (whose update is linear in the gradients) each
        # parameter's change over the steps must match PyTorch's to 2% of its norm
        if T["optimizer"] == "sgd":
            for pn, t in P.items():
                if ".running_" in pn:
                    continue
                dw_want = t.detach().numpy() - init[pn].astype(np.float64)
                dw_got = got_w[pn].astype(np.float64) - init[pn].astype(np.float64)
                scale = float(np.linalg.norm(dw_want))
                # (float32 weights: an update below their rounding is not measurable)
                floor = 4e-7 * float(np.linalg.norm(init[pn].astype(np.float64))) + 1e-9
                if float(np.linalg.norm(dw_got - dw_want)) > 0.02 * scale + floor:
                    ok = False
                    worst += " %s update off by %.3g of its norm %.3g" % (pn, float(np.linalg.norm(dw_got - dw_want)) / max(scale, 1e-30), scale)
        # inference (running statistics) with netc's trained weights, on the first
        # batch: PyTorch evaluates the same weights, so Adam's noise does not enter
        with torch.no_grad():
            Pn = {k: torch.tensor(got_w[k].astype(np.float64)) for k in P}
            vals = {n: torch.tensor(v[:B].astype(np.float64)) for n, v in data.items()}
            for L in net["layers"]:
                vals[L["name"]] = apply_layer(L, [vals[i] for i in L["inputs"]], Pn, False)
        worst_out = 0.0
        for j, o in enumerate(net["outputs"]):
            got = np.load(os.path.join(d, "loss.npy.out%d.npy" % j))
            if net["layout"] == "nhwc" and got.ndim > 2:
                got = np.moveaxis(got, -1, 1)
            want = vals[o["name"]].numpy()
            if got.shape != want.shape or not np.allclose(got, want, rtol=a.rtol * 10, atol=a.atol * 10):
                ok = False
                worst += " inference output %s differs (max %.3g)" % (o["name"], float(np.max(np.abs(got - want))) if got.shape == want.shape else float("nan"))
            else:
                worst_out = max(worst_out, float(np.max(np.abs(got - want))))
        if ok:
            passed += 1
            print("ok   %s: %d %s steps, losses %.6g -> %.6g, weights and inference outputs match (max |diff| %.2g)" % (
                name, a.steps, T["optimizer"], want_loss[0], want_loss[-1], worst_out))
            for note in adam_noise:
                print("     note: " + note)
        else:
            failed += 1
            print("FAIL %s:%s" % (name, worst))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
