// Training throughput of kick's WebGPU trainer: `tsx bench/train.ts [--plans data/plans/kick-s.json,...]
// [--steps 5] [--warmup 2] [--batch B] [--out FILE]`. First checks the GPU's gradients (a tiny Llama against
// finite differences of the float64 reference, and the attention backward at head dim 64 against its
// reference), so a fast but wrong trainer fails the benchmark; then, per plan, times full optimiser steps
// (forward, backward, global norm, AdamW) on random tokens after warm-up steps. Companion: train_torch.py.
import { readFileSync, writeFileSync } from "node:fs";
import { attention, createContext, attentionBackward, attentionBackwardRef } from "../kernels/index.js";
import { parameterCount } from "../loaders/model/config.js";
import { nonEmbeddingParams } from "../loaders/train/card.js";
import { IGNORE, TrainableLlama, initWeights } from "../loaders/train/model.js";
import { AdamW } from "../loaders/train/optim.js";
import { parsePlan } from "../loaders/train/plan.js";
import { referenceForward } from "../loaders/train/reference.js";
import { llamaSpec } from "../loaders/train/spec.js";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

const ctx = await createContext();
const device = ctx.adapterDescription;
console.error(`[kick] ${device}`);

// ---- correctness on this GPU ----
async function gradCheck(): Promise<number> {
  const spec = llamaSpec({ hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 24, vocabSize: 37, maxPositions: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true, eosTokenId: 36 });
  const w = initWeights(spec, 5, 0.3);
  const r = rng(6), B = 2, T = 6;
  const ids = Uint32Array.from({ length: B * T }, () => Math.floor(r() * 37));
  const targets = Uint32Array.from({ length: B * T }, () => Math.floor(r() * 37));
  const model = await TrainableLlama.create(spec, w, ctx);
  const grads = model.zeroGrads();
  await model.forwardBackward({ B, T, ids, targets }, { lossScale: 1 / (B * T), grads });
  const w64 = new Map([...w].map(([n, a]) => [n, Float64Array.from(a)]));
  let worst = 0;
  for (const [name, g] of grads) {
    const gpu = await ctx.readF32(g);
    const scale = Math.max(...Array.from(gpu, Math.abs));
    const x = w64.get(name)!;
    for (let s = 0; s < 3; s++) {
      const i = Math.floor(r() * x.length), x0 = x[i], h = 1e-5;
      x[i] = x0 + h; const lp = referenceForward(spec, w64, { B, T, ids, targets }).loss;
      x[i] = x0 - h; const lm = referenceForward(spec, w64, { B, T, ids, targets }).loss;
      x[i] = x0;
      const fd = (lp - lm) / (2 * h);
      worst = Math.max(worst, Math.abs(gpu[i] - fd) / (Math.abs(fd) + 1e-2 * scale));
    }
    g.release();
  }
  await model.dispose();
  return worst;
}
async function attnCheck(): Promise<number> {
  const s = { B: 2, T: 67, Hq: 8, Hkv: 4, D: 64 };
  const r = rng(7);
  const mk = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const q = mk(s.B * s.T * s.Hq * s.D), k = mk(s.B * s.T * s.Hkv * s.D), v = mk(k.length), dO = mk(q.length);
  const qt = ctx.upload(q, [s.B, s.T, s.Hq, s.D]), kt = ctx.upload(k, [s.B, s.T, s.Hkv, s.D]), vt = ctx.upload(v, [s.B, s.T, s.Hkv, s.D]);
  const o = attention(ctx, qt, kt, vt);
  const g = attentionBackward(ctx, qt, kt, vt, o, ctx.upload(dO, [s.B, s.T, s.Hq, s.D]));
  const ref = attentionBackwardRef(q, k, v, dO, s);
  let worst = 0;
  for (const [got, want] of [[g.dq, ref.dq], [g.dk, ref.dk], [g.dv, ref.dv]] as const) {
    const a = await ctx.readF32(got);
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - want[i]) / (1e-3 + Math.abs(want[i])));
  }
  return worst;
}
const gradErr = await gradCheck();
const attnErr = await attnCheck();
console.error(`[kick] gradient check: worst relative error vs finite differences ${gradErr.toExponential(2)}; attention backward D=64 vs reference ${attnErr.toExponential(2)}`);
if (!(gradErr < 1e-3) || !(attnErr < 1e-2)) throw new Error(`gradients wrong on ${device}: ${gradErr}, ${attnErr}`);

