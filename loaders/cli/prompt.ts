// kick prompt --model DIR [--compressed DIR|SPEC] --data FILE --out DIR: prompt tuning (Compress-Then-Prompt) on the
// GPU: a soft prompt learned on a frozen (compressed) model, saved as <out>/<id>/prompt.safetensors + card.json.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { readModelSpec } from "../model/config.js";
import { ModelTokenizer } from "../model/tokenizer.js";
import { PROMPT_ID, SoftPromptError, tokenizerHash } from "../prompt/prompt-file.js";
import { trainSoftPrompt, type PromptInit } from "../prompt/train.js";
import { compressedCheckpoint, compressionForPrompt } from "../prompt/compressed.js";
import { LORA_TARGETS, type LoraTargetName } from "../train/lora.js";
import { trainLora } from "../train/lora-train.js";
import { intOption, modelOption, numOption, parse, UsageError } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "learn a soft prompt (Compress-Then-Prompt) on a frozen, possibly compressed model";

export const PROMPT_HELP = `Usage: kick prompt --model DIR --data FILE --out DIR [options]

Prompt tuning as Compress-Then-Prompt's reference script: a soft prompt of --length trainable embedding
vectors in front of every window of --data, next-token loss with the prompt positions masked, the model's
weights frozen. AdamW (lr 1e-3, weight decay 1e-5, β 0.9/0.999), linear schedule with warm-up, gradient
clipping 1.0; validation perplexity every --eval-every steps, the best prompt kept. Writes
OUT/ID/prompt.safetensors and OUT/ID/card.json (model and tokenizer hashes, compression.json of the
checkpoint when present, data, steps, validation curve). Evaluate it with kick eval's --prompt soft:ID
(evaluateTask with promptsDir = OUT). Progress (loss, lr, gradient norm, tokens/s, ETA, validation ppl) on
stderr. Llama-architecture models only (the backward pass).

Options:
  --model DIR          the (dense) checkpoint
  --compressed DIR     train on this compressed checkpoint instead (a kick compress output with
                       compression.json; must share --model's width and tokenizer)
  --compressed SPEC    or compress --model first with this spec, written as kick eval's --compression
                       and sweep plans write it: '{"method":"sparsegpt+gptq","sparsity":0.5,"bits":4}',
                       '{"method":"gptq","bits":3,"groupSize":128}', magnitude/wanda/sparsegpt/rtn/gptq
                       (AWQ: kick compress, then --compressed DIR). On the GPU, saved in f32 and reused
                       by later runs with the same model and spec
  --compressed-out DIR where that checkpoint goes (default runs/compressed/<model>-<hash of model and spec>)
  --data FILE          training text (.txt, or .jsonl with a "text" field per line; documents joined by "\\n\\n")
  --valid FILE         validation text (default: the last 10% of --data's tokens)
  --out DIR            prompts folder (the prompt goes to OUT/ID/)
  --id ID              prompt id (default: <model folder>-p<length>)
  --length N           soft tokens (default 100)
  --init I             vocab (the first N embedding rows, default) or text:<words> (their token embeddings, cycled)
  --steps N            optimiser steps (default 1000; the paper: 30000)
  --lr X               learning rate (default 1e-3)
  --warmup N           warm-up steps (default min(500, steps/10))
  --batch N            windows per micro-batch (default 2)
  --grad-accum N       micro-batches per step (default 1)
  --seq-len N          text tokens per window (default min(1024, context − length))
  --eval-every N       validation every N steps (default 100)
  --eval-windows N     validation windows (default 16)
  --seed N             data order seed (default 0)
  --run-dir DIR        checkpoint folder (atomic, every --eval-every steps); --resume continues it
  --resume             continue from --run-dir's checkpoint
  --stop-after N       checkpoint and stop after step N (resume later)
  --json               print the card as JSON on stdout
  -h, --help           this help

LoRA baseline (the cost comparison of Compress-Then-Prompt):
  --lora RANK          train rank-RANK LoRA adapters instead of a soft prompt, on the same data, loss,
                       optimiser, schedule and validation windows; the model stays frozen (pruned weights
                       stay exactly zero; the adapter is a separate path). Writes OUT/ID/adapter.safetensors
                       + card.json (trainableParameters, seconds, tokens/s, validation curve). --length and
                       --init do not apply; --run-dir/--resume/--stop-after are not supported with --lora.
  --lora-alpha A       scaling α (default RANK: α/r = 1; Paper B's lora_learning.py: r 32, α 32)
  --lora-targets LIST  linears of every layer, comma-separated from ${LORA_TARGETS.join(",")} (default q,v)`;

function readText(file: string): string {
  const raw = readFileSync(file, "utf8");
  if (!file.endsWith(".jsonl")) return raw;
  return raw.split("\n").filter((l) => l.trim()).map((l, i) => {
    let v: unknown;
    try { v = JSON.parse(l); } catch { throw new UsageError("prompt", `${file}: line ${i + 1} is not JSON`); }
    const t = (v as { text?: unknown }).text;
    if (typeof t !== "string") throw new UsageError("prompt", `${file}: line ${i + 1} has no string field "text"`);
    return t;
  }).join("\n\n");
}

