// The multiple-choice format figure and finding (letter vs option text) on a hand-made results table:
// each level compares the same variants, and the finding says nothing without both dense scores.
import { describe, expect, it } from "vitest";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { FIGURES } from "../../src/components/report-figures.js";
import { FINDINGS } from "../../src/components/report-findings.js";

// method, sparsity, bits, loglik_accuracy, cloze_accuracy (null: not run in that format)
const CELLS: [string, number, number | null, number, number | null][] = [
  ["dense", 0, null, 0.35, 0.81],
  ["sparsegpt", 0.5, null, 0.33, 0.73],
  ["sparsegpt", 0.7, null, 0.29, null],
  ["gptq", 0, 4, 0.35, 0.8],
];

const rows = (withCloze: boolean) =>
  CELLS.flatMap(([method, sparsity, bits, letter, cloze], i) =>
    [["loglik_accuracy", letter], ["cloze_accuracy", withCloze ? cloze : null]]
      .filter(([, value]) => value !== null)
      .map(([metric, value]) => `('r${i}', 'm', 'h1', 1e6, '${method}', ${method === "dense" ? "'dense'" : "'unstructured'"}, ${sparsity}, ${bits ?? "NULL::INTEGER"}, ${bits ? 128 : "NULL::INTEGER"}, NULL::INTEGER, 'none', 0, 'mcq', 'all', '${metric}', ${value}, 1000, ${value} - 0.02, ${value} + 0.02)`),
  );

async function withStore<T>(withCloze: boolean, work: (q: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  return withDuckDB(async (run) => {
    await run(`CREATE TABLE results AS SELECT * FROM (VALUES ${rows(withCloze).join(", ")})
      t(run_id, model, model_hash, model_params, method, pattern, sparsity, bits, group_size, calib_samples, prompt, seed, task, subset, metric, value, n, ci_low, ci_high)`);
    for (const statement of REPORT_VIEWS) await run(statement);
    return work(run);
  });
}

const finding = FINDINGS.find((f) => f.title === "Multiple choice: answer letter vs answer text")!;

describe("multiple-choice format", () => {
  it("the figure draws both formats on the variants measured in both", async () => {
    await withStore(true, async (q) => {
      const got = await q(FIGURES["mcq-format"].sql({ model: "m", family: "sparsegpt|unstructured|pruned" }));
      expect(got.map((r) => [r.series, r.level, r.value])).toEqual([
        ["letter (A–D)", 0, 0.35],
        ["letter (A–D)", 50, 0.33],
        ["option text (cloze)", 0, 0.81],
        ["option text (cloze)", 50, 0.73],
      ]);
    });
  });

  it("the finding gives the dense scores of both formats and the text score at the pruned variant", async () => {
    await withStore(true, async (q) => {
      expect(finding.sentence(await q(finding.sql))).toBe(
        "On m, multiple choice scored by the answer letter reaches **35%** (four options, chance 25%), the same questions scored by the answer text **81%**; at sparsegpt 50% the text score falls to **73%**, the letter score to **33%**.",
      );
    });
    await withStore(false, async (q) => expect(finding.sentence(await q(finding.sql))).toBeNull());
  });
});
