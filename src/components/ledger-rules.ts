// The claim ledger's verdict rules (issue 20): how a paper's claim is decided from kick's numbers. Each
// rule takes measured estimates with 95% intervals and returns the verdict and why; the comparisons
// and the at-chance test are report-verdict.ts's, so the ledger never decides differently from the
// findings pages. The rule texts (RULES) are shown on the ledger page and in docs/report.md.
import { refusedChoice } from "./prompt-choice.js";
import { atChance, compare, notTestable, type Estimate } from "./report-verdict.js";

export type LedgerVerdict = "reproduced" | "partly" | "not reproduced" | "not testable here" | "not measured";

export interface Decision {
  verdict: LedgerVerdict;
  why: string;
}

/** A compressed score next to its dense baseline. */
export interface Pair {
  dense: Estimate;
  other: Estimate;
}

const decided = (verdict: LedgerVerdict, why: string): Decision => ({ verdict, why });
const untestable = (dense: Estimate, chance: number | null, what?: string) => decided("not testable here", notTestable(dense, chance, what));
/** The share of the dense score above chance that the compressed score keeps. */
export const keptAboveChance = (p: Pair, chance: number | null) => (p.other.value - (chance ?? 0)) / (p.dense.value - (chance ?? 0));

/** The rule of each claim, in words (the page and docs/report.md show them). */
export const RULES = {
  perplexityMasks:
    "Not testable if the dense task score is at chance. Reproduced if the task score falls beyond both 95% intervals AND loses a larger share of its dense score above chance than perplexity gains; partly if it falls but by a smaller share; not reproduced if it does not fall beyond the intervals.",
  lossAtLowSparsity: "Not testable if the dense score is at chance. Reproduced if the score at 25–30% sparsity falls below the dense score beyond both 95% intervals; otherwise not reproduced.",
  nmFails:
    "Not testable if the dense score is at chance. Reproduced if 2:4 scores below unstructured 50% (the same number of zeros) beyond both 95% intervals; partly if 2:4 falls below dense but not below unstructured; otherwise not reproduced.",
  quantizationBeatsPruning:
    "Not testable if the dense score is at chance. Reproduced if the quantized model (≈4 bits per weight) scores above the pruned model at ≈8 bits per weight beyond both 95% intervals; partly if the two are not told apart (the quantized one is as good at about half the size); not reproduced if it scores below.",
  largeVsSmall:
    "Not testable if the small dense model is at chance. Reproduced if the larger model pruned to the small one's weight count scores below the small dense model beyond both 95% intervals; otherwise not reproduced.",
  retrievalRobust:
    "Not testable if either dense score (closed book, open book) is at chance. Reproduced if closed book falls beyond the 95% intervals and open book does not; partly if both fall but open book keeps a larger share above chance; otherwise not reproduced.",
  summarizationKept:
    "Not testable if the dense score is at chance. Reproduced if the compressed score stays inside the dense 95% interval or rises beyond it; partly if neither falls inside nor is told apart; not reproduced if it falls beyond both intervals.",
  longContextDegrades:
    "Not testable if the dense score at the longest length is at chance. Reproduced if the score at the longest length falls beyond both 95% intervals and keeps a smaller share above chance than at the shortest length; partly if it falls but keeps no smaller share; otherwise not reproduced.",
  promptRecovery:
    "Perplexity of the 8× model (4-bit + 50% sparsity): the share of the gap to dense that the soft prompt chosen on validation items closes (loaders/prompt/selection.ts: the lowest validation perplexity relative to no prompt, on held-out documents the perplexity task does not score), (none − soft) / (none − dense), with the interval the soft-prompt score's 95% interval gives (not paired over windows, so wider than a paired bootstrap). Reproduced if its lower bound is ≥ 50%; partly if it is above 0 (the no-prompt perplexity lies above the prompt's whole interval); otherwise not reproduced. A prompt chosen on any other split is refused; where no choice is recorded, decided only if the variant has one stored soft prompt (the best of several on the scored test items would be selection on test data, so the claim is then not measured).",
  promptTransfer:
    "A prompt helps a variant when the variant's no-prompt perplexity lies above the prompted score's whole 95% interval. On every compressed variant with at least two soft prompts, at least one prompt not trained on it must help, which holds when two or more help (at most one of them is its own). Reproduced if it holds on every such variant; partly if on some; not reproduced if on none. Transfer across compression levels only (the store does not separate transfer across datasets and tasks).",
  notMeasured: "Not measured: the store holds no runs that measure this claim.",
  fluentButWrong:
    "Factoid QA of the pruned model (SparseGPT first, nearest 50%, the largest model with the dense perplexity of its answers stored). Not testable if the dense accuracy is at chance. Wrong: accuracy falls below the dense model's beyond both 95% intervals. Fluent: the dense model's perplexity of the pruned model's answers has a 95% interval reaching down to the dense model's perplexity of its own answers (no judge model: docs/evaluate.md § Beyond accuracy). Reproduced if wrong and fluent; partly if wrong and less fluent; not reproduced if accuracy does not fall beyond the intervals.",
} as const;

