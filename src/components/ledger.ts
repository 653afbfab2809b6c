// The claim ledger (issue 20): a row per claim of LLM-KICK and Compress-Then-Prompt, each with the
// paper's own number (LLM-KICK Table 3 from data/published/, where transcribed), kick's number with its
// 95% interval from SQL over the results store, the verdict of its rule (ledger-rules.ts) and a link to
// the chart. The SQL reuses the findings' queries (report-findings.ts) where they already pick the cell.
import { methodRankSql } from "./method-meta.js";
import { promptChoiceTableSql } from "./prompt-choice.js";
import { FINDINGS } from "./report-findings.js";
import type { Query } from "./report-controls.js";
import { lit, SOFT_SEQ_LEN } from "./report-sql.js";
import { AGG_VS_DENSE, score, type Estimate } from "./report-verdict.js";
import * as R from "./ledger-rules.js";

type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));
const est = (r: Row, value: string, lo: string, hi: string): Estimate => ({ value: n(r[value]), lo: n(r[lo]), hi: n(r[hi]) });
/** The estimate of a row's columns value/ci_low/ci_high with a prefix ("p_" → p_value, p_ci_low, p_ci_high). */
const of = (r: Row, prefix = "") => est(r, `${prefix}value`, `${prefix}ci_low`, `${prefix}ci_high`);
const denseOf = (r: Row) => est(r, "dense_value", "dense_lo", "dense_hi");
const chanceOf = (r: Row) => (r.chance === null || r.chance === undefined ? null : n(r.chance));
/** "41% [38–44%]" (accuracies) or "52.1 [50.3–54.0]" (other metrics). */
export const withInterval = (e: Estimate, chance: number | null) =>
  Number.isFinite(e.lo) && Number.isFinite(e.hi) ? `${score(e.value, chance)} [${score(e.lo, chance)}–${score(e.hi, chance)}]` : score(e.value, chance);
const findingSql = (page: string) => FINDINGS.find((f) => f.page === page)!.sql;

export type Paper = "LLM-KICK" | "Compress-Then-Prompt";

export interface Claim {
  id: string;
  paper: Paper;
  claim: string;
  /** The page whose chart shows it (relative link). */
  chart: string;
  rule: string;
  /** SQL over the published table (`table3`, data/published/llm-kick-table3.csv) giving the paper's number; absent when none is transcribed. */
  paperSql?: string;
  /** The paper's number in words from paperSql's rows; "not transcribed …" by default. */
  paperText?: (rows: Row[]) => string;
  /** SQL over the store's views (report-sql.ts REPORT_VIEWS), or null when nothing in the store measures it. */
  sql: string | null;
  /** kick's number and the verdict from the SQL rows; null when the store lacks the runs. */
  decide: (rows: Row[]) => { kick: string; decision: R.Decision } | null;
}

const NOT_TRANSCRIBED = "not transcribed in data/published/";
const table3 = (task: string, method: string, sparsity: number) =>
  `SELECT max(value) FILTER (WHERE sparsity = 0) AS dense, max(value) FILTER (WHERE sparsity = ${sparsity}) AS value FROM table3 WHERE task = ${lit(task)} AND method = ${lit(method)}`;
const table3Text = (what: string, sparsity: number, unit = "") => ([r]: Row[]) =>
  r && r.value !== null ? `${what}: ${n(r.dense)}${unit} dense → ${n(r.value)}${unit} at ${sparsity}% (Table 3, Vicuna-7B)` : NOT_TRANSCRIBED;
const METHOD_RANK = methodRankSql();
/** The unstructured pruning cell nearest `target` sparsity of a task (SparseGPT first, the largest model). */
const prunedCell = (where: string, target: number) => `SELECT * FROM ${AGG_VS_DENSE} WHERE ${where} AND bits IS NULL AND pattern = 'unstructured' AND sparsity > 0
  ORDER BY abs(sparsity - ${target}), ${METHOD_RANK}, model_params DESC, model, variant LIMIT 1`;
const FACTOID = "task = 'factoid_qa' AND subset = 'all' AND metric = 'alias_hit'";
const FLUENCY = "task = 'factoid_qa' AND subset = 'all' AND metric = 'dense_answer_ppl'";

