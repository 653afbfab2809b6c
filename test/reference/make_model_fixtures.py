"""Make the model fixtures that kick's loaders are checked against.

Run on the GPU host (Python 3.12, torch, transformers, tokenizers, safetensors, numpy):

    python3 test/reference/make_model_fixtures.py OUT_DIR

It writes, under OUT_DIR:
  tokenizers/bytelevel/   a byte-level BPE (GPT-2 / Llama-3 / Qwen2 style) trained with `tokenizers`
  tokenizers/spbpe/       a SentencePiece-style BPE with byte fallback (Llama-2 style)
  tokenizers/cases.json   reference encodings/decodings of tricky strings + a rendered chat template
  <model>/                a tiny random HF checkpoint (save_pretrained, safetensors f32) per architecture,
                          its tokenizer files, and reference.json + reference.safetensors:
                          logits (computed in float64) for fixed prompts and a left-padded batch,
                          greedy continuations, and perplexities by the reference recipe.

If test/fixtures/models/written-by-kick/ exists (checkpoints written by kick's save.ts together with
kick's own logits: `npx tsx test/reference/make_kick_written_models.ts`), each is loaded with
AutoModelForCausalLM and its logits are compared; the result goes to OUT_DIR/written-by-kick-check.json.
`--check-only` does only that. The tokenizer trainer is not deterministic across machines, so regenerate
all fixtures together (one run), never a part of them.
"""

import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForCausalLM,
    GenerationConfig,
    GPT2Config,
    LlamaConfig,
    MistralConfig,
    OPTConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
)

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
VOCAB = 320  # model vocab size; both tokenizers have at most this many tokens
torch.manual_seed(0)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Pruning and quantization compress large language models.",
    "Hello world! Hello again, world.",
    "In 2024, models had 7B, 13B and 70B parameters.",
    "def f(x):\n    return x * 2\n",
    "Whitespace   runs\tand\ttabs\n\nand blank lines.",
    "She said: \"it's fine\"; he said: 'no, it isn't'.",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber stra\u00dfe.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000.",
    "A transformer has attention, a feed-forward network and norms.",
] * 20

TRICKY = [
    "",
    "Hello world",
    " leading space",
    "trailing space ",
    "multiple   spaces    here",
    "tabs\tand\nnewlines\n\n\nend",
    "   ",
    "\n",
    "caf\u00e9 na\u00efve \u00fcber",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8",
    "emoji \U0001F600\U0001F44D\U0001F3FD and \U0001F468\u200D\U0001F469\u200D\U0001F467",
    "it's don't I'll we've",
    "numbers 12345 and 3.14159",
    "<|endoftext|> special in text",
    "mixed\r\nline endings\r",
    "\u00a0non-breaking\u00a0space",
]

PROMPTS = [
    "The quick brown fox",
    "Hello world! Hello",
    "def f(x):\n  ret",
]


def train_bytelevel():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer)
    assert tok.get_vocab_size() <= VOCAB
    return tok


def train_spbpe():
    """Llama-2 style: '▁' for spaces, BPE with byte fallback <0xXX> tokens, <s> prepended."""
    base = Tokenizer(models.BPE())
    base.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    base.pre_tokenizer = pre_tokenizers.Split("\u2581", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=58, limit_alphabet=40, show_progress=False)
    base.train_from_iterator(CORPUS, trainer)
    trained = json.loads(base.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    assert tok.get_vocab_size() <= VOCAB, tok.get_vocab_size()
    return tok


CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] | trim }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "  Hi there \U0001F600  "},
]


