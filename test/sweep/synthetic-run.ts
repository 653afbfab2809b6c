// A small finished run with made-up numbers, for tests of the store itself (no model involved).
import type { FinishedRun } from "../../loaders/sweep/store.js";

export function finishedRun(runId: string, value = 0.5): FinishedRun {
  const common = { run_id: runId, model: "kick-s", model_hash: "abc", model_params: 6.1e6, family: "kick", method: "wanda", pattern: "2:4", sparsity: 0.5 };
  return {
    run: { run_id: runId, model: "kick-s", model_hash: "abc", compression: "{}", task_spec: "{}", device: "cpu", code_version: "1", git_commit: "", started_at: "2026-01-01T00:00:00Z", seconds: 1 },
    results: [
      { ...common, bits: null, group_size: null, calib_samples: 128, calib_seed: 0, prompt: "none", seed: 0, task: "factoid_qa", subset: "all", metric: "accuracy", value, n: 200, ci_low: value - 0.07, ci_high: value + 0.07, device: "cpu", seconds: 1.5, code_version: "1", created_at: "2026-01-01T00:00:00Z" },
    ],
    examples: [
      { run_id: runId, task: "factoid_qa", example_id: "q1", prediction: "Paris", reference: "Paris", correct: true, logprob: -0.25 },
      { run_id: runId, task: "factoid_qa", example_id: "q2", prediction: "", reference: "Lima", correct: false, logprob: null },
    ],
  };
}
