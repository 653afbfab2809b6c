#!/usr/bin/env python3
"""Companion of bench/model.ts (npm run bench:model): HF transformers fp32 eager on the same GPU.

  python3 bench/model_torch.py --make DIR            random ~1.1B Llama (TinyLlama shape) + tokens.u32 in DIR
  python3 bench/model_torch.py --bench DIR --out F   perplexity throughput, same windows as bench/model.ts
  python3 bench/model_torch.py --report KICK.json TORCH.json   both numbers, the ratio, NLL agreement
"""
import argparse, json, os, time

import numpy as np


def make(d, windows, window, layers):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    cfg = LlamaConfig(hidden_size=2048, intermediate_size=5632, num_hidden_layers=layers, num_attention_heads=32,
                      num_key_value_heads=4, vocab_size=32000, max_position_embeddings=2048, rms_norm_eps=1e-5,
                      rope_theta=10000.0, tie_word_embeddings=False, torch_dtype="float32")
    with torch.device("cuda"):
        m = LlamaForCausalLM(cfg).float()
    m.save_pretrained(d, safe_serialization=True, max_shard_size="20GB")
    n = sum(p.numel() for p in m.parameters())
    rng = np.random.default_rng(0)
    rng.integers(0, 32000, size=(windows + 1) * window, dtype=np.uint32).tofile(os.path.join(d, "tokens.u32"))
    print(f"made {d}: {n / 1e9:.3f}B parameters, {layers} layers")


def bench(d, windows, window, out):
    import torch
    from transformers import LlamaForCausalLM
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    m = LlamaForCausalLM.from_pretrained(d, torch_dtype=torch.float32, attn_implementation="eager").cuda().eval()
    toks = torch.from_numpy(np.fromfile(os.path.join(d, "tokens.u32"), dtype=np.uint32).astype(np.int64)).cuda()
    def nll(w):
        ids = toks[w * window:(w + 1) * window][None]
        with torch.no_grad():
            return m(ids, labels=ids).loss.item()  # mean NLL of tokens 1.., as the reference recipe
    warm = nll(0)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    nlls = [nll(w) for w in range(1, windows + 1)]
    torch.cuda.synchronize()
    s = time.perf_counter() - t0
    r = dict(impl="hf-transformers-fp32-eager", device=torch.cuda.get_device_name(), window=window, windows=windows, seconds=s,
             tokens_per_s=windows * window / s, ppl=float(np.exp(np.mean(nlls))), window_nlls=nlls, warmup_nll=warm)
    print(f"HF transformers (fp32 eager, TF32 off): {r['tokens_per_s']:.0f} tokens/s over {windows} windows of {window} (ppl {r['ppl']:.4f})")
    json.dump(r, open(out, "w"), indent=1)


def report(kick_file, torch_file):
    k, t = json.load(open(kick_file)), json.load(open(torch_file))
    diff = max(abs(a - b) for a, b in zip(k["window_nlls"], t["window_nlls"]))
    print(f"device: {t['device']} | kick {k['tokens_per_s']:.0f} tok/s, HF {t['tokens_per_s']:.0f} tok/s, "
          f"ratio kick/HF = {k['tokens_per_s'] / t['tokens_per_s']:.2f}x | max |window NLL diff| {diff:.2e}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--make"); ap.add_argument("--bench"); ap.add_argument("--report", nargs=2)
    ap.add_argument("--out", default="/tmp/torch.json")
    ap.add_argument("--windows", type=int, default=4); ap.add_argument("--window", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=22)
    a = ap.parse_args()
    if a.make: make(a.make, a.windows, a.window, a.layers)
    if a.bench: bench(a.bench, a.windows, a.window, a.out)
    if a.report: report(*a.report)
