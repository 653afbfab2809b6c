/**
 * Generation and scoring written against CausalLM alone, so they run on the CPU reference now and on the
 * WebGPU transformer (which adds a KV cache and GPU-side perplexity through CausalLM's optional fast paths).
 */
import type { CausalLM } from "./causal-lm.js";
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

/**
 * Next-token logits of a growing sequence: through the model's KV cache when it has one (each step feeds
 * only the new token), else a full forward over the whole sequence per step.
 */
function nextLogits(model: CausalLM, prompt: number[], maxNewTokens: number): { next: (token?: number) => Promise<ArrayLike<number>>; close: () => void } {
  if (model.startDecode) {
    const session = model.startDecode(prompt.length + maxNewTokens);
    return { next: (token) => session.feed(token === undefined ? prompt : [token]), close: () => session.close() };
  }
  const seq = [...prompt];
  return {
    next: async (token) => {
      if (token !== undefined) seq.push(token);
      const lg = await model.forward({ ids: [seq] });
      return lg.data.subarray((lg.length - 1) * lg.vocab, lg.length * lg.vocab);
    },
    close: () => {},
  };
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
  stoppedBy: "eos" | "stop_string" | "length";
}

/**
 * Greedy or sampled generation with eos and stop strings; uses the model's KV cache (`startDecode`) when it
 * has one, else a full forward per step. `onToken` sees each new token as it comes (progress, streaming).
 */
export async function generate(model: CausalLM, prompt: number[], opts: GenerateOptions): Promise<Generation> {
  if (opts.stopStrings?.length && !opts.decode) throw new Error("generate: stopStrings need a decode function");
  if (prompt.length === 0) throw new Error("generate: empty prompt");
  const rand = opts.sampling ? mulberry32(opts.sampling.seed) : null;
  const tokens: number[] = [];
  if (opts.maxNewTokens <= 0) return { tokens, text: opts.decode?.(tokens), stoppedBy: "length" };
  const steps = nextLogits(model, prompt, opts.maxNewTokens);
  try {
    let logits = await steps.next();
    for (let step = 0; step < opts.maxNewTokens; step++) {
      if (step > 0) logits = await steps.next(tokens[tokens.length - 1]);
      const next = rand ? sampleToken(logits, opts.sampling!, rand) : argmax(logits, 0, logits.length);
      tokens.push(next);
      opts.onToken?.(next, tokens.length);
      if (opts.stopStrings?.length) {
        const text = opts.decode!(tokens);
        const hits = opts.stopStrings.map((s) => text.indexOf(s)).filter((i) => i >= 0);
        if (hits.length) return { tokens, text: text.slice(0, Math.min(...hits)), stoppedBy: "stop_string" };
      }
      if (opts.eosTokenIds?.includes(next)) return { tokens, text: opts.decode?.(tokens), stoppedBy: "eos" };
    }
    return { tokens, text: opts.decode?.(tokens), stoppedBy: "length" };
  } finally {
    steps.close();
  }
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
  if (context.length === 0) throw new Error("continuationLogLikelihood: empty context");
  const seq = [...context, ...continuation];
  const lg = await model.forward({ ids: [seq] });
  let ll = 0;
  let isGreedy = true;
  for (let k = 0; k < continuation.length; k++) {
    const off = (context.length - 1 + k) * lg.vocab;
    ll += logProb(lg.data, off, lg.vocab, continuation[k]);
    if (argmax(lg.data, off, lg.vocab) !== continuation[k]) isGreedy = false;
  }
  return { logLikelihood: ll, isGreedy };
}
