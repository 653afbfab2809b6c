// What every evaluator shares: the context it runs in (any CausalLM + tokenizer), prompt encoding with
// left truncation to the model's context, batched deterministic generation and log-likelihood scoring,
// and the result rows (accuracies with Wilson intervals, means with seeded bootstrap intervals).
import type { CausalLM } from "../model/causal-lm.js";
import { generateBatch, scoreContinuations } from "../model/generate.js";
import { bootstrapMeanInterval, wilsonInterval } from "./scoring.js";
import type { TaskName, TaskSpec } from "./task-spec.js";

/** The part of a tokenizer the evaluators need (ModelTokenizer fits). */
export interface EvalTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  readonly eosTokenIds: number[];
}

export interface EvalContext {
  model: CausalLM;
  tokenizer: EvalTokenizer;
  /** seeds sampling (temperature > 0) and the bootstrap intervals */
  seed: number;
  /**
   * sequences per batch: generated together (batched KV cache) or scored in one forward. Absent or 0: chosen
   * from the model's memory needs (generate.ts defaultBatchRows; 64 rows for scoring). Results do not depend on it.
   */
  batchSize?: number;
  /** data/tasks folder (default: this checkout's) */
  tasksDir?: string;
  /** folder of soft prompts (loaders/prompt): `prompt: soft:<id>` loads <promptsDir>/<id>/ */
  promptsDir?: string;
  /** sha256 of the model's tokenizer.json (prompt-file.ts tokenizerHash), to refuse prompts of another tokenizer */
  modelTokenizerHash?: string | null;
  /** examples done of total, for progress bars */
  onProgress?: (done: number, total: number) => void;
  /** the dense model of the same weights, for metrics against it (KL on perplexity windows, fluency of answers) */
  dense?: DenseReference;
}

/** The dense model an evaluation is compared with (issue 20: beyond accuracy). */
export interface DenseReference {
  /** the dense weights' hash: keys the cache of its log-probs (kl-divergence.ts) */
  modelHash: string;
  /** the dense model (loaded on first use) */
  model(): Promise<CausalLM>;
  /** the model evaluated is this dense model itself: no divergence to compute, answers scored by it */
  self: boolean;
  /** folder that caches the dense log-probs of perplexity windows; null: recomputed each run */
  cacheDir: string | null;
  /** dense log-probs kept per position (default DEFAULT_KL_TOP_K) */
  topK?: number;
}

/** One aggregate: a row of the results table without the run columns. */
export interface MetricRow {
  subset: string;
  metric: string;
  value: number;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
}

/** One scored example: a row of the per-example table without the run columns. */
export interface ExampleOut {
  example_id: string;
  prediction: string;
  reference: string;
  correct: boolean | null;
  logprob: number | null;
}

export interface TaskResult {
  task: TaskName;
  results: MetricRow[];
  examples: ExampleOut[];
  /** tokens run through the model (prompts + generated), for throughput */
  tokens: number;
}

export type Evaluator = (spec: TaskSpec, ctx: EvalContext) => Promise<TaskResult>;

// ---------------------------------------------------------------------------------------------- rows

/** Accuracy of binary outcomes with a 95% Wilson interval. */
export function accuracyRow(subset: string, metric: string, hits: readonly boolean[]): MetricRow {
  const k = hits.filter(Boolean).length;
  const n = hits.length;
  const [lo, hi] = wilsonInterval(k, n);
  return { subset, metric, value: n ? k / n : Number.NaN, n, ci_low: lo, ci_high: hi };
}

/** Mean of non-binary scores (F1, ROUGE, counts) with a seeded 95% percentile-bootstrap interval. */
export function meanRow(subset: string, metric: string, values: readonly number[], seed: number, samples: number): MetricRow {
  const n = values.length;
  if (n === 0) return { subset, metric, value: Number.NaN, n: 0, ci_low: null, ci_high: null };
  const [lo, hi] = bootstrapMeanInterval(values, { seed, samples });
  return { subset, metric, value: values.reduce((a, b) => a + b, 0) / n, n, ci_low: lo, ci_high: hi };
}

/** A mean of NLLs mapped through exp (a perplexity): the interval's bounds too, as exp is monotone. */
export function expRow(m: MetricRow): MetricRow {
  return { ...m, value: Math.exp(m.value), ci_low: m.ci_low === null ? null : Math.exp(m.ci_low), ci_high: m.ci_high === null ? null : Math.exp(m.ci_high) };
}

