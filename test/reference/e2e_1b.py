#!/usr/bin/env python3
"""End to end on a ~1B-parameter Llama-shaped random model: the OFFICIAL SparseGPT and llm-awq pipelines,
timed on a GPU host, beside kick on the same model, the same calibration windows and the same GPU
(bench/e2e-host.sh runs the modes below in order and kick in between).

  make DIR                      DIR/model: a random Llama shaped like TinyLlama-1.1B (hidden 2048, intermediate
                                5632, 22 layers, 32 heads, 4 KV heads, head_dim 64, 2048 positions, rope θ 10000,
                                RMSNorm eps 1e-5, untied embeddings) with vocab 8192 and kick's tokenizer
                                (data/models/kick-s), torch.manual_seed(0) + HF's init restated (normal(0, 0.02) on
                                linears and embeddings, RMSNorm 1), float32, built on the GPU,
                                save_pretrained(safetensors, one file); DIR/calib.bin (1,000,000
                                uint16 ids, seed 0) and DIR/eval.bin (16 x 2048 ids, seed 1), both i.i.d. from one
                                Zipf-like law over ids 0..8190 (p ~ 1/(rank + 2.7)^1.1 over a fixed random ranking),
                                so frequent tokens dominate the Hessians. Skipped when DIR/model exists.
  sparsegpt DIR [--samples 128] [--seq-len 2048]
                                the official pipeline (IST-DASLab/sparsegpt@147d215 llama.py llama_sequential,
                                not true-sequential: its default) with the official SparseGPT class (sparsegpt.py,
                                imported unmodified from SPARSEGPT_DIR, default .ref/sparsegpt): Catcher on layer 0,
                                then per layer forward hooks -> add_batch on all 7 linears, fasterprune(0.5,
                                prunen=0, prunem=0, percdamp=0.01, blocksize=128), recompute the layer's outputs
                                with the pruned layer, feed them on. Calibration = EXACTLY kick's windows of
                                calib.bin (sample_windows below = loaders/compress/calibration.ts sampleWindows with
                                loaders/util/random.ts mulberry32, seed 0). Timed with torch.cuda.synchronize, model
                                loading excluded: total, per layer (forward + add_batch, fasterprune, recompute) and
                                the total inside fasterprune. Untimed extras per linear: the relative error
                                tr(dW H dW^T) / tr(W H W^T) on the undamped H (kick's compression.json relError)
                                and the official 'error' print. Saves DIR/official (pruned, float32) and
                                DIR/official.json.
  eval DIR MODELDIR...          HF transformers, float32, TF32 off: perplexity of each checkpoint on the 16
                                consecutive 2048-token windows of DIR/eval.bin (as llama_eval: mean NLL of tokens
                                1.. of each window), the fraction of exact zeros in the decoder's linears, and
                                against the FIRST model given: mean KL(first || model) per token and top-1
                                agreement (a random model's perplexity sits near the vocabulary size, so KL shows
                                the difference between two pruned models better). One JSON line per model.
  awq DIR [--blocks 4] [--samples 128] [--seq-len 512] [--awq-repo .ref/llm-awq]
                                the official llm-awq (mit-han-lab/llm-awq@d6e797a) per-block search for the first K
                                decoder blocks, as run_awq (awq/quantize/pre_quant.py) does it: Catcher on block 0,
                                then per block (.cuda(), forward with hooks caching every linear's input on the CPU,
                                auto_scale_block, apply_scale, auto_clip_block, apply_clip, .cpu()); w_bit 4,
                                q_group_size 128, zero_point True. The official modules are imported unmodified
                                through awq_fixtures.load_official (qmodule.py stubbed: CUDA extension, unused for
                                Llama). Calibration: the 128 x 512 windows kick's `--method awq --samples 128
                                --seq-len 512 --calib DIR/calib.bin` takes (loaders/compress/awq-method.ts
                                awqCalibrationSamples -> the same seeded sampleWindows, seed 0), NOT llm-awq's
                                pile-val concatenation (get_calib_dataset): kick samples windows, so this mirrors
                                kick. Adaptations to current transformers, as awq_fixtures.py: the Catcher's
                                forward runs with use_cache=False (a DynamicCache in the block kwargs would grow on
                                every search forward) and takes the hidden states from args or kwargs, the rotary
                                embedding module moves with the embeddings (move_embed does that), and a block's
                                output may be a tensor instead of a tuple. Timed per block with
                                torch.cuda.synchronize: (a) auto_scale_block, (b) auto_clip_block, (c) total incl.
                                the block's .cuda()/.cpu(), forward, apply_scale and apply_clip; plus (d) what
                                run_awq leaves to pseudo_quantize_model_weight (the block's 7 pseudo_quantize_tensor
                                calls on the GPU), timed on its own since kick quantizes inside its per-layer loop.
                                Untimed: the chosen ratio of every scale group (the grid point whose scales equal
                                the returned ones) and per clipped linear the fraction of shrunk (row, group) clips.
                                Writes DIR/awq_official.json.
  summary DIR sparsegpt|awq     reads the official JSON, kick's --json report (DIR/kick.json, DIR/kick-awq.json),
                                kick's time-stamped stderr (DIR/kick.stderr, DIR/kick-awq.stderr: "EPOCHSECONDS line")
                                and DIR/eval.jsonl; prints the comparison tables. Needs no torch.
  windows FILE SAMPLES SEQLEN [SEED]
                                the first window starts kick would take from FILE (a uint16 .bin); numpy only, to
                                check sample_windows against the TypeScript sampler.

The official repositories are not part of kick: fetch sparsegpt.py + quant.py into .ref/sparsegpt and the llm-awq
package into .ref/llm-awq (never committed). TF32 is off for every matmul (sparsegpt.py also sets it).
"""
import json, math, os, shutil, sys, time

