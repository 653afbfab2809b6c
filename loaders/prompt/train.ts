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
import type { ModelSpec } from "../model/config.js";
import { readCheckpoint, writeCheckpoint, checkpointDir } from "../train/checkpoint.js";
import { IGNORE, TrainableLlama } from "../train/model.js";
import { AdamW } from "../train/optim.js";
import { prefixGrad, prefixInputs } from "../train/soft-prompt.js";
import { loadFrozen, runRecord, runSettings, runSteps, type RunOptions, type RunState, type TrainProgress } from "./loop.js";
import { modelFields, modelHash, saveSoftPrompt, SoftPromptError, type SoftPromptCard } from "./prompt-file.js";

export { promptLr } from "./loop.js";

export type PromptInit = { kind: "vocab" } | { kind: "tokens"; ids: number[]; label?: string };

export interface PromptTrainOptions extends RunOptions {
  /** the (possibly compressed) checkpoint; frozen */
  modelDir: string;
  id: string;
  /** soft tokens (default 100, the reference script) */
  length?: number;
  /** "vocab": the first `length` rows of the embedding (reference); tokens: their embeddings, cycled */
  init?: PromptInit;
  /** text tokens per window (default min(1024, context − length)); warm-up defaults to min(500, steps/10), validation to the first 16 windows */
  seqLen?: number;
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

export type PromptProgress = TrainProgress;

export interface PromptTrainResult {
  /** the best prompt (lowest validation perplexity) */
  best: Float32Array;
  last: Float32Array;
  card: SoftPromptCard;
  log: PromptProgress[];
  finished: boolean;
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

export async function trainSoftPrompt(o: PromptTrainOptions): Promise<PromptTrainResult> {
  const { spec, weights } = await loadFrozen(o.modelDir);
  const P = o.length ?? 100;
  if (!Number.isInteger(P) || P < 1) throw new SoftPromptError(`prompt length ${P}: must be a positive integer`);
  if (P + 2 > spec.maxPositions) throw new SoftPromptError(`prompt length ${P} leaves no room for text in the model's ${spec.maxPositions} positions: the prompt is longer than the context`);
  const n = o.seqLen ?? Math.min(1024, spec.maxPositions - P);
  if (P + n > spec.maxPositions) throw new SoftPromptError(`prompt length ${P} + window ${n} exceed the model's ${spec.maxPositions} positions`);
  const s = runSettings(o, n, SoftPromptError);
  const { B, optim, steps, validWins } = s;
  for (const [name, arr] of [["training", o.train], ["validation", o.valid]] as const)
    for (let i = 0; i < arr.length; i++) if (arr[i] >= spec.vocabSize) throw new SoftPromptError(`${name} token ${arr[i]} at ${i} is outside the model's vocabulary of ${spec.vocabSize} (another tokenizer?)`);
  const init = o.init ?? { kind: "vocab" };
  const mHash = await modelHash(o.modelDir);
  const runHash = createHash("sha256").update(JSON.stringify({ mHash, data: o.data.sha256, P, init, optim, steps })).digest("hex");

  const ctx = o.ctx ?? (await createContext());
  const model = await TrainableLlama.create(spec, weights, ctx);
  const h = spec.hiddenSize;
  let promptT = ctx.upload(initPrompt(weights.get("embed")!, spec, P, init), [P, h]);
  let params = new Map([["soft_prompt", promptT]]);
  let adam = new AdamW(ctx, params, s.adam);
  const st: RunState<Float32Array> = { step: 0, tokensSeen: 0, elapsed: 0, bestStep: 0, best: await ctx.readF32(promptT), curve: [] };
  const log: PromptProgress[] = [];
  const shapes = [{ name: "soft_prompt", shape: [P, h] }, { name: "best", shape: [P, h] }];
  try {
    const baseline = await validNll(model, null, validWins, B);
    if (o.runDir && existsSync(checkpointDir(o.runDir))) {
      if (!o.resume) throw new SoftPromptError(`${checkpointDir(o.runDir)} exists: pass resume (--resume) to continue it, or use another run folder`);
      const ck = await readCheckpoint(o.runDir, runHash, shapes);
      st.step = ck.state.step; st.tokensSeen = ck.state.tokens; st.elapsed = ck.state.elapsedS;
      promptT.release(); adam.release();
      promptT = ctx.upload(ck.params[0], [P, h]);
      params = new Map([["soft_prompt", promptT]]);
      adam = new AdamW(ctx, params, adam.cfg, { m: new Map([["soft_prompt", ctx.upload(ck.m[0], [P, h])]]), v: new Map([["soft_prompt", ctx.upload(ck.v[0], [P, h])]]) });
      st.best = ck.params[1];
      for (const r of ck.state.log) {
        if (r.kind === "valid") st.curve.push({ step: Number(r.step), ppl: Number(r.ppl), loss: Number(r.loss) });
        else if (r.kind === "best") st.bestStep = Number(r.step);
        else log.push(JSON.parse(String(r.json)) as PromptProgress);
      }
    } else {
      const l0 = await validNll(model, promptT, validWins, B);
      st.curve.push({ step: 0, ppl: Math.exp(l0), loss: l0 });
    }
    const save = async () => {
      if (!o.runDir) return;
      const rows = [
        ...log.map((p) => ({ kind: "train", json: JSON.stringify(p) })),
        ...st.curve.map((c) => ({ kind: "valid", step: c.step, ppl: c.ppl, loss: c.loss })),
        { kind: "best", step: st.bestStep },
      ];
      await writeCheckpoint(o.runDir, { version: 1, plan: `soft-prompt:${o.id}`, planHash: runHash, step: st.step, tokens: st.tokensSeen, elapsedS: st.elapsed, params: shapes, log: rows }, {
        params: [await ctx.readF32(promptT), st.best], m: [await ctx.readF32(adam.m.get("soft_prompt")!), new Float32Array(P * h)], v: [await ctx.readF32(adam.v.get("soft_prompt")!), new Float32Array(P * h)],
      });
    };
    await runSteps(s, o.train, st, Math.min(steps, o.stopAfter ?? steps), {
      adam, params, what: "prompt tuning", Err: SoftPromptError,
      grads: async (rows) => {
        let gSum: Tensor | null = null, lossSum = 0, count = 0;
        const total = rows.reduce((sum, ws) => sum + promptBatch(ws, P, true).count, 0);
        for (const ws of rows) {
          const r = await promptLossGrad(model, promptT, promptBatch(ws, P, true), 1 / total);
          lossSum += r.lossSum; count += r.count;
          if (!gSum) gSum = r.grad;
          else {
            const s2 = add(ctx, gSum, r.grad);
            gSum.release(); r.grad.release(); gSum = s2;
          }
        }
        return { loss: lossSum / count, grads: new Map([["soft_prompt", gSum!]]) };
      },
      validNll: () => validNll(model, promptT, validWins, B),
      snapshot: () => ctx.readF32(promptT),
      onStep: async (p) => {
        log.push(p);
        o.onProgress?.(p);
        if (o.runDir && o.checkpointEvery && st.step % o.checkpointEvery === 0) await save();
      },
    });
    await save();
    const last = await ctx.readF32(promptT);
    const card: SoftPromptCard = {
      format: "kick-soft-prompt", version: 1, id: o.id, length: P, hidden: h, vocabSize: spec.vocabSize, ...modelFields(o.modelDir, mHash),
      init: init.kind === "vocab" ? "vocab:first-rows" : `tokens:${init.label ?? init.ids.join(",")}`,
      ...runRecord(o, s, st, baseline), trainableParameters: P * h, created: new Date().toISOString(),
    };
    const finished = st.step >= steps;
    if (finished && o.promptsDir) await saveSoftPrompt(o.promptsDir, st.best, card);
    return { best: st.best, last, card, log, finished };
  } finally {
    promptT.release();
    adam.release();
    await model.dispose();
    if (!o.ctx) await ctx.destroy();
  }
}
