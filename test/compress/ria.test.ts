// RIA (loaders/compress/methods/ria.ts, kernels/ops/ria.ts): the WGSL kernel against its plain-TS
// twin, kick's masks against the official code's masks on the fixed check layer (committed by
// scripts/gpu-host/ria_official_check.py under bench/ria-official/), and the method end to end
// through the spec, the driver and the sweep registry.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, riaPrune, riaScores } from "../../kernels/index.js";
import { hessianRef } from "../../kernels/reference/prune.js";
import { riaMaskRef, riaScoresRef } from "../../kernels/reference/ria.js";
import { compressModel, linearsOf } from "../../loaders/compress/driver.js";
import { sampleWindows } from "../../loaders/compress/calibration.js";
import { compressionSpecId, parseCompressionSpec } from "../../loaders/compress/spec.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { compressionMethod, parseCompression } from "../../loaders/sweep/compression.js";
import { kickRiaMask } from "../../bench/ria-official/export.js";
import { RIA_CASES, RIA_LAYER, riaLayer } from "../../bench/ria-official/layer.js";
import { withContext } from "../kernels/helpers.js";
import { mulberry32 } from "../../loaders/util/random.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

const share = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v === b[i] ? 1 : 0), 0) / a.length;

/** ‖(W − Ŵ)Xᵀ‖² / ‖WXᵀ‖² in f64, Ŵ = W with the mask's entries zeroed. */
function relError(W: Float32Array, mask: Uint8Array, X: Float32Array, rows: number, cols: number): number {
  let num = 0, den = 0;
  for (let t = 0; t < X.length / cols; t++)
    for (let r = 0; r < rows; r++) {
      let d = 0, y = 0;
      for (let c = 0; c < cols; c++) {
        const p = W[r * cols + c]! * X[t * cols + c]!;
        y += p;
        if (mask[r * cols + c]) d += p;
      }
      num += d * d; den += y * y;
    }
  return num / den;
}

describe("RIA kernel vs its plain-TS twin", () => {
  const rows = 48, cols = 96;
  const rnd = mulberry32(7);
  const W = Float32Array.from({ length: rows * cols }, () => rnd() * 2 - 1);
  const colSq = Float32Array.from({ length: cols }, (_, c) => (c === 5 ? 0 : rnd() * (c % 13 === 0 ? 50 : 1)));
  it("scores match", async () => {
    const Wt = ctx.upload(W, [rows, cols]), S = ctx.upload(colSq, [cols]);
    const T = riaScores(ctx, Wt, S, 0.5);
    const got = await ctx.readF32(T), want = riaScoresRef(W, colSq, rows, cols, 0.5);
    [Wt, S, T].forEach((t) => t.release());
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]!) + 1e-12);
  });
  it.each([
    { sparsity: 0.5 }, { sparsity: 0.3 }, { sparsity: 0, a: 1 }, { sparsity: 0.5, nm: { n: 2, m: 4 } }, { sparsity: 0.5, nm: { n: 4, m: 8 }, a: 0 },
  ])("masks match: %o", async (o) => {
    const a = o.a ?? 0.5;
    const Wt = ctx.upload(W, [rows, cols]), S = ctx.upload(colSq, [cols]);
    riaPrune(ctx, Wt, S, { sparsity: o.sparsity, nm: o.nm, a });
    const got = Uint8Array.from(await ctx.readF32(Wt), (v) => (v === 0 ? 1 : 0));
    Wt.release(); S.release();
    const want = riaMaskRef(riaScoresRef(W, colSq, rows, cols, a), rows, cols, o);
    expect(share(got, want)).toBeGreaterThanOrEqual(0.999);
    const pruned = got.reduce((n, v) => n + v, 0);
    if (o.nm) expect(pruned).toBe((rows * cols * o.nm.n) / o.nm.m);
    else expect(Math.abs(pruned - Math.floor(rows * cols * o.sparsity))).toBeLessThanOrEqual(2); // ties over-prune
  });
});

