// The overview's headline findings: one sentence each, every number computed by SQL on the results
// store (views of report-sql.ts), rendered with `marked`, each linking to the page that shows it.
import { marked } from "marked";
import { methodRankSql } from "./method-meta.js";
import { pageHref } from "./page-href.js";
import type { Query } from "./report-controls.js";
import { MAIN_CALIB } from "./report-sql.js";
import { AGG_VS_DENSE, chanceOf, compare, notTestable, pct, type Estimate } from "./report-verdict.js";

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);
const pts = (v: unknown) => `${(n(v) * 100).toFixed(1)} points`;
const sp = (v: unknown) => `${Math.round(n(v) * 100)}%`;
/** A row's estimate (`value`, `ci_low`, `ci_high` unless prefixed, e.g. "dense_"). */
const est = (r: Row, prefix = ""): Estimate =>
  prefix === "dense_" ? { value: n(r.dense_value), lo: n(r.dense_lo), hi: n(r.dense_hi) } : { value: n(r[`${prefix}value`]), lo: n(r[`${prefix}ci_low`]), hi: n(r[`${prefix}ci_high`]) };
/** "not testable here: the dense model scores 0% (chance 0%)" for a row of AGG_VS_DENSE. */
const untestable = (r: Row, what = `dense ${r.model}`) => notTestable(est(r, "dense_"), r.chance === null ? null : n(r.chance), what);
/** "falls" / "rises" / "shows no clear change", by the 95% intervals of the dense and the compressed score. */
const moves = (r: Row, lowerIsBetter = false) => {
  const v = compare(est(r, "dense_"), est(r), lowerIsBetter);
  return v === "degrades" ? (lowerIsBetter ? "rises" : "falls") : v === "improves" ? (lowerIsBetter ? "falls" : "rises") : "shows no clear change";
};

export interface Finding {
  page: string;
  title: string;
  sql: string;
  /** Markdown sentence from the SQL rows, or null when the store lacks the runs. */
  sentence: (rows: Row[]) => string | null;
  missing: string;
}

// Prefer SparseGPT, then Wanda, then magnitude; the largest model; sparsity nearest 50%.
const METHOD_RANK = methodRankSql();

