// A finished evaluation as the results store's rows (results, examples, runs), shared by the sweep runner and the
// browser's "Compress it yourself" (loaders/browser/), which makes the same rows without storing them.
import { parameterCount } from "../model/config.js";
import { NonFiniteError } from "../model/finite.js";
import type { TaskResult } from "../evaluate/common.js";
import { promptColumn, taskSpecJson } from "../evaluate/task-spec.js";
import { compressionJson, compressionMethod } from "./compression.js";
import type { LoadedModel } from "./models.js";
import type { PlannedRun } from "./plan.js";
import { gitCommit } from "./provenance.js";
import type { ExampleRow, ResultRow } from "./schema.js";
import type { FinishedRun } from "./store.js";

/**
 * Turns an evaluation into the store's rows. A non-finite aggregate fails the run (NonFiniteError): stored, it
 * would count as finished and never be recomputed.
 */
export function finishedRun(
  run: PlannedRun,
  loaded: Pick<LoadedModel, "spec" | "device">,
  result: TaskResult,
  { seconds, startedAt }: { seconds: number; startedAt: string },
): FinishedRun {
  const cols = compressionMethod(run.compression).columns(run.compression);
  const createdAt = new Date().toISOString();
  const results: ResultRow[] = [];
  for (const r of result.results) {
    if (!Number.isFinite(r.value)) throw new NonFiniteError(`run ${run.run_id}: ${r.subset}/${r.metric} is ${r.value}; the run is not stored`);
    results.push({
      run_id: run.run_id,
      model: run.model.name,
      model_hash: run.model.hash,
      model_params: parameterCount(loaded.spec),
      family: loaded.spec.family,
      ...cols,
      prompt: promptColumn(run.task),
      seed: run.seed,
      task: run.task.task,
      subset: r.subset,
      metric: r.metric,
      value: r.value,
      n: r.n,
      ci_low: r.ci_low !== null && Number.isFinite(r.ci_low) ? r.ci_low : null,
      ci_high: r.ci_high !== null && Number.isFinite(r.ci_high) ? r.ci_high : null,
      device: loaded.device,
      seconds,
      code_version: run.code_version,
      created_at: createdAt,
    });
  }
  const examples: ExampleRow[] = result.examples.map((e) => ({
    run_id: run.run_id,
    task: run.task.task,
    ...e,
    logprob: e.logprob !== null && Number.isFinite(e.logprob) ? e.logprob : null,
  }));
  return {
    run: {
      run_id: run.run_id,
      model: run.model.name,
      model_hash: run.model.hash,
      compression: compressionJson(run.compression),
      task_spec: taskSpecJson(run.task),
      device: loaded.device,
      code_version: run.code_version,
      git_commit: gitCommit(),
      started_at: startedAt,
      seconds,
    },
    results,
    examples,
  };
}
