#!/usr/bin/env python3
"""Companion of bench/f16-sweep.ts: times torch fp16 matmul (cuBLAS, tensor cores) on the sweep's
shapes on the same GPU, in the same run, and prints one table per shape: every kick f16 variant in
TFLOP/s, as a fraction of cuBLAS fp16 and as a multiple of kick's f32 matmul; then the best variant
per shape.

  python3 bench/f16_sweep_torch.py --sweep sweep.json [--iters 50]
"""
import argparse, json, math, time

import torch
import torch.nn.functional as F

from kernels_torch import timed  # bench/ is the script's folder, first on sys.path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweep", required=True)
    ap.add_argument("--iters", type=int, default=50)
    a = ap.parse_args()
    sw = json.load(open(a.sweep))
    shapes = {}
    for r in sw["rows"]:
        shapes.setdefault(r["shape"], r)
    torch_tf = {}
    for name, s in shapes.items():
        A = (torch.randn(s["M"], s["K"], device="cuda") * 0.1).half()
        if s["transB"]:
            W = (torch.randn(s["N"], s["K"], device="cuda") * 0.1).half()
            fn = lambda: F.linear(A, W)
        else:
            B = (torch.randn(s["K"], s["N"], device="cuda") * 0.1).half()
            fn = lambda: A @ B
        ms = timed(fn, a.iters)
        torch_tf[name] = 2 * s["M"] * s["N"] * s["K"] / ms / 1e9
        del A
        torch.cuda.empty_cache()
    print(f"device: {torch.cuda.get_device_name()}  torch {torch.__version__}  webgpu adapter: {sw['adapter']}")
    print(f"capabilities: {sw['capabilities']}")
    best = []
    for name in shapes:
        rows = [r for r in sw["rows"] if r["shape"] == name]
        f32 = next((r for r in rows if r["kernel"] == "f32" and not r.get("error")), None)
        f32tf = f32["gflops"] / 1000 if f32 else math.nan
        print(f"\n## {name}: cuBLAS fp16 {torch_tf[name]:.1f} TFLOP/s, kick f32 ({f32['variant'] if f32 else '-'}) {f32tf:.1f} TFLOP/s")
        print("| kernel | variant | ms | TFLOP/s | / cuBLAS fp16 | / kick f32 | max rel err | note |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            tf = r["gflops"] / 1000
            err = "-" if r["maxRelErr"] is None else f"{r['maxRelErr']:.1e}"
            ms = "-" if r["ms"] is None else f"{r['ms']:.3f}"  # a failed variant's NaN is null in JSON
            print(f"| {r['kernel']} | {r['variant']} | {ms} | {tf:.1f} | {tf / torch_tf[name]:.3f} | {tf / f32tf:.2f} | {err} | {r.get('error', '')} |")
        ok = [r for r in rows if r["kernel"] == "f16" and not r.get("error")]
        if ok:
            b = max(ok, key=lambda r: r["gflops"])
            best.append((name, b, torch_tf[name], f32tf))
    print("\n## best f16 variant per shape")
    print("| shape | variant | kick f16 TFLOP/s | cuBLAS fp16 TFLOP/s | / cuBLAS fp16 | kick f32 TFLOP/s | / kick f32 |")
    print("|---|---|---|---|---|---|---|")
    for name, b, t, f in best:
        tf = b["gflops"] / 1000
        print(f"| {name} | {b['variant']} | {tf:.1f} | {t:.1f} | {tf / t:.3f} | {f:.1f} | {tf / f:.2f} |")


if __name__ == "__main__":
    main()
