// The verdict rules every page words its results by (src/components/report-verdict.ts) and the claims
// built on them (report-claims.ts, report-figures.ts), on hand-made numbers whose right answer is
// worked out here: chance levels, the at-chance rule, interval verdicts, the share kept above chance.
import { describe, expect, it } from "vitest";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { compareAll, levelClaim } from "../../src/components/report-claims.js";
import { FIGURES } from "../../src/components/report-figures.js";
import { AGG_VS_DENSE, atChance, chanceOf, chanceSql, compare, notTestable, verdictPhrase } from "../../src/components/report-verdict.js";

describe("chance", () => {
  it("is 1 in 4 for four-option multiple choice, 0 for free-text answers, none for perplexity", () => {
    expect(chanceOf("mcq", "loglik_accuracy")).toBe(0.25);
    expect(chanceOf("mcq", "cloze_accuracy")).toBe(0.25);
    expect(chanceOf("factoid_qa", "alias_hit")).toBe(0);
    expect(chanceOf("long_context", "accuracy")).toBe(0);
    expect(chanceOf("perplexity", "perplexity")).toBeNull();
    expect(chanceOf("mcq", "k_shot")).toBeNull();
  });

  it("the SQL table gives the same levels as the TypeScript one", async () => {
    const rows = await withDuckDB(async (q) =>
      q(`SELECT task, metric, ${chanceSql()} AS chance FROM (VALUES ('mcq', 'loglik_accuracy'), ('factoid_qa', 'alias_hit'), ('perplexity', 'perplexity')) t(task, metric) ORDER BY task`),
    );
    expect(rows.map((r) => [r.task, r.chance === null ? null : Number(r.chance)])).toEqual([
      ["factoid_qa", 0],
      ["mcq", 0.25],
      ["perplexity", null],
    ]);
  });

  it("a dense baseline is at chance when its interval reaches chance or it is within 5 points of it", () => {
    // 2 of 600 counterfactual answers: 0.33%, Wilson 0.09–1.2%: above 0, but nothing to lose
    expect(atChance({ value: 2 / 600, lo: 0.0009, hi: 0.012 }, 0)).toBe(true);
    expect(atChance({ value: 0, lo: 0, hi: 0.006 }, 0)).toBe(true);
    // multiple choice at 30% with an interval 27.9–32.2%: above 25%, but by less than 5 points
    expect(atChance({ value: 0.3, lo: 0.279, hi: 0.322 }, 0.25)).toBe(true);
    // 28% whose interval reaches 24%
    expect(atChance({ value: 0.32, lo: 0.24, hi: 0.4 }, 0.25)).toBe(true);
    expect(atChance({ value: 0.36, lo: 0.337, hi: 0.382 }, 0.25)).toBe(false);
    expect(atChance({ value: 0.16, lo: 0.13, hi: 0.19 }, 0)).toBe(false);
    // perplexity has no chance level: always testable
    expect(atChance({ value: 52, lo: 50, hi: 54 }, null)).toBe(false);
  });
});

describe("verdicts", () => {
  const dense = { value: 0.46, lo: 0.42, hi: 0.5 };
  it("disjoint intervals are a change, in the direction that is better or worse", () => {
    expect(compare(dense, { value: 0.3, lo: 0.26, hi: 0.34 })).toBe("degrades");
    expect(compare(dense, { value: 0.6, lo: 0.55, hi: 0.65 })).toBe("improves");
    // perplexity: higher is worse
    expect(compare({ value: 52.7, lo: 52, hi: 53.4 }, { value: 60.4, lo: 59.5, hi: 61.2 }, true)).toBe("degrades");
  });
  it("overlapping intervals hold when the score is inside the baseline's interval, else show no clear difference", () => {
    expect(compare(dense, { value: 0.45, lo: 0.41, hi: 0.49 })).toBe("holds");
    expect(compare(dense, { value: 0.4, lo: 0.36, hi: 0.44 })).toBe("no clear difference");
  });
  it("a baseline at chance gives the not-testable sentence instead of a verdict", () => {
    expect(verdictPhrase({ value: 0, lo: 0, hi: 0.01 }, { value: 0, lo: 0, hi: 0.01 }, 0)).toBe("not testable here: the dense model scores 0% (chance 0%)");
    expect(notTestable({ value: 0.3 }, 0.25)).toBe("not testable here: the dense model scores 30% (chance 25%)");
    expect(verdictPhrase(dense, { value: 0.3, lo: 0.26, hi: 0.34 }, 0)).toBe("degrades (46% → 30%)");
  });
  it("the share kept counts only what is above chance, and at-chance baselines are not testable (SQL)", async () => {
    const rows = await withDuckDB(async (q) => {
      await q(`CREATE TABLE agg AS SELECT * FROM (VALUES
          ('mcq', 'loglik_accuracy', 'dense', 0.31, 0.29, 0.33), ('mcq', 'loglik_accuracy', 'wanda', 0.30, 0.28, 0.32),
          ('mcq', 'cloze_accuracy', 'dense', 0.29, 0.27, 0.31), ('mcq', 'cloze_accuracy', 'wanda', 0.28, 0.26, 0.30),
          ('factoid_qa', 'alias_hit', 'dense', 0.46, 0.42, 0.50), ('factoid_qa', 'alias_hit', 'wanda', 0.31, 0.27, 0.35),
          ('icr_qa', 'containment', 'dense', 0.0033, 0.0009, 0.012), ('icr_qa', 'containment', 'wanda', 0.01, 0.004, 0.02),
          ('perplexity', 'perplexity', 'dense', 52.7, 52.0, 53.4), ('perplexity', 'perplexity', 'wanda', 60.4, 59.5, 61.2))
        t(task, metric, method, value, ci_low, ci_high)`);
      await q(`CREATE OR REPLACE TABLE agg AS SELECT *, 'm' AS model, 'all' AS subset, max(CASE WHEN method = 'dense' THEN value END) OVER (PARTITION BY task, metric) AS dense_value FROM agg`);
      return q(`SELECT task, metric, kept, testable FROM ${AGG_VS_DENSE} WHERE method = 'wanda' ORDER BY task`);
    });
    const byTask = Object.fromEntries(rows.map((r) => [r.metric === "cloze_accuracy" ? "cloze" : r.task, r]));
    // 4:8 at 0.30 of a dense 0.31 on four options: (0.30 − 0.25) / (0.31 − 0.25) = 5/6, not 0.30 / 0.31 = 97%
    expect(Number(byTask.mcq.kept)).toBeCloseTo(5 / 6, 12);
    expect(Number(byTask.factoid_qa.kept)).toBeCloseTo(0.31 / 0.46, 12);
    expect(Number(byTask.perplexity.kept)).toBeCloseTo(60.4 / 52.7, 12);
    // 0.29 is less than 5 points above 0.25; 0.33% is above 0 but leaves nothing to lose; 0.31 (interval from 0.29) clears both
    expect([byTask.cloze.testable, byTask.icr_qa.testable, byTask.mcq.testable, byTask.factoid_qa.testable, byTask.perplexity.testable]).toEqual([false, false, true, true, true]);
  });
});