const OFFICIAL = "bench/ria-official";
describe("RIA vs the official code's masks (fixed 64×128 layer)", () => {
  const { rows, cols } = RIA_LAYER;
  const { W, X } = riaLayer();
  it.each(RIA_CASES.map((c) => [c.name, c] as const))("%s: at least 98 percent identical mask entries, reconstruction error within 2 percent", async (_n, c) => {
    const official = new Uint8Array(readFileSync(`${OFFICIAL}/official-${c.name.replace(":", "of")}.u8`));
    expect(official.length).toBe(rows * cols);
    const kick = await kickRiaMask(c);
    expect(share(kick, official)).toBeGreaterThanOrEqual(0.98);
    const eo = relError(W, official, X, rows, cols), ek = relError(W, kick, X, rows, cols);
    expect(Math.abs(ek - eo)).toBeLessThanOrEqual(0.02 * eo);
  });
});

describe("RIA as a compression method", () => {
  it("has a spec, an id and a sweep name", () => {
    const s = parseCompressionSpec({ method: "ria", sparsity: 0.5 });
    expect(compressionSpecId(s)).toBe("ria-unstr-s0.5-a0.5-calib(corpus,128x2048,seed0)");
    expect(compressionSpecId(parseCompressionSpec({ method: "ria", pattern: "2:4", alpha: 1 }))).toBe("ria-2:4-s0.5-a1-calib(corpus,128x2048,seed0)");
    expect(() => parseCompressionSpec({ method: "ria", sparsity: 0.5, owl: {} })).toThrow(/OWL applies to wanda or sparsegpt, not ria/);
    expect(() => parseCompressionSpec({ method: "ria", sparsity: 0.5, bits: 4 })).toThrow(/method ria does not quantize/);
    expect(() => parseCompressionSpec({ method: "ria", sparsity: 0.5, alpha: -1 })).toThrow(/alpha: alpha must be ≥ 0 \(got -1\)/);
    expect(() => parseCompressionSpec({ method: "wanda", sparsity: 0.5, alpha: 1 })).toThrow(/alpha: alpha applies to method ria, not wanda \(got 1\)/);
    const entry = parseCompression({ method: "ria", sparsity: 0.5, calibration: { samples: 8, seqLen: 32 }, damping: 0.5 }, "plan compression[0]");
    expect(entry).toEqual({ method: "ria", pattern: "unstructured", sparsity: 0.5, calibration: { source: "corpus", samples: 8, seqLen: 32, seed: 0 }, trueSequential: false });
    expect(compressionMethod(entry).columns(entry)).toEqual({ method: "ria", pattern: "unstructured", sparsity: 0.5, bits: null, group_size: null, calib_samples: 8, calib_seed: 0 });
  });

  it("the driver prunes the first layer's linears as the twin does on the layer's own statistics", async () => {
    const { model, opened } = await loadReferenceModel("test/fixtures/models/llama");
    const spec = opened.spec;
    const dense = new Map(model.weights);
    const stream = Array.from({ length: 4000 }, (_, i) => (i * 37 + ((i * i) % 11)) % spec.vocabSize);
    const samples = sampleWindows(stream, 8, 32, 0, "test stream");
    const inputs = new Map<string, { X: Float32Array; T: number; cols: number }>();
    await model.forward({ ids: samples }, {
      onLinearInput: (site, input, n) => { if (site.layer === 0) inputs.set(site.linear, { X: input.slice(0, n * site.inFeatures), T: n, cols: site.inFeatures }); },
    });
    const cspec = parseCompressionSpec({ method: "ria", sparsity: 0.5, calibration: { samples: 8, seqLen: 32 } });
    const res = await compressModel({ ctx, spec, weights: model.weights, model, cspec, samples });
    for (const lin of linearsOf(spec)) {
      const { X, T, cols } = inputs.get(lin)!;
      const name = `layers.0.${lin}.weight`, w = dense.get(name)!, rows = w.length / cols;
      const H = hessianRef(X, T, cols, samples.length);
      const colSq = Float32Array.from({ length: cols }, (_, c) => H[c * cols + c]! / 2);
      const want = riaMaskRef(riaScoresRef(w, colSq, rows, cols, 0.5), rows, cols, { sparsity: 0.5 });
      const got = Uint8Array.from(model.weights.get(name)!, (v) => (v === 0 ? 1 : 0));
      expect(share(got, want), name).toBeGreaterThanOrEqual(0.995);
    }
    for (const r of res.report) expect(r.sparsity).toBeGreaterThanOrEqual(0.49);
  });
});
