// Results are finite or the run fails (issue 25): a NaN weight is refused when the checkpoint is read, naming the
// tensor and file; logits that overflow to ±Infinity (finite weights, as an fp overflow in a real model) fail the
// run instead of being stored as a plausible perplexity or an MCQ accuracy of 0, so a later sweep recomputes it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../loaders/sweep/models.js";
import { loadPlan } from "../../loaders/sweep/plan.js";
import { finishedRun, runSweep } from "../../loaders/sweep/runner.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { editedCheckpoint } from "./edit-checkpoint.js";

const LLAMA = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "kick-finite-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const quiet = () => {};

let made = 0;
/** A CPU plan of `tasks` on the checkpoint in `modelDir`, dense, seed 0. */
function plan(modelDir: string, tasks: object[]) {
  const file = join(tmp, `plan-${made++}.json`);
  writeFileSync(file, JSON.stringify({ name: "finite", backend: "cpu", compression: ["dense"], seeds: [0], models: [{ name: "llama-fixture", path: modelDir }], tasks }));
  return loadPlan(file);
}

async function sweep(modelDir: string, tasks: object[]) {
  const store = await ResultsStore.open(join(tmp, `store-${made++}`), { create: true });
  const summary = await runSweep(await plan(modelDir, tasks), store, { log: quiet });
  return { summary, stored: await store.finishedRunIds() };
}

const PERPLEXITY = { task: "perplexity", items: "ci", limit: 1, seq_len: 64 };
const MCQ = { task: "mcq", items: "ci", limit: 2, scoring: ["loglik"] };

describe("non-finite numbers never become results", () => {
  it("a NaN in one q_proj weight: the checkpoint is refused, naming the tensor and the file", async () => {
    const dir = editedCheckpoint(LLAMA, join(tmp, "nan-q"), { "model.layers.1.self_attn.q_proj.weight": (w) => void (w[5 * 32 + 3] = NaN) });
    const message = /model\.safetensors: tensor "model\.layers\.1\.self_attn\.q_proj\.weight": non-finite value NaN at row 5, column 3/;
    await expect(loadModel(dir, "cpu")).rejects.toThrow(message);
    const { summary, stored } = await sweep(dir, [PERPLEXITY]);
    expect(summary.failed.map((f) => f.error)).toEqual([expect.stringMatching(message)]);
    expect(stored).toEqual([]);
  });

  it("logits that overflow to ±Infinity fail perplexity and MCQ runs; neither is stored", async () => {
    // finite f32 weights whose product overflows f32 in the logits
    const dir = editedCheckpoint(LLAMA, join(tmp, "overflow"), { "model.norm.weight": (w) => w.fill(3e38), "lm_head.weight": (w) => w.fill(3e38) });
    const { summary, stored } = await sweep(dir, [PERPLEXITY, MCQ]);
    expect(summary.done).toBe(0);
    expect(summary.failed.map((f) => f.error)).toEqual([
      expect.stringMatching(/^forward: logit -?Infinity at row \d+, token id \d+ \(non-finite logits/),
      expect.stringMatching(/^forward: logit -?Infinity at row \d+, token id \d+ \(non-finite logits/),
    ]);
    expect(stored).toEqual([]);
    // the clean checkpoint stores both runs: the failures are the logits', not the plan's
    expect((await sweep(LLAMA, [PERPLEXITY, MCQ])).stored).toHaveLength(2);
  });

  it("a non-finite metric fails the run rather than being dropped from it", async () => {
    const loaded = await loadModel(LLAMA, "cpu");
    const [run] = (await plan(LLAMA, [PERPLEXITY])).runs;
    const result = { task: "perplexity" as const, tokens: 1, examples: [], results: [{ subset: "all", metric: "perplexity", value: NaN, n: 1, ci_low: null, ci_high: null }] };
    expect(() => finishedRun(run, loaded, result, { seconds: 1, startedAt: "2026-01-01T00:00:00Z" })).toThrow(/all\/perplexity is NaN; the run is not stored/);
  });
});
