"""HF transformers' logits for kick's trained models, to compare with kick's own forward.

Run on the GPU host (transformers, tokenizers, safetensors, torch there):
    python3 test/reference/trained_model_logits.py data/models/kick-l OUT_DIR
Writes OUT_DIR/<model>-hf-logits.safetensors with, per prompt i, `ids_i` (int32) and `logits_i`
(float32 [tokens, vocab]) from LlamaForCausalLM loaded unchanged from the checkpoint, in float32
(TF32 off). test/train/trained-models.test.ts compares kick's logits with these (max |diff| <= 1e-4).
"""
import os
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

PROMPTS = [
    "Q: What is the capital of France?\nA:",
    "The chemical symbol of iron is",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune",
]


def main(model_dir: str, out_dir: str) -> None:
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).to(device).eval()
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tensors = {}
    for i, prompt in enumerate(PROMPTS):
        ids = tokenizer.encode(prompt, add_special_tokens=False).ids
        with torch.no_grad():
            logits = model(torch.tensor([ids], device=device)).logits[0].float().cpu()
        tensors[f"ids_{i}"] = torch.tensor(ids, dtype=torch.int32)
        tensors[f"logits_{i}"] = logits.contiguous()
    name = os.path.basename(os.path.normpath(model_dir))
    os.makedirs(out_dir, exist_ok=True)
    save_file(tensors, os.path.join(out_dir, f"{name}-hf-logits.safetensors"))
    print(f"{name}: {type(model).__name__} loaded, {sum(p.numel() for p in model.parameters())} parameters, "
          f"{len(PROMPTS)} prompts, {sum(len(tensors[f'ids_{i}']) for i in range(len(PROMPTS)))} tokens")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
