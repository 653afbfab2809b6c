"""RIA against the official code (biomedical-cybernetics/Relative-importance-and-activation-pruning).

Runs the official prune_ria per-linear loop body (lib/prune.py, taken out of the function by `ast`
and executed unchanged, with the official defaults: a = 0.5, no reallocation, no per_outneuron) and
the official WrappedGPT.add_batch statistics (lib/layerwrapper.py) on the fixed layer kick exported
(bench/ria-official/export.ts), then compares with kick's masks: share of identical mask entries and
the relative reconstruction error ||(W - W_hat) X^T||^2 / ||W X^T||^2 of both.

  python3 scripts/gpu-host/ria_official_check.py --repo RIA_REPO --dir EXPORT_DIR --out OUT_DIR [--device cpu]

--device cpu runs the same official code on the CPU (its `.cuda()` calls then leave tensors where they are).

Writes OUT_DIR/official-<case>.u8 (1 = pruned) and OUT_DIR/ria-official.json; exits 1 when a case has
fewer than 98 % identical entries or errors more than 2 % apart.
"""
import argparse, ast, json, os, sys, types

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--repo", required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
o = ap.parse_args()
dev = torch.device(o.device)
if o.device == "cpu":
    torch.Tensor.cuda = lambda self, *a, **k: self  # the official thresh line sorts on .cuda()
sys.path.insert(0, o.repo)
try:
    import transformers  # noqa: F401  (layerwrapper checks isinstance(layer, transformers.Conv1D) only)
except ImportError:  # a machine without transformers: a Conv1D no layer here is an instance of
    sys.modules["transformers"] = types.SimpleNamespace(Conv1D=type("Conv1D", (), {}))
from lib.layerwrapper import WrappedGPT  # noqa: E402  (the official statistics)

meta = json.load(open(os.path.join(o.dir, "meta.json")))
rows, cols, nseq, T = meta["rows"], meta["cols"], meta["nSeq"], meta["seqLen"]
W0 = torch.from_numpy(np.fromfile(os.path.join(o.dir, "W.f32"), dtype="<f4").reshape(rows, cols).copy()).to(dev)
X = torch.from_numpy(np.fromfile(os.path.join(o.dir, "X.f32"), dtype="<f4").reshape(nseq, T, cols).copy()).to(dev)

# The official loop body over the linears of a decoder layer: `for name in subset:` inside prune_ria.
src = open(os.path.join(o.repo, "lib", "prune.py")).read()
fn = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.FunctionDef) and n.name == "prune_ria")
loop = next(n for n in ast.walk(fn) if isinstance(n, ast.For) and ast.unparse(n.target) == "name" and "W = subset[name].weight.data.clone()" in ast.unparse(n))
code = compile(ast.Module(body=[loop], type_ignores=[]), "prune_ria(linear loop)", "exec")


def official_mask(sparsity, n, m, a=0.5):
    args = types.SimpleNamespace(prune_method="ria", a=a, sparsity_ratio=sparsity, gptq=False, reallocation=False, lsa=False,
                                 semi_sparse_acc=False, per_outneuron=False, reconstruction=False)
    lin = torch.nn.Linear(cols, rows, bias=False).to(dev)
    lin.weight.data.copy_(W0)
    name = "self_attn.q_proj"
    wrapped = {name: WrappedGPT(args, lin, layer_name=name)}
    for j in range(nseq):  # the official calibration loop: one sequence per forward
        inp = X[j].unsqueeze(0)
        wrapped[name].add_batch(inp, lin(inp))
    ns = {"torch": torch, "args": args, "subset": {name: lin}, "wrapped_layers": wrapped, "prune_n": n, "prune_m": m, "i": 0}
    exec(code, ns)
    return ns["W_mask"], lin.weight.data.clone()


def rel_err(Wh):
    Xf = X.reshape(-1, cols).double()
    d = (W0.double() - Wh.double()) @ Xf.T
    return float((d ** 2).sum() / ((W0.double() @ Xf.T) ** 2).sum())


os.makedirs(o.out, exist_ok=True)
commit_file = os.path.join(o.repo, "COMMIT")  # written beside the copied lib/ when the repository was fetched
commit = open(commit_file).read().strip() if os.path.exists(commit_file) else "unknown"
report, ok = {"official": f"biomedical-cybernetics/Relative-importance-and-activation-pruning@{commit}", "layer": meta, "torch": torch.__version__, "device": torch.cuda.get_device_name(0) if o.device == "cuda" else "cpu", "cases": []}, True
for c in meta["cases"]:
    nm = c.get("nm") or {"n": 0, "m": 0}
    mask, Wh = official_mask(c["sparsity"], nm["n"], nm["m"])
    fname = c["name"].replace(":", "of")
    om = mask.cpu().numpy().astype(np.uint8).reshape(-1)
    om.tofile(os.path.join(o.out, f"official-{fname}.u8"))
    km = np.fromfile(os.path.join(o.dir, f"kick-{fname}.u8"), dtype=np.uint8)
    same = float((om == km).mean())
    Wk = W0.clone()
    Wk[torch.from_numpy(km.reshape(rows, cols).astype(bool)).to(dev)] = 0
    eo, ek = rel_err(Wh), rel_err(Wk)
    good = same >= 0.98 and abs(ek - eo) <= 0.02 * eo
    ok &= good
    report["cases"].append({"case": c["name"], "identical": same, "official_sparsity": float(om.mean()), "kick_sparsity": float(km.mean()),
                            "official_rel_err": eo, "kick_rel_err": ek, "ok": bool(good)})
    print(f"{c['name']}: {100 * same:.3f}% identical mask entries; rel. error official {eo:.6f} kick {ek:.6f}; {'OK' if good else 'FAIL'}")
json.dump(report, open(os.path.join(o.out, "ria-official.json"), "w"), indent=1)
sys.exit(0 if ok else 1)
