// ROUGE-1, ROUGE-2 and ROUGE-L (Lin 2004) as Google's rouge-score computes them with its defaults
// (no stemming): lower-case, every character outside [a-z0-9] becomes a space, split on white space;
// ROUGE-N counts clipped n-gram overlaps, ROUGE-L uses the longest common subsequence (summary-level LCS
// is not needed: our references are one sentence). Each gives precision, recall and
// F = 2PR / (P + R) (0 when P + R = 0), as rouge_scorer.py's `fmeasure`.

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** rouge-score's default tokenizer (tokenize.py without stemming). */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .split(/\s+/)
    .filter((t) => t !== "");
}

function score(overlap: number, predTotal: number, refTotal: number): RougeScore {
  const precision = overlap / Math.max(predTotal, 1);
  const recall = overlap / Math.max(refTotal, 1);
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** Counts of each n-gram (tokens joined by a space). */
export function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join(" ");
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

export function rougeN(prediction: string, reference: string, n: number): RougeScore {
  const p = ngrams(rougeTokens(prediction), n);
  const r = ngrams(rougeTokens(reference), n);
  let overlap = 0;
  for (const [g, c] of p) overlap += Math.min(c, r.get(g) ?? 0);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return score(overlap, total(p), total(r));
}

/** Length of the longest common subsequence of two token lists (O(nm) dynamic programme). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    prev = cur;
  }
  return prev[b.length];
}

export function rougeL(prediction: string, reference: string): RougeScore {
  const p = rougeTokens(prediction);
  const r = rougeTokens(reference);
  return score(lcsLength(p, r), p.length, r.length);
}

export function rouge(prediction: string, reference: string): { rouge1: RougeScore; rouge2: RougeScore; rougeL: RougeScore } {
  return { rouge1: rougeN(prediction, reference, 1), rouge2: rougeN(prediction, reference, 2), rougeL: rougeL(prediction, reference) };
}
