// The report's SQL views (src/components/report-sql.ts) on a hand-made results table: perplexity at two
// window lengths (the reference grid's 512, the prompt experiments' 412) must never be averaged together.
import { describe, expect, it } from "vitest";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { explorerRunsSql, FIGURES } from "../../src/components/report-figures.js";

// run, method, sparsity, prompt, seq_len, perplexity
const RUNS: [string, string, number, string, number, number][] = [
  ["d512", "dense", 0, "none", 512, 50],
  ["d412", "dense", 0, "none", 412, 53],
  ["s512", "sparsegpt", 0.5, "none", 512, 60],
  ["s412", "sparsegpt", 0.5, "none", 412, 64],
  ["s412soft", "sparsegpt", 0.5, "soft:p", 412, 58],
];
// a quick CPU run on the first 10 windows of the same cell as d512: not a second seed
const LIMITED = `('d512-first10', 'm', 'h1', 1e6, 'dense', 'unstructured', 0, NULL::INTEGER, NULL::INTEGER, NULL::INTEGER, 'none', 0, 'perplexity', 'all', 'perplexity', 90, 10, 90, 90),
  ('d512-first10', 'm', 'h1', 1e6, 'dense', 'unstructured', 0, NULL::INTEGER, NULL::INTEGER, NULL::INTEGER, 'none', 0, 'perplexity', 'all', 'seq_len', 512, 10, 512, 512)`;

const rows = RUNS.flatMap(([run, method, sparsity, prompt, seqLen, ppl]) =>
  [["perplexity", ppl], ["seq_len", seqLen]].map(([metric, value]) =>
    `('${run}', 'm', 'h1', 1e6, '${method}', 'unstructured', ${sparsity}, NULL::INTEGER, NULL::INTEGER, ${method === "dense" ? "NULL::INTEGER" : 128}, '${prompt}', 0, 'perplexity', 'all', '${metric}', ${value}, 100, ${value}, ${value})`,
  ),
);

async function withReport<T>(work: (q: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>, extra: string[] = []): Promise<T> {
  return withDuckDB(async (run) => {
    await run(`CREATE TABLE results AS SELECT * FROM (VALUES ${[...rows, LIMITED, ...extra].join(", ")})
      t(run_id, model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples, prompt, seed, task, subset, metric, value, n, ci_low, ci_high)`);
    for (const statement of REPORT_VIEWS) await run(statement);
    return work(run);
  });
}

describe("report views", () => {
  it("keep perplexity at different window lengths apart, and runs on fewer items out of a full run's cell; the main grid takes the common length", async () => {
    await withReport(async (q) => {
      const cells = await q(`SELECT method, prompt, seq_len, value, seeds FROM cells WHERE metric = 'perplexity' ORDER BY method, prompt, seq_len`);
      expect(cells.every((r) => r.seeds === 1)).toBe(true);
      expect(cells.map((r) => [r.method, r.prompt, r.seq_len, r.value])).toEqual([
        ["dense", "none", 412, 53],
        ["dense", "none", 512, 50],
        ["sparsegpt", "none", 412, 64],
        ["sparsegpt", "none", 512, 60],
        ["sparsegpt", "soft:p", 412, 58],
      ]);
      // 512 is the length most unprompted runs used (3 of 5 here): the main grid holds only it
      const agg = await q(`SELECT method, seq_len, value, dense_value FROM agg WHERE metric = 'perplexity' ORDER BY method`);
      expect(agg.map((r) => [r.method, r.seq_len, r.value, r.dense_value])).toEqual([
        ["dense", 512, 50, 50],
        ["sparsegpt", 512, 60, 50],
      ]);
    });
  });

  it("the soft-prompt chart compares prompted and unprompted runs at the prompted runs' length", async () => {
    await withReport(async (q) => {
      const spec = FIGURES["soft-prompt-recovery"];
      const got = await q(spec.sql({ model: null, task: "perplexity", metric: "perplexity", subset: "all" }));
      const byKind = Object.fromEntries(got.filter((r) => String(r.variant).includes("sparsegpt")).map((r) => [r.prompt_kind, r.value]));
      expect(byKind).toEqual({ "no prompt": 64, "best soft prompt": 58 });
    });
  });

  it("keeps runs of other weights under the same model name in cells of their own, labelled with the hash prefix", async () => {
    // d512 again under the name 'm', measured on retrained weights (hash 'h2…'): not a second seed of d512
    const retrained = [["perplexity", 40], ["seq_len", 512]].map(([metric, value]) =>
      `('d512-new', 'm', 'h2c0ffee1234', 1e6, 'dense', 'unstructured', 0, NULL::INTEGER, NULL::INTEGER, NULL::INTEGER, 'none', 0, 'perplexity', 'all', '${metric}', ${value}, 100, ${value}, ${value})`,
    );
    await withReport(async (q) => {
      const cells = await q(`SELECT model, model_hash, value, seeds FROM cells WHERE metric = 'perplexity' AND method = 'dense' AND seq_len = 512 ORDER BY model`);
      expect(cells).toEqual([
        { model: "m @h1", model_hash: "h1", value: 50, seeds: 1 },
        { model: "m @h2c0ffee", model_hash: "h2c0ffee1234", value: 40, seeds: 1 },
      ]);
      const agg = await q(`SELECT model, value, dense_value FROM agg WHERE metric = 'perplexity' AND method = 'sparsegpt' ORDER BY model`);
      expect(agg).toEqual([{ model: "m @h1", value: 60, dense_value: 50 }]); // the sparse run's own weights' dense value
      // the explorer's drill-down finds the runs of a labelled model
      expect((await q(explorerRunsSql({ model: "m @h2c0ffee", task: "perplexity" }))).map((r) => r.value)).toEqual(["d512-new"]);
    }, retrained);
    // one weights hash per name: the name alone, as before
    await withReport(async (q) => expect((await q(`SELECT DISTINCT model FROM cells`)).map((r) => r.model)).toEqual(["m"]));
  });
});