import numpy as np

try:  # numpy-only modes (windows, summary) run without torch
    import torch
    import torch.nn as nn
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
except ImportError:
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KICK_TOKENIZER = os.path.join(ROOT, "data", "models", "kick-s")
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "added_tokens.json"]

VOCAB, HIDDEN, INTER, LAYERS, HEADS, KV_HEADS, HEAD_DIM, MAX_POS = 8192, 2048, 5632, 22, 32, 4, 64, 2048
EOS = 8191  # <|endoftext|> of kick's tokenizer: BOS/EOS/pad, never drawn into the token streams
CALIB_TOKENS, CALIB_SEED, EVAL_WINDOWS, EVAL_SEQ, EVAL_SEED, ZIPF_SEED = 1_000_000, 0, 16, 2048, 1, 1234
KICK = {"self_attn.q_proj": "q", "self_attn.k_proj": "k", "self_attn.v_proj": "v", "self_attn.o_proj": "o",
        "mlp.gate_proj": "gate", "mlp.up_proj": "up", "mlp.down_proj": "down"}
dev = "cuda"


# ---------------------------------------------------------------- kick's calibration sampling, in Python
def mulberry32(seed):
    """loaders/util/random.ts mulberry32: the same floats in [0, 1) (uint32 arithmetic = JS's int32 ops mod 2^32)."""
    M = 0xFFFFFFFF
    state = seed & M

    def rnd():
        nonlocal state
        state = (state + 0x6D2B79F5) & M
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & M
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296.0
    return rnd


def window_starts(n_stream, samples, seq_len, seed):
    """loaders/compress/calibration.ts sampleWindows: start = floor(rnd() * (n - seqLen + 1)) per sample."""
    if n_stream < seq_len:
        raise ValueError(f"stream of {n_stream} tokens is shorter than one window of {seq_len}")
    rnd = mulberry32(seed)
    return [int(math.floor(rnd() * (n_stream - seq_len + 1))) for _ in range(samples)]


def sample_windows(stream, samples, seq_len, seed):
    starts = window_starts(len(stream), samples, seq_len, seed)
    return np.stack([np.asarray(stream[s:s + seq_len], dtype=np.int64) for s in starts]), starts


def read_ids(path):
    return np.fromfile(path, dtype="<u2")


def zipf_stream(n, seed):
    """i.i.d. ids 0..VOCAB-2 from p(rank) ~ 1/(rank + 2.7)^1.1 over a ranking fixed by ZIPF_SEED."""
    order = np.random.default_rng(ZIPF_SEED).permutation(VOCAB - 1)
    p = 1.0 / (np.arange(VOCAB - 1) + 2.7) ** 1.1
    p /= p.sum()
    draws = np.random.default_rng(seed).choice(VOCAB - 1, size=n, p=p)
    return order[draws].astype("<u2")


# ---------------------------------------------------------------- helpers
def need_torch():
    if torch is None:
        sys.exit("this mode needs PyTorch (run it on the GPU host)")
    if not torch.cuda.is_available():
        sys.exit("this mode needs CUDA")


def sync_now():
    torch.cuda.synchronize()
    return time.perf_counter()


def tf_version():
    import transformers
    return transformers.__version__


def load_llama(path, device="cpu"):
    """LlamaForCausalLM in float32 (transformers >= 4.56 names the argument dtype, older ones torch_dtype)."""
    import transformers
    from transformers import LlamaForCausalLM
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    kw = {"dtype": torch.float32} if (major, minor) >= (4, 56) else {"torch_dtype": torch.float32}
    m = LlamaForCausalLM.from_pretrained(path, **kw).float().eval()
    m.config.use_cache = False
    return m.to(device)