def save_tokenizers():
    d = {}
    bl = train_bytelevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=bl, bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
    )
    path = os.path.join(OUT, "tokenizers", "bytelevel")
    fast.save_pretrained(path)
    d["bytelevel"] = (path, fast)
    sp = train_spbpe()
    fast = PreTrainedTokenizerFast(tokenizer_object=sp, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    path = os.path.join(OUT, "tokenizers", "spbpe")
    fast.save_pretrained(path)
    d["spbpe"] = (path, fast)

    cases = {"strings": TRICKY, "tokenizers": {}}
    for name, (path, _) in d.items():
        tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))  # the Rust tokenizer itself
        rows = []
        for s in TRICKY:
            for special in (True, False):
                enc = tok.encode(s, add_special_tokens=special)
                rows.append({
                    "text": s,
                    "add_special_tokens": special,
                    "ids": enc.ids,
                    "tokens": enc.tokens,
                    "decoded": tok.decode(enc.ids, skip_special_tokens=False),
                    "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
                })
        cases["tokenizers"][name] = {"vocab_size": tok.get_vocab_size(), "cases": rows}
    fast = d["bytelevel"][1]
    cases["chat"] = {
        "tokenizer": "bytelevel",
        "messages": CHAT,
        "rendered": fast.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True),
        "rendered_no_generation_prompt": fast.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=False),
    }
    with open(os.path.join(OUT, "tokenizers", "cases.json"), "w") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
    return {k: v[0] for k, v in d.items()}


def small_llama_like(cls, **kw):
    base = dict(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
    )
    base.update(kw)
    return cls(**base)


def model_specs():
    return {
        "llama": ("spbpe", small_llama_like(LlamaConfig, tie_word_embeddings=False, rope_theta=10000.0)),
        "llama3-rope": ("bytelevel", small_llama_like(
            LlamaConfig, tie_word_embeddings=True, rope_theta=500000.0, rms_norm_eps=1e-5, bos_token_id=0, eos_token_id=0,
            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 64})),
        "mistral": ("spbpe", small_llama_like(
            MistralConfig, tie_word_embeddings=False, rope_theta=10000.0, sliding_window=4,
            rope_scaling={"rope_type": "linear", "factor": 2.0})),
        "qwen2": ("bytelevel", small_llama_like(
            Qwen2Config, tie_word_embeddings=True, rope_theta=1000000.0, bos_token_id=0, eos_token_id=0,
            use_sliding_window=False)),
        "opt": ("bytelevel", OPTConfig(
            vocab_size=VOCAB, hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=128, word_embed_proj_dim=32, do_layer_norm_before=True, activation_function="relu",
            bos_token_id=0, eos_token_id=0, pad_token_id=0)),
        "opt-postln": ("bytelevel", OPTConfig(
            vocab_size=VOCAB, hidden_size=32, ffn_dim=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=128, word_embed_proj_dim=32, do_layer_norm_before=False,
            activation_function="relu", bos_token_id=0, eos_token_id=0, pad_token_id=0)),
        "gpt2": ("bytelevel", GPT2Config(
            vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=128, activation_function="gelu_new",
            bos_token_id=0, eos_token_id=0)),
    }


