// The sweep runner: runs a plan's runs (or one shard of them) that the store does not have yet, each
// evaluated and written atomically as one folder, with progress and ETA (per run and overall) on stderr.
// Killed at any moment, it loses at most the run in flight; restarted, it skips what is stored. Processes
// sharing one store claim each run before computing it (loaders/sweep/claims.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CausalLM } from "../model/causal-lm.js";
import { canonicalJson, type ModelSpec, parameterCount } from "../model/config.js";
import { evaluateTask } from "../evaluate/index.js";
import type { TaskResult } from "../evaluate/common.js";
import { compressionJson, compressionMethod } from "./compression.js";
import { DenseModels, denseReferenceFor } from "./dense-reference.js";
import { type LoadedModel, loadModel } from "./models.js";
import { compressedModelKey, describeRun, type PlannedModel, type PlannedRun, type Shard, shardRuns, type SweepPlan } from "./plan.js";
import { finishedRun } from "./finished-run.js";
import { tokenizerHash } from "../prompt/prompt-file.js";
import { softPromptSha256 } from "../prompt/resolve.js";
import { checkTasksDirUnchanged } from "../evaluate/tasks-dir.js";
import type { ModelRow } from "./schema.js";
import type { Claim } from "./claims.js";
import type { FinishedRun, ResultsStore } from "./store.js";

export type Log = (line: string) => void;
export { finishedRun };

const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

