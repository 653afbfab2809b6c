/**
 * Prompt tuning (Compress-Then-Prompt, Paper B) on the WebGPU backward pass: a [P, hidden] soft prompt in
 * front of every window of text, the model frozen (`grads: null`; it may be a compressed checkpoint), next-
 * token loss with the prompt positions masked as the reference (HF labels −100 on the prompt: the last
 * prompt position still predicts the first text token), AdamW (lr 1e-3, wd 1e-5, β 0.9/0.999, eps 1e-8),
 * HF's linear schedule with warm-up, global-norm clipping 1.0, validation perplexity every `evalEvery`
 * steps with the best prompt kept, atomic checkpoints and bit-identical resume, progress with tokens/s and ETA.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import type { GpuContext, Tensor } from "../../kernels/index.js";
import { add, createContext } from "../../kernels/index.js";
import { openModel } from "../model/load.js";
import type { ModelSpec } from "../model/config.js";
import { readCheckpoint, writeCheckpoint, checkpointDir } from "../train/checkpoint.js";
import { permutation } from "../train/data.js";
import { IGNORE, TrainableLlama } from "../train/model.js";
import { AdamW } from "../train/optim.js";
import { prefixGrad, prefixInputs } from "../train/soft-prompt.js";
import { modelHash, readCompression, saveSoftPrompt, SoftPromptError, tokenizerHash, type SoftPromptCard } from "./prompt-file.js";

export type PromptInit = { kind: "vocab" } | { kind: "tokens"; ids: number[]; label?: string };

export interface PromptTrainOptions {
  /** the (possibly compressed) checkpoint; frozen */
  modelDir: string;
  /** token ids of the training and validation text (model's tokenizer) */
  train: Uint32Array;
  valid: Uint32Array;
  data: { train: string; valid: string; sha256: string };
  id: string;
  /** soft tokens (default 100, the reference script) */
  length?: number;
  /** "vocab": the first `length` rows of the embedding (reference); tokens: their embeddings, cycled */
  init?: PromptInit;
  /** text tokens per window (default min(1024, context − length)) */
  seqLen?: number;
  batchSize?: number;
  gradAccum?: number;
  steps: number;
  lr?: number;
  weightDecay?: number;
  /** warm-up steps (default min(500, steps/10)) */
  warmup?: number;
  clipNorm?: number;
  evalEvery?: number;
  /** validation windows (default 16, the first ones in order) */
  evalWindows?: number;
  seed?: number;
  /** checkpoint folder (optional; `resume` continues from it) */
  runDir?: string;
  checkpointEvery?: number;
  resume?: boolean;
  /** stop (with a checkpoint) after this step; the run is resumable */
  stopAfter?: number;
  /** where <id>/prompt.safetensors + card.json go (optional) */
  promptsDir?: string;
  ctx?: GpuContext;
  onProgress?: (p: PromptProgress) => void;
}

export interface PromptProgress { step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerS: number; etaS: number; validPpl?: number; best?: number }

export interface PromptTrainResult {
  /** the best prompt (lowest validation perplexity) */
  best: Float32Array;
  last: Float32Array;
  card: SoftPromptCard;
  log: PromptProgress[];
  finished: boolean;
}

/** HF get_linear_schedule_with_warmup, as the reference steps it: optimiser step k (1-based) uses λ(k − 1). */
export function promptLr(lr: number, k: number, steps: number, warmup: number): number {
  const s = k - 1;
  if (s < warmup) return (lr * s) / Math.max(1, warmup);
  return lr * Math.max(0, (steps - s) / Math.max(1, steps - warmup));
}

/** Initial prompt [P, hidden] from the embedding matrix [vocab, hidden]. */
export function initPrompt(embed: Float32Array, spec: Pick<ModelSpec, "hiddenSize" | "vocabSize">, P: number, init: PromptInit): Float32Array {
  const h = spec.hiddenSize, out = new Float32Array(P * h);
  const ids = init.kind === "vocab" ? Array.from({ length: P }, (_, i) => i) : Array.from({ length: P }, (_, i) => init.ids[i % init.ids.length]);
  if (init.kind === "vocab" && P > spec.vocabSize) throw new SoftPromptError(`prompt length ${P} exceeds the vocabulary (${spec.vocabSize} rows) to initialise from`);
  if (init.kind === "tokens" && !init.ids.length) throw new SoftPromptError("prompt init: no tokens to initialise from");
  ids.forEach((id, r) => {
    if (id < 0 || id >= spec.vocabSize) throw new SoftPromptError(`prompt init: token ${id} outside the vocabulary of ${spec.vocabSize}`);
    out.set(embed.subarray(id * h, (id + 1) * h), r * h);
  });
  return out;
}

