// The overview's headline findings: one sentence each, every number computed by SQL on the results
// store (views of report-sql.ts), rendered with `marked`, each linking to the page that shows it.
import { marked } from "marked";
import { pageHref } from "./page-href.js";
import type { Query } from "./report-controls.js";
import { MAIN_CALIB } from "./report-sql.js";

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v);
// A NULL share (e.g. of a dense score of 0) must not print as "0%".
const pct = (v: unknown) => (v === null || v === undefined || !Number.isFinite(n(v)) ? "n/a" : `${Math.round(n(v) * 100)}%`);
const pts = (v: unknown) => `${(n(v) * 100).toFixed(1)} points`;
const sp = (v: unknown) => `${Math.round(n(v) * 100)}%`;

export interface Finding {
  page: string;
  title: string;
  sql: string;
  /** Markdown sentence from the SQL rows, or null when the store lacks the runs. */
  sentence: (rows: Row[]) => string | null;
  missing: string;
}

// Prefer SparseGPT, then Wanda, then magnitude; the largest model; sparsity nearest 50%.
const METHOD_RANK = `CASE method WHEN 'sparsegpt' THEN 0 WHEN 'wanda' THEN 1 WHEN 'magnitude' THEN 2 ELSE 3 END`;

export const FINDINGS: Finding[] = [
  {
    page: "perplexity",
    title: "Perplexity masks capability loss",
    sql: `WITH p AS (SELECT model, model_params, method, sparsity, value / dense_value - 1 AS dppl FROM agg
        WHERE task = 'perplexity' AND subset = 'all' AND metric = 'perplexity' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0),
      t AS (SELECT model, method, sparsity, retained - 1 AS dtask FROM agg
        WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0)
      SELECT * FROM p JOIN t USING (model, method, sparsity) ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, model_params DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `At ${sp(r.sparsity)} unstructured sparsity (${r.method}, ${r.model}), perplexity rises by only **${pct(r.dppl)}**, while closed-book factoid-QA accuracy ${n(r.dtask) < 0 ? "falls" : "changes"} by **${pct(Math.abs(n(r.dtask)))}**.`
        : null,
    missing: "needs perplexity and factoid_qa runs of an unstructured pruning method with its dense model",
  },
  {
    page: "quantization-vs-pruning",
    title: "Quantization beats pruning at equal size",
    sql: `WITH q AS (SELECT model, model_params, variant, bpw, retained FROM agg WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND kind = 'quantized' AND bpw <= 8.5
          QUALIFY row_number() OVER (PARTITION BY model ORDER BY abs(bpw - 4.3), retained DESC) = 1),
        p AS (SELECT model, variant, bpw, retained FROM agg WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND kind = 'pruned'
          QUALIFY row_number() OVER (PARTITION BY model ORDER BY abs(bpw - 8), retained DESC) = 1)
      SELECT q.model, q.variant AS qv, q.bpw AS qb, q.retained AS qr, p.variant AS pv, p.bpw AS pb, p.retained AS pr
      FROM q JOIN p USING (model) ORDER BY q.model_params DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `On ${r.model}, ${r.qv} (${n(r.qb).toFixed(1)} bits per weight) keeps **${pct(r.qr)}** of dense factoid-QA accuracy; the best pruned model at ${n(r.pb).toFixed(1)} bits per weight (${r.pv}) keeps **${pct(r.pr)}**, while being ${(n(r.pb) / n(r.qb)).toFixed(1)}× larger.`
        : null,
    missing: "needs factoid_qa runs of both a quantization and a pruning method",
  },
  {
    page: "nm-sparsity",
    title: "N:M sparsity fails knowledge tasks",
    sql: `SELECT model, method, max(retained) FILTER (WHERE pattern = 'unstructured' AND abs(sparsity - 0.5) < 1e-9) AS unstructured,
        max(retained) FILTER (WHERE pattern = '2:4') AS nm24, max(retained) FILTER (WHERE pattern LIKE '%:%') AS nm_best, max(model_params) AS params
      FROM agg WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND bits IS NULL
      GROUP BY model, method HAVING nm_best IS NOT NULL AND unstructured IS NOT NULL ORDER BY params DESC, ${METHOD_RANK} LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `With ${r.method} on ${r.model}, ${r.nm24 !== null ? `2:4 sparsity keeps **${pct(r.nm24)}**` : `the best N:M pattern keeps **${pct(r.nm_best)}**`} of dense factoid-QA accuracy, against **${pct(r.unstructured)}** for unstructured 50% — the same number of zeros.`
        : null,
    missing: "needs N:M and unstructured 50% runs of one pruning method on factoid_qa",
  },
  {
    page: "retrieval",
    title: "Closed book vs open book",
    sql: `SELECT model, method, sparsity, max(retained) FILTER (WHERE subset = 'closed') AS closed, max(retained) FILTER (WHERE subset = 'open_factual') AS open,
        max(value) FILTER (WHERE subset = 'open_counterfactual') AS cf, max(model_params) AS params
      FROM agg WHERE task = 'icr_qa' AND metric = 'containment' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0
      GROUP BY model, method, sparsity HAVING closed IS NOT NULL AND open IS NOT NULL ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `At ${sp(r.sparsity)} sparsity (${r.method}, ${r.model}), closed-book retrieval QA keeps **${pct(r.closed)}** of its dense score but open-book keeps **${pct(r.open)}**${r.cf !== null ? `; given a counterfactual passage, the model answers from the passage **${pct(r.cf)}** of the time` : ""}.`
        : null,
    missing: "needs icr_qa runs (closed and open book) of an unstructured pruning method",
  },
  {
    page: "long-context",
    title: "Long inputs",
    // Only lengths where the dense model scores above 0 (else "keeps X%" is undefined); the dense
    // cells are counted too, so that a store whose dense models all score 0 says so.
    sql: `WITH l AS (SELECT model, method, sparsity, CAST(replace(subset, 'length/', '') AS INTEGER) AS len, retained, model_params FROM agg
        WHERE task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0 AND dense_value > 0),
      best AS (SELECT model, method, sparsity, arg_min(retained, len) AS short_kept, min(len) AS short_len, arg_max(retained, len) AS long_kept, max(len) AS long_len, max(model_params) AS params
        FROM l GROUP BY model, method, sparsity HAVING count(*) > 1 ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1),
      dense AS (SELECT count(*) AS dense_cells, max(value) AS dense_max, max(CAST(replace(subset, 'length/', '') AS INTEGER)) AS dense_len FROM agg
        WHERE task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%' AND method = 'dense')
      SELECT * FROM dense LEFT JOIN best ON true`,
    sentence: ([r]) =>
      r?.model
        ? `At ${sp(r.sparsity)} sparsity (${r.method}, ${r.model}), retrieval from a ${r.long_len}-token context keeps **${pct(r.long_kept)}** of dense accuracy, against **${pct(r.short_kept)}** at ${r.short_len} tokens.`
        : r && n(r.dense_cells) > 0 && n(r.dense_max) === 0
          ? `The dense models score **0%** on long-context retrieval at every length up to ${r.dense_len} tokens, so the store cannot yet show how compression affects it (a floor, not a finding).`
          : null,
    missing: "needs long_context runs at several lengths of an unstructured pruning method",
  },
  {
    page: "large-vs-small",
    title: "Compressed large vs dense small",
    // Item-limited runs (partial) score a different item set: not comparable across models.
    sql: `WITH small AS (SELECT model, model_params, value FROM agg WHERE task = 'mcq' AND subset = 'all' AND metric = 'loglik_accuracy' AND method = 'dense' AND NOT partial),
        big AS (SELECT model, model_params, method, sparsity, value FROM agg WHERE task = 'mcq' AND subset = 'all' AND metric = 'loglik_accuracy' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0 AND NOT partial)
      SELECT b.model AS big, b.method, b.sparsity, b.value AS big_value, s.model AS small, s.value AS small_value, b.model_params * (1 - b.sparsity) / s.model_params AS ratio
      FROM big b JOIN small s ON s.model_params < b.model_params
      WHERE abs(b.model_params * (1 - b.sparsity) / s.model_params - 1) < 0.2
      ORDER BY ${METHOD_RANK.replaceAll("method", "b.method")}, abs(b.model_params * (1 - b.sparsity) / s.model_params - 1) LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `${r.big} pruned to ${sp(r.sparsity)} with ${r.method} keeps about as many weights as dense ${r.small} (${n(r.ratio).toFixed(2)}×), and scores **${pct(r.big_value)}** on multiple choice against the small model's **${pct(r.small_value)}**.`
        : null,
    missing: "needs mcq runs, on the full item set (not item-limited), of a dense small model and of a pruned larger model of about the same kept size",
  },
  {
    page: "calibration",
    title: "Calibration and in-context examples",
    // One model for both methods: the largest with the widest ablation, so the two numbers compare.
    sql: `WITH c AS (SELECT model, model_params, method, sparsity, calib_samples, value FROM cells WHERE task = 'mcq' AND subset = 'all' AND metric = 'loglik_accuracy' AND prompt = 'none' AND k_shot = 0 AND calib_samples IS NOT NULL AND bits IS NULL AND sparsity > 0 AND pattern = 'unstructured'),
        a AS (SELECT model, max(model_params) AS params, method, sparsity, arg_max(value, calib_samples) - arg_min(value, calib_samples) AS gain, min(calib_samples) AS lo, max(calib_samples) AS hi, count(DISTINCT calib_samples) AS points
          FROM c GROUP BY model, method, sparsity HAVING count(DISTINCT calib_samples) > 1),
        m AS (SELECT model FROM a ORDER BY params DESC, points DESC LIMIT 1)
      SELECT a.* FROM a JOIN m USING (model)
      QUALIFY row_number() OVER (PARTITION BY method ORDER BY points DESC, sparsity DESC) = 1 ORDER BY ${METHOD_RANK} LIMIT 2`,
    sentence: (rows) =>
      rows.length
        ? `On ${rows[0].model}, going from ${rows[0].lo} to ${rows[0].hi} calibration samples changes multiple-choice accuracy by **${pts(rows[0].gain)}** for ${rows[0].method} at ${sp(rows[0].sparsity)} sparsity` +
          (rows[1] ? `, and by **${pts(rows[1].gain)}** for ${rows[1].method} at ${sp(rows[1].sparsity)}${rows[1].lo !== rows[0].lo || rows[1].hi !== rows[0].hi ? ` (${rows[1].lo} to ${rows[1].hi} samples)` : ""}.` : ".")
        : null,
    missing: "needs a calib_samples ablation (plan ablations.calib_samples) on mcq",
  },
  {
    page: "knowledge",
    title: "Rare vs frequent facts",
    sql: `WITH e AS (SELECT model, method, sparsity, CAST(replace(subset, 'exposure/', '') AS DOUBLE) AS seen, retained, model_params FROM agg
        WHERE task = 'factoid_qa' AND metric = 'alias_hit' AND subset LIKE 'exposure/%' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0)
      SELECT model, method, sparsity, arg_min(retained, seen) AS rare, min(seen) AS rare_n, arg_max(retained, seen) AS common, max(seen) AS common_n, max(model_params) AS params
      FROM e GROUP BY model, method, sparsity HAVING count(*) > 1 ORDER BY abs(sparsity - 0.5), ${METHOD_RANK}, params DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `At ${sp(r.sparsity)} sparsity (${r.method}, ${r.model}), facts seen ${r.common_n} times in training keep **${pct(r.common)}** of their dense accuracy; facts seen ${r.rare_n === 1 ? "once" : `${r.rare_n} times`} keep **${pct(r.rare)}**.`
        : null,
    missing: "needs factoid_qa runs with exposure subsets (kick's own models) of an unstructured pruning method",
  },
  {
    page: "knowledge",
    title: "Multiple choice hides knowledge behind the letter",
    // The largest model with both formats dense; then its pruned variant nearest 50% measured in both.
    sql: `WITH m AS (SELECT model, max(model_params) AS params, max(value) FILTER (WHERE metric = 'loglik_accuracy') AS letter, max(value) FILTER (WHERE metric = 'cloze_accuracy') AS cloze
          FROM agg WHERE task = 'mcq' AND subset = 'all' AND method = 'dense' GROUP BY model HAVING letter IS NOT NULL AND cloze IS NOT NULL ORDER BY params DESC LIMIT 1),
        v AS (SELECT variant, max(value) FILTER (WHERE metric = 'loglik_accuracy') AS v_letter, max(value) FILTER (WHERE metric = 'cloze_accuracy') AS v_cloze
          FROM agg JOIN m USING (model) WHERE task = 'mcq' AND subset = 'all' AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0
          GROUP BY variant, method, sparsity HAVING v_letter IS NOT NULL AND v_cloze IS NOT NULL ORDER BY abs(sparsity - 0.5), ${METHOD_RANK} LIMIT 1)
      SELECT * FROM m LEFT JOIN v ON true`,
    sentence: ([r]) =>
      r
        ? `On ${r.model}, multiple choice scored by the answer letter reaches **${pct(r.letter)}** (four options, chance 25%), the same questions scored by the answer text **${pct(r.cloze)}**` +
          (r.variant ? `; at ${r.variant} the text score ${n(r.v_cloze) < n(r.cloze) ? "falls" : "moves"} to **${pct(r.v_cloze)}**, the letter score to **${pct(r.v_letter)}**.` : ".")
        : null,
    missing: "needs dense mcq runs scored both by the letter and by the option text (mcq scoring loglik and cloze)",
  },
  {
    page: "soft-prompts",
    title: "Soft prompts recover compressed models",
    sql: `WITH v AS (SELECT model, CASE WHEN method = 'dense' THEN model ELSE model || ' · ' || variant END AS label, prompt, value FROM cells
          WHERE task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit' AND k_shot = 0 AND (calib_samples IS NULL OR calib_samples = ${MAIN_CALIB})),
        s AS (SELECT label, max(value) AS soft FROM v WHERE prompt LIKE 'soft:%' GROUP BY label),
        o AS (SELECT label, value AS none FROM v WHERE prompt = 'none')
      SELECT label, none, soft, soft - none AS gain, (SELECT count(*) FROM s) AS models FROM s JOIN o USING (label) ORDER BY gain DESC LIMIT 1`,
    sentence: ([r]) =>
      r
        ? `The best soft prompt raises factoid-QA accuracy of ${r.label} from **${pct(r.none)}** to **${pct(r.soft)}** (+${pts(r.gain)}; ${r.models} compressed model${n(r.models) === 1 ? "" : "s"} with soft prompts in the store).`
        : null,
    missing: "no soft-prompt runs in the store yet (plan tasks with prompt soft:<id>)",
  },
];

/** Runs every finding's SQL and returns the overview's Markdown list. */
export async function findingsMarkdown(query: Query, root = "./"): Promise<string> {
  const lines: string[] = [];
  for (const f of FINDINGS) {
    let sentence: string | null = null;
    try {
      sentence = f.sentence((await query(f.sql)) as Row[]);
    } catch (error) {
      sentence = `_Could not compute: ${(error as Error).message.split("\n")[0]}_`;
    }
    lines.push(`- **${f.title}.** ${sentence ?? `_Not in the store yet: ${f.missing}._`} [Details →](${pageHref(f.page, root)})`);
  }
  return lines.join("\n");
}

export async function findingsHtml(query: Query, root = "./"): Promise<string> {
  return marked.parse(await findingsMarkdown(query, root), { async: false });
}