export function perplexityMasks(ppl: Pair, task: Pair, chance: number | null): Decision {
  if (atChance(task.dense, chance)) return untestable(task.dense, chance);
  if (compare(task.dense, task.other) !== "degrades") return decided("not reproduced", "the task score does not fall beyond the 95% intervals");
  const taskLoss = 1 - keptAboveChance(task, chance);
  const pplRise = ppl.other.value / ppl.dense.value - 1;
  return taskLoss > pplRise
    ? decided("reproduced", `the task loses ${Math.round(taskLoss * 100)}% of its dense score while perplexity rises ${Math.round(pplRise * 100)}%`)
    : decided("partly", `the task falls, but by ${Math.round(taskLoss * 100)}%, no more than perplexity rises (${Math.round(pplRise * 100)}%)`);
}

/** A claimed loss: the compressed score falls below dense beyond both intervals. */
export function lossAt(p: Pair, chance: number | null): Decision {
  if (atChance(p.dense, chance)) return untestable(p.dense, chance);
  return compare(p.dense, p.other) === "degrades" ? decided("reproduced", "falls beyond both 95% intervals") : decided("not reproduced", "no fall beyond the 95% intervals");
}

export function nmFails(dense: Estimate, unstructured: Estimate, nm: Estimate, chance: number | null): Decision {
  if (atChance(dense, chance)) return untestable(dense, chance);
  if (compare(unstructured, nm) === "degrades") return decided("reproduced", "2:4 scores below unstructured 50% beyond both intervals");
  if (compare(dense, nm) === "degrades") return decided("partly", "2:4 falls below dense, but not below unstructured 50%");
  return decided("not reproduced", "2:4 does not fall below dense beyond the intervals");
}

export function quantizationBeatsPruning(dense: Estimate, quantized: Estimate, pruned: Estimate, chance: number | null): Decision {
  if (atChance(dense, chance)) return untestable(dense, chance);
  const v = compare(pruned, quantized);
  if (v === "improves") return decided("reproduced", "the quantized model scores above the pruned one beyond both intervals");
  if (v === "degrades") return decided("not reproduced", "the quantized model scores below the pruned one beyond both intervals");
  return decided("partly", "no difference beyond the intervals, at about half the bits per weight");
}

export function largeVsSmall(smallDense: Estimate, largePruned: Estimate, chance: number | null): Decision {
  if (atChance(smallDense, chance)) return untestable(smallDense, chance, "the small dense model");
  return compare(smallDense, largePruned) === "degrades"
    ? decided("reproduced", "the pruned larger model scores below the small dense one beyond both intervals")
    : decided("not reproduced", "the pruned larger model does not score below the small dense one beyond the intervals");
}

export function retrievalRobust(closed: Pair, open: Pair, chance: number | null): Decision {
  if (atChance(closed.dense, chance)) return untestable(closed.dense, chance, "the dense model closed book");
  if (atChance(open.dense, chance)) return untestable(open.dense, chance, "the dense model open book");
  const closedFalls = compare(closed.dense, closed.other) === "degrades";
  const openFalls = compare(open.dense, open.other) === "degrades";
  if (closedFalls && !openFalls) return decided("reproduced", "closed book falls beyond the intervals, open book does not");
  if (closedFalls && keptAboveChance(open, chance) > keptAboveChance(closed, chance)) return decided("partly", "both fall; open book keeps a larger share");
  return decided("not reproduced", closedFalls ? "both fall; open book keeps no larger share" : "closed book does not fall beyond the intervals");
}

