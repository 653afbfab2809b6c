// GPTQ (IST-DASLab/gptq@2d65066 gptq.py fasterquant) and joint SparseGPT + quantization
// (IST-DASLab/sparsegpt@147d215 fasterprune with the wbits quantizer), fused like kick's SparseGPT
// solve (kernels/ops/prune.ts): per block of B columns, group params (find_params on the current W),
// the optional adaptive mask, one in-block sweep dispatch that quantizes, writes levels, Err and
// applies the rank-1 updates, then the lazy update W[:, i2:] −= Err·Hinv[i1:i2, i2:] as one GEMM.
// Plain-TypeScript twin: ../reference/quant.ts gptqRef.
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { expectBindable, expectDtype, grid1d, params } from "./common.js";
import { hessianInverseFactor } from "./linalg.js";
import { checkSolveBlock, kthSmallest, lazyBlocks, lazySpanBlocks, obsScoreWgsl, obsSolveWgsl, SOLVE_ROWS, zeroDeadColumns } from "./prune.js";
import { checkQuantOptions, findParams, type QuantOptions, type Quantized } from "./quant.js";

const diagWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> H: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < p.n) { D[g.x] = H[g.x * p.n + g.x]; } }`;

/** D[r, j] = S[r, IDX[j]] (column gather; rows × cols with row stride cols). */
const gatherColsWgsl = (T: string) => `
struct P { rows: u32, cols: u32 };
@group(0) @binding(0) var<storage, read> S: array<${T}>;
@group(0) @binding(1) var<storage, read> IDX: array<u32>;
@group(0) @binding(2) var<storage, read_write> D: array<${T}>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.y >= p.rows || g.x >= p.cols) { return; }
  D[g.y * p.cols + g.x] = S[g.y * p.cols + IDX[g.x]];
}`;

/** Hp[i, j] = H[perm[i], perm[j]]. */
const permSymWgsl = `
struct P { n: u32 };
@group(0) @binding(0) var<storage, read> H: array<f32>;
@group(0) @binding(1) var<storage, read> IDX: array<u32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.y >= p.n || g.x >= p.n) { return; }
  D[g.y * p.n + g.x] = H[IDX[g.y] * p.n + IDX[g.x]];
}`;

export interface GptqOptions extends QuantOptions {
  /** act-order: columns processed by decreasing diag(H) */
  actOrder?: boolean;
  /** static groups: params of every group fixed on the original (dead-zeroed) W before the solve */
  staticGroups?: boolean;
  /** joint SparseGPT + quantization (sparsegpt.py wbits path): unstructured sparsity; needs groupSize −1 */
  sparsity?: number;
  damping?: number;
  blockSize?: number;
  layer?: string;
}

export interface GptqResult extends Quantized {
  damping: number;
  deadColumns: number;
  /** act-order permutation (position → original column), when actOrder */
  perm?: Int32Array;
}

/**
 * GPTQ in place on W [rows, cols] (W ← dequantized weights, original column order) given the
 * Hessian H [cols, cols] (unchanged). Returns levels, params [slots, rows, 2] and g_idx.
 */
export async function gptqQuantize(ctx: GpuContext, W: Tensor, H: Tensor, o: GptqOptions): Promise<GptqResult> {
  const op = "gptqQuantize";
  const layer = o.layer ?? "layer";
  expectDtype(op, "W", W, "f32");
  expectDtype(op, "H", H, "f32");
  if (W.shape.length !== 2) fail(op, `${layer}: W ${shapeStr(W.shape)} is not [out, in]`, "pass a 2-D weight");
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  if (H.shape.length !== 2 || H.shape[0] !== cols || H.shape[1] !== cols)
    fail(op, `${layer}: H ${shapeStr(H.shape)} does not match W ${shapeStr(W.shape)}`, `pass the [${cols}, ${cols}] Hessian of this layer's input`);
  expectBindable(ctx, op, "W", W, "quantize smaller matrices");
  checkQuantOptions(op, cols, o, layer);
  const B = o.blockSize ?? 128;
  checkSolveBlock(ctx, op, B, `${layer}: `);
  const joint = o.sparsity !== undefined;
  if (joint && !(o.sparsity! >= 0 && o.sparsity! < 1)) fail(op, `${layer}: sparsity ${o.sparsity} outside [0, 1)`, "pass a sparsity in [0, 1)");
  if (joint && (o.groupSize !== -1 || o.actOrder || o.staticGroups))
    fail(op, `${layer}: joint sparsity + quantization uses the per-row quantizer (sparsegpt.py wbits path)`, "use groupSize −1 without actOrder/staticGroups");
  if (o.staticGroups && o.groupSize === -1) fail(op, `${layer}: staticGroups needs a group size`, "pass a group size (e.g. 128) or drop staticGroups");
  const G = o.groupSize, ng = G === -1 ? 1 : cols / G;
  const { bits, sym } = o;
  const PR = ctx.zeros([ng, rows, 2]);
  // per-row params on the original W, before dead columns are zeroed (fasterquant / fasterprune order)
  if (G === -1) findParams(ctx, W, PR, { rows, cols, c0: 0, G: cols, ngroups: 1, slot0: 0, bits, sym });
  zeroDeadColumns(ctx, W, H, rows, cols);
  if (G !== -1 && o.staticGroups) findParams(ctx, W, PR, { rows, cols, c0: 0, G, ngroups: ng, slot0: 0, bits, sym });

  let perm: Int32Array | undefined;
  let Wp = W, Hp = H, permT: Tensor | undefined;
  if (o.actOrder) {
    const D = ctx.empty([cols]);
    ctx.dispatch({ pipeline: ctx.pipeline("gptq:diag", () => diagWgsl), bindings: [H, D], uniforms: params([cols]), workgroups: [Math.ceil(cols / 64)] });
    const d = await ctx.readF32(D);
    D.release();
    const dd = Array.from(d, (v) => (v === 0 ? 1 : v)); // H[dead, dead] = 1 before argsort
    perm = Int32Array.from({ length: cols }, (_, i) => i).sort((a, b) => dd[b]! - dd[a]! || a - b);
    permT = ctx.upload(Uint32Array.from(perm), [cols], "u32");
    Wp = ctx.empty([rows, cols]);
    ctx.dispatch({ pipeline: ctx.pipeline("gptq:gather:f32", () => gatherColsWgsl("f32")), bindings: [W, permT, Wp], uniforms: params([rows, cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
    Hp = ctx.empty([cols, cols]);
    ctx.dispatch({ pipeline: ctx.pipeline("gptq:permSym", () => permSymWgsl), bindings: [H, permT, Hp], uniforms: params([cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(cols / 16)] });
  }
  // slot of each (permuted) position
  const slotOfPos = Int32Array.from({ length: cols }, (_, c) => (G === -1 ? 0 : o.staticGroups ? Math.floor((perm ? perm[c]! : c) / G) : Math.floor(c / G)));
  let hinv: Tensor, damping: number, deadColumns: number;
  try {
    ({ hinv, damping, deadColumns } = await hessianInverseFactor(ctx, Hp, o.damping ?? 0.01, layer));
  } catch (e) {
    PR.release();
    if (perm) { Wp.release(); Hp.release(); permT!.release(); }
    throw e;
  }
  if (perm) Hp.release();
  // find_params reads a group's columns when the block it starts in begins: a group that starts after a
  // span's first block and reaches past the span's end would miss that span's pending updates
  const span = lazySpanBlocks(ctx), groupsFit = G === -1 || !!o.staticGroups || (B * span) % G === 0;
  const spanBlocks = groupsFit ? span : 1;
  const T = ctx.empty([rows * B]), E = ctx.empty([rows, B * spanBlocks]);
  const state = ctx.zeros([2], "u32"), hist = ctx.zeros([256], "u32");
  const slotT = ctx.upload(Uint32Array.from(slotOfPos), [cols], "u32");
  const LVp = ctx.zeros([rows, cols], "u32");
  // GPTQ is SparseGPT's solve with quantization: q = quantize(mask ? 0 : w)
  // one quantizer slot per block (per row, or groups that are whole multiples of the block with
  // contiguous slots): the row params are read once per row; otherwise per column
  const oneSlotPerBlock = slotOfPos.every((v, c) => c % B === 0 || v === slotOfPos[c - 1]);
  const grouped = !oneSlotPerBlock;
  const solve = ctx.pipeline(`obs:solve:${B}:${joint}:false:true:${grouped}`, () => obsSolveWgsl(B, { threshold: joint, quantize: true, grouped }), { layout: "declared" });
  const score = ctx.pipeline("obs:score", () => obsScoreWgsl);
  const rowGroups = grid1d(ctx, Math.ceil(rows / SOLVE_ROWS));
  lazyBlocks(ctx, rows, cols, B, spanBlocks, Wp, hinv, E, (i1, bw, eOff) => {
    const i2 = i1 + bw;
    if (G !== -1 && !o.staticGroups) {
      // find_params on W[:, c:c+G] for every group starting in this block, on the values as they
      // stand at the block start (the official code reads W, not the in-block copy W1)
      const first = Math.ceil(i1 / G) * G;
      const n = first < i2 ? Math.floor((i2 - 1 - first) / G) + 1 : 0;
      if (n) findParams(ctx, Wp, PR, { rows, cols, c0: first, G, ngroups: n, slot0: first / G, bits, sym });
    }
    if (joint) {
      ctx.dispatch({ pipeline: score, bindings: [Wp, hinv, T], uniforms: params([rows, cols, i1, bw]), workgroups: [Math.ceil(bw / 16), Math.ceil(rows / 16)] });
      const n = rows * bw;
      kthSmallest(ctx, T, n, Math.floor(n * o.sparsity!), state, hist);
    }
    ctx.dispatch({ pipeline: solve, bindings: [Wp, hinv, T, state, E, PR, slotT, LVp], uniforms: params([rows, cols, i1, bw, B * spanBlocks, eOff, { f: 2 ** bits - 1 }]), workgroups: rowGroups });
  });
  T.release(); E.release(); state.release(); hist.release(); hinv.release(); slotT.release();
  let levels = LVp;
  const gIdx = new Int32Array(cols);
  if (perm) {
    const inv = new Uint32Array(cols);
    perm.forEach((c, j) => { inv[c] = j; gIdx[c] = slotOfPos[j]!; });
    const invT = ctx.upload(inv, [cols], "u32");
    ctx.dispatch({ pipeline: ctx.pipeline("gptq:gather:f32", () => gatherColsWgsl("f32")), bindings: [Wp, invT, W], uniforms: params([rows, cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
    levels = ctx.empty([rows, cols], "u32");
    ctx.dispatch({ pipeline: ctx.pipeline("gptq:gather:u32", () => gatherColsWgsl("u32")), bindings: [LVp, invT, levels], uniforms: params([rows, cols]), workgroups: [Math.ceil(cols / 16), Math.ceil(rows / 16)] });
    invT.release(); LVp.release(); Wp.release(); permT!.release();
  } else gIdx.set(slotOfPos);
  // NaN / zero scales cannot be stored
  const pr = await ctx.readF32(PR);
  for (let i = 0; i < pr.length; i += 2)
    if (!Number.isFinite(pr[i]!) || !(pr[i]! > 0) || !Number.isFinite(pr[i + 1]!)) {
      PR.release(); levels.release();
      fail(op, `${layer}: quantizer scale ${pr[i]} / zero ${pr[i + 1]} (group ${Math.floor(i / 2 / rows)}, row ${(i / 2) % rows}) is not finite and positive`, "check the weights and Hessian for NaN/Inf");
    }
  return { levels, params: PR, gIdx, damping, deadColumns, perm };
}
