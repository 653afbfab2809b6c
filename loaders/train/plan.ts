/**
 * Training plans (`data/plans/*.json`): one zod-validated spec for the model shape, the data, the optimiser,
 * the schedule, evaluation and checkpointing. Unknown fields and inconsistent sizes fail with the field's path.
 * The plan hash (sha256 of the canonical JSON, output paths excluded) ties a checkpoint to its plan.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { canonicalJson } from "../model/config.js";
import type { LlamaShape } from "./spec.js";

const pos = z.number().int().positive();
const nonneg = z.number().int().min(0);
const path = z.string().min(1);

const Model = z.strictObject({
  hiddenSize: pos,
  numLayers: pos,
  numHeads: pos,
  numKvHeads: pos,
  intermediateSize: pos,
  vocabSize: pos,
  /** training sequence length (tokens per row) */
  context: pos,
  /** max_position_embeddings of the saved model (default: context) */
  maxPositions: pos.optional(),
  ropeTheta: z.number().positive().default(10000),
  normEps: z.number().positive().default(1e-5),
  tiedEmbeddings: z.boolean().default(true),
  initStd: z.number().positive().default(0.02),
});

const TrainSource = z.union([
  z.strictObject({ shards: path }).describe("a folder of train-NNN.bin token shards (uint16 LE)"),
  z.strictObject({ text: path }).describe("a text file, tokenized with the plan's tokenizer"),
]);
const HeldoutSource = z.union([
  z.strictObject({ jsonl: path, field: z.string().default("text"), maxTokens: pos.default(65536) }),
  z.strictObject({ text: path, maxTokens: pos.default(65536) }),
]);

export const TrainPlanSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
  description: z.string().default(""),
  model: Model,
  data: z.strictObject({
    tokenizer: path,
    train: TrainSource,
    heldout: HeldoutSource,
    /** data/manifest.json, whose hashes go into the model card (optional for toy plans) */
    manifest: path.optional(),
  }),
  optim: z.strictObject({
    lr: z.number().positive(),
    minLr: z.number().min(0),
    warmupSteps: nonneg,
    weightDecay: z.number().min(0).default(0.1),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.95),
    eps: z.number().positive().default(1e-8),
    clipNorm: z.number().positive().default(1),
  }),
  train: z.strictObject({
    batchSize: pos,
    gradAccum: pos.default(1),
    steps: pos,
    seed: z.number().int().min(0).default(0),
    /** recompute each layer in the backward pass instead of storing its activations */
    recompute: z.boolean().default(false),
    /** the last `steps` optimiser steps read longer windows (a length curriculum: short windows first,
     *  then the long-context suite's lengths in distribution); same gradAccum, its own batch size */
    longStage: z.strictObject({ steps: pos, context: pos, batchSize: pos }).optional(),
    /** windows start at every document's start (then every context tokens within it) instead of every
     *  context tokens of the stream, so skill documents no longer than the window are seen whole */
    docWindows: z.boolean().optional(),
  }),
  eval: z.strictObject({ every: pos, batches: pos.default(4) }),
  checkpoint: z.strictObject({ every: pos }),
  output: z.strictObject({
    runDir: path,
    modelDir: path,
    /** storage dtype of the saved model (training is always f32) */
    dtype: z.enum(["float32", "bfloat16", "float16"]).default("float32"),
    /** shard the safetensors above this many MiB (the GPU host returns files of at most 16 MiB) */
    maxShardMiB: z.number().positive().optional(),
  }),
});

export type TrainPlan = z.infer<typeof TrainPlanSchema>;

export class PlanError extends Error {
  constructor(file: string, msg: string) {
    super(`${file}: ${msg}`);
    this.name = "PlanError";
  }
}

