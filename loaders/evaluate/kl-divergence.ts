// KL divergence of a compressed model's next-token distribution from the dense model's, KL(dense ‖ compressed),
// on the perplexity windows (issue 20). The dense distribution of every scored position is kept as its top-k
// log-probabilities plus the mass outside them (the tail), cached on disk per dense weights hash and window set,
// because the full distributions (positions × vocab) are too big to keep: 100 k positions × 8192 ids × 4 bytes
// = 3.3 GB for kick's suites, against 52 MB at k = 64.
//
// With the tail merged into one outcome, the KL computed is that of the coarsened distributions
//   Σ_{i ∈ top-k} p_i log(p_i / q_i) + r_p log(r_p / r_q),   r = the mass outside the dense top-k,
// which by the chain rule equals the exact KL minus r_p · KL(p_tail / r_p ‖ q_tail / r_q): never above the exact
// KL, and below it by at most the dense tail mass times the KL between the two tails' conditional distributions.
// The mean tail mass is reported beside the KL (`kl_dense_tail_mass`) so a reader sees how much was merged;
// with k ≥ vocab the value is exact.
import type { CausalLM } from "../model/causal-lm.js";
import { type EvalContext, infoRow, meanRow, type MetricRow, subSeed } from "./common.js";
import { denseCachePath, readDenseTopK, windowSetHash, writeDenseTopK } from "./dense-logprob-cache.js";

/** Dense log-probs kept per position unless the context says otherwise. */
export const DEFAULT_KL_TOP_K = 64;

/** The dense model's distribution at every scored position of a window set: top-k ids and log-probs, tail mass. */
export interface DenseTopK {
  k: number;
  vocab: number;
  positions: number;
  ids: Uint32Array; // [positions, k]
  logp: Float32Array; // [positions, k]
  tail: Float64Array; // [positions]: probability outside the top k, summed in float64 (no 1 − Σ cancellation)
}

/** log-softmax of one logits row in float64. */
export function logSoftmax64(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i] - lse;
  return out;
}

/** The k largest entries of a log-prob row (ties to the lower id), in descending order, and the mass of the rest. */
export function topK(logp: Float64Array, k: number): { ids: number[]; tail: number } {
  const kk = Math.min(k, logp.length);
  const better = (a: number, b: number) => logp[a] > logp[b] || (logp[a] === logp[b] && a < b);
  let ids: number[] = []; // kept sorted descending by (value, −id)
  if (kk * 16 >= logp.length) ids = Array.from(logp.keys()).sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0)).slice(0, kk);
  else
    for (let i = 0; i < logp.length; i++) {
      // insertion into the sorted list: most ids fail the first comparison once it is full
      if (ids.length === kk && !better(i, ids[kk - 1])) continue;
      let at = ids.length === kk ? kk - 1 : ids.length;
      while (at > 0 && better(i, ids[at - 1])) at--;
      ids.splice(at, 0, i);
      if (ids.length > kk) ids.pop();
    }
  const kept = new Set(ids);
  let tail = 0;
  for (let i = 0; i < logp.length; i++) if (!kept.has(i)) tail += Math.exp(logp[i]);
  return { ids, tail };
}

/** KL(dense ‖ compressed) at one position, the dense tail merged into one outcome (see the file comment). */
export function klAtPosition(dense: DenseTopK, position: number, compressedLogp: Float64Array): number {
  const o = position * dense.k;
  let kl = 0;
  let keptQ = 0;
  for (let j = 0; j < dense.k; j++) {
    const id = dense.ids[o + j];
    const lp = dense.logp[o + j];
    const lq = compressedLogp[id];
    kl += Math.exp(lp) * (lp - lq);
    keptQ += Math.exp(lq);
  }
  const r = dense.tail[position];
  if (r > 0) {
    const rq = Math.max(0, 1 - keptQ);
    kl += r * Math.log(r / rq);
  }
  return kl;
}

/** Rows of windows per forward: about 32 M logits (128 MB of f32) at a time. */
const rowsPerForward = (length: number, vocab: number) => Math.max(1, Math.floor(2 ** 25 / (length * vocab)));

/**
 * Runs every window through the model and calls `visit` with the float64 log-softmax at each position that
 * predicts a token of the window (positions 0 … n−2 predict tokens 1 … n−1, the perplexity recipe's tokens).
 */
