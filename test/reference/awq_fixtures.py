#!/usr/bin/env python3
"""Reference outputs for kick's AWQ driver (loaders/compress/awq-driver.ts), made with the OFFICIAL
llm-awq code on a GPU host (CUDA: the official apply_scale / auto_clip_block call .cuda()):

  python3 test/reference/awq_fixtures.py --awq-repo .ref/llm-awq [--out test/fixtures/compress/awq]

Official code (never committed; a checkout of the public repository mit-han-lab/llm-awq@d6e797a at
--awq-repo): awq/quantize/auto_scale.py (auto_scale_block, apply_scale), awq/quantize/auto_clip.py
(auto_clip_block, apply_clip), awq/quantize/quantizer.py (pseudo_quantize_tensor,
pseudo_quantize_model_weight), awq/quantize/pre_quant.py (get_named_linears), awq/utils/module.py.
They are imported unmodified from the checkout under a package alias; only awq/quantize/qmodule.py
is replaced by a stub, because it imports the CUDA extension awq_inference_engine (its
ScaledActivation is used only for GELU-type previous ops, never for Llama). The per-layer loop below
is run_awq's (pre_quant.py) with two adaptations for current transformers: the model is called with
use_cache=False (a DynamicCache in the layer kwargs would grow on every search forward), and a
decoder layer's output may be a tensor instead of a tuple.

Writes OUT/model/ (config.json + model.safetensors: a tiny random Llama, 3 layers, hidden 128,
intermediate 256, 4 heads (no GQA, so v→o is searched), with outlier channels in the embeddings, the
RMSNorm weights and two up_proj rows), OUT/awq_ref.json (calibration tokens, per layer and group the
chosen ratio and the 20 losses, per clipped linear the shrink index of every (row, group), per
linear the relative error ‖X'Q̂ᵀ − X'W'ᵀ‖²/‖X'W'ᵀ‖² with X' = the cached input after apply_scale and
W' = the scaled weight before clipping, and the logit MSE / mean NLL of the quantized vs the FP
model on held-out tokens) and OUT/awq_ref.safetensors (per linear: final integer levels u8,
scales and zero points f32 [rows, groups] from pseudo_quantize_tensor(get_scale_zp=True)).
"""
import argparse, importlib, json, os, sys, types

import torch
import torch.nn as nn

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

BITS, GROUP, N_GRID = 4, 128, 20
H, F, HEADS, KV, HD, LAYERS, VOCAB, T, NSEQ = 128, 256, 4, 4, 32, 3, 256, 128, 4


def load_official(repo):
    """The official modules under the alias package `awqref` (= REPO/awq), qmodule stubbed."""
    root = os.path.join(os.path.abspath(repo), "awq")
    if not os.path.exists(os.path.join(root, "quantize", "auto_scale.py")):
        sys.exit(f"--awq-repo {repo}: no awq/quantize/auto_scale.py there (clone mit-han-lab/llm-awq, commit d6e797a)")
    for name, path in [("awqref", root), ("awqref.quantize", os.path.join(root, "quantize")), ("awqref.utils", os.path.join(root, "utils"))]:
        m = types.ModuleType(name)
        m.__path__ = [path]  # a namespace without running the package __init__ (it imports the w8a8 kernels)
        sys.modules[name] = m
    q = types.ModuleType("awqref.quantize.qmodule")

    class ScaledActivation(nn.Module):  # as qmodule.py; unused for Llama
        def __init__(self, module, scales):
            super().__init__()
            self.act = module
            self.scales = nn.Parameter(scales.data)

        def forward(self, x):
            return self.act(x) / self.scales.view(1, 1, -1).to(x.device)

    q.ScaledActivation = ScaledActivation
    sys.modules["awqref.quantize.qmodule"] = q
    mods = {n: importlib.import_module(f"awqref.{n}") for n in ["quantize.quantizer", "quantize.auto_scale", "quantize.auto_clip", "quantize.pre_quant"]}
    return types.SimpleNamespace(
        auto_scale_block=mods["quantize.auto_scale"].auto_scale_block, apply_scale=mods["quantize.auto_scale"].apply_scale,
        get_act_scale=mods["quantize.auto_scale"].get_act_scale,
        auto_clip_block=mods["quantize.auto_clip"].auto_clip_block, apply_clip=mods["quantize.auto_clip"].apply_clip,
        pseudo_quantize_tensor=mods["quantize.quantizer"].pseudo_quantize_tensor,
        pseudo_quantize_model_weight=mods["quantize.quantizer"].pseudo_quantize_model_weight,
        get_named_linears=mods["quantize.pre_quant"].get_named_linears,
    )