export const FINDINGS: Finding[] = [
  {
    page: "perplexity",
    title: "Perplexity vs task scores",
    sql: `WITH p AS (SELECT model, model_params, method, sparsity, value / dense_value - 1 AS dppl, value AS p_value, ci_low AS p_ci_low, ci_high AS p_ci_high, dense_value AS p_dense, dense_lo AS p_dense_lo, dense_hi AS p_dense_hi FROM ${AGG_VS_DENSE}
        WHERE task = 'perplexity' AND subset = 'all' AND metric = 'perplexity' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0),
      t AS (SELECT model, method, sparsity, kept - 1 AS dtask, value, ci_low, ci_high, dense_value, dense_lo, dense_hi, chance, testable FROM ${AGG_VS_DENSE}
        WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0)
      SELECT * FROM p JOIN t USING (model, method, sparsity) ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, model_params DESC LIMIT 1`,
    sentence: ([r]) => {
      if (!r) return null;
      const ppl = compare({ value: n(r.p_dense), lo: n(r.p_dense_lo), hi: n(r.p_dense_hi) }, { value: n(r.p_value), lo: n(r.p_ci_low), hi: n(r.p_ci_high) }, true);
      const head = `At ${sp(r.sparsity)} unstructured sparsity (${r.method}, ${r.model}), perplexity ${ppl === "degrades" ? "rises" : "shows no clear rise"} by **${pct(r.dppl)}**`;
      return r.testable
        ? `${head}, while closed-book factoid-QA accuracy ${moves(r)} by **${pct(Math.abs(n(r.dtask)))}** of the dense score (${pct(r.dense_value)} → ${pct(r.value)}).`
        : `${head}; closed-book factoid QA is ${untestable(r)}.`;
    },
    missing: "needs perplexity and factoid_qa runs of an unstructured pruning method with its dense model",
  },
  {
    page: "quantization-vs-pruning",
    title: "Quantization vs pruning at equal size",
    sql: `WITH q AS (SELECT model, model_params, variant, bpw, kept, value, ci_low, ci_high, dense_value, dense_lo, dense_hi, chance, testable FROM ${AGG_VS_DENSE} WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND kind = 'quantized' AND bpw <= 8.5
          QUALIFY row_number() OVER (PARTITION BY model ORDER BY abs(bpw - 4.3), kept DESC) = 1),
        p AS (SELECT model, variant, bpw, kept, value, ci_low, ci_high FROM ${AGG_VS_DENSE} WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND kind = 'pruned'
          QUALIFY row_number() OVER (PARTITION BY model ORDER BY abs(bpw - 8), kept DESC) = 1)
      SELECT q.*, q.variant AS qv, q.bpw AS qb, q.kept AS qr, p.variant AS pv, p.bpw AS pb, p.kept AS pr, p.value AS p_value, p.ci_low AS p_ci_low, p.ci_high AS p_ci_high
      FROM q JOIN p USING (model) ORDER BY q.model_params DESC LIMIT 1`,
    sentence: ([r]) => {
      if (!r) return null;
      if (!r.testable) return `On ${r.model}, factoid QA is ${untestable(r)}.`;
      const v = compare(est(r, "p_"), est(r));
      const verdict = v === "improves" ? "better than" : v === "degrades" ? "worse than" : "not clearly different from";
      return `On ${r.model}, ${r.qv} (${n(r.qb).toFixed(1)} bits per weight) keeps **${pct(r.qr)}** of dense factoid-QA accuracy; the best pruned model at ${n(r.pb).toFixed(1)} bits per weight (${r.pv}) keeps **${pct(r.pr)}**: the quantized model, ${(n(r.pb) / n(r.qb)).toFixed(1)}× smaller, scores ${verdict} the pruned one.`;
    },
    missing: "needs factoid_qa runs of both a quantization and a pruning method",
  },
  {
    page: "nm-sparsity",
    title: "N:M vs unstructured sparsity",
    sql: `SELECT model, method, max(kept) FILTER (WHERE pattern = 'unstructured' AND abs(sparsity - 0.5) < 1e-9) AS unstructured,
        max(kept) FILTER (WHERE pattern = '2:4') AS nm24, max(kept) FILTER (WHERE pattern LIKE '%:%') AS nm_best, max(model_params) AS params,
        bool_and(testable) AS testable, max(dense_value) AS dense_value, max(dense_lo) AS dense_lo, max(dense_hi) AS dense_hi, max(chance) AS chance
      FROM ${AGG_VS_DENSE} WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND bits IS NULL
      GROUP BY model, method HAVING nm_best IS NOT NULL AND unstructured IS NOT NULL ORDER BY params DESC, ${METHOD_RANK} LIMIT 1`,
    sentence: ([r]) =>
      !r
        ? null
        : !r.testable
          ? `On ${r.model}, factoid QA is ${untestable(r)}.`
          : `With ${r.method} on ${r.model}, ${r.nm24 !== null ? `2:4 sparsity keeps **${pct(r.nm24)}**` : `the best N:M pattern keeps **${pct(r.nm_best)}**`} of dense factoid-QA accuracy, against **${pct(r.unstructured)}** for unstructured 50% — the same number of zeros.`,
    missing: "needs N:M and unstructured 50% runs of one pruning method on factoid_qa",
  },
  {
    page: "retrieval",
    title: "Closed book vs open book",
    // The pruned variant nearest 50% with both settings; then its row of every setting.
    sql: `WITH a AS (SELECT * FROM ${AGG_VS_DENSE} WHERE task = 'icr_qa' AND metric = 'containment' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0),
        c AS (SELECT model, method, sparsity, max(model_params) AS params FROM a GROUP BY model, method, sparsity
          HAVING count(DISTINCT subset) FILTER (WHERE subset IN ('closed', 'open_factual')) = 2 ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1)
      SELECT a.* FROM a JOIN c USING (model, method, sparsity) ORDER BY subset = 'closed' DESC, subset = 'open_factual' DESC, subset`,
    sentence: (rows) => {
      if (!rows.length) return null;
      const label: Record<string, string> = { closed: "closed book", open_factual: "open book", open_counterfactual: "open book with a counterfactual passage (answers from the passage)" };
      const parts = rows.map((r) => `${label[String(r.subset)] ?? r.subset} ${r.testable ? `keeps **${pct(r.kept)}** of the dense score (${pct(r.dense_value)} → ${pct(r.value)}: ${moves(r)})` : `is ${untestable(r)}`}`);
      return `At ${sp(rows[0].sparsity)} sparsity (${rows[0].method}, ${rows[0].model}), retrieval QA: ${parts.join("; ")}.`;
    },
    missing: "needs icr_qa runs (closed and open book) of an unstructured pruning method",
  },
  {
    page: "long-context",
    title: "Long inputs",
    // Only lengths where the dense model scores above 0 (else "keeps X%" is undefined); the dense
    // cells are counted too, so that a store whose dense models all score 0 says so.
    sql: `WITH l AS (SELECT model, method, sparsity, CAST(replace(subset, 'length/', '') AS INTEGER) AS len, kept AS retained, model_params FROM ${AGG_VS_DENSE}
        WHERE task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0 AND testable),
      best AS (SELECT model, method, sparsity, arg_min(retained, len) AS short_kept, min(len) AS short_len, arg_max(retained, len) AS long_kept, max(len) AS long_len, max(model_params) AS params
        FROM l GROUP BY model, method, sparsity HAVING count(*) > 1 ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1),
      dense AS (SELECT count(*) AS dense_cells, bool_or(testable) AS any_testable, max(value) AS dense_max, max(CAST(replace(subset, 'length/', '') AS INTEGER)) AS dense_len FROM ${AGG_VS_DENSE}
        WHERE task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%' AND method = 'dense')
      SELECT * FROM dense LEFT JOIN best ON true`,
    sentence: ([r]) =>
      r?.model
        ? `At ${sp(r.sparsity)} sparsity (${r.method}, ${r.model}), retrieval from a ${r.long_len}-token context keeps **${pct(r.long_kept)}** of dense accuracy, against **${pct(r.short_kept)}** at ${r.short_len} tokens.`
        : r && n(r.dense_cells) > 0 && !r.any_testable
          ? `Long-context retrieval is not testable here: the dense models score at most **${pct(r.dense_max)}** at every length up to ${r.dense_len} tokens (chance 0%), so the store cannot show how compression affects it.`
          : null,
    missing: "needs long_context runs at several lengths of an unstructured pruning method",
  },
  {
    page: "large-vs-small",
    title: "Compressed large vs dense small",
    // Item-limited runs (partial) score a different item set: not comparable across models. Factoid QA
    // first: multiple choice sits near chance for small models, where no comparison can show.
    sql: `WITH c AS (SELECT * FROM ${AGG_VS_DENSE} WHERE subset = 'all' AND ((task = 'factoid_qa' AND metric = 'alias_hit') OR (task = 'mcq' AND metric = 'loglik_accuracy')) AND NOT partial),
        small AS (SELECT task, model, model_params, value, ci_low, ci_high, testable, chance FROM c WHERE method = 'dense'),
        big AS (SELECT task, model, model_params, method, sparsity, value, ci_low, ci_high FROM c WHERE bits IS NULL AND pattern = 'unstructured' AND sparsity > 0)
      SELECT b.task, b.model AS big, b.method, b.sparsity, b.value AS big_value, b.ci_low AS big_ci_low, b.ci_high AS big_ci_high,
        s.model AS small, s.value AS small_value, s.ci_low AS small_ci_low, s.ci_high AS small_ci_high, s.testable, s.chance, b.model_params * (1 - b.sparsity) / s.model_params AS ratio
      FROM big b JOIN small s ON s.task = b.task AND s.model_params < b.model_params
      WHERE abs(b.model_params * (1 - b.sparsity) / s.model_params - 1) < 0.2
      ORDER BY b.task = 'factoid_qa' DESC, s.testable DESC, ${methodRankSql("b.method")}, abs(b.model_params * (1 - b.sparsity) / s.model_params - 1), b.model_params DESC, b.sparsity LIMIT 1`,
    sentence: ([r]) => {
      if (!r) return null;
      const task = r.task === "mcq" ? "multiple choice" : "closed-book factoid QA";
      const head = `${r.big} pruned to ${sp(r.sparsity)} with ${r.method} keeps about as many weights as dense ${r.small} (${n(r.ratio).toFixed(2)}×)`;
      if (!r.testable) return `${head}; on ${task} the comparison is ${notTestable({ value: n(r.small_value), lo: n(r.small_ci_low) }, r.chance === null ? null : n(r.chance), `dense ${r.small}`)}.`;
      const v = compare(est(r, "small_"), est(r, "big_"));
      return `${head}, and on ${task} scores **${pct(r.big_value)}** against the small model's **${pct(r.small_value)}**: ${v === "degrades" ? "worse" : v === "improves" ? "better" : "no clear difference"}, by their 95% intervals.`;
    },
    missing: "needs factoid_qa or mcq runs, on the full item set (not item-limited), of a dense small model and of a pruned larger model of about the same kept size",
  },
  {
    page: "calibration",
    title: "Calibration and in-context examples",
    // One model for both methods: the largest with the widest ablation, so the two numbers compare.
    sql: `WITH c AS (SELECT model, model_params, method, sparsity, calib_samples, value, ci_low, ci_high FROM cells WHERE task = 'mcq' AND subset = 'all' AND metric = 'loglik_accuracy' AND prompt = 'none' AND k_shot = 0 AND calib_samples IS NOT NULL AND bits IS NULL AND sparsity > 0 AND pattern = 'unstructured'),
        a AS (SELECT model, max(model_params) AS params, method, sparsity, arg_max(value, calib_samples) - arg_min(value, calib_samples) AS gain, min(calib_samples) AS lo, max(calib_samples) AS hi, count(DISTINCT calib_samples) AS points,
            arg_min(value, calib_samples) AS lo_value, arg_min(ci_low, calib_samples) AS lo_ci_low, arg_min(ci_high, calib_samples) AS lo_ci_high,
            arg_max(value, calib_samples) AS hi_value, arg_max(ci_low, calib_samples) AS hi_ci_low, arg_max(ci_high, calib_samples) AS hi_ci_high
          FROM c GROUP BY model, method, sparsity HAVING count(DISTINCT calib_samples) > 1),
        m AS (SELECT model FROM a ORDER BY params DESC, points DESC LIMIT 1)
      SELECT a.*, d.testable, d.dense_value, d.dense_lo, d.dense_hi, d.chance FROM a JOIN m USING (model)
        JOIN (SELECT model, testable, dense_value, dense_lo, dense_hi, chance FROM ${AGG_VS_DENSE} WHERE method = 'dense' AND task = 'mcq' AND subset = 'all' AND metric = 'loglik_accuracy') d USING (model)
      QUALIFY row_number() OVER (PARTITION BY method ORDER BY points DESC, sparsity DESC) = 1 ORDER BY ${METHOD_RANK} LIMIT 2`,
    sentence: (rows) => {
      if (!rows.length) return null;
      if (!rows[0].testable) return `On ${rows[0].model}, multiple choice is ${untestable(rows[0])}.`;
      const change = (r: Row) => {
        const v = compare(est(r, "lo_"), est(r, "hi_"));
        return `**${pts(r.gain)}** for ${r.method} at ${sp(r.sparsity)} sparsity (${v === "holds" || v === "no clear difference" ? "within the 95% intervals" : v === "improves" ? "a gain beyond the 95% intervals" : "a loss beyond the 95% intervals"})`;
      };
      return `On ${rows[0].model}, going from ${rows[0].lo} to ${rows[0].hi} calibration samples changes multiple-choice accuracy by ${change(rows[0])}` +
        (rows[1] ? `, and by ${change(rows[1])}${rows[1].lo !== rows[0].lo || rows[1].hi !== rows[0].hi ? ` (${rows[1].lo} to ${rows[1].hi} samples)` : ""}.` : ".");
    },
    missing: "needs a calib_samples ablation (plan ablations.calib_samples) on mcq",
  },
  {
    page: "knowledge",
    title: "Rare vs frequent facts",
    sql: `WITH e AS (SELECT model, method, sparsity, CAST(replace(subset, 'exposure/', '') AS DOUBLE) AS seen, kept AS retained, testable, dense_value, model_params FROM ${AGG_VS_DENSE}
        WHERE task = 'factoid_qa' AND metric = 'alias_hit' AND subset LIKE 'exposure/%' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0)
      SELECT model, method, sparsity, arg_min(retained, seen) AS rare, min(seen) AS rare_n, arg_max(retained, seen) AS common, max(seen) AS common_n, max(model_params) AS params,
        arg_min(testable, seen) AS rare_testable, arg_min(dense_value, seen) AS rare_dense, arg_max(testable, seen) AS common_testable, arg_max(dense_value, seen) AS common_dense
      FROM e GROUP BY model, method, sparsity HAVING count(*) > 1 ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1`,
    sentence: ([r]) => {
      if (!r) return null;
      const kept = (k: unknown, ok: unknown, dense: unknown) => (ok ? `keep **${pct(k)}** of their dense accuracy` : `are not testable here (dense ${r.model} scores ${pct(dense)}, chance 0%)`);
      return `At ${sp(r.sparsity)} sparsity (${r.method}, ${r.model}), facts seen ${r.common_n} times in training ${kept(r.common, r.common_testable, r.common_dense)}; facts seen ${r.rare_n === 1 ? "once" : `${r.rare_n} times`} ${kept(r.rare, r.rare_testable, r.rare_dense)}.`;
    },
    missing: "needs factoid_qa runs with exposure subsets (kick's own models) of an unstructured pruning method",
  },
  {
    page: "knowledge",
    title: "Multiple choice: answer letter vs answer text",
    // The largest model with both formats dense; then its pruned variant nearest 50% measured in both.
    sql: `WITH m AS (SELECT model, max(model_params) AS params, max(value) FILTER (WHERE metric = 'loglik_accuracy') AS letter, max(value) FILTER (WHERE metric = 'cloze_accuracy') AS cloze
          FROM agg WHERE task = 'mcq' AND subset = 'all' AND method = 'dense' GROUP BY model HAVING letter IS NOT NULL AND cloze IS NOT NULL ORDER BY params DESC LIMIT 1),
        v AS (SELECT variant, max(value) FILTER (WHERE metric = 'loglik_accuracy') AS v_letter, max(value) FILTER (WHERE metric = 'cloze_accuracy') AS v_cloze
          FROM agg JOIN m USING (model) WHERE task = 'mcq' AND subset = 'all' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0
          GROUP BY variant, method, sparsity HAVING v_letter IS NOT NULL AND v_cloze IS NOT NULL ORDER BY abs(sparsity - 0.5), ${METHOD_RANK} LIMIT 1)
      SELECT * FROM m LEFT JOIN v ON true`,
    sentence: ([r]) =>
      r
        ? `On ${r.model}, multiple choice scored by the answer letter reaches **${pct(r.letter)}** (four options, chance ${pct(chanceOf("mcq", "loglik_accuracy"))}), the same questions scored by the answer text **${pct(r.cloze)}**` +
          (r.variant ? `; at ${r.variant} the text score ${n(r.v_cloze) < n(r.cloze) ? "falls" : "moves"} to **${pct(r.v_cloze)}**, the letter score to **${pct(r.v_letter)}**.` : ".")
        : null,
    missing: "needs dense mcq runs scored both by the letter and by the option text (mcq scoring loglik and cloze)",
  },
  {
    page: "soft-prompts",
    title: "Soft prompts on compressed models",
    sql: `WITH v AS (SELECT model, CASE WHEN method = 'dense' THEN model ELSE model || ' · ' || variant END AS label, prompt, value FROM cells
          WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND k_shot = 0 AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB})),
        s AS (SELECT label, max(value) AS soft FROM v WHERE prompt LIKE 'soft:%' GROUP BY label),
        o AS (SELECT label, value AS none FROM v WHERE prompt = 'none')
      SELECT label, none, soft, soft - none AS gain, (SELECT count(*) FROM s) AS models FROM s JOIN o USING (label) ORDER BY gain DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `The best soft prompt on the test items (picked on them, so an upper bound; the prompt chosen on validation items is on the soft-prompts page) ${n(r.gain) > 0 ? "raises" : "changes"} factoid-QA accuracy of ${r.label} from **${pct(r.none)}** to **${pct(r.soft)}** (${n(r.gain) >= 0 ? "+" : "−"}${pts(Math.abs(n(r.gain)))}; the largest gain of the ${r.models} compressed model${n(r.models) === 1 ? "" : "s"} with soft prompts in the store).`
        : null,
    missing: "no soft-prompt runs in the store yet (plan tasks with prompt soft:<id>)",
  },
];

/**
 * Runs the findings' SQL and returns them as a Markdown list: every finding, each linking to its page
 * (the overview), or only those of `page` (the headline a findings page opens with).
 */
export async function findingsMarkdown(query: Query, root = "./", page?: string): Promise<string> {
  const lines: string[] = [];
  for (const f of FINDINGS.filter((f) => page === undefined || f.page === page)) {
    let sentence: string | null = null;
    try {
      sentence = f.sentence((await query(f.sql)) as Row[]);
    } catch (error) {
      sentence = `_Could not compute: ${(error as Error).message.split("\n")[0]}_`;
    }
    lines.push(`- **${f.title}.** ${sentence ?? `_Not in the store yet: ${f.missing}._`}${page === undefined ? ` [Details →](${pageHref(f.page, root)})` : ""}`);
  }
  return lines.join("\n");
}

export async function findingsHtml(query: Query, root = "./", page?: string): Promise<string> {
  return marked.parse(await findingsMarkdown(query, root, page), { async: false });
}

/** The headline a findings page opens with: its findings in numbers, computed by SQL from the store. */
export async function pageHeadline(page: string, query: Query): Promise<HTMLElement> {
  const div = document.createElement("div");
  div.className = "kick-headline";
  div.dataset.headline = page;
  div.innerHTML = await findingsHtml(query, "./", page);
  return div;
}
