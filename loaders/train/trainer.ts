/**
 * The training loop (nanoGPT-shaped): for each optimiser step, gradient accumulation over micro-batches in a
 * deterministic order, a finite-loss check, global-norm clipping, AdamW with warm-up + cosine learning rate,
 * periodic held-out loss, atomic checkpoints (resume continues bit for bit), a Parquet log, and at the end the
 * model in Hugging Face layout with a model card. A non-finite loss or gradient norm stops the run before the
 * update, naming the step and the last good checkpoint; nothing is overwritten.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContext, type GpuContext, type Tensor } from "../../kernels/index.js";
import { parameterCount, type ModelSpec } from "../model/config.js";
import { saveModel } from "../model/save.js";
import type { Row, TableSchema } from "../store/parquet.js";
import { writeModelCard } from "./card.js";
import { checkpointDir, readCheckpoint, writeCheckpoint, type CheckpointState } from "./checkpoint.js";
import { documentStarts, loadData, Windows, EOT, type TrainData } from "./data.js";
import { TrainableLlama, initWeights, paramShapes } from "./model.js";
import { AdamW } from "./optim.js";
import { learningRate, modelShape, planHash, stageOf, type TrainPlan } from "./plan.js";
import { hfLlamaConfig, llamaSpec } from "./spec.js";

export const LOG_SCHEMA: TableSchema = {
  step: "INTEGER", tokens: "INTEGER", loss: "DOUBLE", lr: "DOUBLE", grad_norm: "DOUBLE", tokens_per_s: "DOUBLE", heldout_loss: "DOUBLE",
};

export interface TrainOptions {
  /** continue from `<runDir>/checkpoint` (required when one exists) */
  resume?: boolean;
  /** checkpoint and return once this much wall time has passed (GPU-host commands run at most 10 minutes) */
  maxSeconds?: number;
  /** checkpoint and return after this step (tests, staged runs) */
  stopAfter?: number;
  ctx?: GpuContext;
  /** progress lines (default: stderr) */
  progress?: (line: string) => void;
}

export interface TrainResult {
  step: number;
  done: boolean;
  tokens: number;
  log: Row[];
  checkpoint: string;
  modelDir?: string;
  spec: ModelSpec;
  /** final weights (canonical names) */
  weights: Map<string, Float32Array>;
}

export class TrainDivergedError extends Error {
  constructor(readonly step: number, readonly what: string, readonly lastGood: string | null) {
    super(`training stopped at step ${step}: ${what} is not finite; last good checkpoint: ${lastGood ?? "none (no checkpoint written yet)"}`);
    this.name = "TrainDivergedError";
  }
}

