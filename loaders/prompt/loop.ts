/**
 * The training run shared by prompt tuning (./train.ts) and its LoRA baseline (../train/lora-train.ts):
 * one copy of the defaults and checks, the seeded window order, HF's schedule, the clipped AdamW step and
 * the validation with the best parameters kept, so the two methods of the cost comparison train alike and
 * differ only in what they train and how its gradient is taken.
 */
import type { Tensor } from "../../kernels/index.js";
import { openModel } from "../model/load.js";
import type { ModelSpec } from "../model/config.js";
import { permutation } from "../train/data.js";
import type { AdamW } from "../train/optim.js";

export interface TrainProgress { step: number; steps: number; loss: number; lr: number; gradNorm: number; tokensPerS: number; etaS: number; validPpl?: number; best?: number }
export interface CurvePoint { step: number; ppl: number; loss: number }

/** The run options both trainers take (defaults: the reference script's). */
export interface RunOptions {
  /** token ids of the training and validation text (model's tokenizer) */
  train: Uint32Array;
  valid: Uint32Array;
  data: { train: string; valid: string; sha256: string };
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
}

/** Each trainer throws its own error class (prompt tuning's SoftPromptError is what its CLI reports). */
export type ErrorClass = new (message: string) => Error;

/** HF get_linear_schedule_with_warmup, as the reference steps it: optimiser step k (1-based) uses λ(k − 1). */
export function promptLr(lr: number, k: number, steps: number, warmup: number): number {
  const s = k - 1;
  if (s < warmup) return (lr * s) / Math.max(1, warmup);
  return lr * Math.max(0, (steps - s) / Math.max(1, steps - warmup));
}

export const windowsOf = (tokens: Uint32Array, n: number): number => Math.floor((tokens.length - 1) / n);
const windowAt = (tokens: Uint32Array, n: number, w: number): Uint32Array => tokens.slice(w * n, w * n + n + 1);

/** The frozen model's spec and weights (the weight file is closed even when reading fails). */
export async function loadFrozen(modelDir: string): Promise<{ spec: ModelSpec; weights: Map<string, Float32Array> }> {
  const opened = await openModel(modelDir);
  try {
    return { spec: opened.spec, weights: await opened.weights.loadAll() };
  } finally {
    await opened.weights.close();
  }
}

export type RunSettings = ReturnType<typeof runSettings>;

/** Defaults and checks for windows of n text tokens; `optim` is recorded in the card (its key order feeds the prompt's resume hash). */
export function runSettings(o: RunOptions, n: number, Err: ErrorClass) {
  const B = o.batchSize ?? 2, accum = o.gradAccum ?? 1, steps = o.steps;
  const lr = o.lr ?? 1e-3, wd = o.weightDecay ?? 1e-5, clip = o.clipNorm ?? 1.0;
  const warmup = o.warmup ?? Math.min(500, Math.floor(steps / 10));
  if (warmup >= steps && steps > 0) throw new Err(`warm-up ${warmup} must be shorter than the ${steps} steps`);
  const evalEvery = o.evalEvery ?? 100, seed = o.seed ?? 0;
  const nTrain = windowsOf(o.train, n), nValid = windowsOf(o.valid, n);
  if (nTrain < 1) throw new Err(`the training data has ${o.train.length} tokens, fewer than one window of ${n + 1}`);
  if (nValid < 1) throw new Err(`the validation data has ${o.valid.length} tokens, fewer than one window of ${n + 1}`);
  // validation always scores the first windows, in order, so every evaluation is comparable
  const validWins = Array.from({ length: Math.min(nValid, o.evalWindows ?? 16) }, (_, i) => windowAt(o.valid, n, i));
  const optim = { lr, weightDecay: wd, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: clip, warmup, schedule: "linear", batchSize: B, gradAccum: accum, seqLen: n, seed, evalEvery };
  const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, clipNorm: clip };
  return { B, accum, steps, lr, warmup, evalEvery, seed, n, nTrain, validWins, optim, adam };
}