/**
 * Inputs/targets for B windows of n + 1 tokens behind a P-token prompt: targets of row b are IGNORE on the
 * prompt positions except the last (which predicts w[0] when `scoreFirst`, as the reference's labels do),
 * then w[1..n].
 */
export function promptBatch(windows: Uint32Array[], P: number, scoreFirst: boolean): { ids: Uint32Array; targets: Uint32Array; B: number; T: number; count: number } {
  const B = windows.length, n = windows[0].length - 1, T = P + n;
  const ids = new Uint32Array(B * n), targets = new Uint32Array(B * T).fill(IGNORE);
  let count = 0;
  windows.forEach((w, b) => {
    for (let t = 0; t < n; t++) ids[b * n + t] = w[t];
    if (scoreFirst) { targets[b * T + P - 1] = w[0]; count++; }
    for (let t = 0; t < n; t++) { targets[b * T + P + t] = w[t + 1]; count++; }
  });
  return { ids, targets, B, T, count };
}

/** Loss sum, count and the prompt's gradient (Σ over the batch, scaled by lossScale) for one batch. */
export async function promptLossGrad(model: TrainableLlama, prompt: Tensor, b: ReturnType<typeof promptBatch>, lossScale: number): Promise<{ lossSum: number; count: number; grad: Tensor }> {
  const P = prompt.size / model.spec.hiddenSize;
  const inputs = prefixInputs(model, prompt, b.ids, b.B);
  try {
    const r = await model.forwardBackward({ B: b.B, T: b.T, inputEmbeds: inputs, targets: b.targets }, { lossScale, grads: null, wantInputGrad: true });
    const grad = prefixGrad(model.ctx, r.inputGrad!, b.B, b.T, P);
    r.inputGrad!.release();
    return { lossSum: r.lossSum, count: r.count, grad };
  } finally {
    inputs.release();
  }
}

/** Mean NLL over the validation windows (scoring w[1..n] only, the same tokens as without a prompt). */
export async function validNll(model: TrainableLlama, prompt: Tensor | null, windows: Uint32Array[], batch: number): Promise<number> {
  let sum = 0, cnt = 0;
  for (let i = 0; i < windows.length; i += batch) {
    const ws = windows.slice(i, i + batch);
    if (prompt) {
      const P = prompt.size / model.spec.hiddenSize;
      const b = promptBatch(ws, P, false);
      const inputs = prefixInputs(model, prompt, b.ids, b.B);
      const r = await model.loss({ B: b.B, T: b.T, inputEmbeds: inputs, targets: b.targets });
      inputs.release();
      sum += r.lossSum; cnt += r.count;
    } else {
      const b = promptBatch(ws, 0, false);
      const r = await model.loss({ B: b.B, T: b.T, ids: b.ids, targets: b.targets });
      sum += r.lossSum; cnt += r.count;
    }
  }
  return sum / cnt;
}

const windowsOf = (tokens: Uint32Array, n: number): number => Math.floor((tokens.length - 1) / n);
const windowAt = (tokens: Uint32Array, n: number, w: number): Uint32Array => tokens.slice(w * n, w * n + n + 1);