def save_llama(model, out, tokenizer_from):
    """save_pretrained as safetensors in one file (kick reads shards too), tokenizer files copied; atomic."""
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(tmp, safe_serialization=True, max_shard_size="20GB")
    except TypeError:  # a transformers without safe_serialization (always safetensors)
        model.save_pretrained(tmp, max_shard_size="20GB")
    for f in TOKENIZER_FILES:
        if os.path.exists(os.path.join(tokenizer_from, f)):
            shutil.copy(os.path.join(tokenizer_from, f), os.path.join(tmp, f))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)


def block_out(out):
    """A decoder layer returns a tuple (transformers < 4.54) or the hidden states tensor (newer)."""
    return out[0] if isinstance(out, (tuple, list)) else out


def catcher_class(store):
    """The official Catcher: records layer 0's input and kwargs (ALL of them: current transformers needs
    position_embeddings, position_ids, cache_position besides attention_mask), then stops the forward."""
    class Catcher(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, *args, **kwargs):
            inp = args[0] if args else kwargs.pop("hidden_states")
            store["inps"].append(inp)
            store["kwargs"] = kwargs
            raise ValueError
    return Catcher


def linear_zero_fraction(model):
    zeros = total = 0
    for layer in model.model.layers:
        for n, m in layer.named_modules():
            if isinstance(m, nn.Linear):
                zeros += int((m.weight == 0).sum())
                total += m.weight.numel()
    return zeros / total


def write_json(path, doc):
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(path + ".tmp", path)


def opt(argv, name, default, cast=int):
    return cast(argv[argv.index(name) + 1]) if name in argv else default


# ---------------------------------------------------------------- make
def make(d):
    os.makedirs(d, exist_ok=True)
    for name, n, seed in [("calib.bin", CALIB_TOKENS, CALIB_SEED), ("eval.bin", EVAL_WINDOWS * EVAL_SEQ, EVAL_SEED)]:
        p = os.path.join(d, name)
        if not os.path.exists(p):
            zipf_stream(n, seed).tofile(p + ".tmp")
            os.replace(p + ".tmp", p)
            print(f"wrote {p}: {n} uint16 ids (seed {seed})", flush=True)
    if os.path.exists(os.path.join(d, "model", "config.json")):
        print(f"{d}/model exists: skipped", flush=True)
        return
    need_torch()
    from transformers import LlamaConfig, LlamaForCausalLM
    t0 = time.perf_counter()
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTER, num_hidden_layers=LAYERS,
                      num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, head_dim=HEAD_DIM, max_position_embeddings=MAX_POS,
                      rope_theta=10000.0, rms_norm_eps=1e-5, hidden_act="silu", initializer_range=0.02, tie_word_embeddings=False,
                      attention_bias=False, mlp_bias=False, bos_token_id=EOS, eos_token_id=EOS, pad_token_id=EOS,
                      torch_dtype="float32")
    with torch.device(dev):
        model = LlamaForCausalLM(cfg).float()
    # HF's Llama init (_init_weights), restated so the model does not depend on the transformers version: after
    # torch.manual_seed(0), in module order, every Linear and Embedding weight ~ normal(0, initializer_range), the
    # embedding's padding row zeroed, every RMSNorm weight 1
    torch.manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(mean=0.0, std=cfg.initializer_range)
                if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                    m.weight[m.padding_idx].zero_()
            elif type(m).__name__.endswith("RMSNorm"):
                m.weight.fill_(1.0)
    n = sum(p.numel() for p in model.parameters())
    q = model.model.layers[0].self_attn.q_proj.weight
    stats = {"params": n, "q0Std": float(q.std()), "embedStd": float(model.model.embed_tokens.weight.std()),
             "lmHeadStd": float(model.lm_head.weight.std())}
    save_llama(model, os.path.join(d, "model"), KICK_TOKENIZER)
    stats.update(seconds=time.perf_counter() - t0, device=torch.cuda.get_device_name(), torch=torch.__version__, transformers=tf_version())
    write_json(os.path.join(d, "make.json"), stats)
    print(f"made {d}/model: {n / 1e9:.3f}B parameters in {stats['seconds']:.1f} s ({json.dumps(stats)})", flush=True)


