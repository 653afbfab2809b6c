#!/usr/bin/env python3
"""Reference outputs for kick's quantizers (RTN, GPTQ, joint SparseGPT+quant), made with the
OFFICIAL code on a GPU host:

  python3 test/reference/gptq_quant_fixtures.py OUTDIR  -> OUTDIR/quant_ref.{json,bin}
  python3 test/reference/gptq_quant_fixtures.py --bench DIR
        times the official fasterquant (4-bit per row, g128, g128 act-order; Hessian given) on the
        7B-sized H_*.bin / W_*.bin that `sparsegpt_prune_fixtures.py bench DIR` wrote; writes
        DIR/gptq_torch.json and the official levels DIR/L_<config>_<rows>x<cols>.u8 for
        bench/compress-gptq.ts (only fasterquant is timed, inputs resident on the GPU)

Official code (never committed; fetch the public repositories into .ref/):
  GPTQ_DIR      (default .ref/gptq)      IST-DASLab/gptq@2d65066 gptq.py + quant.py
  SPARSEGPT_DIR (default .ref/sparsegpt) IST-DASLab/sparsegpt@147d215 sparsegpt.py + quant.py
Layers: the same generator as sparsegpt_prune_fixtures.py (64x128; 80x192 with dead inputs 5, 77;
outlier channels 10-100x). For every config the official dequantized weights Q, the quantizer
parameters the official code used (captured from Quantizer.find_params, per row and group), the
integer levels round(Q/scale)+zero, g_idx, and the relative output error
tr(dW H dW^T)/tr(W H W^T) (float64) are stored. The committed fixture omits the f32 Q arrays
(re-packed once after the run; Q = scale·(level − zero) exactly): set KEEP_Q=0 to write it that way.
"""
import copy, json, math, os, sys, types
import numpy as np
import torch
import torch.nn as nn

try:
    import transformers  # noqa: F401  (gptq.py only needs transformers.Conv1D for isinstance)
except Exception:
    m = types.ModuleType("transformers")
    class Conv1D(nn.Module):
        pass
    m.Conv1D = Conv1D
    sys.modules["transformers"] = m

dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def load(dirname, modname):
    sys.path.insert(0, dirname)
    for k in ("quant", modname):
        sys.modules.pop(k, None)
    mod = __import__(modname)
    qmod = sys.modules["quant"]
    sys.path.pop(0)
    mod.print = lambda *a, **k: None
    return mod, qmod

gq, gquant = load(os.environ.get("GPTQ_DIR", ".ref/gptq"), "gptq")
sg, squant = load(os.environ.get("SPARSEGPT_DIR", ".ref/sparsegpt"), "sparsegpt")