export async function trainSoftPrompt(o: PromptTrainOptions): Promise<PromptTrainResult> {
  const opened = await openModel(o.modelDir);
  const spec = opened.spec;
  let weights: Map<string, Float32Array>;
  try {
    weights = await opened.weights.loadAll();
  } finally {
    await opened.weights.close();
  }
  const P = o.length ?? 100;
  if (!Number.isInteger(P) || P < 1) throw new SoftPromptError(`prompt length ${P}: must be a positive integer`);
  if (P + 2 > spec.maxPositions) throw new SoftPromptError(`prompt length ${P} leaves no room for text in the model's ${spec.maxPositions} positions: the prompt is longer than the context`);
  const n = o.seqLen ?? Math.min(1024, spec.maxPositions - P);
  if (P + n > spec.maxPositions) throw new SoftPromptError(`prompt length ${P} + window ${n} exceed the model's ${spec.maxPositions} positions`);
  const B = o.batchSize ?? 2, accum = o.gradAccum ?? 1, steps = o.steps;
  const lr = o.lr ?? 1e-3, wd = o.weightDecay ?? 1e-5, clip = o.clipNorm ?? 1.0;
  const warmup = o.warmup ?? Math.min(500, Math.floor(steps / 10));
  if (warmup >= steps && steps > 0) throw new SoftPromptError(`warm-up ${warmup} must be shorter than the ${steps} steps`);
  const evalEvery = o.evalEvery ?? 100, seed = o.seed ?? 0;
  const nTrain = windowsOf(o.train, n), nValid = windowsOf(o.valid, n);
  if (nTrain < 1) throw new SoftPromptError(`the training data has ${o.train.length} tokens, fewer than one window of ${n + 1}`);
  if (nValid < 1) throw new SoftPromptError(`the validation data has ${o.valid.length} tokens, fewer than one window of ${n + 1}`);
  for (const [name, arr] of [["training", o.train], ["validation", o.valid]] as const)
    for (let i = 0; i < arr.length; i++) if (arr[i] >= spec.vocabSize) throw new SoftPromptError(`${name} token ${arr[i]} at ${i} is outside the model's vocabulary of ${spec.vocabSize} (another tokenizer?)`);
  const validWins = Array.from({ length: Math.min(nValid, o.evalWindows ?? 16) }, (_, i) => windowAt(o.valid, n, i));
  const init = o.init ?? { kind: "vocab" };
  const mHash = await modelHash(o.modelDir);
  const optim = { lr, weightDecay: wd, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: clip, warmup, schedule: "linear", batchSize: B, gradAccum: accum, seqLen: n, seed, evalEvery };
  const runHash = createHash("sha256").update(JSON.stringify({ mHash, data: o.data.sha256, P, init, optim, steps })).digest("hex");

  const ctx = o.ctx ?? (await createContext());
  const model = await TrainableLlama.create(spec, weights, ctx);
  const h = spec.hiddenSize;
  let promptT = ctx.upload(initPrompt(weights.get("embed")!, spec, P, init), [P, h]);
  let params = new Map([["soft_prompt", promptT]]);
  let adam = new AdamW(ctx, params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, clipNorm: clip });
  let step = 0, tokensSeen = 0, elapsed = 0;
  let best = await ctx.readF32(promptT), bestStep = 0;
  const log: PromptProgress[] = [];
  const curve: SoftPromptCard["validation"] = [];
  const shapes = [{ name: "soft_prompt", shape: [P, h] }, { name: "best", shape: [P, h] }];
  try {
    const baseline = await validNll(model, null, validWins, B);
    if (o.runDir && existsSync(checkpointDir(o.runDir))) {
      if (!o.resume) throw new SoftPromptError(`${checkpointDir(o.runDir)} exists: pass resume (--resume) to continue it, or use another run folder`);
      const ck = await readCheckpoint(o.runDir, runHash, shapes);
      step = ck.state.step; tokensSeen = ck.state.tokens; elapsed = ck.state.elapsedS;
      promptT.release(); adam.release();
      promptT = ctx.upload(ck.params[0], [P, h]);
      params = new Map([["soft_prompt", promptT]]);
      adam = new AdamW(ctx, params, adam.cfg, { m: new Map([["soft_prompt", ctx.upload(ck.m[0], [P, h])]]), v: new Map([["soft_prompt", ctx.upload(ck.v[0], [P, h])]]) });
      best = ck.params[1];
      for (const r of ck.state.log) {
        if (r.kind === "valid") curve.push({ step: Number(r.step), ppl: Number(r.ppl), loss: Number(r.loss) });
        else if (r.kind === "best") bestStep = Number(r.step);
        else log.push(JSON.parse(String(r.json)) as PromptProgress);
      }
    } else {
      const l0 = await validNll(model, promptT, validWins, B);
      curve.push({ step: 0, ppl: Math.exp(l0), loss: l0 });
    }
    const save = async () => {
      if (!o.runDir) return;
      const rows = [
        ...log.map((p) => ({ kind: "train", json: JSON.stringify(p) })),
        ...curve.map((c) => ({ kind: "valid", step: c.step, ppl: c.ppl, loss: c.loss })),
        { kind: "best", step: bestStep },
      ];
      await writeCheckpoint(o.runDir, { version: 1, plan: `soft-prompt:${o.id}`, planHash: runHash, step, tokens: tokensSeen, elapsedS: elapsed, params: shapes, log: rows }, {
        params: [await ctx.readF32(promptT), best], m: [await ctx.readF32(adam.m.get("soft_prompt")!), new Float32Array(P * h)], v: [await ctx.readF32(adam.v.get("soft_prompt")!), new Float32Array(P * h)],
      });
    };
    const bestPpl = () => curve.filter((c) => c.step === bestStep).map((c) => c.ppl)[0] ?? Infinity;
    const until = Math.min(steps, o.stopAfter ?? steps);
    let epoch = -1, perm: Uint32Array = new Uint32Array(0);
    while (step < until) {
      const t0 = performance.now();
      const k = step + 1, lrK = promptLr(lr, k, steps, warmup);
      let gSum: Tensor | null = null, lossSum = 0, count = 0;
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
      const total = rows.reduce((s, ws) => s + promptBatch(ws, P, true).count, 0);
      for (const ws of rows) {
        const r = await promptLossGrad(model, promptT, promptBatch(ws, P, true), 1 / total);
        lossSum += r.lossSum; count += r.count;
        if (!gSum) gSum = r.grad;
        else {
          const s2 = add(ctx, gSum, r.grad);
          gSum.release(); r.grad.release(); gSum = s2;
        }
      }
      const loss = lossSum / count;
      const grads = new Map([["soft_prompt", gSum!]]);
      const norm = await adam.globalNorm(grads);
      if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new SoftPromptError(`prompt tuning stopped at step ${k}: loss ${loss}, gradient norm ${norm} not finite`);
      adam.update(params, grads, lrK, k, norm);
      gSum!.release();
      step = k;
      tokensSeen += B * accum * n;
      const dt = (performance.now() - t0) / 1000;
      elapsed += dt;
      const tps = (B * accum * n) / dt;
      const p: PromptProgress = { step, steps, loss, lr: lrK, gradNorm: norm, tokensPerS: tps, etaS: (steps - step) * (elapsed / Math.max(1, log.length + 1)) };
      if (step % evalEvery === 0 || step === steps) {
        const vl = await validNll(model, promptT, validWins, B);
        curve.push({ step, ppl: Math.exp(vl), loss: vl });
        if (Math.exp(vl) < bestPpl()) { bestStep = step; best = await ctx.readF32(promptT); }
        p.validPpl = Math.exp(vl);
        p.best = bestPpl();
      }
      log.push(p);
      o.onProgress?.(p);
      if (o.runDir && o.checkpointEvery && step % o.checkpointEvery === 0) await save();
    }
    await save();
    const last = await ctx.readF32(promptT);
    const card: SoftPromptCard = {
      format: "kick-soft-prompt", version: 1, id: o.id, length: P, hidden: h, vocabSize: spec.vocabSize,
      modelHash: mHash, tokenizerHash: tokenizerHash(o.modelDir), modelDir: o.modelDir, compression: readCompression(o.modelDir) ?? null,
      init: init.kind === "vocab" ? "vocab:first-rows" : `tokens:${init.label ?? init.ids.join(",")}`,
      data: { train: o.data.train, valid: o.data.valid, trainTokens: o.train.length, validTokens: o.valid.length, sha256: o.data.sha256 },
      optim, steps: step, tokensSeen, bestStep, bestValidPpl: bestPpl(), baselineValidPpl: Math.exp(baseline), validation: curve,
      tokensPerS: tokensSeen / Math.max(1e-9, elapsed), trainableParameters: P * h, created: new Date().toISOString(),
    };
    const finished = step >= steps;
    if (finished && o.promptsDir) await saveSoftPrompt(o.promptsDir, best, card);
    return { best, last, card, log, finished };
  } finally {
    promptT.release();
    adam.release();
    await model.dispose();
    if (!o.ctx) await ctx.destroy();
  }
}