export const CLAIMS: Claim[] = [
  {
    id: "perplexity-masks",
    paper: "LLM-KICK",
    claim: "Perplexity masks the loss of knowledge-intensive abilities",
    chart: "perplexity",
    rule: R.RULES.perplexityMasks,
    paperSql: table3("factoid_qa", "sparsegpt", 50),
    paperText: table3Text("factoid QA exact match, SparseGPT (perplexity not transcribed)", 50, "%"),
    sql: findingSql("perplexity"),
    decide: ([r]) => {
      if (!r) return null;
      const task = { dense: denseOf(r), other: of(r) };
      const ppl = { dense: est(r, "p_dense", "p_dense_lo", "p_dense_hi"), other: of(r, "p_") };
      return {
        kick: `${r.model}, ${r.method} ${score(r.sparsity, 0)}: factoid QA ${withInterval(task.dense, 0)} → ${withInterval(task.other, 0)}; perplexity ${withInterval(ppl.dense, null)} → ${withInterval(ppl.other, null)}`,
        decision: R.perplexityMasks(ppl, task, chanceOf(r)),
      };
    },
  },
  {
    id: "loss-at-low-sparsity",
    paper: "LLM-KICK",
    claim: "Knowledge-intensive tasks lose accuracy already at 25–30% sparsity",
    chart: "perplexity",
    rule: R.RULES.lossAtLowSparsity,
    paperSql: table3("factoid_qa", "sparsegpt", 30),
    paperText: table3Text("factoid QA exact match, SparseGPT", 30, "%"),
    sql: `SELECT * FROM (${prunedCell(FACTOID, 0.3)}) WHERE sparsity BETWEEN 0.25 AND 0.3`,
    decide: ([r]) => (r ? { kick: `${r.model}, ${r.variant}: factoid QA ${withInterval(denseOf(r), 0)} → ${withInterval(of(r), 0)}`, decision: R.lossAt({ dense: denseOf(r), other: of(r) }, chanceOf(r)) } : null),
  },
  {
    id: "nm-fails",
    paper: "LLM-KICK",
    claim: "N:M sparsity fails knowledge-intensive tasks",
    chart: "nm-sparsity",
    rule: R.RULES.nmFails,
    sql: `WITH a AS (SELECT * FROM ${AGG_VS_DENSE} WHERE ${FACTOID} AND bits IS NULL),
        u AS (SELECT * FROM a WHERE pattern = 'unstructured' AND abs(sparsity - 0.5) < 1e-9), m AS (SELECT * FROM a WHERE pattern = '2:4')
      SELECT u.model, u.method, u.chance, u.dense_value, u.dense_lo, u.dense_hi, u.value AS u_value, u.ci_low AS u_ci_low, u.ci_high AS u_ci_high,
        m.value AS m_value, m.ci_low AS m_ci_low, m.ci_high AS m_ci_high
      FROM u JOIN m USING (model, model_hash, method) ORDER BY u.model_params DESC, ${methodRankSql("u.method")} LIMIT 1`,
    decide: ([r]) =>
      r ? { kick: `${r.model}, ${r.method}: factoid QA dense ${withInterval(denseOf(r), 0)}, unstructured 50% ${withInterval(of(r, "u_"), 0)}, 2:4 ${withInterval(of(r, "m_"), 0)}`, decision: R.nmFails(denseOf(r), of(r, "u_"), of(r, "m_"), chanceOf(r)) } : null,
  },
  {
    id: "quantization-beats-pruning",
    paper: "LLM-KICK",
    claim: "Quantization keeps knowledge better than pruning at equal size",
    chart: "quantization-vs-pruning",
    rule: R.RULES.quantizationBeatsPruning,
    sql: findingSql("quantization-vs-pruning"),
    decide: ([r]) =>
      r ? { kick: `${r.model}: factoid QA ${r.qv} ${withInterval(of(r), 0)} vs ${r.pv} ${withInterval(of(r, "p_"), 0)} (dense ${withInterval(denseOf(r), 0)})`, decision: R.quantizationBeatsPruning(denseOf(r), of(r), of(r, "p_"), chanceOf(r)) } : null,
  },
  {
    id: "fluent-but-wrong",
    paper: "LLM-KICK",
    claim: "Compressed models stay fluent but become factually wrong",
    chart: "perplexity",
    rule: R.RULES.fluentButWrong,
    paperText: () => `${NOT_TRANSCRIBED} (judged by GPT-4 in the paper)`,
    sql: `WITH f AS (SELECT model, model_hash, variant, method, value AS f_value, ci_low AS f_ci_low, ci_high AS f_ci_high FROM agg WHERE ${FLUENCY}),
        acc AS (${prunedCell(`${FACTOID} AND model || '|' || model_hash || '|' || variant IN (SELECT model || '|' || model_hash || '|' || variant FROM f)`, 0.5)})
      SELECT acc.*, f.f_value, f.f_ci_low, f.f_ci_high, d.f_value AS fd_value, d.f_ci_low AS fd_ci_low, d.f_ci_high AS fd_ci_high
      FROM acc JOIN f USING (model, model_hash, variant) JOIN f d ON d.model = acc.model AND d.model_hash = acc.model_hash AND d.method = 'dense'`,
    decide: ([r]) => {
      if (!r) return null;
      const acc = { dense: denseOf(r), other: of(r) };
      const ppl = { dense: of(r, "fd_"), other: of(r, "f_") };
      return {
        kick: `${r.model}, ${r.variant}: factoid QA ${withInterval(of(r), 0)} (dense ${withInterval(denseOf(r), 0)}); dense model's perplexity of the answers ${withInterval(ppl.other, null)} (of its own ${withInterval(ppl.dense, null)})`,
        decision: R.fluentButWrong(acc, ppl, chanceOf(r)),
      };
    },
  },
  {
    id: "large-vs-small",
    paper: "LLM-KICK",
    claim: "A larger compressed model loses to a smaller dense model of the same size",
    chart: "large-vs-small",
    rule: R.RULES.largeVsSmall,
    sql: findingSql("large-vs-small"),
    decide: ([r]) =>
      r ? { kick: `${r.task}: ${r.big} ${r.method} ${score(r.sparsity, 0)} ${withInterval(of(r, "big_"), chanceOf(r))} vs dense ${r.small} ${withInterval(of(r, "small_"), chanceOf(r))}`, decision: R.largeVsSmall(of(r, "small_"), of(r, "big_"), chanceOf(r)) } : null,
  },
  {
    id: "retrieval-robust",
    paper: "LLM-KICK",
    claim: "In-context (open-book) retrieval is more robust to compression than closed book",
    chart: "retrieval",
    rule: R.RULES.retrievalRobust,
    sql: findingSql("retrieval"),
    decide: (rows) => {
      const closed = rows.find((r) => r.subset === "closed");
      const open = rows.find((r) => r.subset === "open_factual");
      if (!closed || !open) return null;
      const pair = (r: Row) => ({ dense: denseOf(r), other: of(r) });
      return {
        kick: `${closed.model}, ${closed.method} ${score(closed.sparsity, 0)}: closed book ${withInterval(denseOf(closed), 0)} → ${withInterval(of(closed), 0)}; open book ${withInterval(denseOf(open), 0)} → ${withInterval(of(open), 0)}`,
        decision: R.retrievalRobust(pair(closed), pair(open), chanceOf(closed)),
      };
    },
  },
  {
    id: "summarization-kept",
    paper: "LLM-KICK",
    claim: "Summarization quality is kept under moderate compression",
    chart: "long-context",
    rule: R.RULES.summarizationKept,
    paperSql: table3("summarization_large_coherence", "sparsegpt", 50),
    paperText: table3Text("long-story coherence (GPT-4 judge, out of 10), SparseGPT", 50),
    sql: prunedCell("task = 'summarization' AND subset = 'all' AND metric = 'rougeL'", 0.5),
    decide: ([r]) => (r ? { kick: `${r.model}, ${r.variant}: ROUGE-L ${withInterval(denseOf(r), null)} → ${withInterval(of(r), null)}`, decision: R.summarizationKept({ dense: denseOf(r), other: of(r) }, chanceOf(r)) } : null),
  },
  {
    id: "long-context-degrades",
    paper: "LLM-KICK",
    claim: "Long-context ability degrades under compression",
    chart: "long-context",
    rule: R.RULES.longContextDegrades,
    sql: `WITH c AS (${prunedCell("task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%'", 0.5).replace(/ORDER BY[\s\S]*$/, "")}),
        pick AS (SELECT model, method, sparsity, max(model_params) AS params, min(${METHOD_RANK}) AS rank FROM c GROUP BY model, method, sparsity HAVING count(DISTINCT subset) > 1 ORDER BY abs(sparsity - 0.5), rank, params DESC LIMIT 1),
        l AS (SELECT c.*, CAST(replace(subset, 'length/', '') AS INTEGER) AS len FROM c JOIN pick USING (model, method, sparsity))
      SELECT * FROM l WHERE len = (SELECT min(len) FROM l) OR len = (SELECT max(len) FROM l) ORDER BY len`,
    decide: (rows) => {
      if (rows.length < 2) return null;
      const [s, l] = [rows[0], rows[rows.length - 1]];
      const pair = (r: Row) => ({ dense: denseOf(r), other: of(r) });
      return {
        kick: `${s.model}, ${s.variant}: ${s.len} tokens ${withInterval(denseOf(s), 0)} → ${withInterval(of(s), 0)}; ${l.len} tokens ${withInterval(denseOf(l), 0)} → ${withInterval(of(l), 0)}`,
        decision: R.longContextDegrades(pair(s), pair(l), chanceOf(l)),
      };
    },
  },
  {
    id: "prompt-recovery-8x",
    paper: "Compress-Then-Prompt",
    claim: "A soft prompt recovers much of the loss of an 8× compressed model (4-bit + 50% sparsity)",
    chart: "soft-prompts",
    rule: R.RULES.promptRecovery,
    sql: `WITH c AS (SELECT * FROM cells WHERE task = 'perplexity' AND subset = 'all' AND metric = 'perplexity' AND k_shot = 0 AND seq_len = ${SOFT_SEQ_LEN}),
        t AS (SELECT * FROM c WHERE bits = 4 AND abs(sparsity - 0.5) < 1e-9),
        none AS (SELECT model, model_hash, variant, value AS none_value, ci_low AS none_ci_low, ci_high AS none_ci_high, model_params FROM t WHERE prompt = 'none'),
        soft AS (SELECT model, model_hash, variant, count(*) AS soft_n, arg_min(prompt, value) AS only_prompt, min(value) AS only_value, arg_min(ci_low, value) AS only_ci_low, arg_min(ci_high, value) AS only_ci_high
          FROM t WHERE prompt LIKE 'soft:%' GROUP BY ALL),
        -- the prompt chosen on validation items for this cell (prompt_choice: prompt-choice.ts), not the best on the test items
        chosen AS (SELECT t.model, t.model_hash, t.variant, t.prompt AS soft_prompt, t.value AS soft_value, t.ci_low AS soft_ci_low, t.ci_high AS soft_ci_high, ch.chosen_on, ch.split
          FROM t JOIN prompt_choice ch ON ch.prompt = t.prompt AND ch.model = t.model AND abs(ch.sparsity - t.sparsity) < 1e-9 AND ch.bits IS NOT DISTINCT FROM t.bits),
        dense AS (SELECT model, model_hash, value AS dense_value FROM c WHERE method = 'dense' AND prompt = 'none')
      SELECT * FROM none JOIN soft USING (model, model_hash, variant) LEFT JOIN chosen USING (model, model_hash, variant) JOIN dense USING (model, model_hash) ORDER BY model_params DESC, variant LIMIT 1`,
    decide: ([r]) => {
      if (!r) return null;
      const choice = r.soft_prompt ? { prompt: String(r.soft_prompt), chosen_on: String(r.chosen_on), split: String(r.split) } : null;
      // no recorded choice: only a lone stored prompt may stand for the variant
      const soft = choice ? of(r, "soft_") : of(r, "only_");
      const prompt = String(choice ? r.soft_prompt : r.only_prompt).replace("soft:", "");
      const how = choice ? ` (chosen on ${choice.chosen_on} items of ${n(r.soft_n)} stored)` : n(r.soft_n) > 1 ? ` (the best of ${n(r.soft_n)} prompts on the test items: no validation choice recorded)` : " (the only stored prompt)";
      const closed = R.gapClosed(n(r.dense_value), of(r, "none_"), soft);
      return {
        kick: `${r.model}, ${r.variant}: perplexity dense ${score(r.dense_value, null)}, no prompt ${withInterval(of(r, "none_"), null)}, ${prompt}${how} ${withInterval(soft, null)}; gap closed ${withInterval(closed, 0)}`,
        decision: R.promptRecovery(n(r.dense_value), of(r, "none_"), soft, n(r.soft_n), choice),
      };
    },
  },
  {
    id: "prompt-transfer",
    paper: "Compress-Then-Prompt",
    claim: "Soft prompts transfer across compression levels, datasets and tasks",
    chart: "soft-prompts",
    rule: R.RULES.promptTransfer,
    sql: `WITH c AS (SELECT * FROM cells WHERE task = 'perplexity' AND subset = 'all' AND metric = 'perplexity' AND k_shot = 0 AND seq_len = ${SOFT_SEQ_LEN} AND method <> 'dense')
      SELECT s.model, s.variant, s.prompt, s.value, s.ci_low, s.ci_high, o.value AS none_value, o.ci_low AS none_ci_low, o.ci_high AS none_ci_high
      FROM c s JOIN c o ON o.model = s.model AND o.model_hash = s.model_hash AND o.variant = s.variant AND o.prompt = 'none'
      WHERE s.prompt LIKE 'soft:%' ORDER BY s.model, s.variant, s.prompt`,
    decide: (rows) => {
      if (!rows.length) return null;
      const cells = new Map<string, R.TransferCell>();
      for (const r of rows) {
        const key = `${r.model} · ${r.variant}`;
        if (!cells.has(key)) cells.set(key, { variant: key, none: of(r, "none_"), prompts: [] });
        cells.get(key)!.prompts.push(of(r));
      }
      const decision = R.promptTransfer([...cells.values()]);
      return { kick: `${rows.length} (variant, soft prompt) perplexity pairs on ${cells.size} compressed variants: ${decision.why}`, decision };
    },
  },
  {
    id: "prompt-vs-lora",
    paper: "Compress-Then-Prompt",
    claim: "A soft prompt recovers about as much as LoRA at a fraction of the parameters",
    chart: "soft-prompts",
    rule: R.RULES.notMeasured,
    sql: null,
    decide: () => null,
  },
];