def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=H, intermediate_size=F, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                      num_key_value_heads=KV, head_dim=HD, max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=10000.0,
                      hidden_act="silu", tie_word_embeddings=False, torch_dtype="float32")
    model = LlamaForCausalLM(cfg).float().eval()
    g = torch.Generator().manual_seed(0)
    out_ch = torch.randperm(H, generator=g)[:6]
    with torch.no_grad():
        e = torch.randn(VOCAB, H, generator=g)
        e[:, out_ch] *= 8
        model.model.embed_tokens.weight.copy_(e)
        model.lm_head.weight.copy_(torch.randn(VOCAB, H, generator=g) * 0.1)
        model.model.norm.weight.fill_(1)
        for layer in model.model.layers:
            for norm in (layer.input_layernorm, layer.post_attention_layernorm):
                w = 1 + 0.2 * torch.randn(H, generator=g)
                w[out_ch] *= 6
                norm.weight.copy_(w)
            for lin in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj, layer.self_attn.o_proj,
                        layer.mlp.gate_proj, layer.mlp.up_proj, layer.mlp.down_proj):
                lin.weight.copy_(torch.randn(lin.weight.shape, generator=g) * 0.1)
            layer.mlp.up_proj.weight[[5, 77]] *= 5  # outlier channels into down_proj
    tokens = torch.randint(0, VOCAB, (NSEQ, T), generator=g)
    evals = torch.randint(0, VOCAB, (2, T), generator=g)
    return model, tokens, evals


