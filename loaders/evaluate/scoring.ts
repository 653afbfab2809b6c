// Answer scoring shared by the evaluators. Two families, as in the literature:
// - LLM-KICK's loose scoring: an alias appears in the answer (case and spaces ignored). The
//   original code searched the echoed prompt too; here only the generated answer is searched.
// - lm-eval / SQuAD strict scoring: normalised exact match and token F1, max over aliases.
import { mulberry32 } from "../util/random.js";

/** SQuAD/lm-eval normalisation: lower case, drop punctuation and articles, fold white space. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, " ")
    .replace(/\b(a|an|the)\b/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const squash = (text: string) => text.toLowerCase().replace(/ /g, "");

/** LLM-KICK factoid hit: some alias, lower-cased with spaces removed, is a substring of the answer. */
export function aliasInAnswer(answer: string, aliases: readonly string[]): boolean {
  const haystack = squash(answer);
  return aliases.some((alias) => squash(alias) !== "" && haystack.includes(squash(alias)));
}

/** Strict exact match after normalisation, against any alias. */
export function exactMatch(prediction: string, aliases: readonly string[]): boolean {
  const p = normalizeAnswer(prediction);
  return aliases.some((alias) => normalizeAnswer(alias) === p);
}

/** LLM-KICK's ICRA-QA match: normalised containment in either direction, against any alias. */
export function containmentMatch(prediction: string, aliases: readonly string[]): boolean {
  const p = normalizeAnswer(prediction);
  if (p === "") return false;
  return aliases.some((alias) => {
    const a = normalizeAnswer(alias);
    return a !== "" && (p.includes(a) || a.includes(p));
  });
}

/** SQuAD token F1 between a prediction and one reference. */
export function tokenF1(prediction: string, reference: string): number {
  const p = normalizeAnswer(prediction).split(" ").filter(Boolean);
  const r = normalizeAnswer(reference).split(" ").filter(Boolean);
  if (p.length === 0 || r.length === 0) return p.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of r) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of p) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common += 1;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / r.length;
  return (2 * precision * recall) / (precision + recall);
}

export const maxTokenF1 = (prediction: string, aliases: readonly string[]) =>
  Math.max(0, ...aliases.map((alias) => tokenF1(prediction, alias)));

/** Wilson score interval for k successes in n trials (z = 1.96 for 95%). */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0 || k < 0 || k > n) {
    throw new Error(`wilsonInterval: need integers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // exact bounds at the ends (the formula gives them up to rounding: 5.6e-17 instead of 0)
  return [k === 0 ? 0 : Math.max(0, center - half), k === n ? 1 : Math.min(1, center + half)];
}

/** Seeded PRNG, so bootstrap intervals are identical run to run. */
export const seededRandom = mulberry32;

/** Percentile bootstrap interval of the mean of `values` (for non-binary scores such as F1, ROUGE). */
export function bootstrapMeanInterval(values: readonly number[], { samples = 1000, seed = 0, level = 0.95 } = {}): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(seed);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(random() * values.length)];
    means[s] = sum / values.length;
  }
  means.sort();
  const at = (q: number) => means[Math.min(samples - 1, Math.max(0, Math.floor(q * samples)))];
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}

/** LLM-KICK's repetition measure: the number of distinct tokens in a generation. */
export const uniqueTokenCount = (tokenIds: readonly number[]) => new Set(tokenIds).size;