def randomize(model, seed):
    """HF's default init (std 0.02) gives near-uniform logits; use O(1) logits so argmaxes are clear."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = p.shape[0] if "c_" in name and "gpt2" in type(model).__name__.lower() else p.shape[-1]
                std = 0.4 if ("embed" in name or "wte" in name or "wpe" in name) else 1.5 / math.sqrt(fan_in)
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            else:  # norm weights
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))


def positions_from_mask(mask):
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


@torch.no_grad()
def logits_of(model, ids, mask=None):
    ids = torch.tensor(ids, device=DEVICE)
    if ids.dim() == 1:
        ids = ids[None]
    mask = torch.ones_like(ids) if mask is None else torch.tensor(mask, device=DEVICE)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions_from_mask(mask))
    return out.logits.double().cpu()


def window_nll(model, ids, n_ignore):
    """Mean NLL of predicting ids[n_ignore+1:] ... from the window `ids` (targets: positions after n_ignore)."""
    lg = logits_of(model, ids)[0]
    logp = torch.log_softmax(lg, dim=-1)
    t = torch.tensor(ids)
    nll = -logp[:-1].gather(1, t[1:, None])[:, 0]
    return nll[max(n_ignore - 1, 0):].mean().item() if n_ignore > 0 else nll.mean().item()


def perplexity(model, stream, window, stride=None):
    """The reference recipe: non-overlapping windows (remainder dropped), exp(mean over windows of mean NLL).
    With a stride: HF's sliding-window recipe, each window scores only the tokens not scored before."""
    losses = []
    if stride is None:
        for w in range(len(stream) // window):
            losses.append(window_nll(model, stream[w * window:(w + 1) * window], 0))
    else:
        prev_end = 0
        for begin in range(0, len(stream), stride):
            end = min(begin + window, len(stream))
            trg = end - prev_end
            chunk = stream[begin:end]
            losses.append(window_nll(model, chunk, len(chunk) - trg))
            prev_end = end
            if end == len(stream):
                break
    return math.exp(sum(losses) / len(losses)), losses


def make_model(name, tok_name, config, tok_paths, seed, edit_config=None, batch_per_row=False):
    """edit_config(cfg): rewrites the saved config.json (e.g. into an older spelling) before the reference is
    computed from the reloaded checkpoint. batch_per_row: the padded batch's reference is each row run alone
    (right-aligned, padding positions 0), for models whose soft-capped attention SDPA ignores."""
    path = os.path.join(OUT, name)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    randomize(model, seed)
    gc_kw = dict(bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id)
    if getattr(config, "pad_token_id", None) is not None:
        gc_kw["pad_token_id"] = config.pad_token_id
    model.generation_config = GenerationConfig(**gc_kw)
    model.save_pretrained(path, safe_serialization=True)
    for f in os.listdir(tok_paths[tok_name]):
        shutil.copy(os.path.join(tok_paths[tok_name], f), path)
    if name == "llama3-rope":
        # Most hub checkpoints use the transformers-4 spelling (rope_theta + rope_scaling): keep one such file.
        cfg = json.load(open(os.path.join(path, "config.json")))
        rp = cfg.pop("rope_parameters")
        cfg["rope_theta"] = rp.pop("rope_theta")
        cfg["rope_scaling"] = rp
        json.dump(cfg, open(os.path.join(path, "config.json"), "w"), indent=2)
    if edit_config is not None:
        cfg = json.load(open(os.path.join(path, "config.json")))
        edit_config(cfg)
        json.dump(cfg, open(os.path.join(path, "config.json"), "w"), indent=2)

    # Reference values come from the checkpoint as reloaded from disk, in float64.
    m = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager", dtype=torch.float64).to(DEVICE).eval()
    m32 = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager", dtype=torch.float32).to(DEVICE).eval()
    # eager attention in float64 turns fully masked (padding) query rows into NaN that then spreads through
    # the batch; SDPA does not, so the padded batch uses it.
    msdpa = AutoModelForCausalLM.from_pretrained(path, attn_implementation="sdpa", dtype=torch.float64).to(DEVICE).eval()
    tok = PreTrainedTokenizerFast.from_pretrained(path)
    ref = {"prompts": [], "tokenizer": tok_name}
    tensors = {}
    for i, text in enumerate(PROMPTS):
        ids = tok(text)["input_ids"]
        lg = logits_of(m, ids)[0]
        lg32 = logits_of(m32, ids)[0]
        tensors[f"prompt{i}"] = lg.float().contiguous()
        # greedy: argmax of a full forward each step (no KV cache), in float64
        seq = list(ids)
        margins = []
        for _ in range(8):
            last = logits_of(m, seq)[0, -1]
            top2 = torch.topk(last, 2).values
            margins.append((top2[0] - top2[1]).item())
            seq.append(int(last.argmax()))
        ref["prompts"].append({
            "text": text, "ids": ids, "greedy": seq[len(ids):], "greedy_min_margin": min(margins),
            "f32_vs_f64_max_abs": (lg32 - lg).abs().max().item(),
        })
    # a left-padded batch: the shorter prompts padded on the left with mask 0
    rows = [p["ids"] for p in ref["prompts"]]
    T = max(len(r) for r in rows)
    pad = 0
    batch = [[pad] * (T - len(r)) + r for r in rows]
    mask = [[0] * (T - len(r)) + [1] * len(r) for r in rows]
    if batch_per_row:
        blg = torch.zeros(len(rows), T, tensors["prompt0"].shape[-1], dtype=torch.float64)
        for b, r in enumerate(rows):
            blg[b, T - len(r):] = logits_of(m, r)[0]
    else:
        blg = logits_of(msdpa, batch, mask)
    assert not torch.isnan(blg).any(), f"{name}: NaN in padded-batch logits"
    tensors["batch"] = blg.float().contiguous()
    ref["batch"] = {"ids": batch, "attention_mask": mask}
    g = torch.Generator().manual_seed(seed + 1)
    stream = torch.randint(3, VOCAB, (50,), generator=g).tolist()
    ppl, losses = perplexity(m, stream, 16)
    ppl_s, losses_s = perplexity(m, stream, 16, stride=8)
    ref["perplexity"] = {"stream": stream, "window": 16, "ppl": ppl, "window_nlls": losses,
                         "stride": 8, "ppl_stride": ppl_s, "window_nlls_stride": losses_s}
    save_file(tensors, os.path.join(path, "reference.safetensors"))
    json.dump(ref, open(os.path.join(path, "reference.json"), "w"), ensure_ascii=False, indent=1)
    print(f"{name}: greedy {[p['greedy'] for p in ref['prompts']]} min margin "
          f"{min(p['greedy_min_margin'] for p in ref['prompts']):.4f} ppl {ppl:.4f} ppl_stride {ppl_s:.4f} "
          f"f32-vs-f64 {max(p['f32_vs_f64_max_abs'] for p in ref['prompts']):.2e}")


@torch.no_grad()
def check_written_by_kick(root):
    """Load each checkpoint kick wrote with plain HF transformers and compare with kick's own logits."""
    results = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        kick = json.load(open(os.path.join(path, "kick_logits.json")))
        m, info = AutoModelForCausalLM.from_pretrained(
            path, attn_implementation="eager", dtype=torch.float64, output_loading_info=True)
        m = m.to(DEVICE).eval()
        problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
        cfg = json.load(open(os.path.join(path, "config.json")))
        lg = logits_of(m, kick["ids"])[0].numpy()
        diff = float(np.abs(lg - np.array(kick["logits"])).max())
        results.append({"name": name, "files": sorted(os.listdir(path)), "dtype": cfg.get("dtype", cfg.get("torch_dtype")),
                        "hf_class": type(m).__name__, "loading_problems": {k: sorted(map(str, v)) for k, v in problems.items()},
                        "max_abs_diff": diff, "ok": diff <= 1e-4 and not problems})
        print(f"written-by-kick {name}: {type(m).__name__} max|diff| {diff:.3e} loading problems {problems or 'none'}")
    os.makedirs(OUT, exist_ok=True)
    json.dump(results, open(os.path.join(OUT, "written-by-kick-check.json"), "w"), indent=1)


def main():
    print(f"device {DEVICE} torch {torch.__version__} transformers {__import__('transformers').__version__} "
          f"tokenizers {__import__('tokenizers').__version__}")
    written = "test/fixtures/models/written-by-kick"
    if "--check-only" not in sys.argv:
        tok_paths = save_tokenizers()
        for seed, (name, (tok_name, config)) in enumerate(model_specs().items()):
            make_model(name, tok_name, config, tok_paths, 100 + seed)
    if os.path.isdir(written):
        check_written_by_kick(written)


if __name__ == "__main__":
    main()
