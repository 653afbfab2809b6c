// Flips (src/components/flips-sql.ts) on a hand-made store: the SQL's counts and intervals must equal a
// plain TypeScript loop over the same examples, paired with the dense run of the same name AND weights.
import { describe, expect, it } from "vitest";
import { wilsonInterval } from "../../loaders/evaluate/scoring.js";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { FLIPS_SQL } from "../../src/components/flips-sql.js";

interface Run { run_id: string; model: string; hash: string; method: string; sparsity: number; seed: number; task: string; prompt?: string; k?: number }
const RUNS: Run[] = [
  { run_id: "d", model: "m", hash: "h1", method: "dense", sparsity: 0, seed: 0, task: "qa" },
  { run_id: "d-seed1", model: "m", hash: "h1", method: "dense", sparsity: 0, seed: 1, task: "qa" }, // a later dense seed: not the reference
  { run_id: "d-other-weights", model: "m", hash: "h2", method: "dense", sparsity: 0, seed: 0, task: "qa" }, // same name, other weights
  { run_id: "p50", model: "m", hash: "h1", method: "wanda", sparsity: 0.5, seed: 0, task: "qa" },
  { run_id: "p50-seed1", model: "m", hash: "h1", method: "wanda", sparsity: 0.5, seed: 1, task: "qa" },
  { run_id: "p50-h2", model: "m", hash: "h2", method: "wanda", sparsity: 0.5, seed: 0, task: "qa" },
  { run_id: "p50-soft", model: "m", hash: "h1", method: "wanda", sparsity: 0.5, seed: 0, task: "qa", prompt: "soft:x" }, // prompted: left out
  { run_id: "d-3shot", model: "m", hash: "h1", method: "dense", sparsity: 0, seed: 0, task: "qa", k: 3 },
  { run_id: "p50-3shot", model: "m", hash: "h1", method: "wanda", sparsity: 0.5, seed: 0, task: "qa", k: 3 },
];

// A deterministic pseudo-random correctness per (run, item); item 7 is missing from p50 (an item-limited run).
const hash = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
const ITEMS = 40;
const EXAMPLES = RUNS.flatMap((r) =>
  Array.from({ length: ITEMS }, (_, i) => ({ run_id: r.run_id, example_id: `qa/${i}`, correct: hash(`${r.run_id}:${i}`) % 3 !== 0 })).filter((e) => !(e.run_id === "p50" && e.example_id === "qa/7")),
);

/** The reference: a loop over the examples, per (compressed cell, k-shot), pooled over seeds. */
function loopFlips(cellRuns: Run[], dense: Run) {
  const denseOf = new Map(EXAMPLES.filter((e) => e.run_id === dense.run_id).map((e) => [e.example_id, e.correct]));
  let n = 0, r2w = 0, w2r = 0;
  for (const run of cellRuns) {
    for (const e of EXAMPLES.filter((x) => x.run_id === run.run_id)) {
      const d = denseOf.get(e.example_id);
      if (d === undefined) continue;
      n++;
      if (d && !e.correct) r2w++;
      if (!d && e.correct) w2r++;
    }
  }
  return { n, r2w, w2r };
}

async function sqlFlips() {
  return withDuckDB(async (run) => {
    const resultRows = RUNS.flatMap((r) => [
      `('${r.run_id}', '${r.model}', '${r.hash}', 1e6, '${r.method}', 'unstructured', ${r.sparsity}, NULL::INTEGER, NULL::INTEGER, ${r.method === "dense" ? "NULL::INTEGER" : 128}, '${r.prompt ?? "none"}', ${r.seed}, '${r.task}', 'all', 'accuracy', 0.5, ${ITEMS}, 0.4, 0.6)`,
      ...(r.k ? [`('${r.run_id}', '${r.model}', '${r.hash}', 1e6, '${r.method}', 'unstructured', ${r.sparsity}, NULL::INTEGER, NULL::INTEGER, ${r.method === "dense" ? "NULL::INTEGER" : 128}, '${r.prompt ?? "none"}', ${r.seed}, '${r.task}', 'all', 'k_shot', ${r.k}, ${ITEMS}, NULL, NULL)`] : []),
    ]);
    await run(`CREATE TABLE results AS SELECT * FROM (VALUES ${resultRows.join(", ")})
      t(run_id, model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples, prompt, seed, task, subset, metric, value, n, ci_low, ci_high)`);
    await run(`CREATE TABLE examples AS SELECT * FROM (VALUES ${EXAMPLES.map((e) => `('${e.run_id}', 'qa', '${e.example_id}', ${e.correct})`).join(", ")}) t(run_id, task, example_id, correct)`);
    return (await run(FLIPS_SQL)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  });
}

const byId = (id: string) => RUNS.find((r) => r.run_id === id)!;

describe("flips against the dense model", () => {
  it("equal a plain loop over the examples, per weights and k-shot, pooled over seeds, with Wilson intervals", async () => {
    const rows = await sqlFlips();
    const cases = [
      { hash: "h1", k: 0, runs: ["p50", "p50-seed1"], dense: "d" },
      { hash: "h2", k: 0, runs: ["p50-h2"], dense: "d-other-weights" },
      { hash: "h1", k: 3, runs: ["p50-3shot"], dense: "d-3shot" },
    ];
    expect(rows.length).toBe(cases.length); // the prompted run and the dense runs make no rows
    for (const c of cases) {
      const row = rows.find((r) => r.model_hash === c.hash && r.k_shot === c.k)!;
      const want = loopFlips(c.runs.map(byId), byId(c.dense));
      expect(want.r2w + want.w2r).toBeGreaterThan(0);
      expect(row.n).toBe(want.n);
      expect(row.seeds).toBe(c.runs.length);
      expect(row.right_to_wrong).toBeCloseTo(want.r2w / want.n, 12);
      expect(row.wrong_to_right).toBeCloseTo(want.w2r / want.n, 12);
      expect(row.flipped).toBeCloseTo((want.r2w + want.w2r) / want.n, 12);
      const [lo, hi] = wilsonInterval(want.r2w, want.n);
      expect(row.right_to_wrong_lo).toBeCloseTo(lo, 12);
      expect(row.right_to_wrong_hi).toBeCloseTo(hi, 12);
      const [flo, fhi] = wilsonInterval(want.r2w + want.w2r, want.n);
      expect(row.flipped_lo).toBeCloseTo(flo, 12);
      expect(row.flipped_hi).toBeCloseTo(fhi, 12);
      // the net change of accuracy is what flips leave after cancelling
      expect(Number(row.accuracy) - Number(row.dense_accuracy)).toBeCloseTo((want.w2r - want.r2w) / want.n, 12);
    }
    // item 7 is missing from p50: 39 + 40 paired items in the h1 cell
    expect(rows.find((r) => r.model_hash === "h1" && r.k_shot === 0)!.n).toBe(79);
  });
});