export interface LedgerRow {
  id: string;
  paper: Paper;
  claim: string;
  published: string;
  kick: string;
  verdict: R.LedgerVerdict;
  why: string;
  rule: string;
  chart: string;
}

/** Every claim decided: `query` runs SQL over the store's views, `published` over the table3 table. */
/**
 * The ledger's rows. `promptChoices`: data/prompt-choice.parquet's rows (which soft prompt each checkpoint reports,
 * chosen on validation items); copied into the results database as `prompt_choice` for the claims' SQL.
 */
/** The validation-chosen prompts the ledger reads (the page's prompt_choice table). */
export const PROMPT_CHOICE_SQL = "SELECT * FROM prompt_choice";

export async function ledgerRows(query: Query, published: Query | null, promptChoices: readonly Row[] = []): Promise<LedgerRow[]> {
  await query(promptChoiceTableSql(promptChoices));
  const rows: LedgerRow[] = [];
  for (const c of CLAIMS) {
    const paperRows = c.paperSql && published ? await published(c.paperSql) : [];
    const result = c.sql ? c.decide(await query(c.sql)) : null;
    const decision = result?.decision ?? { verdict: "not measured" as const, why: c.sql ? "the store lacks the runs this claim needs" : "no runs in the store measure it" };
    rows.push({ id: c.id, paper: c.paper, claim: c.claim, published: c.paperText?.(paperRows as Row[]) ?? NOT_TRANSCRIBED, kick: result?.kick ?? "—", verdict: decision.verdict, why: decision.why, rule: c.rule, chart: c.chart });
  }
  return rows;
}
