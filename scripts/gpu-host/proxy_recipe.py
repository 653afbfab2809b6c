"""Recipe exploration for the default model family, in PyTorch on the GPU host.

kick trains its models on its own WebGPU kernels (`kick train`), but choosing a data mix and a
schedule by trial is far cheaper in PyTorch bf16 than in f32 WGSL. This script trains the same
architecture on a data variant (token shards, tokenizer and task suites from one `npm run data`
build) with the same optimiser and schedule as loaders/train, then scores closed-book factoid QA
(LLM-KICK alias hit, generated answer only) by exposure bin and MCQ by letter log-likelihood.
It only chooses the recipe; the numbers reported for kick's models come from kick itself.

  python3 scripts/gpu-host/proxy_recipe.py --data DIR --epochs 6 --lr 6e-4 --out result.json
  python3 scripts/gpu-host/proxy_recipe.py --data DIR --arch kl --ctx-final 2048 --final-frac 0.25 --rope-theta 1e5 --out r.json

Data v3 (reading skills) adds the reading suites when their files are in DIR: long_context (exact match by
length and kind), icr_qa open book (containment; counterfactual: answered from the passage vs from
memory) and closed book, MCQ in the letter format by greedy generation, and probes in formats the
corpus never uses (loaders/data/skills.ts PROBE_FORMATS, made here from held-out prose).
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
    # the shapes of data/plans/kick-{s,m,l}.json
    "ks": dict(hidden_size=128, num_hidden_layers=6, num_attention_heads=2, num_key_value_heads=1, intermediate_size=384),
    "km": dict(hidden_size=256, num_hidden_layers=6, num_attention_heads=4, num_key_value_heads=2, intermediate_size=768),
    "kl": dict(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=4, intermediate_size=1536),
}
TOKENS_PER_STEP = 32 * 512


def train_tokens(data_dir):
    toks = np.concatenate([np.fromfile(p, dtype="<u2") for p in sorted(glob.glob(os.path.join(data_dir, "tokens", "train-*.bin")))])
    return torch.from_numpy(toks.astype(np.int64))


def norm(s):
    return re.sub(r"\s+", "", s.lower())


@torch.no_grad()
def greedy(model, tok, prompts, eos, max_new=12, bs=256):
    outs = []
    # long prompts first in smaller batches: the batch's memory follows its longest prompt
    bs = max(8, min(bs, 65536 // max(1, max(len(p) for p in prompts) // 4)))
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


def schedule(total_steps, final_frac, ctx, ctx_final):
    """(steps, context) phases at the same tokens a step: `ctx` first, `ctx_final` for the last part."""
    n_final = int(round(total_steps * final_frac)) if ctx_final != ctx else 0
    return [p for p in ((total_steps - n_final, ctx), (n_final, ctx_final)) if p[0] > 0]


def contains(pred, aliases):
    p = norm_answer(pred)
    return p != "" and any((a := norm_answer(x)) != "" and (a in p or p in a) for x in aliases)


def norm_answer(s):
    s = re.sub(r"[^\w\s]", " ", s.lower())
    return re.sub(r"\s+", " ", re.sub(r"\b(a|an|the)\b", " ", s)).strip()


def wilson(hits):
    n = len(hits)
    if n == 0:
        return [None, 0, None, None]
    p, z = float(np.mean(hits)), 1.96
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [p, n, max(0.0, c - h), min(1.0, c + h)]


def load(data, name):
    path = os.path.join(data, f"{name}.jsonl")
    return [x for x in map(json.loads, open(path)) if x["split"] == "test"] if os.path.exists(path) else None


def probe_items(data, rng, n=64):
    """Reading checks in formats the corpus never uses (loaders/data/skills.ts PROBE_FORMATS)."""
    held = [json.loads(l)["text"] for l in open(os.path.join(data, "heldout.jsonl"))]
    prose = [x for d in held for x in re.split(r"(?<=[.!?])\s+", d) if 20 <= len(x) < 400]
    keys = "abcdefghjkmnpqrstuvwxyz23456789"
    items = []
    for length in (256, 1024):
        for _ in range(n):
            recs = [("".join(rng.choice(list(keys), 6)), str(rng.integers(1000, 10000))) for _ in range(max(4, length // 8))]
            k, v = recs[rng.integers(len(recs))]
            body = "\n".join(f"{a} => {b}" for a, b in recs)
            items.append({"kind": f"kv/{length}", "prompt": f"Inventory\n\n{body}\n\nWhich number is stored under {k}?\nAnswer:", "answer": v})
            name, code = f"{rng.choice(['copper', 'ivory', 'crimson'])} {rng.choice(['locker', 'trunk', 'shed'])}", str(rng.integers(1000, 10000))
            start, hay, used = int(rng.integers(len(prose) - 200)), [], 0
            while used < length * 4 - 200:
                hay.append(prose[start]); used += len(prose[start]) + 1; start += 1
            hay.insert(int(rng.integers(len(hay) + 1)), f"Hidden note: the {name} combination reads {code}.")
            items.append({"kind": f"needle/{length}", "prompt": " ".join(hay) + f"\n\nWhich combination opens the {name}?\nAnswer:", "answer": code})
    return items


@torch.no_grad()
def copy_probe(model, tok, eos, seed, n=32, length=64):
    """In-training signs of a copy circuit (small-model-skills.md § 3): the loss on the second copy of a
    repeated random token sequence against the first (an induction score: near 0 once the model looks back),
    and greedy first-token accuracy of 16-pair key-value lookups in the suite's format."""
    g = torch.Generator().manual_seed(seed)
    seq = torch.randint(100, 8000, (n, length), generator=g)
    x = torch.cat([seq, seq], 1).cuda()
    model.eval()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logp = torch.log_softmax(model(input_ids=x).logits.float(), -1)
    nll = -logp[:, :-1].gather(-1, x[:, 1:, None])[..., 0]
    first, second = float(nll[:, : length - 1].mean()), float(nll[:, length:].mean())
    rng = np.random.default_rng(seed)
    keys = "abcdefghjkmnpqrstuvwxyz23456789"
    hits = 0
    for _ in range(n):
        recs = [("".join(rng.choice(list(keys), 6)), str(rng.integers(1000, 10000))) for _ in range(16)]
        k, v = recs[rng.integers(16)]
        prompt = "Below is a list of records.\n\n" + "\n".join(f"{a}: {b}" for a, b in recs) + f"\n\nQuestion: What is the value of key {k}?\nAnswer:"
        ids = torch.tensor([tok.encode(prompt).ids]).cuda()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            nxt = int(model(input_ids=ids).logits[0, -1].argmax())
        hits += nxt == tok.encode(prompt + " " + v).ids[len(ids[0])]
    model.train()
    return {"copy_nll_first": first, "copy_nll_second": second, "kv16_first_token": hits / n}