KICK = {"self_attn.q_proj": "q", "self_attn.k_proj": "k", "self_attn.v_proj": "v", "self_attn.o_proj": "o",
        "mlp.gate_proj": "gate", "mlp.up_proj": "up", "mlp.down_proj": "down"}


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--awq-repo", required=True, help="checkout of mit-han-lab/llm-awq (d6e797a)")
    ap.add_argument("--out", default="test/fixtures/compress/awq")
    args = ap.parse_args()
    awq = load_official(args.awq_repo)
    assert torch.cuda.is_available(), "the official apply_scale / auto_clip_block move modules with .cuda()"
    dev = "cuda"
    model, tokens, evals = tiny_llama()
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(os.path.join(args.out, "model"), safe_serialization=True)
    fp_state = {k: v.clone() for k, v in model.state_dict().items()}
    model = model.to(dev)
    q_config = {"zero_point": True, "q_group_size": GROUP}

    # ---- run_awq (pre_quant.py), layer by layer ----
    layers = model.model.layers
    inps, layer_kwargs = [], {}

    class Catcher(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, inp, **kwargs):
            inps.append(inp)
            layer_kwargs.update(kwargs)
            raise ValueError

    layers[0] = Catcher(layers[0])
    try:
        model(tokens.to(dev), use_cache=False)
    except ValueError:
        pass
    layers[0] = layers[0].module
    inps = inps[0]

    groups, clips, scaled_inputs, scaled_weights = [], {}, {}, {}
    for i in range(len(layers)):
        layer = layers[i]
        named_linears = awq.get_named_linears(layer)
        input_feat = {n: [] for n in named_linears}
        handles = [named_linears[n].register_forward_hook(lambda m, x, y, n=n: input_feat[n].append(x[0].detach().cpu())) for n in named_linears]
        out = layer(inps, **layer_kwargs)
        inps = out[0] if isinstance(out, tuple) else out
        for h in handles:
            h.remove()
        input_feat = {k: torch.cat(v, dim=0) for k, v in input_feat.items()}

        # record every inspected block's outputs during the search (org first, then one per ratio)
        rec = {"self_attn": [], "self_attn.o_proj": [], "mlp": [], "mlp.down_proj": []}
        mods = {"self_attn": layer.self_attn, "self_attn.o_proj": layer.self_attn.o_proj, "mlp": layer.mlp, "mlp.down_proj": layer.mlp.down_proj}
        handles = [mods[k].register_forward_hook(lambda m, x, y, k=k: rec[k].append((y[0] if isinstance(y, tuple) else y).detach().float().cpu())) for k in rec]
        x_max = {g: awq.get_act_scale(input_feat[n].to(dev)) for g, n in [("qkv", "self_attn.q_proj"), ("o", "self_attn.o_proj"), ("gate_up", "mlp.gate_proj"), ("down", "mlp.down_proj")]}
        scales_list = awq.auto_scale_block(layer, layer_kwargs, w_bit=BITS, q_config=q_config, input_feat=input_feat)
        for h in handles:
            h.remove()
        n1 = N_GRID + 1
        outs = {"qkv": rec["self_attn"][:n1], "o": rec["self_attn.o_proj"][n1:2 * n1], "gate_up": rec["mlp"][:n1], "down": rec["mlp.down_proj"][n1:2 * n1]}
        for prev, names, s in scales_list:
            g = {"input_layernorm": "qkv", "self_attn.v_proj": "o", "post_attention_layernorm": "gate_up", "mlp.up_proj": "down"}[prev]
            o = outs[g]
            assert len(o) == n1, (g, len(o))
            losses = [float((o[0] - oi).float().pow(2).mean()) for oi in o[1:]]
            # the ratio whose candidate scales are the returned ones (auto_scale.py's formula)
            best = None
            for r in range(N_GRID):
                c = x_max[g].pow(r / N_GRID).clamp(min=1e-4).view(-1)
                c = c / (c.max() * c.min()).sqrt()
                if torch.equal(c.cpu(), s.cpu()):
                    best = r
                    break
            assert best is not None, (g, "returned scales match no grid point")
            if best != min(range(N_GRID), key=lambda r: (losses[r], r)):
                print(f"warning: layer {i} {g}: recorded losses put the minimum elsewhere than the official ratio {best} (near-tie)", flush=True)
            groups.append({"layer": i, "group": g, "best": best, "ratio": best / N_GRID, "losses": losses})
            print(f"layer {i} {g}: ratio {best}/{N_GRID}", flush=True)
        awq.apply_scale(layers[i], scales_list, input_feat_dict=input_feat)
        for n, lin in named_linears.items():
            key = f"layers.{i}.{KICK[n]}.weight"
            scaled_inputs[key] = input_feat[n].clone()
            scaled_weights[key] = lin.weight.detach().clone().cpu()
        clip_list = awq.auto_clip_block(layer, w_bit=BITS, q_config=q_config, input_feat=input_feat)
        for n, max_val in clip_list:
            w = scaled_weights[f"layers.{i}.{KICK[n]}.weight"]
            org = w.reshape(w.shape[0], -1, GROUP).abs().amax(dim=-1)  # [rows, groups]
            mv = max_val.reshape(org.shape).cpu()
            cand = torch.stack([org * (1 - s / N_GRID) for s in range(int(0.5 * N_GRID))])
            idx = (cand - mv[None]).abs().argmin(dim=0)
            clips[f"layers.{i}.{KICK[n]}.weight"] = idx.flatten().tolist()
        awq.apply_clip(layer, clip_list)

    awq.pseudo_quantize_model_weight(model, w_bit=BITS, q_config=q_config)

    # ---- errors, levels ----
    from safetensors.torch import save_file
    tensors, rel = {}, {}
    for i, layer in enumerate(layers):
        for n, lin in awq.get_named_linears(layer).items():
            key = f"layers.{i}.{KICK[n]}.weight"
            Q = lin.weight.detach().float().cpu()
            X, W = scaled_inputs[key].double(), scaled_weights[key].double()
            yw, yq = X @ W.t(), X @ Q.double().t()
            rel[key] = float(((yq - yw) ** 2).sum() / (yw ** 2).sum())
            # final scales / zeros: pseudo_quantize_tensor of the final (already on-grid) weights reproduces them
            _, sc, zr = awq.pseudo_quantize_tensor(Q.to(dev), n_bit=BITS, get_scale_zp=True, **q_config)
            sc, zr = sc.float().cpu(), zr.float().cpu()
            lv = torch.round(Q.reshape(-1, GROUP) / sc.reshape(-1, 1) + zr.reshape(-1, 1)).reshape(Q.shape)
            tensors[f"{key}.levels"] = lv.to(torch.uint8).contiguous()
            tensors[f"{key}.scales"] = sc.contiguous()
            tensors[f"{key}.zeros"] = zr.contiguous()
    save_file(tensors, os.path.join(args.out, "awq_ref.safetensors"))

    def nll_and_logits(m):
        m.to(dev)  # run_awq's loop leaves the processed layers on the CPU (host run of 2026-11-22: "found cuda:0 and cpu")
        lg = m(evals.to(dev), use_cache=False).logits.float()
        nll = torch.nn.functional.cross_entropy(lg[:, :-1].reshape(-1, VOCAB), evals[:, 1:].to(dev).reshape(-1))
        return lg.cpu(), float(nll)

    lq, nq = nll_and_logits(model)
    model.load_state_dict(fp_state)
    lf, nf = nll_and_logits(model)
    doc = {
        "source": "mit-han-lab/llm-awq@d6e797a auto_scale.py, auto_clip.py, quantizer.py (imported unmodified); run_awq loop adapted (see script)",
        "device": torch.cuda.get_device_name(), "torch": torch.__version__, "transformers": __import__("transformers").__version__,
        "bits": BITS, "groupSize": GROUP, "nGrid": N_GRID, "tokens": tokens.tolist(), "evalTokens": evals.tolist(),
        "groups": groups, "clips": clips, "relError": rel,
        "logitMse": float(((lq - lf) ** 2).mean()), "nllQuant": nq, "nllFp": nf,
    }
    with open(os.path.join(args.out, "awq_ref.json"), "w") as f:
        json.dump(doc, f)
    print(f"wrote {args.out}: {len(groups)} groups, {len(clips)} clipped linears, logit MSE {doc['logitMse']:.4e}, NLL {nq:.4f} (FP {nf:.4f})")


if __name__ == "__main__":
    main()
