// Sweep plans: a JSON file of models × compression specs × tasks × seeds, plus ablations (k-shot for
// mcq tasks, calibration samples for calibrated compression methods), expanded into runs. Each run is
// keyed by a content hash of (model weights, compression spec, task spec, seed, backend, code version),
// so an unchanged run is never recomputed and a changed input is never mistaken for a finished run.
//
// {
//   "name": "tiny",
//   "backend": "cpu",                                  // cpu | gpu
//   "models": [{"name": "llama-fixture", "path": "../models/llama"}, "kick-s"],   // path relative to the plan file;
//                                                       // a bare name means data/models/<name>
//   "compression": [{"method": "dense"}],
//   "tasks": [{"task": "mcq", "items": "ci", "limit": 8}, "factoid_qa"],
//   "seeds": [0],
//   "ablations": {"k_shot": [0, 1, 3], "calib_samples": [16, 128], "calib_seeds": [0, 1, 2]},
//   "prompts_dir": "../prompts",                       // soft prompts (kick prompt --out), relative to the plan file
//   "prompts": ["none", "paper-b", "soft:{model}-c4", "soft:*-c4"],  // an axis over every task whose prompt is none
//   "tasks_dir": "../imported"                         // task suites (kick tasks import), relative to the plan file
// }
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { canonicalJson } from "../model/config.js";
import { hardPromptPrefix, parseTaskSpec, taskSpecId, taskSpecJson, type TaskSpec } from "../evaluate/task-spec.js";
import { compressionJson, compressionMethod, parseCompression, type CompressionSpecObject } from "./compression.js";
import { BACKENDS, type Backend, checkModelDir, modelWeightsHash } from "./models.js";
import { codeVersion } from "./provenance.js";
import { PRECISIONS } from "../model/half-weights.js";
import { bindTasksDir, checkTasksDir } from "../evaluate/tasks-dir.js";
import { checkSoftPrompt, expandPromptAlias, expandPromptEntry, isSoft, minTextTokens } from "../prompt/resolve.js";

export const DEFAULT_MODELS_DIR = resolve(fileURLToPath(new URL("../../data/models", import.meta.url)));

const ModelEntry = z.union([
  z.string().min(1),
  z.object({ name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"), path: z.string().min(1).optional() }).strict(),
]);

export const SweepPlanSchema = z
  .object({
    name: z.string().min(1).default("sweep"),
    backend: z.enum(BACKENDS).default("cpu"),
    /** the GPU matmuls' operand precision (loaders/model/half-weights.ts); part of the run key when f16 */
    precision: z.enum(PRECISIONS).default("f32"),
    /** rows per forward on models without a KV cache; results do not depend on it */
    // 0: the evaluators choose by memory (loaders/model/generate.ts defaultBatchRows); results do not depend on it
    batch_size: z.number().int().min(0).max(1024).default(0),
    models: z.array(ModelEntry).min(1),
    compression: z.array(z.unknown()).min(1).default([{ method: "dense" }]),
    tasks: z.array(z.unknown()).min(1),
    seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).default([0]),
    ablations: z
      .object({
        k_shot: z.array(z.number().int().min(0).max(5)).min(1).optional(),
        calib_samples: z.array(z.number().int().positive()).min(1).optional(),
        /** calibration sampling seeds (the spec's calibration.seed) of the calibrated methods; seed 0 is the default spec */
        calib_seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).optional(),
      })
      .strict()
      .default({}),
    /** folder of soft prompts (kick prompt --out); relative to the plan file; --prompts-dir overrides */
    prompts_dir: z.string().min(1).optional(),
    /** prompt axis for every task whose prompt is "none": none | paper-b | hard:<text> | soft:<id> | soft:<glob> | soft:…{model}… */
    prompts: z.array(z.string().min(1)).min(1).optional(),
    /** folder of task suites (kick tasks import) instead of data/tasks; relative to the plan file; --tasks-dir overrides */
    tasks_dir: z.string().min(1).optional(),
  })
  .strict();

