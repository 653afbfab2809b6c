// Sweep plans: expansion, run keys, shards, ablations, the compression registry and bad input.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCompression, registerCompressionMethod } from "../../loaders/sweep/compression.js";
import { expandPlan, loadPlan, parseShard, shardRuns } from "../../loaders/sweep/plan.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const TINY = join(FIXTURES, "sweep/tiny-plan.json");
const LLAMA = join(FIXTURES, "models/llama");
const planFile = join(FIXTURES, "sweep/plan.json"); // names errors; models are given by absolute path

describe("sweep plans", () => {
  it("expands models × compression × tasks × seeds with the k-shot ablation, in run-id order", async () => {
    const plan = await loadPlan(TINY);
    // 2 models × (7 tasks, mcq once more for k_shot ∈ {0, 2}) × 1 compression × 1 seed
    expect(plan.runs.length).toBe(16);
    expect(new Set(plan.runs.map((r) => r.run_id)).size).toBe(16);
    expect(plan.runs.map((r) => r.run_id)).toEqual([...plan.runs.map((r) => r.run_id)].sort());
    expect(plan.runs.filter((r) => r.task.task === "mcq").map((r) => r.task.k_shot).sort()).toEqual([0, 0, 2, 2]);
    for (const r of plan.runs) expect(r.run_id).toMatch(/^[a-z-]+-[0-9a-f]{20}$/);
    // the same plan gives the same ids; a run's id changes with its seed and its model's weights
    expect((await loadPlan(TINY)).runs.map((r) => r.run_id)).toEqual(plan.runs.map((r) => r.run_id));
    const base = { models: [{ name: "m", path: LLAMA }], tasks: [{ task: "mcq", limit: 2 }] };
    const s0 = await expandPlan({ ...base, seeds: [0] }, planFile);
    const s1 = await expandPlan({ ...base, seeds: [1] }, planFile);
    const reordered = await expandPlan({ tasks: [{ limit: 2, task: "mcq" }], seeds: [0], models: [{ path: LLAMA, name: "m" }] }, planFile);
    expect(s0.runs[0].run_id).not.toBe(s1.runs[0].run_id);
    expect(reordered.runs[0].run_id).toBe(s0.runs[0].run_id);
    const gpt2 = await expandPlan({ ...base, models: [{ name: "m", path: join(FIXTURES, "models/gpt2") }] }, planFile);
    expect(gpt2.runs[0].run_id).not.toBe(s0.runs[0].run_id);
  });

  it("splits into disjoint shards that cover the plan", async () => {
    const plan = await loadPlan(TINY);
    const shards = [0, 1, 2].map((index) => shardRuns(plan.runs, { index, count: 3 }).map((r) => r.run_id));
    expect(shards.flat().sort()).toEqual(plan.runs.map((r) => r.run_id));
    // a (model, compression, seed) group is compressed by one shard only, and the shards are balanced
    const shardOf = new Map(shards.flatMap((ids, s) => ids.map((id) => [id, s] as const)));
    const groups = new Map<string, Set<number>>();
    for (const r of plan.runs) {
      const key = `${r.model.dir} ${JSON.stringify(r.compression)} ${r.seed}`;
      groups.set(key, (groups.get(key) ?? new Set()).add(shardOf.get(r.run_id)!));
    }
    expect(groups.size).toBeGreaterThan(1);
    for (const s of groups.values()) expect(s.size).toBe(1);
    const sizes = shards.map((s) => s.length);
    const largestGroup = Math.max(...[...groups.keys()].map((k) => plan.runs.filter((r) => `${r.model.dir} ${JSON.stringify(r.compression)} ${r.seed}` === k).length));
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(largestGroup);
    expect(shardRuns(plan.runs, { index: 1, count: 3 }).map((r) => r.run_id)).toEqual(shards[1]); // stable
    // more shards than groups: the first groups fill shards 0, 1, …; the rest are empty (no stack overflow from
    // spreading 10^5+ loads into one call)
    for (const count of [130_000, 1_000_000]) {
      expect(shardRuns(plan.runs, { index: 0, count }).length, `${count} shards`).toBeGreaterThan(0);
      expect(shardRuns(plan.runs, { index: count - 1, count })).toEqual([]);
    }
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(() => parseShard("3/3")).toThrow('--shard "3/3": shard index 3 is out of range for 3 shards (0 … 2)');
    expect(() => parseShard("1/0")).toThrow(/shard count must be ≥ 1/);
    expect(() => parseShard("-1/2")).toThrow(/expected i\/n/);
    expect(() => parseShard("a")).toThrow(/expected i\/n/);
  });

  it("fails clearly on unknown tasks, methods and models", async () => {
    const ok = { models: [{ name: "m", path: LLAMA }], tasks: ["mcq"] };
    await expect(expandPlan({ ...ok, tasks: ["mcq", "triviaqa"] }, planFile)).rejects.toThrow(/plan .*plan\.json: tasks\[1\]: field "task": unknown task "triviaqa"/);
    await expect(expandPlan({ ...ok, compression: [{ method: "dense" }, { method: "awq", bits: 5 }] }, planFile)).rejects.toThrow(
      /compression\[1\].*bits/,
    );
    await expect(expandPlan({ ...ok, compression: ["zip"] }, planFile)).rejects.toThrow(/compression\[0\]: unknown compression method "zip"; known: awq, dense, gptq, magnitude, ria, rtn, sparsegpt/);
    await expect(expandPlan({ ...ok, compression: [{ method: "dense", sparsity: 0.5 }] }, planFile)).rejects.toThrow(/method "dense" takes no other fields \(got "sparsity"\)/);
    await expect(expandPlan({ ...ok, models: ["no-such-model"] }, planFile, { modelsDir: "/nonexistent" })).rejects.toThrow(
      /models\[0\] "no-such-model": model directory \/nonexistent\/no-such-model does not exist/,
    );
    await expect(expandPlan({ ...ok, modles: [] }, planFile)).rejects.toThrow(/Unrecognized key.*modles/);
    await expect(expandPlan({ ...ok, seeds: [] }, planFile)).rejects.toThrow(/field "seeds"/);
    await expect(expandPlan({ ...ok, tasks: [{ task: "mcq", prompt: "soft:x" }] }, planFile)).rejects.toThrow(/tasks\[0\]: .*soft prompts are not supported yet/);
    const dir = mkdtempSync(join(tmpdir(), "kick-plan-"));
    writeFileSync(join(dir, "bad.json"), "{ models: ");
    await expect(loadPlan(join(dir, "bad.json"))).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(loadPlan(join(dir, "missing.json"))).rejects.toThrow(/missing\.json: no such file/);
  });

  it("lets a compression module register a method; the calib-sample ablation expands calibrated ones only", async () => {
    registerCompressionMethod({
      method: "test-calibrated",
      parse: (s) => ({ method: s.method, sparsity: s.sparsity ?? 0.5, calibration: { samples: 128, ...((s.calibration as object) ?? {}) } }),
      columns: (s) => ({ method: s.method, pattern: "unstructured", sparsity: s.sparsity as number, bits: null, group_size: null, calib_samples: (s.calibration as { samples: number }).samples, calib_seed: null }),
      calibrated: () => true,
      apply: async (_s, input) => input.model,
    });
    expect(parseCompression({ method: "test-calibrated" }, "x")).toEqual({ method: "test-calibrated", sparsity: 0.5, calibration: { samples: 128 } });
    const plan = await expandPlan(
      { models: [{ name: "m", path: LLAMA }], compression: ["dense", { method: "test-calibrated" }], tasks: ["mcq"], ablations: { calib_samples: [16, 64] } },
      planFile,
    );
    const samples = plan.runs.map((r) => (r.compression.calibration as { samples: number } | undefined)?.samples ?? "dense").sort();
    expect(samples).toEqual([16, 64, "dense"]);
  });
});
