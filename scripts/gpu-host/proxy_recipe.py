"""Recipe exploration for the default model family, in PyTorch on the GPU host.

kick trains its models on its own WebGPU kernels (`kick train`), but choosing a data mix and a
schedule by trial is far cheaper in PyTorch bf16 than in f32 WGSL. This script trains the same
architecture on a data variant (token shards, tokenizer and task suites from one `npm run data`
build) with the same optimiser and schedule as loaders/train, then scores closed-book factoid QA
(LLM-KICK alias hit, generated answer only) by exposure bin and MCQ by letter log-likelihood.
It only chooses the recipe; the numbers reported for kick's models come from kick itself.

  python3 scripts/gpu-host/proxy_recipe.py --data DIR --epochs 6 --lr 6e-4 --out result.json
"""
import argparse, glob, json, math, os, re, time

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM

ARCH = {
    "s": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, intermediate_size=768),
    "m": dict(hidden_size=384, num_hidden_layers=5, num_attention_heads=6, num_key_value_heads=3, intermediate_size=1152),
    "l": dict(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=4, intermediate_size=1536),
}


def windows(data_dir, ctx):
    toks = np.concatenate([np.fromfile(p, dtype="<u2") for p in sorted(glob.glob(os.path.join(data_dir, "tokens", "train-*.bin")))])
    n = (len(toks) - 1) // ctx
    return torch.from_numpy(toks[: n * ctx + 1].astype(np.int64)), n


def norm(s):
    return re.sub(r"\s+", "", s.lower())


@torch.no_grad()
def greedy(model, tok, prompts, eos, max_new=12, bs=256):
    outs = []
    for i in range(0, len(prompts), bs):
        enc = [tok.encode(p).ids for p in prompts[i : i + bs]]
        L = max(map(len, enc))
        ids = torch.full((len(enc), L), eos, dtype=torch.long)
        mask = torch.zeros((len(enc), L), dtype=torch.long)
        for j, e in enumerate(enc):
            ids[j, L - len(e) :] = torch.tensor(e)
            mask[j, L - len(e) :] = 1
        g = model.generate(input_ids=ids.cuda(), attention_mask=mask.cuda(), max_new_tokens=max_new, do_sample=False, pad_token_id=eos, eos_token_id=eos)
        for row in g[:, L:].tolist():
            outs.append(tok.decode([t for t in row if t != eos]).split("\n")[0])
    return outs


@torch.no_grad()
def mcq_loglik(model, tok, items, bs=256):
    letters = [tok.encode(" " + c).ids[-1] for c in "ABCD"]
    correct = []
    for i in range(0, len(items), bs):
        chunk = items[i : i + bs]
        enc = [tok.encode(x["prompt"]).ids for x in chunk]
        L = max(map(len, enc))
        ids = torch.zeros((len(enc), L), dtype=torch.long)
        mask = torch.zeros((len(enc), L), dtype=torch.long)
        for j, e in enumerate(enc):
            ids[j, L - len(e) :] = torch.tensor(e)
            mask[j, L - len(e) :] = 1
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        logits = model(input_ids=ids.cuda(), attention_mask=mask.cuda(), position_ids=pos.cuda()).logits[:, -1, letters]
        for x, k in zip(chunk, logits.argmax(1).tolist()):
            correct.append("ABCD"[k] == x["answer"])
    return float(np.mean(correct))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="l")
    ap.add_argument("--epochs", type=float, default=6)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    tok = Tokenizer.from_file(os.path.join(a.data, "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    cfg = LlamaConfig(vocab_size=8192, max_position_embeddings=2048, rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      initializer_range=0.02, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos, **ARCH[a.arch])
    model = LlamaForCausalLM(cfg).cuda()
    toks, nwin = windows(a.data, a.ctx)
    steps = int(a.epochs * nwin / a.batch)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    warm, minlr = 200, a.lr / 10
    lr_at = lambda s: a.lr * (s + 1) / warm if s < warm else minlr + 0.5 * (a.lr - minlr) * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm)))
    g = torch.Generator().manual_seed(a.seed)
    order, t0, log = torch.empty(0, dtype=torch.long), time.time(), []
    for s in range(steps):
        if len(order) < a.batch:
            order = torch.cat([order, torch.randperm(nwin, generator=g)])
        idx, order = order[: a.batch], order[a.batch :]
        x = torch.stack([toks[i * a.ctx : i * a.ctx + a.ctx + 1] for i in idx.tolist()]).cuda()
        for grp in opt.param_groups:
            grp["lr"] = lr_at(s)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(input_ids=x[:, :-1]).logits.float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 8192), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s % 500 == 0 or s == steps - 1:
            log.append((s, float(loss)))
            print(f"[{a.out}] step {s}/{steps} loss {float(loss):.3f} {time.time() - t0:.0f}s", flush=True)
    model.eval()
    res = {"args": vars(a), "steps": steps, "seconds": time.time() - t0, "final_loss": log[-1][1]}
    # "novel": the suites' own question wordings (never in the corpus); "trained": the wordings of the
    # training demonstrations, asked about facts that were only ever stated (files made for the probe)
    for wording, suffix in (("novel", ""), ("trained", "_trained")):
        path = os.path.join(a.data, f"factoid_qa{suffix}.jsonl")
        if not os.path.exists(path):
            continue
        qa = [x for x in map(json.loads, open(path)) if x["split"] == "test"]
        answers = greedy(model, tok, [x["prompt"] for x in qa], eos)
        hits = [any(norm(al) in norm(ans) for al in x["aliases"]) for x, ans in zip(qa, answers)]
        by_exp, by_rel = {}, {}
        for x, h in zip(qa, hits):
            by_exp.setdefault(x["exposure"], []).append(h)
            by_rel.setdefault(x["relation"], []).append(h)
        mcq = [x for x in map(json.loads, open(os.path.join(a.data, f"mcq{suffix}.jsonl"))) if x["split"] == "test"]
        for x in mcq:
            body = x["question"] + "\n" + "\n".join(f"{c}. {o}" for c, o in zip("ABCD", x["options"])) + "\nAnswer:"
            x["prompt"] = f"The following are multiple choice questions (with answers) about {x['subject']}.\n\n" + body
        res[wording] = {
            "factoid_all": float(np.mean(hits)), "by_exposure": {k: [float(np.mean(v)), len(v)] for k, v in sorted(by_exp.items())},
            "by_relation": {k: [float(np.mean(v)), len(v)] for k, v in sorted(by_rel.items())},
            "mcq_loglik": mcq_loglik(model, tok, mcq), "samples": list(zip([x["prompt"] for x in qa[:8]], answers[:8])),
        }
    json.dump(res, open(a.out, "w"), indent=1)
    print(json.dumps({w: {k: res[w][k] for k in ("factoid_all", "by_exposure", "mcq_loglik")} for w in ("novel", "trained") if w in res}), flush=True)


if __name__ == "__main__":
    main()