export interface PlannedModel {
  name: string;
  dir: string;
  hash: string;
}

export interface PlannedRun {
  run_id: string;
  model: PlannedModel;
  compression: CompressionSpecObject;
  task: TaskSpec;
  seed: number;
  backend: Backend;
  code_version: string;
  /** sha256 of the soft prompt's prompt.safetensors (soft:<id> runs only): the id alone is not content */
  prompt_sha256?: string;
  /** f16 operands in the GPU matmuls; absent for f32 (so f32 runs keep the keys they had before precision existed) */
  precision?: "f16";
  /** the task suites' folder when not data/tasks (its hash is the task spec's tasks_sha256, keyed); not keyed itself */
  tasks_dir?: string;
}

export interface SweepPlan {
  name: string;
  file: string;
  backend: Backend;
  batchSize: number;
  runs: PlannedRun[];
  /** folder of soft prompts, when the plan uses any */
  promptsDir?: string;
}

/** The key of a run: sha256 of everything its numbers depend on. */
export function runKey(r: Omit<PlannedRun, "run_id" | "tasks_dir">): string {
  const key = canonicalJson({
    model_hash: r.model.hash,
    compression: JSON.parse(compressionJson(r.compression)),
    task: JSON.parse(taskSpecJson(r.task)),
    seed: r.seed,
    backend: r.backend,
    code_version: r.code_version,
    ...(r.prompt_sha256 ? { prompt_sha256: r.prompt_sha256 } : {}),
    ...(r.precision ? { precision: r.precision } : {}),
  });
  return createHash("sha256").update(key).digest("hex").slice(0, 20);
}

export const runIdFor = (r: Omit<PlannedRun, "run_id" | "tasks_dir">): string => `${r.task.task.replace(/_/g, "-")}-${runKey(r)}`;

/** Reads, validates and expands a plan file. Every error names the file and the entry. */
export interface PlanOptions {
  modelsDir?: string;
  promptsDir?: string;
  /** folder of task suites (overrides the plan's "tasks_dir") */
  tasksDir?: string;
  /** Keep only these models of the plan (by name); the others are neither loaded nor expanded. */
  onlyModels?: readonly string[];
  /** calibration seeds of the calibrated methods (overrides the plan's ablations.calib_seeds) */
  calibSeeds?: readonly number[];
}