export async function forEachPrediction(
  model: CausalLM,
  windows: readonly number[][],
  visit: (window: number, position: number, logp: Float64Array) => void,
  onProgress?: (done: number) => void,
): Promise<void> {
  const vocab = model.spec.vocabSize;
  for (let w0 = 0; w0 < windows.length; ) {
    const rows = windows.slice(w0, w0 + rowsPerForward(windows[w0].length, vocab));
    const T = Math.max(...rows.map((r) => r.length));
    const pad = (r: number[], v: (x: number) => number) => [...r.map(v), ...new Array<number>(T - r.length).fill(0)];
    const logits = await model.forward({ ids: rows.map((r) => pad(r, (x) => x)), attentionMask: rows.map((r) => pad(r, () => 1)) });
    rows.forEach((row, b) => {
      for (let t = 0; t + 1 < row.length; t++) {
        const o = (b * logits.length + t) * logits.vocab;
        visit(w0 + b, t, logSoftmax64(logits.data.subarray(o, o + logits.vocab)));
      }
    });
    w0 += rows.length;
    onProgress?.(w0);
  }
}

/** The dense distributions of a window set, computed with the dense model. */
export async function denseTopK(model: CausalLM, windows: readonly number[][], k: number, onProgress?: (done: number) => void): Promise<DenseTopK> {
  const vocab = model.spec.vocabSize;
  const kk = Math.min(k, vocab);
  const starts: number[] = [];
  let positions = 0;
  for (const w of windows) {
    starts.push(positions);
    positions += Math.max(0, w.length - 1);
  }
  const out: DenseTopK = { k: kk, vocab, positions, ids: new Uint32Array(positions * kk), logp: new Float32Array(positions * kk), tail: new Float64Array(positions) };
  await forEachPrediction(
    model,
    windows,
    (w, t, logp) => {
      const p = starts[w] + t;
      const { ids, tail } = topK(logp, kk);
      ids.forEach((id, j) => {
        out.ids[p * kk + j] = id;
        out.logp[p * kk + j] = logp[id];
      });
      out.tail[p] = tail;
    },
    onProgress,
  );
  return out;
}

/**
 * Rows `kl_dense` (mean KL per predicted token, a bootstrap interval over windows) per source and for all windows,
 * `kl_dense_tail_mass` (mean dense mass merged into the tail: the bound's scale) and `kl_top_k`. The dense
 * distributions come from the cache when it holds this weights hash and window set, else from the dense model.
 */
export async function klDivergenceRows(ctx: EvalContext, sources: readonly { source: string; windows: number[][] }[], bootstrap: number): Promise<MetricRow[]> {
  const ref = ctx.dense;
  if (!ref || ref.self) return [];
  const windows = sources.flatMap((s) => s.windows);
  const vocab = ctx.model.spec.vocabSize;
  const k = Math.min(ref.topK ?? DEFAULT_KL_TOP_K, vocab);
  const windowsHash = windowSetHash(windows);
  const path = ref.cacheDir ? denseCachePath(ref.cacheDir, ref.modelHash, windowsHash, k) : null;
  let dense = path ? readDenseTopK(path, { modelHash: ref.modelHash, windowsHash, k, vocab }) : null;
  // progress of this phase on its own scale: the dense pass (when not cached) and the evaluated model's pass
  const passes = dense ? 1 : 2;
  const progress = (pass: number) => (done: number) => ctx.onProgress?.(pass * windows.length + done, passes * windows.length);
  if (!dense) {
    const model = await ref.model();
    if (model.spec.vocabSize !== vocab) throw new Error(`KL divergence: the dense model has ${model.spec.vocabSize} token ids, the evaluated one ${vocab}`);
    dense = await denseTopK(model, windows, k, progress(0));
    if (path) writeDenseTopK(path, dense, { modelHash: ref.modelHash, windowsHash });
  }
  const starts: number[] = [];
  let at = 0;
  for (const w of windows) {
    starts.push(at);
    at += Math.max(0, w.length - 1);
  }
  const kl = new Float64Array(windows.length);
  const tail = new Float64Array(windows.length);
  const d = dense;
  await forEachPrediction(
    ctx.model,
    windows,
    (w, t, logp) => {
      kl[w] += klAtPosition(d, starts[w] + t, logp);
      tail[w] += d.tail[starts[w] + t];
    },
    progress(passes - 1),
  );
  const rows: MetricRow[] = [];
  const perWindow = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i).filter((w) => windows[w].length > 1);
  const add = (subset: string, ws: number[]) => {
    if (!ws.length) return;
    const means = ws.map((w) => kl[w] / (windows[w].length - 1));
    const tails = ws.map((w) => tail[w] / (windows[w].length - 1));
    rows.push(meanRow(subset, "kl_dense", means, subSeed(ctx.seed, `perplexity/${subset}/kl`), bootstrap), infoRow(subset, "kl_dense_tail_mass", tails.reduce((a, b) => a + b, 0) / tails.length, ws.length));
  };
  let from = 0;
  for (const s of sources) {
    add(s.source, perWindow(from, s.windows.length));
    from += s.windows.length;
  }
  add("all", perWindow(0, windows.length));
  rows.push(infoRow("all", "kl_top_k", k, dense.positions));
  return rows;
}
