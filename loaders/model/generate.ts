/**
 * Generation and scoring written against CausalLM alone, so they run on the CPU reference now and on the
 * WebGPU transformer (which adds a KV cache and GPU-side perplexity through CausalLM's optional fast paths).
 */
import type { BatchDecodeSession, CausalLM } from "./causal-lm.js";
import { mulberry32 } from "../util/random.js";

export { mulberry32 };

export interface GreedyOptions {
  maxNewTokens: number;
  /** stop after emitting one of these (it is included in the output) */
  eosTokenIds?: number[];
}

/** Greedy decoding of one prompt; returns the new tokens only. Ties go to the lowest id, as torch.argmax. */
export async function greedyGenerate(model: CausalLM, prompt: number[], opts: GreedyOptions): Promise<number[]> {
  return (await generate(model, prompt, opts)).tokens;
}

export interface SamplingOptions {
  /** > 0; 1 leaves the distribution as is */
  temperature?: number;
  /** keep the k most likely tokens */
  topK?: number;
  /** keep the smallest set of most likely tokens whose probability reaches p */
  topP?: number;
  seed: number;
}

export interface GenerateOptions {
  maxNewTokens: number;
  eosTokenIds?: number[];
  /** absent: greedy */
  sampling?: SamplingOptions;
  /** stop as soon as the decoded continuation contains one of these; the text is cut before it */
  stopStrings?: string[];
  /** needed for stopStrings (e.g. tokenizer.decode) */
  decode?: (ids: number[]) => string;
  /** called with each new token and the count so far */
  onToken?: (token: number, count: number) => void;
}

export interface Generation {
  tokens: number[];
  /** decoded continuation (when `decode` was given), cut at a stop string */
  text?: string;
  /** "rule": BatchGenerateOptions.stopWhen */
  stoppedBy: "eos" | "stop_string" | "rule" | "length";
}

/**
 * Greedy or sampled generation with eos and stop strings; uses the model's KV cache when it has one, else a
 * full forward per step. `onToken` sees each new token as it comes (progress, streaming).
 */
export async function generate(model: CausalLM, prompt: number[], opts: GenerateOptions): Promise<Generation> {
  const { onToken, sampling, ...rest } = opts;
  const [g] = await generateBatch(model, [prompt], { ...rest, sampling: sampling && [sampling], batchSize: 1, onToken: onToken && ((_, t, n) => onToken(t, n)) });
  return g;
}

export interface BatchGenerateOptions extends Omit<GenerateOptions, "sampling" | "onToken"> {
  /** one per prompt (absent or undefined entries: greedy); each row draws from its own seeded generator */
  sampling?: readonly (SamplingOptions | undefined)[];
  /** a further per-sequence stop rule, checked after each token (after stop strings and eos) */
  stopWhen?: (tokens: number[], index: number) => boolean;
  /** sequences decoded together (default: defaultBatchRows); results do not depend on it */
  batchSize?: number;
  onToken?: (index: number, token: number, count: number) => void;
  /** called as each sequence finishes */
  onDone?: (index: number, generation: Generation) => void;
}

/**
 * Generation for many prompts, `batchSize` at a time in lockstep: prompts sorted by length (less padding),
 * left-padded, each row with its own position, sampler and stop; a batch ends when all its rows have stopped.
 * Decodes through the model's batched KV cache (`startBatchDecode`), else its one-sequence cache a row at a
 * time (`startDecode`), else full forwards. The decision per row (argmax, ties to the lowest id, or a draw
 * from the row's seeded generator) does not depend on the batch, so neither do the outputs.
 */
export async function generateBatch(model: CausalLM, prompts: readonly number[][], opts: BatchGenerateOptions): Promise<Generation[]> {
  if (opts.stopStrings?.length && !opts.decode) throw new Error("generate: stopStrings need a decode function");
  if (prompts.some((p) => p.length === 0)) throw new Error("generate: empty prompt");
  const out: Generation[] = new Array(prompts.length);
  const finish = (i: number, g: Generation) => {
    out[i] = g;
    opts.onDone?.(i, g);
  };
  if (opts.maxNewTokens <= 0) {
    prompts.forEach((_, i) => finish(i, { tokens: [], text: opts.decode?.([]), stoppedBy: "length" }));
    return out;
  }
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[b].length - prompts[a].length || a - b);
  const capacityOf = (rows: number[]) => prompts[rows[0]].length + opts.maxNewTokens;
  const size = model.startBatchDecode || !model.startDecode ? Math.max(1, opts.batchSize ?? defaultBatchRows(model, capacityOf(order))) : 1;
  for (let start = 0; start < order.length; start += size) {
    const rows = order.slice(start, start + size);
    const session = openBatchDecode(model, rows.length, capacityOf(rows));
    try {
      await decodeRows(session, rows.map((i) => prompts[i]), opts, rows, finish);
    } finally {
      session.close();
    }
  }
  return out;
}