export async function loadPlan(file: string, { modelsDir = DEFAULT_MODELS_DIR, promptsDir, tasksDir, onlyModels, calibSeeds }: PlanOptions = {}): Promise<SweepPlan> {
  if (!existsSync(file)) throw new Error(`plan ${file}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`plan ${file}: not valid JSON (${(e as Error).message})`);
  }
  return expandPlan(json, file, { modelsDir, promptsDir, tasksDir, onlyModels, calibSeeds });
}

export async function expandPlan(
  json: unknown,
  file: string,
  { modelsDir = DEFAULT_MODELS_DIR, promptsDir: promptsDirOverride, tasksDir: tasksDirOverride, onlyModels, calibSeeds: calibSeedsOverride }: PlanOptions = {},
): Promise<SweepPlan> {
  const parsed = SweepPlanSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`plan ${file}: field "${issue.path.join(".") || "(plan)"}": ${issue.message}`);
  }
  const p = parsed.data;
  if (p.precision === "f16" && p.backend !== "gpu") throw new Error(`plan ${file}: field "precision": f16 needs "backend": "gpu" (the cpu backend is the float64 reference)`);
  const base = dirname(resolve(file));

  const nameOf = (entry: (typeof p.models)[number]) => (typeof entry === "string" ? entry : entry.name);
  for (const name of onlyModels ?? []) {
    if (!p.models.some((entry) => nameOf(entry) === name)) throw new Error(`plan ${file}: no model "${name}" (the plan has ${p.models.map(nameOf).join(", ")})`);
  }
  const models: PlannedModel[] = [];
  for (const [i, entry] of p.models.entries()) {
    const name = nameOf(entry);
    if (onlyModels && !onlyModels.includes(name)) continue;
    const path = typeof entry === "string" ? undefined : entry.path;
    const dir = path ? (isAbsolute(path) ? path : join(base, path)) : join(modelsDir, name);
    checkModelDir(dir, `plan ${file}: models[${i}] "${name}"`);
    if (models.some((m) => m.name === name)) throw new Error(`plan ${file}: models[${i}]: the name "${name}" is used twice`);
    models.push({ name, dir, hash: await modelWeightsHash(dir) });
  }

  // calibration ablations: each calibrated entry once per count and per seed (uncalibrated entries once)
  let entries = p.compression.map((c, i) => ({ c: parseCompression(c, `plan ${file}: compression[${i}]`), i }));
  const calibAxes = [
    ["calib_samples", "samples", p.ablations.calib_samples],
    ["calib_seeds", "seed", calibSeedsOverride ?? p.ablations.calib_seeds],
  ] as const;
  for (const [name, field, values] of calibAxes) {
    if (!values) continue;
    entries = entries.flatMap(({ c, i }) => {
      if (!compressionMethod(c).calibrated(c)) return [{ c, i }];
      const where = (v: number) => `plan ${file}: compression[${i}] with ${name} ${v}`;
      return values.map((v) => ({ c: parseCompression({ ...c, calibration: { ...((c.calibration as object) ?? {}), [field]: v } }, where(v)), i }));
    });
  }
  const compressions = entries.map(({ c }) => c);

  const promptsDir = promptsDirOverride ?? (p.prompts_dir ? (isAbsolute(p.prompts_dir) ? p.prompts_dir : join(base, p.prompts_dir)) : undefined);
  const tasksDirPath = tasksDirOverride ?? (p.tasks_dir ? (isAbsolute(p.tasks_dir) ? p.tasks_dir : join(base, p.tasks_dir)) : undefined);
  const tasksDir = tasksDirPath === undefined ? undefined : checkTasksDir(tasksDirPath, tasksDirOverride ? "--tasks-dir" : `plan ${file}: tasks_dir`);
  const withAlias = (t: unknown) =>
    t && typeof t === "object" && typeof (t as { prompt?: unknown }).prompt === "string" ? { ...t, prompt: expandPromptAlias((t as { prompt: string }).prompt) } : t;
  let tasks = p.tasks.map((t, i) => {
    const spec = bindTasksDir(parseTaskSpec(withAlias(t), `plan ${file}: tasks[${i}]`), tasksDir, `plan ${file}: tasks[${i}]`);
    if (!isSoft(spec.prompt)) hardPromptPrefix(spec);
    else if (!promptsDir)
      throw new Error(`plan ${file}: tasks[${i}]: prompt "${spec.prompt}" needs a prompts folder (soft prompts are not supported yet without one): set the plan's "prompts_dir" or pass --prompts-dir DIR`);
    return spec;
  });
  if (p.ablations.k_shot) {
    const ks = p.ablations.k_shot;
    tasks = tasks.flatMap((t) => (t.task === "mcq" ? ks.map((k) => parseTaskSpec({ ...t, k_shot: k }, `plan ${file}: k_shot ablation`)) : [t]));
  }

  // prompts: a task's own prompt, or (when it is "none") every entry of the plan's prompt axis, per model
  const soft = new Map<string, string>(); // model dir + prompt → sha256
  const patternHits = new Map<number, number>();
  const promptsFor = async (model: PlannedModel, task: TaskSpec, i: number): Promise<{ task: TaskSpec; sha?: string }[]> => {
    const entries: { prompt: string; where: string }[] = [];
    if (task.prompt !== "none" || !p.prompts) entries.push({ prompt: task.prompt, where: `plan ${file}: tasks[${i}]` });
    else
      p.prompts.forEach((e, j) => {
        const where = `plan ${file}: prompts[${j}] "${e}"`;
        const got = expandPromptEntry(e, model.name, model.dir, promptsDir, where);
        patternHits.set(j, (patternHits.get(j) ?? 0) + got.length);
        for (const prompt of got) entries.push({ prompt, where });
      });
    const out: { task: TaskSpec; sha?: string }[] = [];
    for (const { prompt, where } of entries) {
      parseTaskSpec({ task: task.task, prompt }, where); // validates the prompt string
      const spec: TaskSpec = { ...task, prompt };
      if (!isSoft(prompt)) { hardPromptPrefix(spec); out.push({ task: spec }); continue; }
      const key = `${model.dir}\n${prompt}\n${minTextTokens(task)}`;
      if (!soft.has(key)) soft.set(key, (await checkSoftPrompt(promptsDir, prompt, model.dir, `${where}, model "${model.name}"`, minTextTokens(task))).sha256);
      out.push({ task: spec, sha: soft.get(key) });
    }
    return out;
  };

  const version = codeVersion();
  const runs = new Map<string, PlannedRun>();
  for (const model of models) {
    for (const compression of compressions) {
      for (const [i, t] of tasks.entries()) {
        for (const { task, sha } of await promptsFor(model, t, i)) {
          for (const seed of p.seeds) {
            const r = { model, compression, task, seed, backend: p.backend, code_version: version, ...(sha ? { prompt_sha256: sha } : {}), ...(p.precision === "f16" ? { precision: "f16" as const } : {}) };
            const run_id = runIdFor(r);
            if (!runs.has(run_id)) runs.set(run_id, { run_id, ...r, ...(tasksDir?.sha256 ? { tasks_dir: tasksDir.dir } : {}) });
          }
        }
      }
    }
  }
  for (const [j, e] of (p.prompts ?? []).entries())
    if (e.includes("*") && !patternHits.get(j)) throw new Error(`plan ${file}: prompts[${j}] "${e}" matches no prompt in ${promptsDir} that fits any model of the plan`);
  const sorted = [...runs.values()].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
  return { name: p.name, file, backend: p.backend, batchSize: p.batch_size, runs: sorted, ...(promptsDir ? { promptsDir } : {}) };
}

