#!/usr/bin/env python3
"""Companion of bench/f16-attention.ts: PyTorch SDPA fp16 (causal) on the same shapes, same GPU, same run,
and the table: kick's subgroup-matrix f16 attention and its f32 attention against it.

  python3 bench/f16_attention_torch.py --kick attention.json
"""
import argparse, json

import torch
import torch.nn.functional as F

from kernels_torch import timed  # bench/ is the script's folder, first on sys.path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kick", required=True)
    a = ap.parse_args()
    kick = json.load(open(a.kick))
    print(f"device: {torch.cuda.get_device_name()}  torch {torch.__version__}  webgpu adapter: {kick['adapter']}")
    print("| case | kick kernel | kick ms | kick TFLOP/s | SDPA fp16 ms | SDPA fp16 TFLOP/s | kick / SDPA fp16 |")
    print("|---|---|---|---|---|---|---|")
    sdpa = {}
    for r in kick["rows"]:
        T, H, D = r["T"], r["H"], r["D"]
        if T not in sdpa:
            q, k, v = (torch.randn(1, H, T, D, device="cuda", dtype=torch.float16) for _ in range(3))
            sdpa[T] = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), 10)
            del q, k, v
            torch.cuda.empty_cache()
        ms = sdpa[T]
        tf = r["flop"] / ms / 1e9
        print(f"| causal T={T} H={H} D={D} | {r['kernel']} | {r['ms']:.3f} | {r['gflops'] / 1000:.1f} | {ms:.3f} | {tf:.1f} | {r['gflops'] / 1000 / tf:.3f} |")


if __name__ == "__main__":
    main()