describe("claims from chart rows", () => {
  const row = (series: string, variant: string, level: number, value: number, lo: number, hi: number) => ({ series, variant, level, value, ci_low: lo, ci_high: hi });
  it("a level chart whose dense scores are all 0 says not testable, never a claim", () => {
    const rows = [row("256 tokens", "dense", 0, 0, 0, 0.01), row("256 tokens", "sparsegpt 50%", 50, 0, 0, 0.01), row("2048 tokens", "dense", 0, 0, 0, 0.01), row("2048 tokens", "sparsegpt 50%", 50, 0, 0, 0.01)];
    const claim = levelClaim(rows, 0, 50);
    expect(claim).toBe("Not testable here: the dense model scores at most 0% (chance 0%) in every series shown.");
    expect(claim).not.toMatch(/degrade|holds/);
  });
  it("a level chart compares each series' dense score with the level nearest 50%", () => {
    const rows = [
      row("closed book", "dense", 0, 0.46, 0.42, 0.5),
      row("closed book", "sparsegpt 30%", 30, 0.44, 0.4, 0.48),
      row("closed book", "sparsegpt 50%", 50, 0.3, 0.26, 0.34),
      row("open book", "dense", 0, 0.48, 0.44, 0.52),
      row("open book", "sparsegpt 50%", 50, 0.47, 0.43, 0.51),
      row("counterfactual", "dense", 0, 0.003, 0.001, 0.012),
      row("counterfactual", "sparsegpt 50%", 50, 0.01, 0.004, 0.02),
    ];
    expect(levelClaim(rows, 0, 50)).toBe(
      "Dense → sparsegpt 50%. Closed book: degrades (46% → 30%); open book: holds (48% → 47%); counterfactual: not testable here: the dense model scores 0% (chance 0%).",
    );
  });
  it("compareAll names every series", () => {
    expect(compareAll([{ name: "a", base: { value: 1, lo: 0.9, hi: 1.1 }, other: { value: 2, lo: 1.9, hi: 2.1 } }], null)).toBe("A: improves (1.00 → 2.00).");
  });
  it("large vs small: a pruned large model against the dense small one at about its size, by intervals", () => {
    const rows = [
      { model: "kick-l", model_params: 23e6, sparsity: 0, params_kept: 23e6, value: 0.46, ci_low: 0.42, ci_high: 0.5, dense: true },
      { model: "kick-l", model_params: 23e6, sparsity: 0.7, params_kept: 6.9e6, value: 0.05, ci_low: 0.03, ci_high: 0.07, dense: false },
      { model: "kick-m", model_params: 6.8e6, sparsity: 0, params_kept: 6.8e6, value: 0.37, ci_low: 0.33, ci_high: 0.41, dense: true },
    ];
    expect(FIGURES["large-vs-small"].claim(rows, { method: "sparsegpt", task: "factoid_qa", metric: "alias_hit", subset: "all" })).toBe(
      "kick-l pruned to 70% (5%) is worse than dense kick-m (37%) at 1.01× its weights.",
    );
  });
});