/** A count or setting recorded alongside the metrics (no interval). */
export const infoRow = (subset: string, metric: string, value: number, n: number): MetricRow => ({ subset, metric, value, n, ci_low: null, ci_high: null });

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** A stable 32-bit seed from a base seed and a string (example id, metric), so seeds do not depend on order. */
export function subSeed(seed: number, key: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ------------------------------------------------------------------------------------------ prompts

/** The model's context length in tokens. */
export const contextLimit = (model: CausalLM): number => model.spec.maxPositions;

/**
 * Encodes a prompt (with the tokenizer's special tokens, e.g. Llama's BOS) so that `reserve` more tokens
 * fit in the context: too long a prompt loses tokens from the left (the BOS, if any, is kept), as
 * lm-eval does. `truncated` says whether that happened.
 */
export function encodePrompt(ctx: EvalContext, text: string, reserve: number): { ids: number[]; truncated: boolean } {
  return truncateLeft(ctx, ctx.tokenizer.encode(text), reserve);
}

/** Cuts token ids from the left (keeping a leading BOS) so that `reserve` more tokens fit in the context. */
export function truncateLeft(ctx: EvalContext, ids: number[], reserve: number): { ids: number[]; truncated: boolean } {
  const room = contextLimit(ctx.model) - reserve;
  if (room < 2) throw new Error(`the model's context of ${contextLimit(ctx.model)} tokens leaves no room for a prompt after reserving ${reserve}`);
  if (ids.length <= room) return { ids, truncated: false };
  const bos = ctx.model.spec.bosTokenId;
  if (bos !== null && ids[0] === bos) return { ids: [bos, ...ids.slice(ids.length - room + 1)], truncated: true };
  return { ids: ids.slice(ids.length - room), truncated: true };
}

/** Text after leading white space up to the first line break, trimmed (LLM-KICK keeps the first line). */
export function firstLine(text: string): string {
  const t = text.trimStart();
  const nl = t.indexOf("\n");
  return (nl >= 0 ? t.slice(0, nl) : t).trim();
}

// --------------------------------------------------------------------------------------- generation

export interface GenerateRequest {
  ids: number[];
  /** names the request in the sampling seed, so sampled outputs do not depend on batching or order */
  key: string;
}

export interface GenerateSettings {
  maxNewTokens: number;
  /** 0: greedy */
  temperature: number;
  /** stop once the continuation, leading white space skipped, contains a line break */
  stopAtLineBreak: boolean;
}

export interface GeneratedText {
  tokens: number[];
  /** the tokens without a final EOS: the text's own tokens */
  body: number[];
  text: string;
}

/**
 * Generates for many prompts through generate.ts's generateBatch (batched KV cache on the GPU, left-padded
 * full forwards on the CPU reference). The decision rule is the same for every batch size (argmax with ties to
 * the lowest id, or a draw seeded by the request's key), so the outputs are too.
 */
export async function generateAll(
  ctx: EvalContext,
  requests: readonly GenerateRequest[],
  settings: GenerateSettings,
  onDone?: (count: number) => void,
): Promise<GeneratedText[]> {
  const { model, tokenizer } = ctx;
  const eos = [...new Set([...tokenizer.eosTokenIds, ...model.spec.eosTokenIds])];
  let finished = 0;
  const gens = await generateBatch(
    model,
    requests.map((r) => r.ids),
    {
      maxNewTokens: settings.maxNewTokens,
      eosTokenIds: eos,
      sampling: settings.temperature > 0 ? requests.map((r) => ({ temperature: settings.temperature, seed: subSeed(ctx.seed, r.key) })) : undefined,
      stopWhen: settings.stopAtLineBreak ? (tokens) => tokenizer.decode(tokens).trimStart().includes("\n") : undefined,
      batchSize: ctx.batchSize || undefined,
      onDone: () => onDone?.(++finished),
    },
  );
  return gens.map((g) => {
    const body = g.stoppedBy === "eos" ? g.tokens.slice(0, -1) : g.tokens;
    return { tokens: g.tokens, body, text: tokenizer.decode(body, { skipSpecialTokens: true }) };
  });
}

// --------------------------------------------------------------------------------- log-likelihoods

export interface LoglikRequest {
  context: number[];
  continuation: number[];
}

export interface Loglik {
  /** sum of log p(continuation token | everything before it) */
  logLikelihood: number;
  /** whether greedy decoding would produce the continuation */
  isGreedy: boolean;
}

/**
 * Log-likelihood of each continuation after its context, batched by generate.ts's scoreContinuations (rows
 * shared by requests with the same context, right-padded; on the GPU only the scored log-probs come back).
 * `tokens`: the tokens run through the model.
 */
export async function logLikelihoods(
  ctx: EvalContext,
  requests: readonly LoglikRequest[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ scores: Loglik[]; tokens: number }> {
  return scoreContinuations(ctx.model, requests, { batchSize: ctx.batchSize || undefined, onProgress });
}

// ------------------------------------------------------------------------------ prompt → answer runs

export interface PromptRun {
  /** decoded continuations (special tokens skipped) */
  texts: string[];
  tokenIds: number[][];
  /** each prompt as the model saw it (prefix included, left-truncated), and its generated tokens without EOS */
  promptIds: number[][];
  answerIds: number[][];
  /** prompts cut from the left to fit the context */
  truncated: number;
  /** prompt + generated tokens */
  tokens: number;
}

/**
 * Encodes `prompts` (the hard-prompt prefix prepended verbatim), generates `spec.max_new_tokens` at most for
 * each (greedy, or seeded sampling at spec.temperature), and reports progress.
 */
export async function runPrompts(
  spec: TaskSpec,
  ctx: EvalContext,
  prompts: readonly { key: string; text: string }[],
  prefix: string,
  { stopAtLineBreak, progressOffset = 0, progressTotal }: { stopAtLineBreak: boolean; progressOffset?: number; progressTotal?: number },
): Promise<PromptRun> {
  let truncated = 0;
  const requests = prompts.map((p) => {
    const enc = encodePrompt(ctx, prefix + p.text, spec.max_new_tokens);
    if (enc.truncated) truncated += 1;
    return { ids: enc.ids, key: p.key };
  });
  const total = progressTotal ?? prompts.length;
  const gens = await generateAll(ctx, requests, { maxNewTokens: spec.max_new_tokens, temperature: spec.temperature, stopAtLineBreak }, (n) =>
    ctx.onProgress?.(progressOffset + n, total),
  );
  const tokens = requests.reduce((a, r) => a + r.ids.length, 0) + gens.reduce((a, g) => a + g.tokens.length, 0);
  return { texts: gens.map((g) => g.text), tokenIds: gens.map((g) => g.tokens), promptIds: requests.map((r) => r.ids), answerIds: gens.map((g) => g.body), truncated, tokens };
}