const fmtTime = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`);

export async function train(plan: TrainPlan, opts: TrainOptions = {}): Promise<TrainResult> {
  const say = opts.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { runDir, modelDir } = plan.output;
  const hash = planHash(plan);
  const ckDir = checkpointDir(runDir);
  // Refuse before any work: nothing may be overwritten.
  if (existsSync(join(ckDir, "state.json")) && !opts.resume) throw new Error(`${ckDir}: a checkpoint exists; pass --resume to continue it, or set another output.runDir`);
  if (opts.resume && !existsSync(join(ckDir, "state.json"))) throw new Error(`${ckDir}: no checkpoint to resume from (field output.runDir)`);
  if (existsSync(modelDir)) throw new Error(`${modelDir}: already exists (field output.modelDir); move it away or choose another folder`);
  const data = loadData(plan);
  const spec = llamaSpec(modelShape(plan, data.eosId));
  const shapes = paramShapes(spec);
  const dataFiles = data.files.map(({ path, sha256 }) => ({ path, sha256 }));
  const resumed = opts.resume ? await readCheckpoint(runDir, hash, shapes, dataFiles) : null;

  const B = plan.train.batchSize, T = plan.model.context, accum = plan.train.gradAccum, steps = plan.train.steps;
  const starts = (len: number) => (plan.train.docWindows ? documentStarts(data.train, len, data.eosId) : undefined);
  const windows = new Windows(data.train, T, plan.train.seed, starts(T));
  // the long stage reads its own seeded order of longer windows (row g of the stage: a pure function of g)
  const longWindows = plan.train.longStage ? new Windows(data.train, plan.train.longStage.context, plan.train.seed + 1, starts(plan.train.longStage.context)) : null;
  const held = new Windows(data.heldout, T, 0);
  const ctx = opts.ctx ?? (await createContext());
  let model: TrainableLlama | null = null;
  let optim: AdamW | null = null;
  try {
    const init = resumed ? new Map(shapes.map((s, i) => [s.name, resumed.params[i]])) : initWeights(spec, plan.train.seed, plan.model.initStd);
    model = await TrainableLlama.create(spec, init, ctx);
    const state = resumed ? { m: new Map(shapes.map((s, i) => [s.name, ctx.upload(resumed.m[i], s.shape)])), v: new Map(shapes.map((s, i) => [s.name, ctx.upload(resumed.v[i], s.shape)])) } : undefined;
    optim = new AdamW(ctx, model.params, plan.optim, state);
    let step = resumed?.state.step ?? 0;
    let tokens = resumed?.state.tokens ?? 0;
    let elapsed = resumed?.state.elapsedS ?? 0;
    const log: Row[] = resumed ? [...resumed.state.log] : [];
    let lastGood: string | null = resumed ? ckDir : null;
    say(`train ${plan.name}: ${parameterCount(spec).toLocaleString("en")} parameters, ${data.train.length.toLocaleString("en")} training tokens (${windows.count} windows of ${T}), ${B}×${accum}×${T} tokens per step${plan.train.longStage ? ` (the last ${plan.train.longStage.steps} steps ${plan.train.longStage.batchSize}×${accum}×${plan.train.longStage.context})` : ""}, ${resumed ? `resuming at step ${step}` : "from scratch"} on ${ctx.adapterDescription}`);
    const t0 = performance.now();
    const startStep = step;
    const startElapsed = elapsed;

    const checkpoint = async () => {
      const rd = async (m: Map<string, Tensor>) => Promise.all(shapes.map((s) => ctx.readF32(m.get(s.name)!)));
      const st: CheckpointState = { version: 1, plan: plan.name, planHash: hash, step, tokens, elapsedS: elapsed, params: shapes, log, data: dataFiles };
      lastGood = await writeCheckpoint(runDir, st, { params: await rd(model!.params), m: await rd(optim!.m), v: await rd(optim!.v) });
      await writeLog(runDir, log, say);
    };

    const heldoutLoss = async () => {
      const rows = Math.min(plan.eval.batches * B, held.count);
      let sum = 0, n = 0;
      for (let r = 0; r < rows; r += B) {
        const b = held.ordered(r, Math.min(B, rows - r));
        const res = await model!.loss({ B: b.ids.length / T, T, ids: b.ids, targets: b.targets });
        sum += res.lossSum; n += res.count;
      }
      return sum / n;
    };

    while (step < steps) {
      const ts = performance.now();
      step++;
      const grads = model.zeroGrads();
      const stage = stageOf(plan, step);
      const rows = stage.first === 0 ? windows : longWindows!;
      const count = stage.B * stage.T * accum;
      let lossSum = 0;
      try {
        for (let k = 0; k < accum; k++) {
          const b = rows.batch(((step - 1 - stage.first) * accum + k) * stage.B, stage.B);
          const r = await model.forwardBackward({ B: stage.B, T: stage.T, ids: b.ids, targets: b.targets }, { lossScale: 1 / count, grads, recompute: plan.train.recompute });
          lossSum += r.lossSum;
        }
        const loss = lossSum / count;
        if (!Number.isFinite(loss)) throw new TrainDivergedError(step, `the loss (${loss})`, lastGood);
        const norm = await optim.globalNorm(grads);
        if (!Number.isFinite(norm)) throw new TrainDivergedError(step, `the gradient norm (${norm})`, lastGood);
        const lr = learningRate(plan.optim, steps, step);
        optim.update(model.params, grads, lr, step, norm);
        await ctx.sync();
        tokens += count;
        const dt = (performance.now() - ts) / 1000;
        elapsed = startElapsed + (performance.now() - t0) / 1000;
        const row: Row = { step, tokens, loss, lr, grad_norm: norm, tokens_per_s: count / dt, heldout_loss: null };
        if (step % plan.eval.every === 0 || step === steps) row.heldout_loss = await heldoutLoss();
        log.push(row);
        const rate = (tokens - (resumed?.state.tokens ?? 0)) / Math.max(1e-9, (performance.now() - t0) / 1000);
        const eta = ((steps - step) * count) / rate;
        say(`step ${step}/${steps} loss ${loss.toFixed(4)}${row.heldout_loss !== null ? ` held-out ${(row.heldout_loss as number).toFixed(4)}` : ""} lr ${lr.toExponential(2)} |g| ${norm.toFixed(3)} ${Math.round(count / dt)} tok/s ETA ${fmtTime(eta)}`);
      } finally {
        for (const g of grads.values()) g.release();
      }
      const timeUp = opts.maxSeconds !== undefined && (performance.now() - t0) / 1000 >= opts.maxSeconds;
      const stop = opts.stopAfter !== undefined && step >= opts.stopAfter;
      if (step % plan.checkpoint.every === 0 || step === steps || timeUp || stop) await checkpoint();
      if ((timeUp || stop) && step < steps) {
        say(`stopped at step ${step} after ${fmtTime((performance.now() - t0) / 1000)} (${step - startStep} steps this run); checkpoint ${ckDir}; rerun with --resume to continue`);
        return { step, done: false, tokens, log, checkpoint: ckDir, spec, weights: await model.readWeights() };
      }
    }
    const weights = await model.readWeights();
    await saveHf(plan, spec, data, weights, log, hash);
    say(`saved ${modelDir}`);
    return { step, done: true, tokens, log, checkpoint: ckDir, modelDir, spec, weights };
  } finally {
    optim?.release();
    if (model) await model.dispose();
    if (!opts.ctx) await ctx.destroy();
  }
}

let parquetWarned = false;

/**
 * The log as `train_log.jsonl` (always) and `train_log.parquet` (through DuckDB, which the GPU-host bundle
 * cannot carry: there the Parquet file is skipped with one warning; `kick train --plan F --export-log`
 * writes it later from the checkpoint). Both atomic.
 */
export async function writeLog(runDir: string, log: Row[], say: (l: string) => void = () => {}): Promise<void> {
  const jl = join(runDir, "train_log.jsonl");
  await writeFile(`${jl}.tmp`, log.map((r) => JSON.stringify(r)).join("\n") + "\n");
  await rename(`${jl}.tmp`, jl);
  try {
    const mod = "../store/parquet.js"; // not bundled (native DuckDB): resolved at run time
    const { writeParquet } = (await import(/* @vite-ignore */ mod)) as typeof import("../store/parquet.js");
    await writeParquet(log, LOG_SCHEMA, join(runDir, "train_log.parquet"));
  } catch (e) {
    if (!parquetWarned) say(`note: train_log.parquet not written (${(e as Error).message.split("\n")[0]}); train_log.jsonl has the log`);
    parquetWarned = true;
  }
}

/** The trained model in HF layout (config, safetensors, tokenizer) plus a model card. */
async function saveHf(plan: TrainPlan, spec: ModelSpec, data: TrainData, weights: Map<string, Float32Array>, log: Row[], hash: string): Promise<void> {
  const src = await mkdtemp(join(tmpdir(), "kick-train-src-"));
  try {
    const cfg = hfLlamaConfig(modelShape(plan, data.eosId));
    await writeFile(join(src, "config.json"), JSON.stringify(cfg, null, 2));
    await copyFile(plan.data.tokenizer, join(src, "tokenizer.json"));
    await writeFile(join(src, "tokenizer_config.json"), JSON.stringify({ bos_token: EOT, eos_token: EOT, pad_token: EOT, unk_token: null, model_max_length: spec.maxPositions, tokenizer_class: "PreTrainedTokenizerFast", clean_up_tokenization_spaces: false }, null, 2));
    await writeFile(join(src, "generation_config.json"), JSON.stringify({ bos_token_id: data.eosId, eos_token_id: data.eosId, pad_token_id: data.eosId }, null, 2));
    await saveModel(plan.output.modelDir, { sourceDir: src, spec, weights, dtype: plan.output.dtype, maxShardBytes: plan.output.maxShardMiB ? Math.floor(plan.output.maxShardMiB * 2 ** 20) : undefined, metadata: { kick_plan: plan.name, kick_plan_hash: hash } });
  } finally {
    await rm(src, { recursive: true, force: true });
  }
  await writeModelCard(plan, spec, data, log, hash);
}
