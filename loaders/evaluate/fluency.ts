// "Fluent but factually wrong" (LLM-KICK, issue 20): how fluent a model's generated answers are, with no judge
// model. Three measures, each stored beside the task's accuracy:
//   dense_answer_ppl  the dense model's perplexity of the answer tokens the evaluated model generated, after the
//                     same prompt: exp(mean over answers of the answer's mean token NLL) — fluent text by the
//                     uncompressed model's standard, whatever its truth;
//   repetition        per answer, the share of its words that repeat an earlier word of the same answer
//                     (1 − distinct words / words, Welleck et al. 2020's seq-rep-1), averaged over answers;
//   distinct_1/2      distinct word uni-/bigrams over all answers ÷ all their uni-/bigrams (Li et al. 2016).
// Words are ROUGE's tokens (lower case, runs of [a-z0-9]), so the three text measures agree on what a word is.
import { type EvalContext, expRow, infoRow, logLikelihoods, meanRow, type MetricRow, type PromptRun, subSeed } from "./common.js";
import { ngrams, rougeTokens } from "./rouge.js";

/** Distinct n-grams over all answers ÷ all their n-grams; `total` 0 when no answer has n words. */
export function distinctN(answers: readonly string[], n: number): { value: number; total: number } {
  const seen = new Set<string>();
  let total = 0;
  for (const a of answers) {
    for (const [gram, count] of ngrams(rougeTokens(a), n)) {
      seen.add(gram);
      total += count;
    }
  }
  return { value: total ? seen.size / total : Number.NaN, total };
}

/** The share of an answer's words that repeat an earlier word of it; null for an answer without words. */
export function repetitionRate(answer: string): number | null {
  const words = rougeTokens(answer);
  return words.length ? 1 - new Set(words).size / words.length : null;
}

/**
 * The fluency rows of one subset's answers (`answers[i]` is the scored text of `run`'s i-th generation). The
 * dense model's perplexity needs `ctx.dense`; answers without a generated token are left out of it, and counted
 * (`empty_answers`).
 */
export async function fluencyRows(ctx: EvalContext, subset: string, answers: readonly string[], run: Pick<PromptRun, "promptIds" | "answerIds">, bootstrap: number): Promise<MetricRow[]> {
  const rows: MetricRow[] = [];
  for (const n of [1, 2]) {
    const d = distinctN(answers, n);
    if (d.total) rows.push(infoRow(subset, `distinct_${n}`, d.value, d.total));
  }
  const reps = answers.map(repetitionRate).filter((r): r is number => r !== null);
  if (reps.length) rows.push(meanRow(subset, "repetition", reps, subSeed(ctx.seed, `fluency/${subset}/repetition`), bootstrap));
  const scored = run.answerIds.map((ids, i) => ({ context: run.promptIds[i], continuation: ids })).filter((r) => r.continuation.length > 0);
  rows.push(infoRow(subset, "empty_answers", run.answerIds.length - scored.length, run.answerIds.length));
  if (ctx.dense && scored.length) {
    const dense = await ctx.dense.model();
    const { scores } = await logLikelihoods({ ...ctx, model: dense }, scored);
    const nlls = scores.map((s, i) => -s.logLikelihood / scored[i].continuation.length);
    rows.push(expRow(meanRow(subset, "dense_answer_ppl", nlls, subSeed(ctx.seed, `fluency/${subset}/dense_answer_ppl`), bootstrap)));
  }
  return rows;
}
