// Calibration seeds (issue 20 item 2): the plan's calib_seeds ablation and --calib-seeds, the default spec's run keys
// unchanged (checked against the run ids the committed store was written with), refusals on methods without
// calibration, and the calib_seed column (from the run's spec for results files written before it).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { main as compressMain } from "../../loaders/cli/compress.js";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { captureCli } from "./capture-cli.js";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { compressionMethod } from "../../loaders/sweep/compression.js";
import { expandPlan, loadPlan } from "../../loaders/sweep/plan.js";
import { resultsWithModelHash } from "../../loaders/sweep/results-identity.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LLAMA = join(ROOT, "test/fixtures/models/llama");
const EXPORT = join(ROOT, "data/results");
const planFile = join(ROOT, "test/fixtures/sweep/plan.json");
const sql = (s: string) => `'${s.replaceAll("'", "''")}'`;

describe("calibration seeds", () => {
  it("keep every default-spec run key byte-identical: the seed-0 runs of calibration-seeds.json are the committed store's runs", async () => {
    const plan = await loadPlan(join(ROOT, "data/plans/calibration-seeds.json"), { onlyModels: ["kick-s"] });
    const stored = await withDuckDB(async (run) =>
      new Set((await run(`SELECT run_id FROM read_parquet(${sql(join(EXPORT, "runs.parquet"))})`)).map((r) => String(r.run_id))));
    const seedOf = (r: (typeof plan.runs)[number]) => (r.compression.calibration as { seed: number } | undefined)?.seed ?? 0;
    const seed0 = plan.runs.filter((r) => seedOf(r) === 0);
    const calibrated = seed0.filter((r) => r.compression.calibration);
    expect(calibrated.length).toBeGreaterThan(20); // wanda, sparsegpt (50%, 2:4), gptq, awq × 7 tasks
    for (const r of seed0) expect(stored.has(r.run_id), `${r.run_id} ${JSON.stringify(r.compression)}`).toBe(true);
    // seeds 1 and 2 are new runs, of calibrated methods only
    const others = plan.runs.filter((r) => seedOf(r) !== 0);
    expect(others.length).toBe(2 * calibrated.length);
    for (const r of others) expect(stored.has(r.run_id)).toBe(false);
  });

  it("the calib_seeds ablation (or --calib-seeds) repeats calibrated entries once per seed, each its own run and column", async () => {
    const base = {
      models: [{ name: "m", path: LLAMA }],
      compression: [{ method: "magnitude", sparsity: 0.5 }, { method: "wanda", sparsity: 0.5, calibration: { samples: 4, seqLen: 16 } }, { method: "rtn", bits: 4 }],
      tasks: [{ task: "mcq", limit: 2 }],
    };
    const p = await expandPlan({ ...base, ablations: { calib_seeds: [0, 3] } }, planFile);
    const got = p.runs.map((r) => { const c = compressionMethod(r.compression).columns(r.compression); return `${c.method}:${c.calib_seed}`; }).sort();
    expect(got).toEqual(["magnitude:null", "rtn:null", "wanda:0", "wanda:3"]);
    expect(new Set(p.runs.map((r) => r.run_id)).size).toBe(4);
    // seed 0 is the spec without the ablation; the option overrides the plan's list
    const plain = await expandPlan(base, planFile);
    const wanda0 = p.runs.find((r) => r.compression.method === "wanda" && (r.compression.calibration as { seed: number }).seed === 0)!;
    expect(plain.runs.map((r) => r.run_id)).toContain(wanda0.run_id);
    const over = await expandPlan({ ...base, ablations: { calib_seeds: [0, 3] } }, planFile, { calibSeeds: [5] });
    expect(over.runs.filter((r) => r.compression.method === "wanda").map((r) => (r.compression.calibration as { seed: number }).seed)).toEqual([5]);
  });

  it("kick sweep --calib-seeds lists the seeds' runs in a dry run and refuses a bad list by value", async () => {
    const plan = join(ROOT, "data/plans/calibration-seeds.json");
    const dry = await captureCli(() => sweepMain(["--plan", plan, "--models", "kick-s", "--calib-seeds", "4", "--dry-run", "--store", join(mkdtempSync(join(tmpdir(), "calib-seed-")), "store")]));
    expect(dry.code).toBe(0);
    const lines = dry.out.trim().split("\n");
    expect(lines.length).toBe(70); // 7 tasks × (dense, magnitude ×2, rtn, and wanda ×2, sparsegpt ×2, gptq, awq at seed 4)
    expect(lines.filter((l) => l.includes('"seed":4')).length).toBe(42);
    const bad = await captureCli(() => sweepMain(["--plan", plan, "--calib-seeds", "0,x", "--dry-run"]));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--calib-seeds: expected non-negative integers separated by commas, got "0,x" \("x" is not one\)/);
  });

  it("refuses a calibration on a method that uses none, by name, in plans and in kick compress", async () => {
    const plan = { models: [{ name: "m", path: LLAMA }], tasks: ["mcq"], compression: [{ method: "magnitude", sparsity: 0.5, calibration: { seed: 1 } }] };
    await expect(expandPlan(plan, planFile)).rejects.toThrow(/compression\[0\]: field "calibration": method "magnitude" uses no calibration samples/);
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const out = join(mkdtempSync(join(tmpdir(), "calib-seed-")), "out");
      expect(await compressMain(["--model", LLAMA, "--out", out, "--method", "rtn", "--bits", "4", "--seed", "1"])).toBe(2);
      expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/--seed does not apply to --method rtn: it uses no calibration samples/);
    } finally {
      err.mockRestore();
    }
  });

  it("reads calib_seed of results files written before the column from the run's stored spec", async () => {
    const rows = await withDuckDB(async (run) => {
      await run(`CREATE TABLE results AS SELECT * FROM (VALUES ('a', 'h', 128), ('b', 'h', NULL::INTEGER)) t(run_id, model_hash, calib_samples)`);
      await run(`CREATE TABLE runs AS SELECT * FROM (VALUES ('a', 'h', '{"calibration":{"samples":128,"seed":7},"method":"wanda"}'), ('b', 'h', '{"method":"magnitude"}')) t(run_id, model_hash, compression)`);
      // the full column list is the schema's; only the identity columns matter here
      return run(`SELECT run_id, calib_seed FROM (${resultsWithModelHash("(SELECT *, NULL AS model, NULL AS model_params, NULL AS family, NULL AS method, NULL AS pattern, NULL AS sparsity, NULL AS bits, NULL AS group_size, NULL AS prompt, NULL AS seed, NULL AS task, NULL AS subset, NULL AS metric, NULL AS value, NULL AS n, NULL AS ci_low, NULL AS ci_high, NULL AS device, NULL AS seconds, NULL AS code_version, NULL AS created_at FROM results)", "runs")}) ORDER BY run_id`);
    });
    expect(rows).toEqual([{ run_id: "a", calib_seed: 7 }, { run_id: "b", calib_seed: null }]);
  });
});
