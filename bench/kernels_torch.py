#!/usr/bin/env python3
"""PyTorch fp32 (TF32 off) companion of bench/kernels.ts: times the same shapes on the same GPU
and prints a table with the WebGPU/PyTorch ratio. kick's f16 matmul rows ("matmul-f16") are
compared with cuBLAS fp16 (torch matmul on fp16 tensors: tensor cores) and with kick's f32 path
of the same run.

  python3 bench/kernels_torch.py --webgpu webgpu.json [--out torch.json]
"""
import argparse, json, time

import torch
import torch.nn.functional as F


def timed(fn, iters):
    fn(); torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / iters * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webgpu", required=True)
    ap.add_argument("--out")
    ap.add_argument("--iters", type=int, default=10)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    web = json.load(open(a.webgpu))
    dev = "cuda"
    rows = []
    for r in web["results"]:
        s = r["shape"]
        if r["kind"] in ("matmul", "matmul-f16"):
            dt = torch.float16 if r["kind"] == "matmul-f16" else torch.float32
            A = (torch.randn(s["M"], s["K"], device=dev) * 0.1).to(dt)
            if s["transB"]:
                W = (torch.randn(s["N"], s["K"], device=dev) * 0.1).to(dt)
                fn = lambda: F.linear(A, W)
            else:
                B = (torch.randn(s["K"], s["N"], device=dev) * 0.1).to(dt)
                fn = lambda: A @ B
        else:
            q, k, v = (torch.randn(s["B"], s["H"], s["T"], s["D"], device=dev) for _ in range(3))
            fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)
        ms = timed(fn, a.iters)
        tg = r["flop"] / ms / 1e6
        rows.append({**r, "torch_ms": ms, "torch_gflops": tg, "ratio": r["gflops"] / tg})
        torch.cuda.empty_cache()
    print(f"device: {torch.cuda.get_device_name()}  torch {torch.__version__}  (fp32, TF32 off)  webgpu adapter: {web['adapter']}")
    print("| case | WebGPU ms | WebGPU GFLOP/s | PyTorch ms | PyTorch GFLOP/s | ratio | WebGPU config | ratio with the runtime's default tile |")
    print("|---|---|---|---|---|---|---|---|")
    f16 = [r for r in rows if r["kind"] == "matmul-f16"]
    rows = [r for r in rows if r["kind"] != "matmul-f16"]
    for r in rows:
        d = r.get("defaultGflops")
        dr = f"{d / r['torch_gflops']:.2f}" if d else "-"
        print(f"| {r['kind']} {r['name']} | {r['ms']:.3f} | {r['gflops']:.0f} | {r['torch_ms']:.3f} | {r['torch_gflops']:.0f} | {r['ratio']:.2f} | {r['config']} | {dr} |")
    if f16:
        f32 = {r["name"]: r for r in rows if r["kind"] == "matmul"}
        print(f"\nf16 operands, f32 accumulation; adapter capabilities: {web.get('capabilities', '?')}")
        print("| case | kick f16 ms | kick f16 GFLOP/s | cuBLAS fp16 ms | cuBLAS fp16 GFLOP/s | ratio vs cuBLAS fp16 | kick f32 GFLOP/s (best tile) | ratio vs kick f32 | kick f16 config | ratio vs cuBLAS fp16, default tile |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in f16:
            k32 = f32.get(r["name"])
            d = r.get("defaultGflops")
            print(f"| matmul {r['name']} | {r['ms']:.3f} | {r['gflops']:.0f} | {r['torch_ms']:.3f} | {r['torch_gflops']:.0f} | {r['ratio']:.2f} | "
                  f"{k32['gflops']:.0f} | {r['gflops'] / k32['gflops']:.2f} | {r['config']} | {d / r['torch_gflops']:.2f} |" if k32 and d else
                  f"| matmul {r['name']} | {r['ms']:.3f} | {r['gflops']:.0f} | {r['torch_ms']:.3f} | {r['torch_gflops']:.0f} | {r['ratio']:.2f} | - | - | {r['config']} | - |")
        rows += f16
    if a.out:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