export function summarizationKept(p: Pair, chance: number | null): Decision {
  if (atChance(p.dense, chance)) return untestable(p.dense, chance);
  const v = compare(p.dense, p.other);
  if (v === "holds" || v === "improves") return decided("reproduced", v === "holds" ? "inside the dense 95% interval" : "rises beyond both intervals");
  if (v === "degrades") return decided("not reproduced", "falls beyond both 95% intervals");
  return decided("partly", "outside the dense interval, but not told apart from it");
}

export function longContextDegrades(short: Pair, long: Pair, chance: number | null): Decision {
  if (atChance(long.dense, chance)) return untestable(long.dense, chance, "the dense model at the longest length");
  if (compare(long.dense, long.other) !== "degrades") return decided("not reproduced", "no fall beyond the intervals at the longest length");
  return keptAboveChance(long, chance) < keptAboveChance(short, chance)
    ? decided("reproduced", "falls at the longest length, and keeps less there than at the shortest")
    : decided("partly", "falls at the longest length, but keeps no less there than at the shortest");
}

/** The share of the perplexity gap a soft prompt closes, with the interval its score's interval gives. */
export function gapClosed(dense: number, none: Estimate, soft: Estimate): Estimate {
  const gap = none.value - dense;
  const at = (v: number) => (none.value - v) / gap;
  return { value: at(soft.value), lo: at(soft.hi ?? soft.value), hi: at(soft.lo ?? soft.value) };
}

/** A soft prompt lowers perplexity: the no-prompt score lies above the prompted score's whole 95% interval. */
export const promptHelps = (none: Estimate, soft: Estimate) => (Number.isFinite(soft.hi) ? (soft.hi as number) : soft.value) < none.value;

/** How the reported prompt was chosen (prompt-choice.ts): on which split, or null when no choice is recorded. */
export interface PromptChoiceInfo {
  prompt: string;
  chosen_on: string;
  split?: string;
}

export function promptRecovery(dense: number, none: Estimate, soft: Estimate, prompts = 1, choice: PromptChoiceInfo | null = null): Decision {
  const refused = choice ? refusedChoice(choice) : null;
  if (refused) return decided("not measured", refused);
  if (!choice && prompts > 1)
    return decided("not measured", `${prompts} soft prompts are stored for this variant and none is marked as chosen on validation items; the best on the test items would be selection on test data`);
  const closed = gapClosed(dense, none, soft);
  const lo = Number.isFinite(closed.lo) ? (closed.lo as number) : closed.value;
  if (lo >= 0.5) return decided("reproduced", "closes at least half the gap at the interval's lower bound");
  if (lo > 0) return decided("partly", "closes part of the gap; half is not reached at the interval's lower bound");
  return decided("not reproduced", "the no-prompt perplexity lies inside the soft prompt's interval");
}

/** Per variant: its no-prompt perplexity and every soft prompt's. */
export interface TransferCell {
  variant: string;
  none: Estimate;
  prompts: Estimate[];
}

export function promptTransfer(cells: readonly TransferCell[]): Decision {
  const eligible = cells.filter((c) => c.prompts.length >= 2);
  if (!eligible.length) return decided("not measured", "no compressed variant has two or more soft prompts");
  const ok = eligible.filter((c) => c.prompts.filter((p) => promptHelps(c.none, p)).length >= 2);
  const why = `${ok.length} of ${eligible.length} variants improved by a prompt trained elsewhere`;
  return decided(ok.length === eligible.length ? "reproduced" : ok.length ? "partly" : "not reproduced", why);
}

/** Fluent but wrong: accuracy (a Pair of alias hits) falls, while the answers' dense perplexity stays at the dense model's own. */
export function fluentButWrong(accuracy: Pair, answerPpl: Pair, chance: number | null): Decision {
  if (atChance(accuracy.dense, chance)) return untestable(accuracy.dense, chance);
  if (compare(accuracy.dense, accuracy.other) !== "degrades") return decided("not reproduced", "factoid accuracy does not fall beyond both 95% intervals");
  const lo = Number.isFinite(answerPpl.other.lo) ? (answerPpl.other.lo as number) : answerPpl.other.value;
  return lo <= answerPpl.dense.value
    ? decided("reproduced", "accuracy falls beyond the intervals; the dense model finds the answers as fluent as its own")
    : decided("partly", "accuracy falls beyond the intervals, and the answers are less fluent to the dense model than its own");
}