def activations(gen, n_seq, seq_len, cols, dead=()):  # as sparsegpt_prune_fixtures.py
    rank = max(4, cols // 8)
    z = torch.randn(n_seq, seq_len, rank, generator=gen)
    mix = torch.randn(rank, cols, generator=gen) / math.sqrt(rank)
    x = z @ mix + 0.3 * torch.randn(n_seq, seq_len, cols, generator=gen)
    out_ch = torch.randperm(cols, generator=gen)[:max(2, cols // 40)]
    scales = 10 ** (1 + torch.rand(len(out_ch), generator=gen))
    x[:, :, out_ch] *= scales
    for d in dead:
        x[:, :, d] = 0
    return x.float()

# name, method, bits, group, sym, actorder, static, sparsity
CONFIGS = [
    ("rtn_w4", "rtn", 4, -1, False, False, False, 0),
    ("w4", "gptq", 4, -1, False, False, False, 0),
    ("w4g64", "gptq", 4, 64, False, False, False, 0),
    ("w4g128", "gptq", 4, 128, False, False, False, 0),
    ("w3g64_act", "gptq", 3, 64, False, True, False, 0),
    ("w3g64_act_static", "gptq", 3, 64, False, True, True, 0),
    ("w4g64_sym", "gptq", 4, 64, True, False, False, 0),
    ("w2g32", "gptq", 2, 32, False, False, False, 0),
    ("joint_w4_s50", "sparsegpt", 4, -1, False, False, False, 0.5),
    # the quantization issue's list as written (g128 only on the 128-wide layer A)
    ("w3g128_act", "gptq", 3, 128, False, True, False, 0),
    ("w4g128_sym", "gptq", 4, 128, True, False, False, 0),
    ("w2g64", "gptq", 2, 64, False, False, False, 0),
]


def capture(Qcls, log):
    orig = Qcls.find_params
    def fp(self, x, weight=False):
        orig(self, x, weight)
        log.append((self.scale.flatten().clone(), self.zero.flatten().clone()))
    Qcls.find_params = fp
    return lambda: setattr(Qcls, "find_params", orig)


def run(cfg, W, Hs):
    name, method, bits, G, sym, act, static, s = cfg
    layer = nn.Linear(W.shape[1], W.shape[0], bias=False).to(dev)
    layer.weight.data = W.clone().to(dev)
    log = []
    if method == "rtn":
        q = gquant.Quantizer(); q.configure(bits, perchannel=True, sym=sym, mse=False)
        undo = capture(gquant.Quantizer, log)
        q.find_params(layer.weight.data, weight=True)
        undo()
        Q = gquant.quantize(layer.weight.data, q.scale, q.zero, q.maxq)
        return Q, log, torch.zeros(W.shape[1], dtype=torch.long), None
    if method == "gptq":
        g = gq.GPTQ(layer); g.H = Hs.clone()
        g.quantizer = gquant.Quantizer(); g.quantizer.configure(bits, perchannel=True, sym=sym, mse=False)
        undo = capture(gquant.Quantizer, log)
        g.fasterquant(blocksize=128, percdamp=.01, groupsize=G, actorder=act, static_groups=static)
        undo()
    else:
        g = sg.SparseGPT(layer); g.H = Hs.clone()
        g.quantizer = squant.Quantizer(); g.quantizer.configure(bits, perchannel=True, sym=sym, mse=False)
        undo = capture(squant.Quantizer, log)
        g.fasterprune(s, prunen=0, prunem=0, blocksize=128, percdamp=.01)
        undo()
    Q = layer.weight.data.clone()
    cols = W.shape[1]
    perm = None
    if G == -1:
        gidx = torch.zeros(cols, dtype=torch.long)
        log = log[:1]
    else:
        ng = cols // G
        if act:
            Hd = Hs.clone(); dead = torch.diag(Hd) == 0; Hd[dead, dead] = 1
            perm = torch.argsort(torch.diag(Hd), descending=True).cpu()
        if static:
            # log[0] = per-row params (unused), log[1:1+ng] = static groups in ORIGINAL order
            log = log[1:1 + ng]
            gidx = torch.arange(cols) // G
        else:
            log = log[1:1 + ng]  # log[0] per row; then one call per group, in (permuted) order
            if act:
                gidx = torch.empty(cols, dtype=torch.long); gidx[perm] = torch.arange(cols) // G
            else:
                gidx = torch.arange(cols) // G
    return Q, log, gidx, perm


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    blobs, off = [], 0
    man = {"source": "IST-DASLab/gptq@2d65066 gptq.py+quant.py; IST-DASLab/sparsegpt@147d215 sparsegpt.py+quant.py (wbits path)",
           "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu", "torch": torch.__version__, "layers": []}

    def put(name, arr, dtype=np.float32):
        nonlocal off
        a = np.ascontiguousarray(arr.detach().cpu().numpy().astype(dtype))
        blobs.append(a.tobytes())
        e = {"name": name, "dtype": "f32" if dtype == np.float32 else ("u8" if dtype == np.uint8 else "i32"), "shape": list(a.shape), "offset": off, "bytes": len(blobs[-1])}
        off += len(blobs[-1])
        return e

    for lname, rows, cols, n_seq, seq_len, dead in [("A", 64, 128, 8, 48, ()), ("B", 80, 192, 8, 48, (5, 77))]:
        X = activations(gen, n_seq, seq_len, cols, dead)
        W = torch.randn(rows, cols, generator=gen) * 0.05
        W[:, :: max(1, cols // 7)] *= 4
        W[3, 17] = 1.5; W[rows - 2, cols - 9] = -1.2  # weight outliers
        lay = nn.Linear(cols, rows, bias=False).to(dev)
        g = gq.GPTQ(lay)
        for x in X:
            g.add_batch(x.unsqueeze(0).to(dev), None)
        H = g.H.clone()
        Hd = H.double()
        L = {"name": lname, "rows": rows, "cols": cols, "dead": list(dead), "W": put("W", W), "H": put("H", H), "configs": []}
        for cfg in CONFIGS:
            name, method, bits, G, sym, act, static, s = cfg
            if G != -1 and cols % G:
                continue
            try:
                Q, log, gidx, perm = run(cfg, W, H)
                scales = torch.stack([a for a, _ in log]).float()  # [groups, rows]
                zeros = torch.stack([b for _, b in log]).float()
                sc = scales[gidx.to(scales.device)].t().to(dev)  # [rows, cols]
                zr = zeros[gidx.to(zeros.device)].t().to(dev)
                levels = torch.round(Q / sc + zr).clamp(0, 2 ** bits - 1)
                dW = (Q.double() - W.to(dev).double())
                relErr = float(torch.trace(dW @ Hd @ dW.t()) / torch.trace(W.to(dev).double() @ Hd @ W.to(dev).double().t()))
                c = {"name": name, "method": method, "bits": bits, "groupSize": G, "sym": sym, "actOrder": act, "staticGroups": static,
                     "sparsity": s, "relErr": relErr, "zeroFrac": float((Q == 0).float().mean()),
                     **({"Q": put(f"{name}_Q", Q)} if os.environ.get("KEEP_Q", "1") != "0" else {}), "levels": put(f"{name}_levels", levels, np.uint8),
                     "scales": put(f"{name}_scales", scales), "zeros": put(f"{name}_zeros", zeros), "gIdx": put(f"{name}_gidx", gidx, np.int32)}
                if perm is not None:
                    c["perm"] = put(f"{name}_perm", perm, np.int32)
                L["configs"].append(c)
                print(lname, name, "relErr %.6f" % relErr, "zeros %.4f" % c["zeroFrac"], flush=True)
            except Exception as e:  # keep the other configs
                import traceback; traceback.print_exc(); print(lname, name, "FAILED", e, flush=True)
        man["layers"].append(L)
    with open(os.path.join(outdir, "quant_ref.bin"), "wb") as f:
        for b in blobs:
            f.write(b)
    with open(os.path.join(outdir, "quant_ref.json"), "w") as f:
        json.dump(man, f, indent=1)
    print("fixtures:", off, "bytes")


def bench(d):
    import time
    res = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "layers": []}
    for rows, cols in [(4096, 4096), (11008, 4096), (4096, 11008)]:
        H = torch.from_numpy(np.fromfile(os.path.join(d, f"H_{cols}.bin"), dtype=np.float32).reshape(cols, cols)).to(dev)
        W = torch.from_numpy(np.fromfile(os.path.join(d, f"W_{rows}x{cols}.bin"), dtype=np.float32).reshape(rows, cols))
        for name, G, act in [("w4", -1, False), ("w4g128", 128, False), ("w4g128_act", 128, True)]:
            cfg = (name, "gptq", 4, G, False, act, False, 0)
            best = float("inf")
            Wd = W.to(dev)
            for rep in range(6):  # first = warm-up, then best of 5 (as bench/compress-gptq.ts)
                # only fasterquant is timed, its inputs already on the GPU (as kick's side and
                # sparsegpt_prune_fixtures.py bench time the solve alone)
                layer = nn.Linear(W.shape[1], W.shape[0], bias=False, device=dev)
                layer.weight.data = Wd.clone()
                g = gq.GPTQ(layer); g.H = H.clone()
                g.quantizer = gquant.Quantizer(); g.quantizer.configure(4, perchannel=True, sym=False, mse=False)
                torch.cuda.synchronize(); t = time.perf_counter()
                g.fasterquant(blocksize=128, percdamp=.01, groupsize=G, actorder=act)
                torch.cuda.synchronize(); ms = (time.perf_counter() - t) * 1e3
                if rep:
                    best = min(best, ms)
                del g, layer
            del Wd
            Q, log, gidx, perm = run(cfg, W, H)  # untimed: the levels for the agreement check
            scales = torch.stack([a for a, _ in log]).float(); zeros = torch.stack([b for _, b in log]).float()
            sc = scales[gidx.to(scales.device)].t().to(dev); zr = zeros[gidx.to(zeros.device)].t().to(dev)
            lv = torch.round(Q / sc + zr).clamp(0, 15)
            lv.cpu().numpy().astype(np.uint8).tofile(os.path.join(d, f"L_{name}_{rows}x{cols}.u8"))
            ent = {"rows": rows, "cols": cols, "config": name, "ms": best}
            res["layers"].append(ent)
            print(json.dumps(ent), flush=True)
        del H
        torch.cuda.empty_cache()
    with open(os.path.join(d, "gptq_torch.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "--bench":
        bench(sys.argv[2])
    else:
        main(sys.argv[1])
