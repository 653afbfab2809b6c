"""Make the fixtures of the architectures added after the first five: Qwen3, Llama 3.2 (SmolLM style),
Gemma 2, Gemma 3 (text) and Phi-3.

Run on the GPU host (torch, transformers >= 4.50 for Gemma 3 / Qwen3; the version is printed):

    python3 scripts/gpu-host/make_arch_fixtures.py OUT_DIR [--check-written DIR]

Each model is a tiny random-init HF checkpoint (fixed seed, hidden 64, 2 layers, vocab 320) saved with
save_pretrained next to the committed byte-level tokenizer (test/fixtures/models/tokenizers/bytelevel,
reused rather than retrained: the trainer is not deterministic across machines), with reference.json +
reference.safetensors made exactly as for the first five (test/reference/make_model_fixtures.py: float64
logits at every position of fixed prompts and of a left-padded batch, greedy tokens, perplexities).

--check-written DIR: every checkpoint under DIR (written by kick, with kick_logits.json beside it) is
reloaded with AutoModelForCausalLM and its logits compared with kick's; the result goes to
OUT_DIR/written-by-kick-check.json. Without model fixtures to make when only that flag's work is wanted,
pass --check-only.
"""

import os
import sys
import traceback

import torch
import transformers
from transformers import Gemma2Config, Gemma3TextConfig, LlamaConfig, Phi3Config, Qwen3Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "reference"))
import make_model_fixtures as mmf  # noqa: E402  (the shared recipe: randomize, references, reload check)

RANDOMIZE = mmf.randomize

TOKENIZER = os.path.join(ROOT, "test", "fixtures", "models", "tokenizers", "bytelevel")
SMALL = dict(vocab_size=mmf.VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=128, bos_token_id=0, eos_token_id=0)


def gemma3_in_transformers4_spelling(cfg):
    """Hub Gemma 3 configs say rope_theta / rope_local_base_freq / rope_scaling / sliding_window_pattern."""
    rp = cfg.pop("rope_parameters")
    full, local = rp["full_attention"], rp["sliding_attention"]
    cfg["rope_theta"] = full.pop("rope_theta")
    cfg["rope_local_base_freq"] = local["rope_theta"]
    cfg["rope_scaling"] = full
    cfg.pop("layer_types")
    cfg.pop("_sliding_window_pattern", None)
    cfg["sliding_window_pattern"] = 2  # layer 0 sliding, layer 1 global


def gemma_randomize(model, seed):
    """The shared recipe, then embeddings / √hidden: Gemma multiplies them by √hidden, and an embedding that
    large would dominate the (tied) logits, so that greedy decoding only repeated the last token."""
    RANDOMIZE(model, seed)
    with torch.no_grad():
        model.model.embed_tokens.weight.div_(model.config.hidden_size ** 0.5)


def specs():
    # (config, edit_config, batch_per_row)
    return {
        "qwen3": (Qwen3Config(**SMALL, head_dim=24, rms_norm_eps=1e-6, tie_word_embeddings=True,
                              rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), None, False),
        # SmolLM2 / Llama-3.2 style: tied embeddings, llama3 rope scaling, transformers-5 spelling.
        "llama32": (LlamaConfig(**SMALL, rms_norm_eps=1e-5, tie_word_embeddings=True, rope_parameters={
            "rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 16}), None, False),
        "gemma2": (Gemma2Config(**SMALL, head_dim=24, query_pre_attn_scalar=20, sliding_window=4,
                                final_logit_softcapping=5.0, attn_logit_softcapping=3.0, pad_token_id=0,
                                hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True), None, True),
        "gemma3": (Gemma3TextConfig(**SMALL, head_dim=24, query_pre_attn_scalar=20, sliding_window=4,
                                    layer_types=["sliding_attention", "full_attention"], final_logit_softcapping=5.0,
                                    pad_token_id=0, tie_word_embeddings=True, rope_parameters={
                                        "full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1000000.0},
                                        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}),
                   gemma3_in_transformers4_spelling, True),
        "phi3": (Phi3Config(**SMALL, sliding_window=5, tie_word_embeddings=False, pad_token_id=0, rms_norm_eps=1e-5,
                            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), None, False),
    }


def main():
    out = sys.argv[1]
    mmf.OUT = out
    print(f"device {mmf.DEVICE} torch {torch.__version__} transformers {transformers.__version__}", flush=True)
    os.makedirs(out, exist_ok=True)
    if "--check-only" not in sys.argv:
        failed = []
        for seed, (name, (config, edit, per_row)) in enumerate(specs().items()):
            mmf.randomize = gemma_randomize if name.startswith("gemma") else RANDOMIZE
            try:  # one architecture's failure (an older transformers) must not cost the others
                mmf.make_model(name, "bytelevel", config, {"bytelevel": TOKENIZER}, 200 + seed, edit, per_row)
            except Exception:
                traceback.print_exc()
                failed.append(name)
        if failed:
            print(f"FAILED: {failed}", flush=True)
    if "--check-written" in sys.argv:
        mmf.check_written_by_kick(sys.argv[sys.argv.index("--check-written") + 1])


if __name__ == "__main__":
    main()
