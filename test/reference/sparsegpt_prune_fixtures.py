#!/usr/bin/env python3
"""Reference outputs for kick's pruning kernels, made with the OFFICIAL code on a GPU host.

  fixtures OUTDIR   small layers with activation outliers -> OUTDIR/prune_ref.{json,bin}
                    (official SparseGPT.add_batch + fasterprune from IST-DASLab/sparsegpt@147d215,
                    official Wanda (locuslab/wanda@8e8fc87 lib/layerwrapper.py + prune.py) and
                    magnitude formulas, restated here in a few lines each)
  bench DIR         7B-sized layers: writes H/W as raw f32 into DIR, times the official
                    fasterprune (Hessian given), Wanda, Hessian accumulation and an fp32 matmul,
                    and writes DIR/torch.json (+ the pruned weights for mask agreement)

The official sparsegpt.py is NOT part of kick: fetch the public repository and point
SPARSEGPT_DIR at it (default .ref/sparsegpt). TF32 is disabled by sparsegpt.py itself.
"""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.environ.get("SPARSEGPT_DIR", ".ref/sparsegpt"))
import sparsegpt as sg  # noqa: E402  (official code)

sg.print = lambda *a, **k: None  # fasterprune prints 'time'/'error' per call
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
CONFIGS = [("u50", 0.5, 0, 0), ("u70", 0.7, 0, 0), ("2:4", 0.5, 2, 4), ("4:8", 0.5, 4, 8)]


