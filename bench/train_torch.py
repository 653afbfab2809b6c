#!/usr/bin/env python3
"""PyTorch fp32 eager companion of bench/train.ts: the same Llama (transformers LlamaForCausalLM, eager
attention, TF32 off), the same batch and context, AdamW + global-norm clipping, timed full optimiser steps
after warm-up. Then a table: tokens/s, model TFLOP/s, MFU against the GPU's f32 (non-tensor-core) peak, and
the ratio kick / PyTorch.

  python3 bench/train_torch.py --kick OUT/kick-train.json --out OUT/torch-train.json
"""
import argparse, json, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

# f32 (CUDA-core) peak, TFLOP/s, by device name substring (vendor data sheets, SXM parts)
F32_PEAK = {"H200": 66.9, "H100 80GB HBM3": 66.9, "H100 PCIe": 51.2, "H100": 66.9}


def peak(name):
    for k, v in F32_PEAK.items():
        if k in name:
            return v
    return None


def run(row, steps, warmup, lr):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    plan = json.load(open(f"data/plans/{row['plan']}.json"))
    m = plan["model"]
    cfg = LlamaConfig(vocab_size=m["vocabSize"], hidden_size=m["hiddenSize"], intermediate_size=m["intermediateSize"],
                      num_hidden_layers=m["numLayers"], num_attention_heads=m["numHeads"], num_key_value_heads=m["numKvHeads"],
                      max_position_embeddings=m.get("maxPositions", m["context"]), rms_norm_eps=m["normEps"], rope_theta=m["ropeTheta"],
                      tie_word_embeddings=m["tiedEmbeddings"], attention_bias=False, mlp_bias=False)
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).cuda().float()
    o = plan["optim"]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weightDecay"])
    B, T = row["batch"], row["context"]
    losses = []
    for s in range(warmup + steps):
        if s == warmup:
            torch.cuda.synchronize()
            t0 = time.perf_counter()
        ids = torch.randint(0, m["vocabSize"] - 1, (B, T), device="cuda")
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), o["clipNorm"])
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(out.loss.item())
    torch.cuda.synchronize()
    sec = time.perf_counter() - t0
    tps = B * T * steps / sec
    res = {"impl": "pytorch-fp32-eager", "device": torch.cuda.get_device_name(), "plan": row["plan"], "batch": B, "context": T, "steps": steps,
           "seconds": sec, "tokens_per_s": tps, "tflops": tps * row["flops_per_token"] / 1e12, "first_loss": losses[0], "last_loss": losses[-1],
           "torch": torch.__version__}
    print(f"torch {row['plan']}: {tps:.0f} tokens/s, {res['tflops']:.2f} TFLOP/s (loss {losses[0]:.3f} -> {losses[-1]:.3f})", flush=True)
    del model, opt
    torch.cuda.empty_cache()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kick", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    kick = json.load(open(a.kick))
    rows = [run(r, a.steps, a.warmup, 1e-3) for r in kick]
    json.dump(rows, open(a.out, "w"), indent=1)
    pk = peak(rows[0]["device"]) if rows else None
    print(f"\ndevice: {rows[0]['device'] if rows else '?'} (f32 peak {pk} TFLOP/s); kick: {kick[0]['device'] if kick else '?'}")
    print("| model | params | batch × context | kick tokens/s | kick TFLOP/s | kick MFU | PyTorch tokens/s | PyTorch TFLOP/s | PyTorch MFU | ratio kick/PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k, t in zip(kick, rows):
        mfu = lambda x: f"{100 * x / pk:.1f}%" if pk else "-"
        print(f"| {k['plan']} | {k['params'] / 1e6:.1f}M | {k['batch']} × {k['context']} | {k['tokens_per_s']:.0f} | {k['tflops']:.2f} | {mfu(k['tflops'])} | "
              f"{t['tokens_per_s']:.0f} | {t['tflops']:.2f} | {mfu(t['tflops'])} | {k['tokens_per_s'] / t['tokens_per_s']:.2f} |")


if __name__ == "__main__":
    main()