def evaluate(model, tok, eos, data, seed):
    res = {}
    first = lambda outs: [o.strip().split("\n")[0] for o in outs]
    qa = load(data, "factoid_qa")
    if qa:
        answers = greedy(model, tok, [x["prompt"] for x in qa], eos)
        hits = [any(norm(al) in norm(ans) for al in x["aliases"]) for x, ans in zip(qa, answers)]
        by_exp = {}
        for x, h in zip(qa, hits):
            by_exp.setdefault(str(x["exposure"]), []).append(h)
        res["factoid"] = {"all": wilson(hits), "by_exposure": {k: wilson(v) for k, v in sorted(by_exp.items(), key=lambda kv: int(kv[0]))},
                          "ge30": wilson([h for x, h in zip(qa, hits) if x["exposure"] >= 30]), "samples": list(zip([x["prompt"] for x in qa[:4]], answers[:4]))}
    mcq = load(data, "mcq")
    if mcq:
        for x in mcq:
            body = x["question"] + "\n" + "\n".join(f"{c}. {o}" for c, o in zip("ABCD", x["options"])) + "\nAnswer:"
            x["prompt"] = f"The following are multiple choice questions (with answers) about {x['subject']}.\n\n" + body
        gen = greedy(model, tok, [x["prompt"] for x in mcq], eos, max_new=1)
        res["mcq"] = {"loglik": mcq_loglik(model, tok, mcq), "generate": wilson([g.strip().rstrip(".") == x["answer"] for g, x in zip(gen, mcq)])}
    icr = load(data, "icr_qa")
    if icr:
        opened = first(greedy(model, tok, [x["open_prompt"] for x in icr], eos, max_new=16))
        closed = first(greedy(model, tok, [x["closed_prompt"] for x in icr if not x["counterfactual"]], eos, max_new=16))
        fact = [contains(o, x["aliases"]) for o, x in zip(opened, icr) if not x["counterfactual"]]
        cf = [(contains(o, x["aliases"]), contains(o, [x["original_answer"]])) for o, x in zip(opened, icr) if x["counterfactual"]]
        res["icr"] = {"open_factual": wilson(fact), "closed_factual": wilson([contains(o, x["aliases"]) for o, x in zip(closed, [x for x in icr if not x["counterfactual"]])]),
                      "open_counterfactual": wilson([a for a, _ in cf]), "counterfactual_from_memory": wilson([m for _, m in cf]),
                      "samples": [(x["open_prompt"][-200:], o) for x, o in list(zip(icr, opened))[:4]]}
    lc = load(data, "long_context")
    if lc:
        outs = first(greedy(model, tok, [x["prompt"] for x in lc], eos, max_new=8))
        by = {}
        for x, o in zip(lc, outs):
            ok = norm_answer(o) == norm_answer(x["answer"])
            by.setdefault(f"length/{x['context_tokens']}", []).append(ok)
            by.setdefault(f"{x['kind']}/{x['context_tokens']}", []).append(ok)
        res["long_context"] = {k: wilson(v) for k, v in sorted(by.items())}
        res["long_context"]["le1024"] = wilson([norm_answer(o) == norm_answer(x["answer"]) for x, o in zip(lc, outs) if x["context_tokens"] <= 1024])
        res["long_context_samples"] = [(x["kind"], x["context_tokens"], x["answer"], o) for x, o in list(zip(lc, outs))[::40]]
    if os.path.exists(os.path.join(data, "heldout.jsonl")):
        probes = probe_items(data, np.random.default_rng(seed))
        outs = first(greedy(model, tok, [x["prompt"] for x in probes], eos, max_new=8))
        by = {}
        for x, o in zip(probes, outs):
            by.setdefault(x["kind"], []).append(norm_answer(o) == norm_answer(x["answer"]))
        res["probe"] = {k: wilson(v) for k, v in sorted(by.items())}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="l")
    ap.add_argument("--epochs", type=float, default=6)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--ctx-final", type=int, default=None, help="context of the last --final-frac of the steps (same tokens a step)")
    ap.add_argument("--final-frac", type=float, default=0.25)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--tokens-per-step", type=int, default=TOKENS_PER_STEP, help="batch × context of every step (the induction-head threshold scales with its square root)")
    ap.add_argument("--doc-windows", action="store_true", help="windows start at every document's start (then every ctx tokens within it), so a document no longer than the window is seen whole")
    ap.add_argument("--time-budget", type=float, default=None, help="seconds of training: progress (LR schedule, context switch) is the larger of steps/total and time/budget, and training stops at 1")
    ap.add_argument("--probe-every", type=int, default=0, help="every N steps, log the copy probe (induction score, 16-pair lookup) to see a copy circuit appear")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", required=True)
    ap.add_argument("--eval-only", action="store_true", help="evaluate the weights a finished run saved next to --out")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    tok = Tokenizer.from_file(os.path.join(a.data, "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    cfg = LlamaConfig(vocab_size=8192, max_position_embeddings=2048, rope_theta=a.rope_theta, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      initializer_range=0.02, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos, **ARCH[a.arch])
    model = LlamaForCausalLM(cfg).cuda()
    toks = train_tokens(a.data)
    total = int(a.epochs * (len(toks) - 1) / a.tokens_per_step)
    phases = schedule(total, a.final_frac, a.ctx, a.ctx_final or a.ctx)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": rest, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    warm, minlr = 200, a.lr / 10
    lr_at = lambda s: a.lr * (s + 1) / warm
    g = torch.Generator().manual_seed(a.seed)
    t0, log, s, seen, probes = time.time(), [(0, a.ctx, float("nan"))], 0, [0], []
    weights = a.out.removesuffix(".json") + ".pt"
    if a.eval_only:
        model.load_state_dict(torch.load(weights))
        phases = []
    eos_at = np.flatnonzero(toks.numpy() == eos)
    doc_starts = np.concatenate([[0], eos_at[:-1] + 1])
    doc_ends = eos_at + 1
    progress = lambda: max(s / total, (time.time() - t0) / a.time_budget if a.time_budget else 0.0)
    done = False
    for phase, (steps, ctx) in enumerate(phases):
        batch = max(1, a.tokens_per_step // ctx)
        if a.doc_windows:  # every document's start is a window start; long documents continue every ctx tokens
            starts = np.concatenate([np.arange(b, e, ctx) for b, e in zip(doc_starts, doc_ends)])
        else:
            starts = np.arange(0, len(toks) - ctx - 1, ctx)
        starts = torch.from_numpy(starts[starts + ctx + 1 <= len(toks)])
        order = torch.empty(0, dtype=torch.long)
        end_p = sum(p[0] for p in phases[: phase + 1]) / total
        while not done and progress() < end_p:
            if len(order) < batch:
                order = torch.cat([order, starts[torch.randperm(len(starts), generator=g)]])
            idx, order = order[:batch], order[batch:]
            x = torch.stack([toks[i : i + ctx + 1] for i in idx.tolist()]).cuda()
            pr = progress()
            for grp in opt.param_groups:
                grp["lr"] = lr_at(s) if s < warm else minlr + 0.5 * (a.lr - minlr) * (1 + math.cos(math.pi * min(1.0, (pr * total - warm) / max(1, total - warm))))
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = model(input_ids=x[:, :-1]).logits.float()
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 8192), x[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if a.probe_every and s % a.probe_every == 0:
                probes.append({"step": s, "tokens": seen[0], **copy_probe(model, tok, eos, a.seed)})
                print(f"[{a.out}] probe {probes[-1]}", flush=True)
            if s % 500 == 0:
                log.append((s, ctx, float(loss.detach())))
                print(f"[{a.out}] step {s}/{total} ctx {ctx} loss {float(loss):.3f} {time.time() - t0:.0f}s", flush=True)
            s += 1
            seen[0] += x[:, :-1].numel()
            done = progress() >= 1
    log.append((s, phases[-1][1] if phases else a.ctx, float(loss.detach()) if phases else float("nan")))
    if not a.eval_only:
        torch.save(model.state_dict(), weights)  # so the evaluation can be rerun without training
    model.eval()
    res = {"args": vars(a), "steps": s, "planned_steps": total, "tokens_seen": seen[0], "phases": phases, "seconds": time.time() - t0, "final_loss": log[-1][2], "log": log, "probes": probes}
    res.update(evaluate(model, tok, eos, a.data, a.seed))
    res["eval_seconds"] = time.time() - t0 - res["seconds"]
    json.dump(res, open(a.out, "w"), indent=1)
    brief = {k: res[k] for k in ("factoid", "mcq", "icr", "long_context", "probe") if k in res}
    for v in brief.values():
        if isinstance(v, dict):
            v.pop("samples", None)
    print(json.dumps(brief), flush=True)


if __name__ == "__main__":
    main()