export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard "${text}": expected i/n with 0 ≤ i < n, e.g. 0/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`--shard "${text}": the shard count must be ≥ 1`);
  if (index >= count) throw new Error(`--shard "${text}": shard index ${index} is out of range for ${count} shards (0 … ${count - 1})`);
  return { index, count };
}

/** What a run's model is made from: runs with the same key evaluate the same compressed model. */
export const compressedModelKey = (r: PlannedRun): string => `${r.model.dir}\n${r.backend}\n${r.precision ?? "f32"}\n${compressionJson(r.compression)}\n${r.seed}`;

/**
 * The runs of one shard. Runs that share a model, compression and seed stay together, so each shard compresses
 * a model once per spec instead of every shard redoing it; the groups (largest first, ties by key) go to the
 * shard with the fewest runs so far. Disjoint, covering, and a function of the plan alone.
 */
export function shardRuns(runs: readonly PlannedRun[], shard: Shard): PlannedRun[] {
  const groups = new Map<string, PlannedRun[]>();
  for (const r of runs) {
    const key = compressedModelKey(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const load = new Array<number>(shard.count).fill(0);
  const mine = new Set<PlannedRun>();
  const ordered = [...groups.entries()].sort(([ka, a], [kb, b]) => b.length - a.length || (ka < kb ? -1 : ka > kb ? 1 : 0));
  for (const [, group] of ordered) {
    let target = 0; // the least-loaded shard (a loop: spreading 100k+ loads into Math.min overflows the stack)
    for (let s = 1; s < load.length; s++) if (load[s]! < load[target]!) target = s;
    load[target] += group.length;
    if (target === shard.index) for (const r of group) mine.add(r);
  }
  return runs.filter((r) => mine.has(r));
}

/** One line describing a run, for progress and logs. */
export const describeRun = (r: PlannedRun): string =>
  `${r.model.name} · ${r.compression.method === "dense" ? "dense" : compressionJson(r.compression)} · ${taskSpecId(r.task)} · seed ${r.seed}`;
