// Plain-TypeScript references (float64 unless noted) for kernels/ops/quant.ts and kernels/ops/gptq.ts,
// written the way the official code states each step (IST-DASLab/gptq@2d65066 quant.py Quantizer +
// gptq.py fasterquant; IST-DASLab/sparsegpt@147d215 fasterprune with the wbits quantizer).
// Matrices are row-major.
import { hinvRef } from "./prune.js";

export interface QuantParams {
  scale: number;
  zero: number;
}

/**
 * quant.py Quantizer.find_params for one row (perchannel, mse=False): the range always contains 0;
 * sym: xmax = max(|xmin|, xmax), xmin = −xmax where xmin < 0, zero = (maxq+1)/2; an all-zero range
 * becomes [−1, 1]; asym zero = round(−xmin/scale) (half to even, as torch.round).
 * `f32` rounds each intermediate to float32 as the official float32 code does.
 */
export function findParamsRef(x: ArrayLike<number>, bits: number, sym: boolean, f32 = true): QuantParams {
  const F = f32 ? Math.fround : (v: number) => v;
  const maxq = 2 ** bits - 1;
  let xmin = 0, xmax = 0;
  for (let i = 0; i < x.length; i++) { xmin = Math.min(xmin, x[i]!); xmax = Math.max(xmax, x[i]!); }
  if (sym) {
    xmax = Math.max(Math.abs(xmin), xmax);
    if (xmin < 0) xmin = -xmax;
  }
  if (xmin === 0 && xmax === 0) { xmin = -1; xmax = 1; }
  const scale = F(F(xmax - xmin) / maxq);
  const zero = sym ? (maxq + 1) / 2 : roundEven(F(-xmin / scale));
  return { scale, zero };
}

/** torch.round: half to even. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** quant.py quantize: the integer level clamp(round(x/scale) + zero, 0, maxq). */
export function levelRef(x: number, p: QuantParams, bits: number, f32 = true): number {
  const F = f32 ? Math.fround : (v: number) => v;
  return Math.min(Math.max(roundEven(F(x / p.scale)) + p.zero, 0), 2 ** bits - 1);
}

/** quant.py quantize: scale · (level − zero). */
export function quantizeRef(x: number, p: QuantParams, bits: number, f32 = true): number {
  const F = f32 ? Math.fround : (v: number) => v;
  return F(p.scale * (levelRef(x, p, bits, f32) - p.zero));
}

export interface QuantizedRef {
  /** dequantized weight, original column order */
  Q: Float64Array;
  /** integer levels, original column order */
  levels: Uint8Array;
  /** per slot (group) and row: scale/zero; slots = 1 per row (G = −1) or cols/G */
  scales: Float64Array;
  zeros: Float64Array;
  /** original column → slot */
  gIdx: Int32Array;
}

/** RTN: the Quantizer per row (G = −1, as gptq's --nearest) or per group of G consecutive columns. */
export function rtnRef(W: ArrayLike<number>, rows: number, cols: number, bits: number, groupSize: number, sym: boolean): QuantizedRef {
  const G = groupSize === -1 ? cols : groupSize, ng = cols / G;
  const out: QuantizedRef = { Q: new Float64Array(rows * cols), levels: new Uint8Array(rows * cols), scales: new Float64Array(ng * rows), zeros: new Float64Array(ng * rows), gIdx: Int32Array.from({ length: cols }, (_, c) => Math.floor(c / G)) };
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < ng; g++) {
      const p = findParamsRef(Array.from({ length: G }, (_, j) => W[r * cols + g * G + j]!), bits, sym);
      out.scales[g * rows + r] = p.scale; out.zeros[g * rows + r] = p.zero;
      for (let j = 0; j < G; j++) {
        const i = r * cols + g * G + j;
        out.levels[i] = levelRef(W[i]!, p, bits);
        out.Q[i] = quantizeRef(W[i]!, p, bits);
      }
    }
  return out;
}

export interface GptqRefOptions {
  bits: number;
  groupSize: number;
  sym: boolean;
  actOrder?: boolean;
  staticGroups?: boolean;
  damping?: number;
  blockSize?: number;
  /** joint SparseGPT + quantization (sparsegpt.py wbits path): unstructured sparsity, per-row quantizer */
  sparsity?: number;
}

/**
 * gptq.py fasterquant (and, with `sparsity`, sparsegpt.py fasterprune with the quantizer fixed on
 * the original W per row before pruning), float64 arithmetic except the quantizer (f32 as torch).
 */