/** The decoding loop of one batch: `index[b]` names row b for the options' callbacks. */
async function decodeRows(
  session: BatchDecodeSession,
  prompts: number[][],
  opts: BatchGenerateOptions,
  index: number[],
  finish: (i: number, g: Generation) => void,
): Promise<void> {
  const T = Math.max(...prompts.map((p) => p.length));
  const rows = prompts.map((p, b) => ({
    tokens: [] as number[],
    done: false,
    sampling: opts.sampling?.[index[b]],
    rand: opts.sampling?.[index[b]] ? mulberry32(opts.sampling[index[b]]!.seed) : null,
  }));
  const padded = prompts.some((p) => p.length < T);
  let logits = await session.feed(
    prompts.map((p) => [...new Array<number>(T - p.length).fill(0), ...p]),
    padded ? prompts.map((p) => [...new Array<number>(T - p.length).fill(0), ...new Array<number>(p.length).fill(1)]) : undefined,
  );
  const V = logits.length / prompts.length;
  for (let step = 0; ; step++) {
    rows.forEach((r, b) => {
      if (r.done) return;
      const row = logits.subarray(b * V, (b + 1) * V);
      const next = r.rand ? sampleToken(row, r.sampling!, r.rand) : argmax(row, 0, V);
      r.tokens.push(next);
      opts.onToken?.(index[b], next, r.tokens.length);
      const stop = stopOf(r.tokens, index[b], opts);
      if (stop || r.tokens.length >= opts.maxNewTokens) {
        r.done = true;
        finish(index[b], stop ?? { tokens: r.tokens, text: opts.decode?.(r.tokens), stoppedBy: "length" });
      }
    });
    if (rows.every((r) => r.done)) return;
    // stopped rows keep a place in the batch (their outputs are ignored)
    logits = await session.feed(rows.map((r) => [r.done ? 0 : r.tokens[r.tokens.length - 1]]));
  }
}

/** The stop a sequence has reached after its last token, if any: stop string, eos, then the caller's rule. */
function stopOf(tokens: number[], index: number, opts: BatchGenerateOptions): Generation | null {
  if (opts.stopStrings?.length) {
    const text = opts.decode!(tokens);
    const hits = opts.stopStrings.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    if (hits.length) return { tokens, text: text.slice(0, Math.min(...hits)), stoppedBy: "stop_string" };
  }
  if (opts.eosTokenIds?.includes(tokens[tokens.length - 1])) return { tokens, text: opts.decode?.(tokens), stoppedBy: "eos" };
  if (opts.stopWhen?.(tokens, index)) return { tokens, text: opts.decode?.(tokens), stoppedBy: "rule" };
  return null;
}

/**
 * Rows per batch when the caller names none: as many as fit a 2 GiB budget for the KV cache and the
 * prefill's activations (rough: 16 floats per hidden unit per token), at most 128 and with each layer's
 * cache under 1 GiB; 8 for a model without a batched KV cache (each step is then a full forward).
 */
export function defaultBatchRows(model: CausalLM, capacity: number): number {
  const s = model.spec;
  if (!model.startBatchDecode) return 8;
  const kvPerLayer = capacity * s.numKvHeads * s.headDim * 4;
  const perRow = 2 * s.numLayers * kvPerLayer + capacity * (16 * s.hiddenSize + 3 * s.intermediateSize) * 4;
  return Math.max(1, Math.min(128, Math.floor(2 ** 31 / perRow), Math.floor(2 ** 30 / kvPerLayer)));
}

/**
 * A batched decoding session on any model: its batched KV cache, its one-sequence cache (rows = 1), or full
 * forwards over the growing left-padded batch (the CPU reference).
 */