# ---------------------------------------------------------------- official SparseGPT pipeline
@torch.no_grad() if torch is not None else (lambda f: f)
def sparsegpt(d, samples, seq_len):
    need_torch()
    sys.path.insert(0, os.path.abspath(os.environ.get("SPARSEGPT_DIR", os.path.join(ROOT, ".ref", "sparsegpt"))))
    import sparsegpt as sg  # noqa: E402  (official code)
    printed = []
    sg.print = lambda *a, **k: printed.append(a)  # fasterprune prints 'time' and 'error' per call
    sparsity, percdamp, blocksize = 0.5, 0.01, 128

    model = load_llama(os.path.join(d, "model"), "cpu")  # get_llama: the whole model on the CPU
    ids, starts = sample_windows(read_ids(os.path.join(d, "calib.bin")), samples, seq_len, CALIB_SEED)
    dataloader = [torch.from_numpy(ids[j:j + 1]) for j in range(samples)]  # batch [1, seqlen], as get_c4's loader
    print(f"calibration: {samples} x {seq_len} windows of calib.bin, first starts {starts[:5]}", flush=True)
    torch.cuda.synchronize()

    # ---- llama_sequential ----
    t_start = time.perf_counter()
    layers = model.model.layers
    model.model.embed_tokens = model.model.embed_tokens.to(dev)
    model.model.norm = model.model.norm.to(dev)
    model.model.rotary_emb = model.model.rotary_emb.to(dev)  # current transformers: position_embeddings come from here
    layers[0] = layers[0].to(dev)
    inps = torch.zeros((samples, seq_len, model.config.hidden_size), dtype=torch.float32, device=dev)
    store = {"inps": [], "kwargs": None}
    layers[0] = catcher_class(store)(layers[0])
    for batch in dataloader:
        try:
            model(batch.to(dev), use_cache=False)
        except ValueError:
            pass
    layers[0] = layers[0].module
    for j, x in enumerate(store["inps"]):
        inps[j] = x[0]
    del store["inps"]
    kw = store["kwargs"]  # attention_mask (None for sdpa without padding), position_ids, position_embeddings, ...
    layers[0] = layers[0].cpu()
    model.model.embed_tokens = model.model.embed_tokens.cpu()
    model.model.norm = model.model.norm.cpu()
    model.model.rotary_emb = model.model.rotary_emb.cpu()
    torch.cuda.empty_cache()
    outs = torch.zeros_like(inps)
    t_catch = sync_now()
    print(f"catcher: {t_catch - t_start:.2f} s; layer kwargs {sorted(kw)}", flush=True)

    per_layer, prune_total, extras_total = [], 0.0, 0.0
    for i in range(len(layers)):
        t0 = sync_now()
        layer = layers[i].to(dev)
        full = {n: m for n, m in layer.named_modules() if isinstance(m, nn.Linear)}  # modelutils.find_layers
        gpts = {name: sg.SparseGPT(full[name]) for name in full}

        def add_batch(name):
            def tmp(_, inp, out):
                gpts[name].add_batch(inp[0].data, out.data)
            return tmp

        handles = [full[name].register_forward_hook(add_batch(name)) for name in full]
        for j in range(samples):
            outs[j] = block_out(layer(inps[j].unsqueeze(0), **kw))[0]
        for h in handles:
            h.remove()
        t1 = sync_now()
        lin, prune_s, extra_s = {}, 0.0, 0.0
        for name in full:
            te = sync_now()
            W0, H0 = full[name].weight.data.clone(), gpts[name].H.clone()  # untimed: for the relative error
            tp = sync_now()
            extra_s += tp - te
            printed.clear()
            gpts[name].fasterprune(sparsity, prunen=0, prunem=0, percdamp=percdamp, blocksize=blocksize)
            gpts[name].free()
            tq = sync_now()
            prune_s += tq - tp
            W = full[name].weight.data
            dW = (W0 - W).double()
            H = H0.double()
            rel = float(((dW @ H) * dW).sum() / ((W0.double() @ H) * W0.double()).sum())
            err = next((float(a[1]) for a in printed if len(a) == 2 and a[0] == "error"), None)
            lin[KICK[name]] = {"seconds": tq - tp, "relError": rel, "officialError": err, "sparsity": float((W == 0).float().mean()),
                               "rows": W.shape[0], "cols": W.shape[1]}
            del W0, H0, dW, H
            extra_s += sync_now() - tq
        t2 = sync_now()
        for j in range(samples):
            outs[j] = block_out(layer(inps[j].unsqueeze(0), **kw))[0]
        layers[i] = layer.cpu()
        del layer, gpts
        torch.cuda.empty_cache()
        inps, outs = outs, inps
        t3 = sync_now()
        ent = {"layer": i, "seconds": t3 - t0 - extra_s, "forwardSeconds": t1 - t0, "pruneSeconds": prune_s,
               "recomputeSeconds": t3 - t2, "linears": lin}
        per_layer.append(ent)
        prune_total += prune_s
        extras_total += extra_s
        print(f"layer {i}: {ent['seconds']:.2f} s (forward+add_batch {t1 - t0:.2f}, fasterprune {prune_s:.2f}, recompute {t3 - t2:.2f}); "
              f"rel err q {lin['q']['relError']:.3e} down {lin['down']['relError']:.3e}", flush=True)
    total = sync_now() - t_start - extras_total
    print(f"official llama_sequential: {total:.2f} s total ({t_catch - t_start:.2f} s catcher), {prune_total:.2f} s inside fasterprune", flush=True)
    del inps, outs
    torch.cuda.empty_cache()

    spars = linear_zero_fraction(model)
    save_llama(model, os.path.join(d, "official"), os.path.join(d, "model"))
    doc = {"source": "IST-DASLab/sparsegpt@147d215 sparsegpt.py (imported) + llama.py llama_sequential structure (this driver)",
           "device": torch.cuda.get_device_name(), "torch": torch.__version__, "transformers": tf_version(),
           "sparsity": sparsity, "percdamp": percdamp, "blocksize": blocksize, "trueSequential": False,
           "samples": samples, "seqLen": seq_len, "seed": CALIB_SEED, "starts": starts,
           "seconds": total, "catcherSeconds": t_catch - t_start, "pruneSeconds": prune_total,
           "untimedExtrasSeconds": extras_total, "linearSparsity": spars, "layers": per_layer}
    write_json(os.path.join(d, "official.json"), doc)
    print(f"wrote {d}/official and {d}/official.json (linear sparsity {spars:.4f})", flush=True)