export function gptqRef(W0: ArrayLike<number>, H0: ArrayLike<number>, rows: number, cols: number, o: GptqRefOptions): QuantizedRef {
  const B = o.blockSize ?? 128, bits = o.bits;
  const joint = o.sparsity !== undefined;
  const G = o.groupSize;
  let W = Float64Array.from(W0 as ArrayLike<number>);
  const row = (M: Float64Array, r: number, c0: number, n: number) => Array.from({ length: n }, (_, j) => M[r * cols + c0 + j]!);
  // per-row params on the original W (before dead handling)
  let params: QuantParams[] = Array.from({ length: rows }, (_, r) => findParamsRef(row(W, r, 0, cols), bits, o.sym));
  const H = Float64Array.from(H0 as ArrayLike<number>);
  for (let c = 0; c < cols; c++)
    if (H[c * cols + c] === 0) { H[c * cols + c] = 1; for (let r = 0; r < rows; r++) W[r * cols + c] = 0; }
  const ng = G === -1 ? 1 : cols / G;
  let staticP: QuantParams[][] = [];
  if (G !== -1 && o.staticGroups)
    staticP = Array.from({ length: ng }, (_, g) => Array.from({ length: rows }, (_, r) => findParamsRef(row(W, r, g * G, G), bits, o.sym)));
  let perm = Int32Array.from({ length: cols }, (_, i) => i);
  let Hp = H;
  if (o.actOrder) {
    perm = Int32Array.from(perm).sort((a, b) => H[b * cols + b]! - H[a * cols + a]! || a - b);
    const Wp = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) Wp[r * cols + j] = W[r * cols + perm[j]!]!;
    W = Wp;
    Hp = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) Hp[i * cols + j] = H[perm[i]! * cols + perm[j]!]!;
  }
  // dead diagonals are already 1 here, so hinvRef's own dead handling is a no-op
  const Hinv = hinvRef(Hp, cols, o.damping ?? 0.01);
  const Q = new Float64Array(rows * cols), levelsP = new Uint8Array(rows * cols);
  const slotOfPos = new Int32Array(cols);
  const scales = new Float64Array(ng * rows), zeros = new Float64Array(ng * rows);
  if (G === -1) params.forEach((p, r) => { scales[r] = p.scale; zeros[r] = p.zero; });
  if (staticP.length) staticP.forEach((ps, g) => ps.forEach((p, r) => { scales[g * rows + r] = p.scale; zeros[g * rows + r] = p.zero; }));
  for (let i1 = 0; i1 < cols; i1 += B) {
    const i2 = Math.min(i1 + B, cols), bw = i2 - i1;
    const W1 = new Float64Array(rows * bw);
    for (let r = 0; r < rows; r++) for (let j = 0; j < bw; j++) W1[r * bw + j] = W[r * cols + i1 + j]!;
    const Err = new Float64Array(rows * bw);
    let mask: Uint8Array | null = null;
    if (joint) {
      const t: number[] = [];
      for (let r = 0; r < rows; r++) for (let j = 0; j < bw; j++) t.push(W1[r * bw + j]! ** 2 / Hinv[(i1 + j) * cols + i1 + j]! ** 2);
      const thresh = Float64Array.from(t).sort()[Math.floor(t.length * o.sparsity!)]!;
      mask = Uint8Array.from(t, (v) => (v <= thresh ? 1 : 0));
    }
    for (let i = 0; i < bw; i++) {
      const c = i1 + i;
      let slot = 0;
      if (G !== -1) {
        if (!o.staticGroups) {
          slot = Math.floor(c / G);
          // find_params on W[:, c:c+G] as it stands (block-start values inside this block)
          if (c % G === 0) params = Array.from({ length: rows }, (_, r) => findParamsRef(row(W, r, c, G), bits, o.sym));
          if (c % G === 0) params.forEach((p, r) => { scales[slot * rows + r] = p.scale; zeros[slot * rows + r] = p.zero; });
        } else {
          slot = Math.floor(perm[c]! / G);
          params = staticP[slot]!;
        }
      }
      slotOfPos[c] = slot;
      const d = Hinv[c * cols + c]!;
      for (let r = 0; r < rows; r++) {
        const w = W1[r * bw + i]!;
        let q = mask && mask[r * bw + i] ? 0 : w;
        levelsP[r * cols + c] = levelRef(q, params[r]!, bits);
        q = quantizeRef(q, params[r]!, bits);
        Q[r * cols + c] = q;
        const err = (w - q) / d;
        Err[r * bw + i] = err;
        for (let j = i; j < bw; j++) W1[r * bw + j] -= err * Hinv[c * cols + i1 + j]!;
      }
    }
    for (let r = 0; r < rows; r++)
      for (let j = i2; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < bw; i++) s += Err[r * bw + i]! * Hinv[(i1 + i) * cols + j]!;
        W[r * cols + j] -= s;
      }
  }
  const out: QuantizedRef = { Q: new Float64Array(rows * cols), levels: new Uint8Array(rows * cols), scales, zeros, gIdx: new Int32Array(cols) };
  for (let j = 0; j < cols; j++) {
    const c = perm[j]!;
    out.gIdx[c] = slotOfPos[j]!;
    for (let r = 0; r < rows; r++) { out.Q[r * cols + c] = Q[r * cols + j]!; out.levels[r * cols + c] = levelsP[r * cols + j]!; }
  }
  return out;
}