export function openBatchDecode(model: CausalLM, rows: number, capacity: number): BatchDecodeSession {
  if (model.startBatchDecode) return model.startBatchDecode(rows, capacity);
  if (model.startDecode && rows === 1) {
    const one = model.startDecode(capacity);
    return {
      rows,
      feed: (tokens, mask) => {
        if (mask?.[0].some((m) => !m)) throw new Error("decode: padding in a one-sequence session");
        return one.feed(tokens[0]);
      },
      close: () => one.close(),
    };
  }
  let ids: number[][] = Array.from({ length: rows }, () => []);
  let masks: number[][] = Array.from({ length: rows }, () => []);
  return {
    rows,
    feed: async (tokens, mask) => {
      ids = ids.map((r, b) => [...r, ...tokens[b]]);
      masks = masks.map((r, b) => [...r, ...(mask?.[b] ?? tokens[b].map(() => 1))]);
      const lg = await model.forward({ ids, attentionMask: masks });
      const out = new Float32Array(rows * lg.vocab);
      for (let b = 0; b < rows; b++) out.set(lg.data.subarray((b * lg.length + lg.length - 1) * lg.vocab, (b * lg.length + lg.length) * lg.vocab), b * lg.vocab);
      return out;
    },
    close: () => {},
  };
}

/** One draw from softmax(logits / temperature) restricted by top-k and top-p, as HF's sampling warpers. */
export function sampleToken(logits: ArrayLike<number>, opts: Omit<SamplingOptions, "seed">, rand: () => number): number {
  const t = opts.temperature ?? 1;
  if (!(t > 0)) throw new Error(`temperature must be > 0, got ${t}`);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const max = logits[order[0]];
  let probs = order.map((i) => Math.exp((logits[i] - max) / t));
  const k = Math.min(opts.topK ?? probs.length, probs.length);
  probs = probs.slice(0, Math.max(k, 1));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length && cum < opts.topP * total) cum += probs[keep++];
    probs = probs.slice(0, Math.max(keep, 1));
    total = probs.reduce((a, b) => a + b, 0);
  }
  let r = rand() * total;
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i];
    if (r < 0) return order[i];
  }
  return order[probs.length - 1];
}

export function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (data[offset + i] > data[offset + best]) best = i;
  return best;
}