// ---- per-op GPU times at the largest plan's shapes (--profile) ----
if (process.argv.includes("--profile")) {
  const { matmul, rmsNorm } = await import("../kernels/index.js");
  const { weightGradInto } = await import("../kernels/backward/linear.js");
  const { rmsNormBackward } = await import("../kernels/backward/rms_norm.js");
  const { crossEntropyBackward } = await import("../kernels/backward/cross_entropy.js");
  const B = 32, T = 512, H = 8, KV = 4, D = 64, h = 512, I = 1536, V = 8192, N = B * T;
  const r = rng(3);
  const mk = (shape: number[]) => ctx.upload(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() - 0.5) * 0.2), shape);
  const q = mk([B, T, H, D]), k = mk([B, T, KV, D]), v = mk([B, T, KV, D]), dO = mk([B, T, H, D]);
  const x = mk([N, h]), w = mk([I, h]), dy = mk([N, I]), g = ctx.zeros([I, h]), nw = mk([h]), head = mk([V, h]);
  const tg = ctx.upload(Uint32Array.from({ length: N }, () => Math.floor(r() * V)), [N]);
  const o = attention(ctx, q, k, v);
  await ctx.sync();
  const time = async (label: string, f: () => void) => {
    f(); await ctx.sync(); // warm (pipeline compile)
    const ms = await ctx.gpuTimeMs(f);
    console.error(`[profile] ${label}: ${ms?.toFixed(3)} ms`);
  };
  await time("attention forward B32 T512 H8/4 D64", () => { attention(ctx, q, k, v).release(); });
  await time("attention backward (same)", () => { const a = attentionBackward(ctx, q, k, v, o, dO); a.dq.release(); a.dk.release(); a.dv.release(); });
  await time("matmul x[16384,512]·W[1536,512]ᵀ", () => { matmul(ctx, x, w, { transB: true }).release(); });
  await time("matmul dy[16384,1536]·W (dx)", () => { matmul(ctx, dy, w).release(); });
  await time("weight grad dyᵀx split-K", () => { weightGradInto(ctx, dy, x, g); });
  await time("weight grad dyᵀx unsplit", () => { const t = ctx.empty([I, h]); weightGradInto(ctx, dy, x, t, { split: 1 }).release(); });
  await time("rmsNorm forward [16384,512]", () => { rmsNorm(ctx, x, nw).release(); });
  await time("rmsNorm backward with dw", () => { const d = ctx.empty([h]); rmsNormBackward(ctx, x, nw, x, 1e-5, d).release(); d.release(); });
  await time("LM head x·E[8192,512]ᵀ", () => { matmul(ctx, x, head, { transB: true }).release(); });
  const logits = matmul(ctx, x, head, { transB: true });
  await time("cross-entropy fwd+bwd [16384,8192]", () => { const c = crossEntropyBackward(ctx, logits, tg, { scale: 1 / N }); c.loss.release(); c.dLogits.release(); });
  [q, k, v, dO, o, x, w, dy, g, nw, head, tg, logits].forEach((t) => t.release());
  ctx.trimPool();
}

// ---- throughput ----
const plans = arg("plans", "data/plans/kick-s.json,data/plans/kick-m.json,data/plans/kick-l.json").split(",");
const steps = Number(arg("steps", "5")), warmup = Number(arg("warmup", "2"));
const results = [];
for (const file of plans) {
  const plan = parsePlan(JSON.parse(readFileSync(file, "utf8")), file);
  const m = plan.model;
  const spec = llamaSpec({ hiddenSize: m.hiddenSize, numLayers: m.numLayers, numHeads: m.numHeads, numKvHeads: m.numKvHeads, intermediateSize: m.intermediateSize, vocabSize: m.vocabSize, maxPositions: m.maxPositions ?? m.context, ropeTheta: m.ropeTheta, normEps: m.normEps, tiedEmbeddings: m.tiedEmbeddings, eosTokenId: m.vocabSize - 1 });
  const B = Number(arg("batch", String(plan.train.batchSize))), T = m.context;
  const model = await TrainableLlama.create(spec, initWeights(spec, 1, m.initStd), ctx);
  const optim = new AdamW(ctx, model.params, plan.optim);
  const r = rng(42);
  const losses: number[] = [];
  let t0 = 0;
  for (let s = 1; s <= warmup + steps; s++) {
    if (s === warmup + 1) { await ctx.sync(); t0 = performance.now(); }
    const ids = Uint32Array.from({ length: B * T }, () => Math.floor(r() * (m.vocabSize - 1)));
    const targets = Uint32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? IGNORE : ids[i + 1]));
    const count = targets.filter((t) => t !== IGNORE).length;
    const grads = model.zeroGrads();
    const res = await model.forwardBackward({ B, T, ids, targets }, { lossScale: 1 / count, grads, recompute: plan.train.recompute });
    const norm = await optim.globalNorm(grads);
    optim.update(model.params, grads, plan.optim.lr, s, norm);
    for (const g of grads.values()) g.release();
    losses.push(res.lossSum / res.count);
  }
  await ctx.sync();
  const sec = (performance.now() - t0) / 1000;
  const tokensPerS = (B * T * steps) / sec;
  // model FLOPs per token: 6 × (non-embedding + LM head) parameters + causal attention 6·L·T·h (scores and values, fwd + bwd)
  const flopsPerToken = 6 * (nonEmbeddingParams(spec) + spec.vocabSize * spec.hiddenSize) + 6 * spec.numLayers * T * spec.numHeads * spec.headDim;
  const row = { impl: "kick-webgpu", device, plan: plan.name, params: parameterCount(spec), non_embedding: nonEmbeddingParams(spec), batch: B, context: T, steps, seconds: sec, tokens_per_s: tokensPerS, tflops: (tokensPerS * flopsPerToken) / 1e12, flops_per_token: flopsPerToken, first_loss: losses[0], last_loss: losses.at(-1), grad_check: gradErr, attn_check: attnErr };
  console.log(`kick ${plan.name}: ${tokensPerS.toFixed(0)} tokens/s, ${row.tflops.toFixed(2)} TFLOP/s (B=${B}, T=${T}, ${steps} steps in ${sec.toFixed(2)} s; loss ${losses[0].toFixed(3)} → ${losses.at(-1)!.toFixed(3)})`);
  results.push(row);
  optim.release();
  await model.dispose();
  ctx.trimPool();
}
if (arg("out", "")) writeFileSync(arg("out", ""), JSON.stringify(results, null, 1));
await ctx.destroy();