/** Validates a parsed plan: schema first, then the cross-field checks. */
export function parsePlan(raw: unknown, file = "plan"): TrainPlan {
  const r = TrainPlanSchema.safeParse(raw);
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const at = i.path.length ? i.path.join(".") : "(top level)";
      const keys = (i as { keys?: string[] }).keys;
      return i.code === "unrecognized_keys" && keys ? `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${at === "(top level)" ? k : `${at}.${k}`}"`).join(", ")}` : `field "${at}": ${i.message}`;
    });
    throw new PlanError(file, msgs.join("; "));
  }
  const p = r.data, m = p.model;
  const bad = (field: string, msg: string): never => { throw new PlanError(file, `field "${field}": ${msg}`); };
  if (m.hiddenSize % m.numHeads) bad("model.numHeads", `${m.numHeads} heads do not divide hiddenSize ${m.hiddenSize}`);
  if (m.numHeads % m.numKvHeads) bad("model.numKvHeads", `${m.numKvHeads} kv heads do not divide numHeads ${m.numHeads}`);
  const hd = m.hiddenSize / m.numHeads;
  if (hd % 4 || hd > 256) bad("model.numHeads", `head dim ${hd} (hiddenSize / numHeads) must be a multiple of 4 and at most 256 (the attention backward's limits)`);
  if (m.maxPositions !== undefined && m.maxPositions < m.context) bad("model.maxPositions", `${m.maxPositions} is below the training context ${m.context}`);
  const ls = p.train.longStage;
  if (ls) {
    if (ls.steps > p.train.steps) bad("train.longStage.steps", `${ls.steps} exceeds train.steps ${p.train.steps}`);
    if (ls.context <= m.context) bad("train.longStage.context", `${ls.context} is not longer than model.context ${m.context}`);
    if (m.maxPositions === undefined || m.maxPositions < ls.context) bad("model.maxPositions", `${m.maxPositions ?? "(unset)"} is below train.longStage.context ${ls.context}`);
  }
  if (p.optim.minLr > p.optim.lr) bad("optim.minLr", `${p.optim.minLr} exceeds lr ${p.optim.lr}`);
  if (p.optim.warmupSteps > p.train.steps) bad("optim.warmupSteps", `${p.optim.warmupSteps} exceeds train.steps ${p.train.steps}`);
  return p;
}

export function readPlan(file: string): TrainPlan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PlanError(file, `cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PlanError(file, `not valid JSON (${(e as Error).message})`);
  }
  return parsePlan(raw, file);
}

/** sha256 of the plan without its output paths and description: what a checkpoint must match. */
export function planHash(p: TrainPlan): string {
  const { output: _o, description: _d, ...rest } = p;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

export function modelShape(p: TrainPlan, eosTokenId: number): LlamaShape {
  const m = p.model;
  return {
    hiddenSize: m.hiddenSize, numLayers: m.numLayers, numHeads: m.numHeads, numKvHeads: m.numKvHeads, intermediateSize: m.intermediateSize,
    vocabSize: m.vocabSize, maxPositions: m.maxPositions ?? m.context, ropeTheta: m.ropeTheta, normEps: m.normEps, tiedEmbeddings: m.tiedEmbeddings, eosTokenId,
  };
}

/** The window length and batch size of optimiser step `step` (1-based), and the step's row offset within its stage. */
export function stageOf(p: TrainPlan, step: number): { T: number; B: number; first: number } {
  const ls = p.train.longStage;
  const from = ls ? p.train.steps - ls.steps : p.train.steps; // steps before the long stage
  return step > from && ls ? { T: ls.context, B: ls.batchSize, first: from } : { T: p.model.context, B: p.train.batchSize, first: 0 };
}

/** Learning rate at optimiser step `step` (1-based): linear warm-up, then cosine from lr down to minLr. */
export function learningRate(o: TrainPlan["optim"], steps: number, step: number): number {
  if (o.warmupSteps > 0 && step <= o.warmupSteps) return (o.lr * step) / o.warmupSteps;
  const span = Math.max(1, steps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / span);
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * progress));
}