# ---------------------------------------------------------------- perplexity
@torch.no_grad() if torch is not None else (lambda f: f)
def evaluate(d, dirs):
    need_torch()
    ev = torch.from_numpy(read_ids(os.path.join(d, "eval.bin")).astype(np.int64))
    n = ev.numel() // EVAL_SEQ
    ref_lp = None
    for k, md in enumerate(dirs):
        t0 = time.perf_counter()
        model = load_llama(md, dev)
        nll_sum, count, kl_sum, agree = 0.0, 0, 0.0, 0
        lps = []
        for w in range(n):
            ids = ev[w * EVAL_SEQ:(w + 1) * EVAL_SEQ].to(dev)[None]
            lp = torch.log_softmax(model(ids, use_cache=False).logits[0, :-1].float(), dim=-1)  # [T-1, V]
            tgt = ids[0, 1:]
            nll_sum += float(-lp.gather(1, tgt[:, None]).sum())
            count += tgt.numel()
            if ref_lp is None:
                lps.append(lp)
            else:
                r = ref_lp[w]
                kl_sum += float((r.exp() * (r - lp)).sum())
                agree += int((r.argmax(-1) == lp.argmax(-1)).sum())
        if ref_lp is None:
            ref_lp = lps
        nll = nll_sum / count
        row = {"model": md, "windows": n, "seqLen": EVAL_SEQ, "nll": nll, "ppl": math.exp(nll),
               "linearSparsity": linear_zero_fraction(model), "ref": dirs[0],
               "klToRef": kl_sum / count if k else 0.0, "top1AgreeRef": agree / count if k else 1.0,
               "seconds": time.perf_counter() - t0}
        print(json.dumps(row), flush=True)
        del model
        torch.cuda.empty_cache()


