/**
 * The interface every forward pass implements: the CPU reference here, the WebGPU transformer later.
 * Generation, perplexity and log-likelihood scoring are written against it alone.
 */
import type { ModelSpec } from "./config.js";
import type { LinearName } from "./weights.js";

/** A rectangular batch of token ids; attentionMask 1 = token, 0 = padding (left or right). */
export interface TokenBatch {
  ids: number[][];
  attentionMask?: number[][];
}

/** logits[b][t][v] flattened: data[(b * length + t) * vocab + v] */
export interface Logits {
  data: Float32Array;
  batch: number;
  length: number;
  vocab: number;
}

/** What a calibration hook is told about the linear layer whose input it sees. */
export interface LinearSite {
  layer: number;
  linear: LinearName;
  /** input features of the linear layer */
  inFeatures: number;
  /** out features */
  outFeatures: number;
}

export interface ForwardOptions {
  /**
   * Called with the input of every linear layer, rows = real (non-padding) tokens of the whole batch,
   * row-major [rows, inFeatures]. q, k and v see the same array. The array may be reused after the call.
   */
  onLinearInput?: (site: LinearSite, input: Float32Array, rows: number) => void;
  /**
   * Soft prompts: [P, hidden] input embeddings that replace the token embeddings of the first P positions of
   * every row (the caller puts P placeholder ids there; loaders/prompt/soft-lm.ts does). Learned position
   * embeddings, where the model has them, are still added.
   */
  prefixEmbeds?: Float32Array;
}

/** Checks opts.prefixEmbeds against a batch: returns P (0 without a prefix). */
export function prefixLength(opts: ForwardOptions, hidden: number, T: number, mask: number[][]): number {
  const e = opts.prefixEmbeds;
  if (!e) return 0;
  const P = e.length / hidden;
  if (!Number.isInteger(P) || P < 1) throw new Error(`prefixEmbeds: ${e.length} values are not [P, ${hidden}]`);
  if (P > T) throw new Error(`prefixEmbeds: ${P} prefix rows for sequences of ${T} positions`);
  for (const row of mask) for (let t = 0; t < P; t++) if (!row[t]) throw new Error("prefixEmbeds: the first P positions of every row must be real (mask 1), not padding");
  return P;
}

/** Options of a decoding session. */
export interface DecodeOptions {
  /** [P, hidden]: replaces the embeddings of the first P tokens fed (the first feed must hold at least P) */
  prefixEmbeds?: Float32Array;
}

/** Incremental decoding of one sequence with a KV cache: each call runs only the tokens fed. */
export interface DecodeSession {
  /** Appends tokens to the sequence; returns the logits [vocab] after the last of them. */
  feed(tokens: number[]): Promise<Float32Array>;
  close(): void;
}

/**
 * Incremental decoding of several sequences in lockstep with one KV cache (batched generation): every feed
 * appends one chunk of the same length to each row.
 */
export interface BatchDecodeSession {
  readonly rows: number;
  /**
   * Appends tokens[b] to row b (all chunks equally long). `mask` (1 = token, 0 = padding) is allowed on the
   * first feed only, e.g. to left-pad prompts of different lengths; later feeds are all tokens. Returns the
   * logits [rows, vocab] after each row's last position.
   */
  feed(tokens: number[][], mask?: number[][]): Promise<Float32Array>;
  close(): void;
}

/** A scored position: log p(target | the row's tokens up to `position`) (loglik fast path). */
export interface TargetPick {
  row: number;
  position: number;
  target: number;
}

export interface CausalLM {
  readonly spec: ModelSpec;
  forward(batch: TokenBatch, opts?: ForwardOptions): Promise<Logits>;
  /** Optional fast path (KV cache) that generate.ts uses when present; capacity = most tokens in the sequence. */
  startDecode?(capacity: number, opts?: DecodeOptions): DecodeSession;
  /** Optional batched KV-cache decoding (generate.ts's generateBatch); capacity = most tokens per row. */
  startBatchDecode?(rows: number, capacity: number, opts?: DecodeOptions): BatchDecodeSession;
  /**
   * Optional fast path for log-likelihood scoring: one forward over the batch, then the log-probability of
   * each pick's target and whether it is the argmax (ties to the lowest id), without reading logits back.
   */
  scoreTargets?(batch: TokenBatch, picks: readonly TargetPick[]): Promise<{ logProb: number; isArgmax: boolean }[]>;
  /** true when startDecode honours DecodeOptions.prefixEmbeds (soft prompts with a KV cache) */
  readonly decodePrefix?: boolean;
  /**
   * Optional fast path for perplexity: mean NLL of tokens[max(from,1)..] each predicted from the tokens
   * before it, in one forward over `tokens` (as generate.ts's windowNll).
   */
  windowNll?(tokens: number[], from: number): Promise<number>;
}

/** Position of each token: its index among the real tokens of its row (padding gets 0), as HF generate does. */
export function positionIds(mask: number[]): number[] {
  let n = 0;
  return mask.map((m) => (m ? n++ : 0));
}

/** Checks a batch is rectangular with a matching mask and in-vocabulary ids. */
export function checkBatch(batch: TokenBatch, vocab: number): { B: number; T: number; mask: number[][] } {
  const B = batch.ids.length;
  if (B === 0) throw new Error("empty batch");
  const T = batch.ids[0].length;
  if (T === 0) throw new Error("empty sequence in batch");
  for (const row of batch.ids) {
    if (row.length !== T) throw new Error(`ragged batch: rows of length ${T} and ${row.length}; pad and pass attentionMask`);
    for (const id of row) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`token id ${id} outside the vocabulary [0, ${vocab})`);
    }
  }
  const mask = batch.attentionMask ?? batch.ids.map((r) => r.map(() => 1));
  if (mask.length !== B || mask.some((r) => r.length !== T)) throw new Error("attentionMask shape differs from ids");
  return { B, T, mask };
}