const fmt = (s: number) => (s < 100 ? `${s.toFixed(1)} s` : s < 6000 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

/** The models-table row of a checkpoint folder: its config.json (canonical JSON) and model card (README.md, "" if none). */
export function modelCardRow(model: PlannedModel, spec: ModelSpec): ModelRow {
  const readme = join(model.dir, "README.md");
  return {
    model: model.name,
    model_hash: model.hash,
    model_params: parameterCount(spec),
    family: spec.family,
    config: canonicalJson(JSON.parse(readFileSync(join(model.dir, "config.json"), "utf8"))),
    card: existsSync(readme) ? readFileSync(readme, "utf8") : "",
  };
}

/** The model a run evaluates: the loaded one with the run's compression applied (dense: itself). */
async function compressFor(run: PlannedRun, loaded: LoadedModel): Promise<CausalLM> {
  const method = compressionMethod(run.compression);
  if (!method.apply) throw new Error(`compression method "${run.compression.method}" is not available yet`);
  return method.apply(run.compression, { modelDir: run.model.dir, spec: loaded.spec, model: loaded.model, seed: run.seed });
}

/** Loads each (model, compression) once and keeps only the latest in memory. */
class ModelCache {
  private key = "";
  private current: (LoadedModel & { compressed: CausalLM }) | null = null;

  async get(run: PlannedRun): Promise<LoadedModel & { compressed: CausalLM }> {
    const key = compressedModelKey(run);
    if (this.current && key === this.key) return this.current;
    await this.dispose();
    const loaded = await loadModel(run.model.dir, run.backend, run.precision ?? "f32");
    let compressed: CausalLM;
    try {
      compressed = await compressFor(run, loaded);
    } catch (e) {
      // a failed compression must not leak the model's GPU device: each run of the plan would open
      // another one until the driver refuses to create more (vkCreateDevice failed)
      await loaded.dispose();
      throw e;
    }
    this.current = { ...loaded, compressed };
    this.key = key;
    return this.current;
  }

  async dispose(): Promise<void> {
    if (this.current) await this.current.dispose();
    this.current = null;
    this.key = "";
  }
}

/** Evaluates one planned run on a loaded model (no store involved). */
export async function executeRun(
  run: PlannedRun,
  loaded: LoadedModel & { compressed?: CausalLM },
  {
    batchSize = 0,
    onProgress,
    promptsDir,
    denseModels,
  }: { batchSize?: number; onProgress?: (done: number, total: number) => void; promptsDir?: string; /** for metrics against the dense model */ denseModels?: DenseModels } = {},
): Promise<FinishedRun & { tokens: number }> {
  // a soft prompt must be the one the run was keyed on (its file may have been retrained since planning)
  if (run.prompt_sha256 && promptsDir && softPromptSha256(promptsDir, run.task.prompt.slice("soft:".length)) !== run.prompt_sha256)
    throw new Error(`soft prompt "${run.task.prompt}" in ${promptsDir} changed since the plan was expanded; expand the plan again`);
  checkTasksDirUnchanged(run.task, run.tasks_dir);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const model = loaded.compressed ?? (await compressFor(run, loaded));
  const dense = denseModels ? denseReferenceFor(run, model, denseModels) : undefined;
  const result = await evaluateTask(run.task, {
    ...(run.tasks_dir ? { tasksDir: run.tasks_dir } : {}),
    model, tokenizer: loaded.tokenizer, seed: run.seed, batchSize, onProgress,
    ...(promptsDir ? { promptsDir, modelTokenizerHash: tokenizerHash(run.model.dir) } : {}),
    ...(dense ? { dense } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  return { ...finishedRun(run, loaded, result, { seconds, startedAt }), tokens: result.tokens };
}

export interface SweepSummary {
  planned: number;
  inShard: number;
  /** Runs found stored (at the start, or stored by another process sharing the store meanwhile). */
  skipped: number;
  done: number;
  failed: { run_id: string; error: string }[];
}

export interface SweepOptions {
  shard?: Shard;
  log?: Log;
  /** The lease on a run (default: claimTtlMs(), KICK_CLAIM_TTL_S). */
  claimTtlMs?: number;
  /** How often to look again at runs that other processes hold (default 2 s). */
  pollMs?: number;
}

const byModelOrder = (a: PlannedRun, b: PlannedRun) => {
  const ka = `${a.model.name}\n${compressionJson(a.compression)}\n${a.seed}\n${a.run_id}`;
  const kb = `${b.model.name}\n${compressionJson(b.compression)}\n${b.seed}\n${b.run_id}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** The runs that are not stored whole; a damaged run folder is moved to the quarantine (and said so). */
async function unstored(runs: readonly PlannedRun[], store: ResultsStore, log: Log): Promise<PlannedRun[]> {
  const todo: PlannedRun[] = [];
  for (const run of runs) {
    const { stored, quarantined } = await store.stored(run.run_id);
    if (quarantined) log(`[sweep] ${quarantined.file}: ${quarantined.problem}; run folder moved to ${quarantined.to}, the run is computed again`);
    if (!stored) todo.push(run);
  }
  return todo;
}

/**
 * Runs the plan's runs of `shard` that `store` lacks, in an order that loads each model once. Each run is claimed
 * first (loaders/sweep/claims.ts), so processes sharing the store (duplicate sweeps, restarted shards) compute it
 * once; runs that others hold are waited for, and taken over if their claim goes stale, so a sweep returns only
 * when every run of its shard is stored or failed here.
 */
export async function runSweep(plan: SweepPlan, store: ResultsStore, { shard, log = stderrLog, claimTtlMs, pollMs = 2000 }: SweepOptions = {}): Promise<SweepSummary> {
  await store.sweepTemporaries();
  const claims = store.claims(claimTtlMs);
  await claims.removeFinished((id) => store.has(id));
  const mine = shard ? shardRuns(plan.runs, shard) : plan.runs;
  const todo = (await unstored(mine, store, log)).sort(byModelOrder);
  const summary: SweepSummary = { planned: plan.runs.length, inShard: mine.length, skipped: mine.length - todo.length, done: 0, failed: [] };
  log(
    `[sweep] plan "${plan.name}": ${plan.runs.length} runs${shard ? `, shard ${shard.index}/${shard.count}: ${mine.length}` : ""}; ` +
      `${summary.skipped} already in ${store.dir}, ${todo.length} to run on ${plan.backend}`,
  );
  const beatEvery = claims.ttlMs / 4;
  const cache = new ModelCache();
  const denseModels = new DenseModels();
  const t0 = performance.now();
  let runSecondsTotal = 0;
  let attempted = 0;

  const compute = async (run: PlannedRun, claim: Claim) => {
    const i = attempted++;
    const label = `[sweep ${i + 1}/${todo.length}] ${describeRun(run)}`;
    const runStart = performance.now();
    let last = 0;
    const onProgress = (done: number, total: number) => {
      claim.beatIfDue(beatEvery); // also while the event loop is too busy for the timer below
      const now = performance.now();
      if (now - last < 1000 && done < total) return;
      last = now;
      const s = (now - runStart) / 1000;
      const eta = done > 0 ? ((total - done) * s) / done : NaN;
      const perRun = i > 0 ? runSecondsTotal / i : Number.isFinite(eta) ? s + eta : NaN;
      const overall = (Number.isFinite(eta) ? eta : 0) + perRun * (todo.length - i - 1);
      log(`${label}: ${done}/${total} · ${fmt(s)}${Number.isFinite(eta) ? ` · ETA ${fmt(eta)}` : ""}${Number.isFinite(overall) ? ` · overall ETA ${fmt(overall)}` : ""}`);
    };
    const timer = setInterval(() => claim.beatIfDue(beatEvery), beatEvery);
    timer.unref();
    try {
      const loaded = await cache.get(run);
      const finished = await executeRun(run, loaded, { batchSize: plan.batchSize, onProgress, promptsDir: plan.promptsDir, denseModels });
      // pooled GPU buffers are sized per task (batch rows × capacity): free them between runs, or a
      // long sweep keeps every size it ever used (tens of GiB per process on an H200)
      (loaded.compressed as { ctx?: { trimPool?: () => void } }).ctx?.trimPool?.();
      const { tokens, ...rows } = finished;
      if (claim.lost) log(`[sweep] warning: the claim on ${run.run_id} went stale while it ran (raise KICK_CLAIM_TTL_S); it is stored only if no other process stored it first`);
      const written = await store.writeRun(rows);
      if (written) summary.done += 1;
      else summary.skipped += 1; // another process stored it meanwhile
      try {
        if (!store.hasModel(run.model.name, run.model.hash)) await store.recordModel(modelCardRow(run.model, loaded.spec));
      } catch (e) {
        log(`[sweep] warning: the model card of ${run.model.name} (${run.model.dir}) was not recorded: ${(e as Error).message}`);
      }
      const runSeconds = (performance.now() - runStart) / 1000;
      runSecondsTotal += runSeconds;
      const left = todo.length - i - 1;
      const rate = tokens / Math.max(finished.run.seconds, 1e-9);
      log(`${label}: done in ${fmt(runSeconds)} (${tokens} tokens, ${rate.toFixed(0)} tokens/s) → ${run.run_id}${left ? ` · ${left} left · overall ETA ${fmt((runSecondsTotal / (i + 1)) * left)}` : ""}`);
    } catch (e) {
      const error = (e as Error).message;
      summary.failed.push({ run_id: run.run_id, error });
      log(`${label}: FAILED: ${error}`);
    } finally {
      clearInterval(timer);
    }
  };

  try {
    let pass = todo;
    let heldBefore = 0;
    while (pass.length) {
      const held: PlannedRun[] = [];
      for (const run of pass) {
        const claim = await claims.acquire(run.run_id);
        if (!claim) {
          held.push(run);
          continue;
        }
        try {
          // checked under the claim: a holder stores its run before releasing it
          if ((await store.stored(run.run_id)).stored) summary.skipped += 1;
          else await compute(run, claim);
        } finally {
          await claim.release();
        }
      }
      if (held.length) {
        if (held.length !== heldBefore) log(`[sweep] ${held.length} run(s) held by other processes sharing ${store.dir}: waiting for them (a stale claim is taken over after ${fmt(claims.ttlMs / 1000)})`);
        await new Promise((done) => setTimeout(done, pollMs));
      }
      heldBefore = held.length;
      const before = held.length;
      pass = await unstored(held, store, log);
      summary.skipped += before - pass.length;
    }
  } finally {
    await cache.dispose();
    await denseModels.dispose();
  }
  log(`[sweep] ${summary.done} run(s) done, ${summary.skipped} skipped, ${summary.failed.length} failed in ${fmt((performance.now() - t0) / 1000)}`);
  return summary;
}
