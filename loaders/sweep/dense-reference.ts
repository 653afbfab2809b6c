// The dense model a sweep run is compared with (issue 20, beyond accuracy): KL on the perplexity windows and the
// dense perplexity of generated answers. A compressed run's dense model is its plan model's checkpoint, loaded
// on first use (a second copy: compression may change the loaded weights in place) and kept for the next
// runs of the same checkpoint; a dense run is its own reference. A checkpoint that holds compression.json
// (a `kick compress` output used as a plan model) has none. Dense log-probs of perplexity windows are
// cached under KICK_DENSE_CACHE (default .cache/dense-logprobs), keyed by weights hash and window set.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DenseReference } from "../evaluate/common.js";
import type { CausalLM } from "../model/causal-lm.js";
import { type Backend, type LoadedModel, loadModel } from "./models.js";
import type { PlannedRun } from "./plan.js";

/** Tasks whose evaluators use a dense reference (perplexity.ts, factoid-qa.ts, icr-qa.ts). */
const USES_DENSE = new Set(["perplexity", "factoid_qa", "icr_qa"]);

export const denseCacheDir = (): string => resolve(process.env.KICK_DENSE_CACHE || ".cache/dense-logprobs");

/** One dense checkpoint loaded at a time. */
export class DenseModels {
  private key = "";
  private current: LoadedModel | null = null;

  async get(dir: string, backend: Backend): Promise<CausalLM> {
    const key = `${backend}\n${dir}`;
    if (this.current && key === this.key) return this.current.model;
    await this.dispose();
    this.current = await loadModel(dir, backend);
    this.key = key;
    return this.current.model;
  }

  async dispose(): Promise<void> {
    if (this.current) await this.current.dispose();
    this.current = null;
    this.key = "";
  }
}

/**
 * The run's dense reference, or undefined for a task that uses none. `evaluated` is the model the run evaluates
 * (for a dense run, the reference itself).
 */
export function denseReferenceFor(run: PlannedRun, evaluated: CausalLM, models: DenseModels): DenseReference | undefined {
  // a `kick compress` output entered as a model (the soft-prompt plans) is not dense: its dense model is unknown here
  if (!USES_DENSE.has(run.task.task) || existsSync(join(run.model.dir, "compression.json"))) return undefined;
  const self = run.compression.method === "dense";
  return {
    modelHash: run.model.hash,
    self,
    cacheDir: denseCacheDir(),
    model: self ? async () => evaluated : () => models.get(run.model.dir, run.backend),
  };
}
