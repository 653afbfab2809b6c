/**
 * The LoRA baseline of Compress-Then-Prompt's cost comparison (issue 11): rank-r adapters on chosen linears
 * of a frozen (possibly compressed) model, trained exactly like the soft prompt of loaders/prompt/train.ts —
 * the same windows of text in the same seeded order, next-token loss (token mean), AdamW, HF's linear
 * schedule with warm-up, global-norm clipping, validation perplexity on the same first windows with the best
 * adapter kept — so trainable parameters, time and recovered perplexity can be compared side by side.
 * The base weights are never written (pruned weights stay exactly zero); the adapter is saved separately.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { createContext, type GpuContext } from "../../kernels/index.js";
import { openModel } from "../model/load.js";
import { writeSafetensors } from "../model/safetensors.js";
import { permutation } from "./data.js";
import { TrainableLlama } from "./model.js";
import { AdamW } from "./optim.js";
import { initLora, LORA_TARGETS, LoraAdapter, loraShapes, type LoraConfig } from "./lora.js";
import { promptBatch, promptLr, validNll } from "../prompt/train.js";
import { modelHash, promptDir, readCompression, tokenizerHash } from "../prompt/prompt-file.js";

export const LoraCardSchema = z
  .object({
    format: z.literal("kick-lora"),
    version: z.literal(1),
    id: z.string(),
    rank: z.number().int().positive(),
    alpha: z.number().positive(),
    targets: z.array(z.enum(LORA_TARGETS)),
    hidden: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    modelHash: z.string(),
    tokenizerHash: z.string().nullable(),
    modelDir: z.string(),
    compression: z.unknown().nullable(),
    data: z.object({ train: z.string(), valid: z.string(), trainTokens: z.number().int(), validTokens: z.number().int(), sha256: z.string() }).strict(),
    optim: z.record(z.string(), z.union([z.number(), z.string()])),
    steps: z.number().int().nonnegative(),
    tokensSeen: z.number().int().nonnegative(),
    bestStep: z.number().int().nonnegative(),
    bestValidPpl: z.number(),
    baselineValidPpl: z.number(),
    validation: z.array(z.object({ step: z.number().int(), ppl: z.number(), loss: z.number() }).strict()),
    tokensPerS: z.number(),
    /** wall seconds of the optimiser steps (validation excluded, as the soft prompt's tokensPerS) */
    seconds: z.number(),
    trainableParameters: z.number().int().positive(),
    created: z.string(),
  })
  .strict();
export type LoraCard = z.infer<typeof LoraCardSchema>;

export interface LoraTrainOptions {
  modelDir: string;
  train: Uint32Array;
  valid: Uint32Array;
  data: { train: string; valid: string; sha256: string };
  id: string;
  lora: LoraConfig;
  /** text tokens per window (default min(1024, context)) */
  seqLen?: number;
  batchSize?: number;
  gradAccum?: number;
  steps: number;
  lr?: number;
  weightDecay?: number;
  warmup?: number;
  clipNorm?: number;
  evalEvery?: number;
  evalWindows?: number;
  seed?: number;
  /** where <id>/adapter.safetensors + card.json go (optional) */
  outDir?: string;
  ctx?: GpuContext;
  onProgress?: (p: { step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerS: number; etaS: number; validPpl?: number; best?: number }) => void;
}

export interface LoraTrainResult { best: Map<string, Float32Array>; last: Map<string, Float32Array>; card: LoraCard; losses: number[] }

const windowsOf = (tokens: Uint32Array, n: number): number => Math.floor((tokens.length - 1) / n);
const windowAt = (tokens: Uint32Array, n: number, w: number): Uint32Array => tokens.slice(w * n, w * n + n + 1);