# ---------------------------------------------------------------- official AWQ search, first K blocks
@torch.no_grad() if torch is not None else (lambda f: f)
def awq_blocks(d, blocks, samples, seq_len, repo):
    need_torch()
    sys.path.insert(0, HERE)
    from awq_fixtures import load_official  # the official modules under an alias package (qmodule stubbed)
    awq = load_official(repo)
    move_embed = sys.modules["awqref.quantize.pre_quant"].move_embed  # official
    w_bit, q_config, n_grid = 4, {"zero_point": True, "q_group_size": 128}, 20

    model = load_llama(os.path.join(d, "model"), "cpu")
    ids, starts = sample_windows(read_ids(os.path.join(d, "calib.bin")), samples, seq_len, CALIB_SEED)
    samples_t = torch.from_numpy(ids)  # [samples, seq_len], one batch as run_awq's torch.cat(samples)
    print(f"calibration: {samples} x {seq_len} windows of calib.bin, first starts {starts[:5]}", flush=True)
    torch.cuda.synchronize()

    # ---- run_awq: inputs and kwargs of block 0 ----
    t_start = time.perf_counter()
    layers = model.model.layers
    layers[0] = layers[0].cuda()
    move_embed(model, "cuda")  # embed_tokens and rotary_emb
    store = {"inps": [], "kwargs": None}
    layers[0] = catcher_class(store)(layers[0])
    try:
        model(samples_t.to(dev), use_cache=False)
    except ValueError:
        pass
    layers[0] = layers[0].module
    inps, layer_kwargs = store["inps"][0], store["kwargs"]
    del store["inps"]
    layers[0] = layers[0].cpu()
    move_embed(model, "cpu")
    import gc
    gc.collect()
    torch.cuda.empty_cache()
    t_catch = sync_now()
    print(f"catcher: {t_catch - t_start:.2f} s; layer kwargs {sorted(layer_kwargs)}", flush=True)

    per_block = []
    group_of = {"input_layernorm": "qkv", "self_attn.v_proj": "o", "post_attention_layernorm": "gate_up", "mlp.up_proj": "down"}
    first_input = {"qkv": "self_attn.q_proj", "o": "self_attn.o_proj", "gate_up": "mlp.gate_proj", "down": "mlp.down_proj"}
    for i in range(min(blocks, len(layers))):
        ph = {}
        t = sync_now()
        layer = layers[i].cuda()
        named_linears = awq.get_named_linears(layer)
        input_feat = {n: [] for n in named_linears}

        def cache_input_hook(m, x, y, name):  # pre_quant.py: inputs cached on the CPU
            input_feat[name].append(x[0].detach().cpu())

        handles = [named_linears[n].register_forward_hook(lambda m, x, y, n=n: cache_input_hook(m, x, y, n)) for n in named_linears]
        inps = inps.to(next(layer.parameters()).device)
        inps = block_out(layer(inps, **layer_kwargs))
        for h in handles:
            h.remove()
        input_feat = {k: torch.cat(v, dim=0) for k, v in input_feat.items()}
        torch.cuda.empty_cache()
        t2 = sync_now()
        ph["forward"] = t2 - t
        # untimed: the activation means, to name the grid point each returned scale vector came from
        x_max = {g: awq.get_act_scale(input_feat[n].to(dev)) for g, n in first_input.items()}
        t = sync_now()
        scales_list = awq.auto_scale_block(layer, layer_kwargs, w_bit=w_bit, q_config=q_config, input_feat=input_feat)
        t2 = sync_now()
        ph["scale"] = t2 - t
        groups = []
        for prev, names, s in scales_list:
            g = group_of[prev]
            best = None
            for r in range(n_grid):
                c = x_max[g].pow(r / n_grid).clamp(min=1e-4).view(-1)
                c = c / (c.max() * c.min()).sqrt()
                if torch.equal(c.cpu(), s.cpu()):
                    best = r
                    break
            groups.append({"group": g, "prev": prev, "linears": list(names), "best": best, "ratio": None if best is None else best / n_grid})
        del x_max
        t = sync_now()
        awq.apply_scale(layers[i], scales_list, input_feat_dict=input_feat)
        torch.cuda.empty_cache()
        t2 = sync_now()
        ph["applyScale"] = t2 - t
        t = sync_now()
        clip_list = awq.auto_clip_block(layer, w_bit=w_bit, q_config=q_config, input_feat=input_feat)
        t2 = sync_now()
        ph["clip"] = t2 - t
        clips = {}
        for name, max_val in clip_list:  # untimed: which (row, group) clips were shrunk
            w = awq.get_named_linears(layer)[name].weight.detach().float().cpu()
            org = w.reshape(w.shape[0], -1, q_config["q_group_size"]).abs().amax(dim=-1)
            mv = max_val.reshape(org.shape).float().cpu()
            cand = torch.stack([org * (1 - s / n_grid) for s in range(int(0.5 * n_grid))])
            idx = (cand - mv[None]).abs().argmin(dim=0)
            clips[KICK[name]] = {"clippedFraction": float((mv < org).float().mean()), "meanShrink": float(idx.float().mean())}
        t = sync_now()
        awq.apply_clip(layer, clip_list)
        t2 = sync_now()
        ph["applyClip"] = t2 - t
        t = sync_now()
        layer = layer.cpu()
        del input_feat
        gc.collect()
        torch.cuda.empty_cache()
        t2 = sync_now()
        ph["release"] = t2 - t
        total = sum(ph.values())
        # (d) the block's share of pseudo_quantize_model_weight, on the GPU, timed apart (weights moved untimed)
        ws = [m.weight.data.to(dev) for m in awq.get_named_linears(layer).values()]
        t = sync_now()
        for w in ws:
            awq.pseudo_quantize_tensor(w, n_bit=w_bit, **q_config)
        quant = sync_now() - t
        del ws
        torch.cuda.empty_cache()
        ent = {"layer": i, "scaleSeconds": ph["scale"], "clipSeconds": ph["clip"], "totalSeconds": total,
               "quantizeSeconds": quant, "totalWithQuantizeSeconds": total + quant, "phases": ph,
               "groups": groups, "clips": clips}
        per_block.append(ent)
        print(f"block {i}: (a) scale {ph['scale']:.2f} s, (b) clip {ph['clip']:.2f} s, (c) total {total:.2f} s "
              f"(forward {ph['forward']:.2f}), (d) quantize {quant:.3f} s; ratios "
              + ", ".join(f"{g['group']}={g['best']}" for g in groups), flush=True)
    k = len(per_block)
    mean = {key: sum(b[key] for b in per_block) / k for key in ["scaleSeconds", "clipSeconds", "totalSeconds", "quantizeSeconds", "totalWithQuantizeSeconds"]}
    doc = {"source": "mit-han-lab/llm-awq@d6e797a auto_scale.py, auto_clip.py, quantizer.py, pre_quant.py (imported unmodified); run_awq loop (this driver, see docstring)",
           "device": torch.cuda.get_device_name(), "torch": torch.__version__, "transformers": tf_version(),
           "wBit": w_bit, "qConfig": q_config, "samples": samples, "seqLen": seq_len, "seed": CALIB_SEED, "starts": starts,
           "catcherSeconds": t_catch - t_start, "blocks": per_block, "meanPerBlock": mean}
    write_json(os.path.join(d, "awq_official.json"), doc)
    print(f"wrote {d}/awq_official.json: mean per block " + ", ".join(f"{k2} {v:.2f}" for k2, v in mean.items()), flush=True)