export async function main(argv: string[]): Promise<number> {
  let opts: Parameters<typeof trainSoftPrompt>[0];
  let json = false;
  let lora: { rank: number; alpha?: number; targets: LoraTargetName[]; seqLen?: number } | undefined;
  try {
    const { values: v } = parse("prompt", argv, {
      model: { type: "string" }, compressed: { type: "string" }, "compressed-out": { type: "string" }, data: { type: "string" }, valid: { type: "string" }, out: { type: "string" },
      id: { type: "string" }, length: { type: "string" }, init: { type: "string" }, steps: { type: "string" }, lr: { type: "string" },
      warmup: { type: "string" }, batch: { type: "string" }, "grad-accum": { type: "string" }, "seq-len": { type: "string" },
      "eval-every": { type: "string" }, "eval-windows": { type: "string" }, seed: { type: "string" }, "run-dir": { type: "string" },
      resume: { type: "boolean" }, "stop-after": { type: "string" }, json: { type: "boolean" },
      lora: { type: "string" }, "lora-alpha": { type: "string" }, "lora-targets": { type: "string" },
    });
    if (v.help) { process.stdout.write(`${PROMPT_HELP}\n`); return 0; }
    const s = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
    const dense = modelOption("prompt", s("model"));
    let modelDir = dense;
    const comp = s("compressed");
    const compSpec = comp !== undefined && !(existsSync(comp) && statSync(comp).isDirectory()) ? compressionForPrompt(comp, dense) : undefined;
    if (s("compressed-out") !== undefined && !compSpec) throw new UsageError("prompt", "--compressed-out needs --compressed SPEC (a compression spec, not a folder)");
    // the spec is checked here; compressing waits until every other option has been checked (below)
    if (comp !== undefined && compSpec === undefined) {
      modelOption("prompt", comp);
      const a = readModelSpec(dense), b = readModelSpec(comp);
      if (a.hiddenSize !== b.hiddenSize || a.vocabSize !== b.vocabSize) throw new UsageError("prompt", `--compressed ${comp}: width ${b.hiddenSize} / vocabulary ${b.vocabSize} differ from --model's ${a.hiddenSize} / ${a.vocabSize}`);
      if (tokenizerHash(dense) !== tokenizerHash(comp)) throw new UsageError("prompt", `--compressed ${comp}: its tokenizer.json differs from --model's`);
      modelDir = comp;
    }
    const data = s("data");
    if (!data || !existsSync(data)) throw new UsageError("prompt", data ? `--data ${data}: no such file` : "--data FILE is required");
    const out = s("out");
    if (!out) throw new UsageError("prompt", "--out DIR is required");
    const length = intOption("prompt", "length", s("length"), 1) ?? 100;
    const loraRank = intOption("prompt", "lora", s("lora"), 1);
    if (loraRank === undefined && (s("lora-alpha") !== undefined || s("lora-targets") !== undefined)) throw new UsageError("prompt", "--lora-alpha / --lora-targets need --lora RANK");
    if (loraRank !== undefined) {
      for (const k of ["length", "init", "run-dir", "stop-after"]) if (s(k) !== undefined) throw new UsageError("prompt", `--${k} does not apply to --lora`);
      if (v.resume) throw new UsageError("prompt", "--resume does not apply to --lora");
    }
    if (s("id") !== undefined && !PROMPT_ID.test(s("id")!)) throw new UsageError("prompt", `--id ${s("id")}: use letters, digits, ".", "_" and "-"`);
    if (compSpec) modelDir = await compressedCheckpoint(dense, compSpec, s("compressed-out"));
    const id = s("id") ?? (loraRank !== undefined ? `${basename(resolve(modelDir))}-lora${loraRank}` : `${basename(resolve(modelDir))}-p${length}`);
    if (!PROMPT_ID.test(id)) throw new UsageError("prompt", `--id ${id}: use letters, digits, ".", "_" and "-"`);
    const tok = ModelTokenizer.load(modelDir);
    const trainText = readText(data);
    let train = Uint32Array.from(tok.encode(trainText, { addSpecialTokens: false }));
    let valid: Uint32Array, validName: string;
    const h = createHash("sha256").update(trainText);
    const vf = s("valid");
    if (vf) {
      if (!existsSync(vf)) throw new UsageError("prompt", `--valid ${vf}: no such file`);
      const vt = readText(vf);
      h.update("\0").update(vt);
      valid = Uint32Array.from(tok.encode(vt, { addSpecialTokens: false }));
      validName = vf;
    } else {
      const cut = Math.floor(train.length * 0.9);
      valid = train.slice(cut); train = train.slice(0, cut); validName = `${data} (last 10% of tokens)`;
    }
    const initArg = s("init") ?? "vocab";
    let init: PromptInit;
    if (initArg === "vocab") init = { kind: "vocab" };
    else if (initArg.startsWith("text:")) init = { kind: "tokens", ids: tok.encode(initArg.slice(5), { addSpecialTokens: false }), label: initArg.slice(5) };
    else throw new UsageError("prompt", `--init ${initArg}: expected vocab or text:<words>`);
    const evalEvery = intOption("prompt", "eval-every", s("eval-every"), 1) ?? 100;
    opts = {
      modelDir, train, valid, data: { train: data, valid: validName, sha256: h.digest("hex") }, id, length, init,
      steps: intOption("prompt", "steps", s("steps"), 1) ?? 1000,
      lr: numOption("prompt", "lr", s("lr"), (x) => x > 0, "a positive number"),
      warmup: intOption("prompt", "warmup", s("warmup"), 0),
      batchSize: intOption("prompt", "batch", s("batch"), 1), gradAccum: intOption("prompt", "grad-accum", s("grad-accum"), 1),
      seqLen: intOption("prompt", "seq-len", s("seq-len"), 2), evalEvery, evalWindows: intOption("prompt", "eval-windows", s("eval-windows"), 1),
      seed: intOption("prompt", "seed", s("seed"), 0), runDir: s("run-dir"), checkpointEvery: evalEvery, resume: v.resume === true,
      stopAfter: intOption("prompt", "stop-after", s("stop-after"), 1), promptsDir: out,
      onProgress: (p) => process.stderr.write(`step ${p.step}/${p.steps} · loss ${p.loss.toFixed(4)} · lr ${p.lr.toExponential(2)} · |g| ${p.gradNorm.toFixed(3)} · ${p.tokensPerS.toFixed(0)} tokens/s · ETA ${p.etaS.toFixed(0)} s${p.validPpl !== undefined ? ` · valid ppl ${p.validPpl.toFixed(3)} (best ${p.best!.toFixed(3)})` : ""}\n`),
    };
    if (opts.resume && !opts.runDir) throw new UsageError("prompt", "--resume needs --run-dir");
    json = v.json === true;
    if (loraRank !== undefined) {
      const targets = (s("lora-targets") ?? "q,v").split(",").map((x) => x.trim()) as LoraTargetName[];
      for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) throw new UsageError("prompt", `--lora-targets: "${t}" is not one of ${LORA_TARGETS.join(", ")}`);
      const alpha = numOption("prompt", "lora-alpha", s("lora-alpha"), (x) => x > 0, "a positive number");
      lora = { rank: loraRank, alpha, targets, seqLen: intOption("prompt", "seq-len", s("seq-len"), 2) };
    }
  } catch (e) {
    process.stderr.write(`${e instanceof UsageError ? e.message : `kick prompt: ${(e as Error).message}`}\n`);
    return 2;
  }
  if (lora) {
    try {
      const o = opts;
      const r = await trainLora({
        modelDir: o.modelDir, train: o.train, valid: o.valid, data: o.data, id: o.id, lora: { rank: lora.rank, alpha: lora.alpha, targets: lora.targets },
        seqLen: lora.seqLen, batchSize: o.batchSize, gradAccum: o.gradAccum, steps: o.steps, lr: o.lr, warmup: o.warmup, evalEvery: o.evalEvery,
        evalWindows: o.evalWindows, seed: o.seed, outDir: o.promptsDir, onProgress: o.onProgress,
      });
      process.stderr.write(`saved ${join(opts.promptsDir!, opts.id)}: LoRA r ${r.card.rank} (${r.card.targets.join(",")}), ${r.card.trainableParameters} trainable parameters; validation ppl ${r.card.baselineValidPpl.toFixed(3)} without → ${r.card.bestValidPpl.toFixed(3)} (step ${r.card.bestStep}); ${r.card.seconds.toFixed(1)} s, ${r.card.tokensPerS.toFixed(0)} tokens/s\n`);
      if (json) process.stdout.write(`${JSON.stringify(r.card)}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`kick prompt: ${(e as Error).message}\n`);
      return 1;
    }
  }
  try {
    const r = await trainSoftPrompt(opts);
    if (!r.finished) { process.stderr.write(`stopped at step ${r.card.steps}; checkpoint in ${join(opts.runDir!, "checkpoint")} (rerun with --resume)\n`); return 0; }
    process.stderr.write(`saved ${join(opts.promptsDir!, opts.id)}: validation ppl ${r.card.baselineValidPpl.toFixed(3)} without prompt → ${r.card.bestValidPpl.toFixed(3)} (step ${r.card.bestStep}); ${r.card.tokensPerS.toFixed(0)} tokens/s\n`);
    if (json) process.stdout.write(`${JSON.stringify(r.card)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`kick prompt: ${(e as Error).message}\n`);
    return e instanceof SoftPromptError ? 2 : 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/prompt.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