/** Mutable run state; `best` is the parameters of the lowest validation perplexity so far. */
export interface RunState<T> { step: number; tokensSeen: number; elapsed: number; bestStep: number; best: T; curve: CurvePoint[] }

/** Perplexity at the best step (from the curve, so a resumed run needs no extra state). */
export const bestPpl = (st: RunState<unknown>): number => st.curve.filter((c) => c.step === st.bestStep).map((c) => c.ppl)[0] ?? Infinity;

export interface StepHooks<T> {
  adam: AdamW;
  params: Map<string, Tensor>;
  /** "prompt tuning" / "LoRA training", for the non-finite error */
  what: string;
  Err: ErrorClass;
  /** mean loss and the gradients (Σ over the rows, scaled by 1 / tokens) of one optimiser step */
  grads(rows: Uint32Array[][]): Promise<{ loss: number; grads: Map<string, Tensor> }>;
  validNll(): Promise<number>;
  snapshot(): Promise<T>;
  onStep(p: TrainProgress): Promise<void> | void;
}

/**
 * Optimiser steps from st.step up to `until`. Row r of micro-batch a of step s is global window
 * g = (s·accum + a)·B + r, drawn from a permutation seeded per epoch, so a resumed run sees the same windows.
 */
export async function runSteps<T>(s: RunSettings, train: Uint32Array, st: RunState<T>, until: number, h: StepHooks<T>): Promise<void> {
  const { B, accum, n, nTrain, seed, steps } = s;
  let epoch = -1, perm: Uint32Array = new Uint32Array(0);
  while (st.step < until) {
    const t0 = performance.now();
    const k = st.step + 1, lrK = promptLr(s.lr, k, steps, s.warmup);
    const rows: Uint32Array[][] = [];
    for (let a = 0; a < accum; a++) {
      const ws: Uint32Array[] = [];
      for (let r = 0; r < B; r++) {
        const g = (st.step * accum + a) * B + r, e = Math.floor(g / nTrain);
        if (e !== epoch) { perm = permutation(nTrain, seed * 1000003 + e); epoch = e; }
        ws.push(windowAt(train, n, perm[g % nTrain]));
      }
      rows.push(ws);
    }
    const { loss, grads } = await h.grads(rows);
    const norm = await h.adam.globalNorm(grads);
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new h.Err(`${h.what} stopped at step ${k}: loss ${loss}, gradient norm ${norm} not finite`);
    h.adam.update(h.params, grads, lrK, k, norm);
    for (const t of grads.values()) t.release();
    st.step = k;
    st.tokensSeen += B * accum * n;
    const dt = (performance.now() - t0) / 1000; // the optimiser step only: validation is not in tokens/s
    st.elapsed += dt;
    const p: TrainProgress = { step: k, steps, loss, lr: lrK, gradNorm: norm, tokensPerS: (B * accum * n) / dt, etaS: (steps - k) * (st.elapsed / k) };
    if (k % s.evalEvery === 0 || k === steps) {
      const vl = await h.validNll();
      st.curve.push({ step: k, ppl: Math.exp(vl), loss: vl });
      if (Math.exp(vl) < bestPpl(st)) { st.bestStep = k; st.best = await h.snapshot(); }
      p.validPpl = Math.exp(vl);
      p.best = bestPpl(st);
    }
    await h.onStep(p);
  }
}

/** The card fields both trainers record about the run (data, optimiser, curve, throughput). */
export function runRecord(o: RunOptions, s: RunSettings, st: RunState<unknown>, baselineNll: number) {
  return {
    data: { train: o.data.train, valid: o.data.valid, trainTokens: o.train.length, validTokens: o.valid.length, sha256: o.data.sha256 },
    optim: s.optim, steps: st.step, tokensSeen: st.tokensSeen, bestStep: st.bestStep, bestValidPpl: bestPpl(st), baselineValidPpl: Math.exp(baselineNll), validation: st.curve,
    tokensPerS: st.tokensSeen / Math.max(1e-9, st.elapsed),
  };
}