# ---------------------------------------------------------------- summary (no torch)
def read_stamped(path):
    """Lines 'EPOCHSECONDS text' (bench/e2e-host.sh stamps kick's stderr)."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            ts, _, text = line.rstrip("\n").partition(" ")
            try:
                rows.append((float(ts.replace(",", ".")), text))
            except ValueError:
                pass
    return rows


def load_json(path):
    """A JSON file, or the last JSON line of a file with other lines (kick's stdout)."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    try:
        return json.loads(text)
    except ValueError:
        for line in reversed(text.splitlines()):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    pass
    return None


def kick_process_lines(stamped):
    return [t.strip() for _, t in stamped if "Elapsed (wall clock)" in t or "Maximum resident" in t or "[e2e] kick compress wall" in t]


def table(head, rows):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "| " + " | ".join(str(x).ljust(n) for x, n in zip(r, w)) + " |"
    return "\n".join([line(head), "|" + "|".join("-" * (n + 2) for n in w) + "|"] + [line(r) for r in rows])


def fmt(x, p=2):
    return "—" if x is None else f"{x:.{p}f}"


def kick_layer_seconds_sparsegpt(kick, stamped):
    """Per decoder layer: time between the report lines of its last linear and the previous layer's last
    (kick prints one line per linear); layer 0 = kick's total seconds minus the rest (its start is after the
    GPU model's loading, which the stderr lines do not mark)."""
    import re
    last = {}
    for ts, text in stamped:
        m = re.search(r"\] \d+/\d+ layers\.(\d+)\.\w+\.weight", text)
        if m:
            last[int(m.group(1))] = ts
    if not last or kick is None:
        return {}
    L = max(last) + 1
    out = {l: last[l] - last[l - 1] for l in range(1, L) if l in last and l - 1 in last}
    if 0 in last and L - 1 in last:
        out[0] = kick["seconds"] - (last[L - 1] - last[0])
    return out


def summary(d, what):
    rows = []
    if what == "sparsegpt":
        off, kick = load_json(os.path.join(d, "official.json")), load_json(os.path.join(d, "kick.json"))
        stamped = read_stamped(os.path.join(d, "kick.stderr"))
        kl = kick_layer_seconds_sparsegpt(kick, stamped)
        if off:
            print(f"official: {off['device']}, torch {off['torch']}, transformers {off['transformers']}; {off['samples']} x {off['seqLen']} calibration tokens")
        L = len(off["layers"]) if off else (max(kl) + 1 if kl else 0)
        krep = {}
        if kick:
            for r in kick["layers"]:
                krep.setdefault(r["layer"], {})[r["linear"]] = r
        for l in range(L):
            o = off["layers"][l] if off else None
            ks = kl.get(l)
            kprune = sum(r["seconds"] for r in krep.get(l, {}).values()) if krep else None
            rel_o = o["linears"]["down"]["relError"] if o else None
            rel_k = krep.get(l, {}).get("down", {}).get("relError") if krep else None
            rows.append([l, fmt(o and o["seconds"]), fmt(o and o["pruneSeconds"]), fmt(ks), fmt(kprune),
                         fmt(ks / o["seconds"], 3) if (o and ks) else "—", fmt(rel_o, 5), fmt(rel_k, 5)])
        print(table(["layer", "official s", "in fasterprune s", "kick s", "kick prune s (sum of linears)", "kick/official", "down rel err official", "down rel err kick"], rows))
        tot_o, tot_k = off and off["seconds"], kick and kick["seconds"]
        print(f"\ntotal: official {fmt(tot_o)} s (fasterprune {fmt(off and off['pruneSeconds'])} s, catcher {fmt(off and off['catcherSeconds'])} s), "
              f"kick {fmt(tot_k)} s, ratio kick/official {fmt(tot_k / tot_o, 3) if (tot_o and tot_k) else '—'}")
        if off and krep:
            pairs = [(o["linears"][k]["relError"], krep[o["layer"]][k]["relError"]) for o in off["layers"] for k in o["linears"] if k in krep.get(o["layer"], {})]
            rs = [b / a for a, b in pairs if a and b is not None]
            if rs:
                print(f"relative error kick/official over {len(rs)} linears: median {sorted(rs)[len(rs) // 2]:.4f}, min {min(rs):.4f}, max {max(rs):.4f}")
        for w in kick_process_lines(stamped):
            print(f"kick process: {w}")
        ev = os.path.join(d, "eval.jsonl")
        if os.path.exists(ev):
            evrows = []
            for line in open(ev):
                if line.startswith("{"):
                    r = json.loads(line)
                    evrows.append([r["model"], fmt(r["ppl"], 3), fmt(r["nll"], 5), fmt(r["linearSparsity"], 4), f"{r['klToRef']:.3e}", fmt(r["top1AgreeRef"], 4)])
            print("\n" + table(["model", "ppl", "nll", "linear sparsity", "KL(dense||model)/token", "top-1 agree dense"], evrows))
    elif what == "awq":
        off, kick = load_json(os.path.join(d, "awq_official.json")), load_json(os.path.join(d, "kick-awq.json"))
        import re
        ktot = {}
        stamped = read_stamped(os.path.join(d, "kick-awq.stderr"))
        for _, text in stamped:
            m = re.search(r"layer (\d+)/\d+: clipped .*\(([\d.]+) s\)", text)
            if m:
                ktot[int(m.group(1)) - 1] = float(m.group(2))
        kg, klin = {}, {}
        if kick:
            for g in kick["groups"]:
                kg.setdefault(g["layer"], []).append(g)
            for r in kick["layers"]:
                klin.setdefault(r["layer"], []).append(r)
        if off:
            print(f"official: {off['device']}, torch {off['torch']}, transformers {off['transformers']}; {off['samples']} x {off['seqLen']} calibration tokens")
        blocks = off["blocks"] if off else []
        agree = n_groups = 0
        for b in blocks:
            l = b["layer"]
            ks = sum(g["seconds"] for g in kg.get(l, [])) if kg else None
            kc = sum(r["seconds"] for r in klin.get(l, [])) if klin else None
            kr = {g["group"]: g["best"] for g in kg.get(l, [])}
            orr = {g["group"]: g["best"] for g in b["groups"]}
            for g, v in orr.items():
                if g in kr:
                    n_groups += 1
                    agree += int(kr[g] == v)
            rows.append([l, fmt(b["scaleSeconds"]), fmt(ks), fmt(b["clipSeconds"] + b["quantizeSeconds"]), fmt(kc),
                         fmt(b["totalWithQuantizeSeconds"]), fmt(ktot.get(l)),
                         fmt(ktot[l] / b["totalWithQuantizeSeconds"], 3) if l in ktot else "—",
                         " ".join(f"{g}:{orr[g]}/{kr.get(g, '—')}" for g in orr)])
        print(table(["block", "(a) official scale s", "kick scale s", "(b)+(d) official clip+quant s", "kick clip+quant+err s",
                     "(c)+(d) official total s", "kick layer s", "kick/official", "ratio index official/kick"], rows))
        if blocks:
            k = len(blocks)
            mo = off["meanPerBlock"]
            mk = [ktot[l] for l in range(len(ktot)) if l in ktot]
            mk_first = [ktot[b["layer"]] for b in blocks if b["layer"] in ktot]
            print(f"\nmean per block: official (c)+(d) {mo['totalWithQuantizeSeconds']:.2f} s over {k} blocks "
                  f"(scale {mo['scaleSeconds']:.2f}, clip {mo['clipSeconds']:.2f}, quantize {mo['quantizeSeconds']:.3f}); "
                  f"kick {fmt(sum(mk_first) / len(mk_first) if mk_first else None)} s over the same blocks, "
                  f"{fmt(sum(mk) / len(mk) if mk else None)} s over all {len(mk)} layers (kick total {fmt(kick and kick['seconds'])} s)")
            if mk_first:
                print(f"ratio kick/official per block (same blocks): {sum(mk_first) / len(mk_first) / mo['totalWithQuantizeSeconds']:.3f}")
            print(f"scale ratios identical in {agree}/{n_groups} groups")
        for w in kick_process_lines(stamped):
            print(f"kick process: {w}")
    else:
        sys.exit(f"summary: unknown part {what} (sparsegpt | awq)")


# ---------------------------------------------------------------- main
if __name__ == "__main__":
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    mode = a[0]
    if mode == "make":
        make(a[1])
    elif mode == "sparsegpt":
        sparsegpt(a[1], opt(a, "--samples", 128), opt(a, "--seq-len", 2048))
    elif mode == "eval":
        evaluate(a[1], a[2:])
    elif mode == "awq":
        awq_blocks(a[1], opt(a, "--blocks", 4), opt(a, "--samples", 128), opt(a, "--seq-len", 512),
                   opt(a, "--awq-repo", os.environ.get("AWQ_REPO", os.path.join(ROOT, ".ref", "llm-awq")), str))
    elif mode == "summary":
        summary(a[1], a[2])
    elif mode == "windows":
        ids = read_ids(a[1])
        print(json.dumps(window_starts(len(ids), int(a[2]), int(a[3]), int(a[4]) if len(a) > 4 else 0)))
    else:
        sys.exit(f"unknown mode {mode}\n{__doc__}")