/** log softmax(row)[target], computed stably in f64. */
export function logProb(data: ArrayLike<number>, offset: number, n: number, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, data[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(data[offset + i] - max);
  return data[offset + target] - max - Math.log(sum);
}

/** Mean NLL of tokens[from..] each predicted from the tokens before it, in one forward over `tokens`. */
async function windowNll(model: CausalLM, tokens: number[], from: number): Promise<number> {
  const lg = await model.forward({ ids: [tokens] });
  let nll = 0;
  const start = Math.max(from, 1);
  for (let t = start; t < tokens.length; t++) nll -= logProb(lg.data, (t - 1) * lg.vocab, lg.vocab, tokens[t]);
  return nll / (tokens.length - start);
}

export interface PerplexityOptions {
  /** tokens per window (the model's context, e.g. 2048) */
  window: number;
  /**
   * Absent: the reference recipe (SparseGPT / LLM-KICK): non-overlapping windows, the remainder shorter than a
   * window dropped. Present: HF's sliding-window recipe, windows starting every `stride` tokens, each scoring
   * only the tokens no earlier window scored.
   */
  stride?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PerplexityResult {
  /** exp(mean over windows of the window's mean token NLL) */
  perplexity: number;
  windowNlls: number[];
}

export async function perplexity(model: CausalLM, stream: number[], opts: PerplexityOptions): Promise<PerplexityResult> {
  const { window: L, stride } = opts;
  if (!Number.isInteger(L) || L < 2) throw new Error(`perplexity: window must be an integer ≥ 2, got ${L}`);
  const spans: { begin: number; end: number; from: number }[] = [];
  if (stride === undefined) {
    for (let w = 0; w < Math.floor(stream.length / L); w++) spans.push({ begin: w * L, end: (w + 1) * L, from: 0 });
  } else {
    if (!Number.isInteger(stride) || stride < 1 || stride > L) throw new Error(`perplexity: stride must be in [1, window], got ${stride}`);
    let prevEnd = 0;
    for (let begin = 0; begin < stream.length; begin += stride) {
      const end = Math.min(begin + L, stream.length);
      spans.push({ begin, end, from: end - begin - (end - prevEnd) });
      prevEnd = end;
      if (end === stream.length) break;
    }
  }
  if (spans.length === 0) throw new Error(`perplexity: ${stream.length} tokens is less than one window of ${L}`);
  const windowNlls: number[] = [];
  for (const [i, s] of spans.entries()) {
    const tokens = stream.slice(s.begin, s.end);
    windowNlls.push(model.windowNll ? await model.windowNll(tokens, s.from) : await windowNll(model, tokens, s.from));
    opts.onProgress?.(i + 1, spans.length);
  }
  return { perplexity: Math.exp(windowNlls.reduce((a, b) => a + b, 0) / windowNlls.length), windowNlls };
}

/** Log-likelihood of `continuation` after `context` (for multiple choice), and whether greedy would produce it. */
export async function continuationLogLikelihood(
  model: CausalLM,
  context: number[],
  continuation: number[],
): Promise<{ logLikelihood: number; isGreedy: boolean }> {
  return (await scoreContinuations(model, [{ context, continuation }])).scores[0];
}

export interface ContinuationRequest {
  context: number[];
  continuation: number[];
}

export interface ContinuationScore {
  /** sum of log p(continuation token | everything before it) */
  logLikelihood: number;
  /** whether greedy decoding would produce the continuation */
  isGreedy: boolean;
}

export interface ScoreOptions {
  /** most rows per forward (default 64) */
  batchSize?: number;
  /** most row × length token slots per forward (default 16384): bounds the activations */
  maxTokens?: number;
  /** most scored positions × vocabulary per forward (default 2^27 floats): bounds the logits */
  maxLogits?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Log-likelihoods of many continuations, batched: requests that need the same row (context + all but the
 * last continuation token, e.g. the four answer letters after one question) share it; rows are sorted by
 * length and right-padded, which never changes a causal model's logits at real positions. On a model with
 * `scoreTargets` (the GPU) only the scored positions' log-probabilities come back, else full logits.
 */
export async function scoreContinuations(model: CausalLM, requests: readonly ContinuationRequest[], opts: ScoreOptions = {}): Promise<{ scores: ContinuationScore[]; tokens: number }> {
  const rowOf = new Map<string, number>();
  const rows: number[][] = [];
  const where = requests.map((r) => {
    if (r.context.length === 0) throw new Error("log-likelihood: empty context");
    const seq = [...r.context, ...r.continuation.slice(0, -1)];
    const key = seq.join(",");
    let row = rowOf.get(key);
    if (row === undefined) rowOf.set(key, (row = rows.push(seq) - 1));
    return row;
  });
  const byRow = new Map<number, number[]>();
  where.forEach((row, i) => byRow.set(row, [...(byRow.get(row) ?? []), i]));
  const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length || a - b);
  const maxRows = Math.max(1, opts.batchSize ?? 64), maxTokens = opts.maxTokens ?? 16384, maxLogits = opts.maxLogits ?? 2 ** 27;
  const picksOf = (r: number) => byRow.get(r)!.reduce((a, i) => a + requests[i].continuation.length, 0);
  const scores: ContinuationScore[] = new Array(requests.length);
  let done = 0, tokens = 0;
  for (let start = 0; start < order.length; ) {
    // longest first: the first row of a batch sets its length; add rows while the budgets allow
    const T = rows[order[start]].length;
    let n = 1, picked = picksOf(order[start]);
    while (start + n < order.length && n < maxRows && (n + 1) * T <= maxTokens && (picked + picksOf(order[start + n])) * model.spec.vocabSize <= maxLogits)
      picked += picksOf(order[start + n++]);
    const batchRows = order.slice(start, start + n);
    start += n;
    const ids = batchRows.map((r) => [...rows[r], ...new Array<number>(T - rows[r].length).fill(0)]);
    const attentionMask = batchRows.map((r) => [...new Array<number>(rows[r].length).fill(1), ...new Array<number>(T - rows[r].length).fill(0)]);
    const picks = batchRows.flatMap((r, b) =>
      byRow.get(r)!.flatMap((i) => requests[i].continuation.map((target, k) => ({ row: b, position: requests[i].context.length - 1 + k, target, i }))),
    );
    const scored = await scoreTargets(model, { ids, attentionMask }, picks);
    for (const r of batchRows) for (const i of byRow.get(r)!) scores[i] = { logLikelihood: 0, isGreedy: true };
    picks.forEach((p, k) => {
      scores[p.i].logLikelihood += scored[k].logProb;
      scores[p.i].isGreedy &&= scored[k].isArgmax;
    });
    tokens += batchRows.reduce((a, r) => a + rows[r].length, 0);
    done += batchRows.reduce((a, r) => a + byRow.get(r)!.length, 0);
    opts.onProgress?.(done, requests.length);
  }
  return { scores, tokens };
}

/** The model's scoreTargets, or a forward with log-probabilities and argmaxes taken on the CPU in f64. */
async function scoreTargets(model: CausalLM, batch: { ids: number[][]; attentionMask: number[][] }, picks: { row: number; position: number; target: number }[]) {
  if (model.scoreTargets) return model.scoreTargets(batch, picks);
  const lg = await model.forward(batch);
  return picks.map((p) => {
    const off = (p.row * lg.length + p.position) * lg.vocab;
    return { logProb: logProb(lg.data, off, lg.vocab, p.target), isArgmax: argmax(lg.data, off, lg.vocab) === p.target };
  });
}