def activations(gen, n_seq, seq_len, cols, dead=()):
    """Correlated features (low-rank mixing + noise) with a few outlier channels 10-100x larger."""
    rank = max(4, cols // 8)
    z = torch.randn(n_seq, seq_len, rank, generator=gen)
    mix = torch.randn(rank, cols, generator=gen) / math.sqrt(rank)
    x = z @ mix + 0.3 * torch.randn(n_seq, seq_len, cols, generator=gen)
    out_ch = torch.randperm(cols, generator=gen)[:max(2, cols // 40)]
    scales = 10 ** (1 + torch.rand(len(out_ch), generator=gen))  # 10..100x
    x[:, :, out_ch] *= scales
    for d in dead:
        x[:, :, d] = 0
    return x.float()


class WandaStats:  # wanda lib/layerwrapper.py WrappedGPT.add_batch (scaler_row part)
    def __init__(self, cols):
        self.scaler_row = torch.zeros(cols, device=dev)
        self.nsamples = 0

    def add_batch(self, inp):
        if len(inp.shape) == 2:
            inp = inp.unsqueeze(0)
        tmp = inp.shape[0]
        inp = inp.reshape((-1, inp.shape[-1])).t()
        self.scaler_row *= self.nsamples / (self.nsamples + tmp)
        self.nsamples += tmp
        inp = inp.type(torch.float32)
        self.scaler_row += torch.norm(inp, p=2, dim=1) ** 2 / self.nsamples


def nm_mask(metric, n, m):  # wanda prune.py, the N:M branch (shared with magnitude)
    mask = torch.zeros_like(metric) == 1
    for ii in range(metric.shape[1]):
        if ii % m == 0:
            tmp = metric[:, ii:(ii + m)].float()
            mask.scatter_(1, ii + torch.topk(tmp, n, dim=1, largest=False)[1], True)
    return mask


def wanda_mask(W, scaler_row, s, n, m):  # wanda prune.py prune_wanda
    metric = torch.abs(W) * torch.sqrt(scaler_row.reshape((1, -1)))
    if n:
        return nm_mask(metric, n, m)
    mask = torch.zeros_like(metric) == 1
    idx = torch.sort(metric, dim=-1, stable=True)[1][:, :int(metric.shape[1] * s)]
    mask.scatter_(1, idx, True)
    return mask


def magnitude_mask(W, s, n, m):  # wanda prune.py prune_magnitude
    metric = torch.abs(W)
    if n:
        return nm_mask(metric, n, m)
    thresh = torch.sort(metric.flatten())[0][int(W.numel() * s)]
    return metric <= thresh


def official_sparsegpt(W, xs, s, n, m):
    layer = nn.Linear(W.shape[1], W.shape[0], bias=False).to(dev)
    layer.weight.data = W.clone().to(dev)
    g = sg.SparseGPT(layer)
    for x in xs:  # one sequence per call, as opt_sequential
        g.add_batch(x.unsqueeze(0).to(dev), None)
    H = g.H.clone()
    g.fasterprune(s, prunen=n, prunem=m, blocksize=128, percdamp=0.01)
    return layer.weight.data.clone(), H


def rel_err(W, Wp, X):
    X = X.reshape(-1, X.shape[-1]).to(dev).double()
    ref = X @ W.double().t()
    return float(((X @ Wp.double().t() - ref) ** 2).sum() / (ref ** 2).sum())


def fixtures(outdir):
    os.makedirs(outdir, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    blobs, manifest, off = [], {"source": "IST-DASLab/sparsegpt@147d215 sparsegpt.py; locuslab/wanda@8e8fc87 formulas", "layers": []}, 0

    def put(name, arr, kind="f32"):
        nonlocal off
        a = np.ascontiguousarray(arr.detach().cpu().numpy().astype(np.float32)) if kind == "f32" else np.packbits(arr.detach().cpu().numpy().astype(np.uint8).reshape(-1))
        blobs.append(a.tobytes())
        ent = {"name": name, "kind": kind, "shape": list(arr.shape), "offset": off, "bytes": len(blobs[-1])}
        off += len(blobs[-1])
        return ent

    for lname, rows, cols, n_seq, seq_len, dead in [("A", 64, 128, 8, 48, ()), ("B", 80, 192, 8, 48, (5, 77))]:
        X = activations(gen, n_seq, seq_len, cols, dead)
        W = torch.randn(rows, cols, generator=gen) * 0.05
        W[:, :: max(1, cols // 7)] *= 4  # a few heavier weight columns
        st = WandaStats(cols)
        for x in X:
            st.add_batch(x.unsqueeze(0).to(dev))
        L = {"name": lname, "rows": rows, "cols": cols, "nSeq": n_seq, "seqLen": seq_len, "dead": list(dead), "tensors": [], "configs": []}
        L["tensors"].append(put("W", W))
        L["tensors"].append(put("scaler", st.scaler_row))
        if lname == "A":
            L["tensors"].append(put("X", X.reshape(-1, cols)))
        H = None
        for cname, s, n, m in CONFIGS:
            Wp, H = official_sparsegpt(W, X, s, n, m)
            wm = wanda_mask(W.to(dev), st.scaler_row, s, n, m)
            mm = magnitude_mask(W.to(dev), s, n, m)
            Wd = W.clone().to(dev); Wd[:, list(dead)] = 0
            L["configs"].append({
                "name": cname, "sparsity": s, "n": n, "m": m,
                "sparsegpt": put(f"sparsegpt_{cname}", Wp),
                "wandaMask": put(f"wanda_{cname}", wm, "bits"),
                "magnitudeMask": put(f"magnitude_{cname}", mm, "bits"),
                "sparsegptRelErr": rel_err(W.to(dev), Wp, X),
                "wandaRelErr": rel_err(W.to(dev), W.to(dev) * (~wm), X),
                "sparsegptSparsity": float((Wp == 0).float().mean()),
            })
        L["tensors"].append(put("H", H))
        manifest["layers"].append(L)
        print(lname, [(c["name"], round(c["sparsegptRelErr"], 5), round(c["wandaRelErr"], 5)) for c in L["configs"]])
    with open(os.path.join(outdir, "prune_ref.bin"), "wb") as f:
        for b in blobs:
            f.write(b)
    with open(os.path.join(outdir, "prune_ref.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("fixtures:", off, "bytes")


def timed(fn, reps=3):
    fn(); torch.cuda.synchronize()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter(); fn(); torch.cuda.synchronize(); best = min(best, time.perf_counter() - t)
    return best * 1e3


def bench(d, shapes):
    os.makedirs(d, exist_ok=True)
    gen = torch.Generator().manual_seed(1)
    res = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "layers": []}
    for rows, cols in shapes:
        X = activations(gen, 4, 2048, cols).to(dev)
        W = (torch.randn(rows, cols, generator=gen) * 0.02).to(dev)
        layer = nn.Linear(cols, rows, bias=False).to(dev)
        g = sg.SparseGPT(layer)
        g.add_batch(X, None)
        H = g.H.clone()
        np.asarray(H.cpu().numpy(), dtype=np.float32).tofile(os.path.join(d, f"H_{cols}.bin"))
        np.asarray(W.cpu().numpy(), dtype=np.float32).tofile(os.path.join(d, f"W_{rows}x{cols}.bin"))
        st = WandaStats(cols); st.add_batch(X)
        np.asarray(st.scaler_row.cpu().numpy(), dtype=np.float32).tofile(os.path.join(d, f"S_{cols}.bin"))

        def run_sgpt(n=0, m=0):
            layer.weight.data = W.clone(); g.H = H.clone()
            g.fasterprune(0.5, prunen=n, prunem=m, blocksize=128, percdamp=0.01)
        ms = timed(run_sgpt, reps=4)  # best of 4 after a warm-up, as bench/compress.ts
        np.asarray(layer.weight.data.cpu().numpy(), dtype=np.float32).tofile(os.path.join(d, f"P_{rows}x{cols}.bin"))
        ms24 = timed(lambda: run_sgpt(2, 4), reps=2)

        def run_wanda():
            Wc = W.clone(); Wc[wanda_mask(Wc, st.scaler_row, 0.5, 0, 0)] = 0
        wms = timed(run_wanda, reps=5)
        ent = {"rows": rows, "cols": cols, "sparsegptMs": ms, "sparsegpt24Ms": ms24, "wandaMs": wms}
        if rows == cols:
            Xh = X[0].contiguous()  # [2048, cols]
            g2 = sg.SparseGPT(layer)
            ent["hessianMs"] = timed(lambda: g2.add_batch(Xh.unsqueeze(0), None), reps=5)
            A = torch.randn(cols, 2048, device=dev)
            ent["matmulMs"] = timed(lambda: A @ Xh, reps=5)
            ent["hessianTokens"] = 2048
        res["layers"].append(ent)
        print(json.dumps(ent), flush=True)
        del X, H, g
        torch.cuda.empty_cache()
    with open(os.path.join(d, "torch.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "fixtures":
        fixtures(sys.argv[2])
    elif mode == "bench":
        shapes = [(4096, 4096), (11008, 4096), (4096, 11008)]
        if len(sys.argv) > 3 and sys.argv[3] == "--small":
            shapes = [(256, 256), (512, 256), (256, 384)]
        bench(sys.argv[2], shapes)