export async function trainLora(o: LoraTrainOptions): Promise<LoraTrainResult> {
  const opened = await openModel(o.modelDir);
  const spec = opened.spec;
  let weights: Map<string, Float32Array>;
  try {
    weights = await opened.weights.loadAll();
  } finally {
    await opened.weights.close();
  }
  const cfg: LoraConfig = { rank: o.lora.rank, alpha: o.lora.alpha ?? o.lora.rank, targets: o.lora.targets ?? ["q", "v"] };
  const n = o.seqLen ?? Math.min(1024, spec.maxPositions);
  if (n > spec.maxPositions) throw new Error(`LoRA: window ${n} exceeds the model's ${spec.maxPositions} positions`);
  const B = o.batchSize ?? 2, accum = o.gradAccum ?? 1, steps = o.steps;
  const lr = o.lr ?? 1e-3, wd = o.weightDecay ?? 1e-5, clip = o.clipNorm ?? 1.0;
  const warmup = o.warmup ?? Math.min(500, Math.floor(steps / 10));
  if (warmup >= steps && steps > 0) throw new Error(`warm-up ${warmup} must be shorter than the ${steps} steps`);
  const evalEvery = o.evalEvery ?? 100, seed = o.seed ?? 0;
  const nTrain = windowsOf(o.train, n), nValid = windowsOf(o.valid, n);
  if (nTrain < 1) throw new Error(`the training data has ${o.train.length} tokens, fewer than one window of ${n + 1}`);
  if (nValid < 1) throw new Error(`the validation data has ${o.valid.length} tokens, fewer than one window of ${n + 1}`);
  const validWins = Array.from({ length: Math.min(nValid, o.evalWindows ?? 16) }, (_, i) => windowAt(o.valid, n, i));
  const optim = { lr, weightDecay: wd, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: clip, warmup, schedule: "linear", batchSize: B, gradAccum: accum, seqLen: n, seed, evalEvery };

  const ctx = o.ctx ?? (await createContext());
  const model = await TrainableLlama.create(spec, weights, ctx);
  const adapter = LoraAdapter.upload(ctx, spec, cfg, initLora(spec, cfg, seed));
  const adam = new AdamW(ctx, adapter.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, clipNorm: clip });
  const losses: number[] = [];
  const curve: LoraCard["validation"] = [];
  try {
    const baseline = await validNll(model, null, validWins, B);
    model.adapter = adapter;
    const l0 = await validNll(model, null, validWins, B);
    curve.push({ step: 0, ppl: Math.exp(l0), loss: l0 });
    let best = await adapter.read(), bestStep = 0, bestPpl = Math.exp(l0);
    let step = 0, tokensSeen = 0, elapsed = 0, epoch = -1, perm: Uint32Array = new Uint32Array(0);
    while (step < steps) {
      const t0 = performance.now();
      const k = step + 1, lrK = promptLr(lr, k, steps, warmup);
      const rows: Uint32Array[][] = [];
      for (let a = 0; a < accum; a++) {
        const ws: Uint32Array[] = [];
        for (let r = 0; r < B; r++) {
          const g = (step * accum + a) * B + r, e = Math.floor(g / nTrain);
          if (e !== epoch) { perm = permutation(nTrain, seed * 1000003 + e); epoch = e; }
          ws.push(windowAt(o.train, n, perm[g % nTrain]));
        }
        rows.push(ws);
      }
      const batches = rows.map((ws) => promptBatch(ws, 0, false));
      const total = batches.reduce((s, b) => s + b.count, 0);
      adapter.grads = adapter.zeroGrads();
      let lossSum = 0, count = 0;
      for (const b of batches) {
        const r = await model.forwardBackward({ B: b.B, T: b.T, ids: b.ids, targets: b.targets }, { lossScale: 1 / total, grads: null });
        lossSum += r.lossSum; count += r.count;
      }
      const grads = adapter.grads;
      adapter.grads = null;
      const loss = lossSum / count;
      const norm = await adam.globalNorm(grads);
      if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new Error(`LoRA training stopped at step ${k}: loss ${loss}, gradient norm ${norm} not finite`);
      adam.update(adapter.params, grads, lrK, k, norm);
      for (const t of grads.values()) t.release();
      step = k;
      tokensSeen += B * accum * n;
      losses.push(loss);
      const dt = (performance.now() - t0) / 1000; // the optimiser step, as the prompt's tokensPerS
      elapsed += dt;
      let validPpl: number | undefined;
      if (step % evalEvery === 0 || step === steps) {
        const vl = await validNll(model, null, validWins, B);
        validPpl = Math.exp(vl);
        curve.push({ step, ppl: validPpl, loss: vl });
        if (validPpl < bestPpl) { bestPpl = validPpl; bestStep = step; best = await adapter.read(); }
      }
      o.onProgress?.({ step, steps, loss, lr: lrK, gradNorm: norm, tokensPerS: (B * accum * n) / dt, etaS: (steps - step) * (elapsed / step), validPpl, best: validPpl === undefined ? undefined : bestPpl });
    }
    const last = await adapter.read();
    const card: LoraCard = LoraCardSchema.parse({
      format: "kick-lora", version: 1, id: o.id, rank: cfg.rank, alpha: cfg.alpha, targets: cfg.targets, hidden: spec.hiddenSize, vocabSize: spec.vocabSize,
      modelHash: await modelHash(o.modelDir), tokenizerHash: tokenizerHash(o.modelDir), modelDir: o.modelDir, compression: readCompression(o.modelDir) ?? null,
      data: { train: o.data.train, valid: o.data.valid, trainTokens: o.train.length, validTokens: o.valid.length, sha256: o.data.sha256 },
      optim, steps: step, tokensSeen, bestStep, bestValidPpl: bestPpl, baselineValidPpl: Math.exp(baseline), validation: curve,
      tokensPerS: tokensSeen / Math.max(1e-9, elapsed), seconds: elapsed, trainableParameters: adapter.parameterCount, created: new Date().toISOString(),
    });
    if (o.outDir) await saveLora(o.outDir, spec, cfg, best, card);
    return { best, last, card, losses };
  } finally {
    model.adapter = null;
    adapter.release();
    adam.release();
    await model.dispose();
    if (!o.ctx) await ctx.destroy();
  }
}

/** <outDir>/<id>/adapter.safetensors (PEFT-like names) + card.json, written to a temporary folder and renamed. */
export async function saveLora(outDir: string, spec: Parameters<typeof loraShapes>[0], cfg: LoraConfig, w: Map<string, Float32Array>, card: LoraCard): Promise<string> {
  const dir = promptDir(outDir, card.id);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const tensors = loraShapes(spec, cfg).map(({ name, shape }) => ({ name, shape, data: w.get(name)! }));
  await writeSafetensors(join(tmp, "adapter.safetensors"), tensors, { metadata: { kick: "lora", id: card.id, rank: String(cfg.rank), alpha: String(cfg.alpha ?? cfg.rank), model_hash: card.modelHash } });
  await writeFile(join(tmp, "card.json"), JSON.stringify(card, null, 1) + "\n");
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}
