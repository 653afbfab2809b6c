// Quantization: spec validation, hand-worked quantizer cases, the packed layout (hand-worked bytes,
// MatMulNBits via the ONNX exporter's own RTN quantizer), and the driver + CLI end to end against an
// independent pipeline built from the plain-TS references (hooks → H → gptqRef, layer by layer).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, rtnQuantize } from "../../kernels/index.js";
import { hessianRef } from "../../kernels/reference/prune.js";
import { findParamsRef, gptqRef, quantizeRef, rtnRef } from "../../kernels/reference/quant.js";
import { compressModel, linearsOf } from "../../loaders/compress/driver.js";
import { sampleWindows } from "../../loaders/compress/calibration.js";
import { bitsPerWeight, dequantizePacked, levelAt, packQuantized } from "../../loaders/compress/quant.js";
import { toPacked4 } from "../../loaders/onnx/packed-quant.js";
import { compressionSpecId, parseCompressionSpec } from "../../loaders/compress/spec.js";
import { main } from "../../loaders/cli/compress.js";
import { perplexity } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { quantizeRtn4 } from "../../loaders/onnx/packed4.js";
import { randn, withContext } from "../kernels/helpers.js";

const MODEL = "test/fixtures/models/llama";
let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-quant-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

describe("quantization spec", () => {
  it("fills defaults and gives canonical ids", () => {
    const g = parseCompressionSpec({ method: "gptq", bits: 4, groupSize: 128 });
    expect(g).toMatchObject({ bits: 4, groupSize: 128, sym: false, actOrder: false, staticGroups: false, sparsity: 0 });
    expect(compressionSpecId(g)).toBe("gptq-d0.01-b128-w4g128-calib(corpus,128x2048,seed0)");
    expect(compressionSpecId(parseCompressionSpec({ method: "rtn", bits: 3, sym: true }))).toBe("rtn-w3-sym");
    expect(compressionSpecId(parseCompressionSpec({ method: "gptq", bits: 3, groupSize: 64, actOrder: true, staticGroups: true }))).toMatch(/^gptq-d0.01-b128-w3g64-act-static-calib/);
    expect(compressionSpecId(parseCompressionSpec({ method: "sparsegpt", sparsity: 0.5, bits: 4 }))).toBe("sparsegpt-unstr-s0.5-d0.01-b128-w4-calib(corpus,128x2048,seed0)");
  });
  it.each([
    [{ method: "gptq", bits: 5 }, /bits: bits must be one of 2, 3, 4, 8 \(got 5\)/],
    [{ method: "gptq", bits: 4, groupSize: 48 }, /groupSize: groupSize must be one of -1, 32, 64, 128 \(got 48\)/],
    [{ method: "gptq" }, /bits: method gptq needs bits/],
    [{ method: "gptq", bits: 4, staticGroups: true }, /staticGroups: staticGroups needs a groupSize/],
    [{ method: "rtn", bits: 4, actOrder: true }, /actOrder: actOrder\/staticGroups are GPTQ options/],
    [{ method: "gptq", bits: 4, sparsity: 0.5 }, /sparsity: method gptq does not prune/],
    [{ method: "sparsegpt", sparsity: 0.5, bits: 4, groupSize: 128 }, /groupSize: sparsegpt with bits quantizes per row/],
    [{ method: "sparsegpt", pattern: "2:4", bits: 4 }, /pattern: sparsegpt with bits supports unstructured sparsity only/],
    [{ method: "wanda", sparsity: 0.5, bits: 4 }, /method wanda does not quantize/],
  ])("rejects %o", (input, msg) => {
    expect(() => parseCompressionSpec(input)).toThrow(msg);
  });
});

describe("reference quantizer (GPTQ quant.py), hand-worked", () => {
  it("asymmetric 2-bit: range [-1, 2] → scale 1, zero 1; round half to even", () => {
    const p = findParamsRef([-1, 0.5, 2], 2, false);
    expect(p).toEqual({ scale: 1, zero: 1 });
    expect([-1, 0.5, 1.5, 2, 7].map((x) => quantizeRef(x, p, 2) + 0)).toEqual([-1, 0, 2, 2, 2]); // 0.5 → 0 (half to even; half-up would give 1), clamp at maxq
  });
  it("the range always contains 0 (all-positive row) and an empty range becomes [-1, 1]", () => {
    const p = findParamsRef([0.3, 0.6], 4, false); // xmin = 0
    expect(p.zero + 0).toBe(0);
    expect(p.scale).toBeCloseTo(0.04, 7);
    expect(quantizeRef(0, p, 4) + 0).toBe(0);
    const z = findParamsRef([0, 0], 3, false);
    expect(z.scale).toBeCloseTo(2 / 7, 7);
    expect(quantizeRef(0, z, 3) + 0).toBe(0);
  });
  it("symmetric: zero (maxq+1)/2; xmin stays 0 for an all-positive row (the reference's quirk)", () => {
    const p = findParamsRef([-0.7, 0.3], 4, true);
    expect(p.zero).toBe(8);
    expect(p.scale).toBeCloseTo(1.4 / 15, 7);
    const q = findParamsRef([0.2, 0.6], 4, true); // xmax 0.6, xmin 0 → scale 0.04, zero 8: 0.6 clamps to 7·0.04
    expect(q.zero).toBe(8);
    expect(quantizeRef(0.6, q, 4)).toBeCloseTo(0.28, 6);
  });
});

describe("WGSL RTN quantize / dequantize vs the plain-TS reference", () => {
  it.each([[4, -1, false], [4, 32, false], [3, 64, true], [2, 32, false], [8, 128, true]])("%i bits, group %i, sym %s", async (bits, G, sym) => {
    const rows = 24, cols = 128;
    const W = randn(rows * cols, 7 + bits + G, 0.1);
    W[5] = 2.5; W[300] = -3; // outliers
    for (let c = 0; c < 32; c++) W[2 * cols + c] = Math.abs(W[2 * cols + c]!); // an all-positive group
    const Wt = ctx.upload(W, [rows, cols]);
    const r = rtnQuantize(ctx, Wt, { bits, groupSize: G, sym });
    const got = await ctx.readF32(Wt), lv = new Uint32Array((await ctx.read(r.levels)).buffer), pr = await ctx.readF32(r.params);
    Wt.release(); r.levels.release(); r.params.release();
    const ref = rtnRef(W, rows, cols, bits, G, sym);
    let same = 0;
    for (let i = 0; i < lv.length; i++) if (lv[i] === ref.levels[i]) same++;
    expect(same / lv.length).toBeGreaterThanOrEqual(0.999);
    for (let i = 0; i < ref.scales.length; i++) { expect(pr[2 * i]).toBeCloseTo(ref.scales[i]!, 6); expect(pr[2 * i + 1]).toBe(ref.zeros[i]); }
    const p = packQuantized(lv, pr, r.gIdx, rows, cols, bits, G);
    expect(Array.from(dequantizePacked(p))).toEqual(Array.from(got)); // the packed layout round-trips
  });
  it("rejects unsupported bits and a group size that does not divide the width, naming the layer", () => {
    const Wt = ctx.upload(new Float32Array(4 * 48), [4, 48]);
    expect(() => rtnQuantize(ctx, Wt, { bits: 5, groupSize: -1, sym: false, layer: "layers.0.q.weight" })).toThrow(/layers\.0\.q\.weight: bits 5 is not supported/);
    expect(() => rtnQuantize(ctx, Wt, { bits: 4, groupSize: 32, sym: false, layer: "layers.0.q.weight" })).toThrow(/layers\.0\.q\.weight: group size 32 does not divide the input width 48/);
    Wt.release();
  });
});

describe("packed layout", () => {
  it("hand-worked bytes: 4-bit nibbles low first, 3-bit LSB-first across bytes", () => {
    const p4 = packQuantized([1, 2, 15, 0], [0.5, 3], Int32Array.from([0, 0, 0, 0]), 1, 4, 4, -1);
    expect(Array.from(p4.q)).toEqual([0x21, 0x0f]);
    expect(Array.from(dequantizePacked(p4))).toEqual([-1, -0.5, 6, -1.5]);
    const p3 = packQuantized([5, 3, 7], [1, 0], Int32Array.from([0, 0, 0]), 1, 3, 3, -1);
    // bits: 101 | 110 | 111 (LSB first) → byte0 = 0b11011101 = 0xdd, byte1 = 0b1 = 0x01
    expect(Array.from(p3.q)).toEqual([0xdd, 0x01]);
    expect([0, 1, 2].map((k) => levelAt(p3, 0, k))).toEqual([5, 3, 7]);
    expect(() => packQuantized([1], [NaN, 0], Int32Array.from([0]), 1, 1, 4, -1, "layers.1.up.weight")).toThrow(/layers\.1\.up\.weight: scale NaN/);
  });
  it("bits per weight include scales and zeros", () => {
    expect(bitsPerWeight(4, 4096, 128)).toBe(4 + 40 / 128);
    expect(bitsPerWeight(4, 4096, 128, 32, 4)).toBe(4 + 36 / 128); // MatMulNBits
    expect(bitsPerWeight(3, 4096, -1, 16, 3)).toBe(3 + 19 / 4096);
  });
  it("4-bit grouped RTN → Packed4Weight equals the ONNX exporter's own RTN quantizer byte for byte", async () => {
    const N = 16, K = 256, G = 64;
    const W = randn(N * K, 99, 0.2);
    const Wt = ctx.upload(W, [N, K]);
    const r = rtnQuantize(ctx, Wt, { bits: 4, groupSize: G, sym: false });
    const lv = new Uint32Array((await ctx.read(r.levels)).buffer), pr = await ctx.readF32(r.params);
    Wt.release(); r.levels.release(); r.params.release();
    const mine = toPacked4(packQuantized(lv, pr, r.gIdx, N, K, 4, G));
    const theirs = quantizeRtn4(W, N, K, G);
    let same = 0;
    for (let i = 0; i < mine.q.length; i++) if (mine.q[i] === theirs.q[i]) same++;
    expect(same / mine.q.length).toBeGreaterThanOrEqual(0.995);
    expect(Array.from(mine.zeroPoints)).toEqual(Array.from(theirs.zeroPoints));
    for (let i = 0; i < mine.scales.length; i++) expect(mine.scales[i]).toBeCloseTo(theirs.scales[i]!, 6);
    expect(() => toPacked4(packQuantized(lv, pr, Int32Array.from(r.gIdx).reverse(), N, K, 4, G), "layers.0.k.weight")).toThrow(/layers\.0\.k\.weight: act-order groups/);
  });
});

const stream = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 37 + ((i * i) % 11)) % vocab);

describe("driver + CLI (llama fixture)", () => {
  it("GPTQ 4-bit g32: same levels and perplexity as an independent gptqRef pipeline", async () => {
    const { model, opened } = await loadReferenceModel(MODEL);
    const spec = opened.spec;
    const dense = new Map(model.weights);
    const samples = sampleWindows(stream(4000, spec.vocabSize), 8, 32, 0, "test stream");
    // independent pipeline
    const refW = new Map(dense);
    const refModel = new ReferenceModel(spec, refW);
    const refLevels = new Map<string, Uint8Array>();
    for (let l = 0; l < spec.numLayers; l++) {
      const inputs = new Map<string, { X: Float32Array; rows: number; cols: number }>();
      await refModel.forward({ ids: samples }, { onLinearInput: (site, input, rows) => { if (site.layer === l) inputs.set(site.linear, { X: input.slice(0, rows * site.inFeatures), rows, cols: site.inFeatures }); } });
      for (const lin of linearsOf(spec)) {
        const { X, rows: T, cols } = inputs.get(lin)!;
        const name = `layers.${l}.${lin}.weight`, w = refW.get(name)!, rows = w.length / cols;
        const out = gptqRef(w, hessianRef(X, T, cols, samples.length), rows, cols, { bits: 4, groupSize: 32, sym: false });
        refW.set(name, Float32Array.from(out.Q));
        refLevels.set(name, out.levels);
      }
    }
    const cspec = parseCompressionSpec({ method: "gptq", bits: 4, groupSize: 32, calibration: { samples: 8, seqLen: 32 } });
    const res = await compressModel({ ctx, spec, weights: model.weights, model, cspec, samples, batch: 3 });
    expect(res.report).toHaveLength(spec.numLayers * linearsOf(spec).length);
    for (const r of res.report) {
      const p = res.packed!.get(r.name)!;
      expect(Array.from(dequantizePacked(p))).toEqual(Array.from(model.weights.get(r.name)!));
      const want = refLevels.get(r.name)!;
      let same = 0;
      for (let n = 0; n < p.N; n++) for (let k = 0; k < p.K; k++) if (levelAt(p, n, k) === want[n * p.K + k]) same++;
      expect(same / want.length, r.name).toBeGreaterThanOrEqual(0.98);
      expect(r.bitsPerWeight).toBe(4 + 40 / 32);
      expect(r.relError!).toBeGreaterThan(0);
    }
    const evalTokens = stream(4000, spec.vocabSize).slice(1000, 1000 + 8 * 32);
    const pKick = (await perplexity(model, evalTokens, { window: 32 })).perplexity;
    const pRef = (await perplexity(refModel, evalTokens, { window: 32 })).perplexity;
    console.log(`[e2e-quant] gptq w4g32: perplexity kick ${pKick.toFixed(4)}, reference pipeline ${pRef.toFixed(4)}`);
    expect(Math.abs(pKick / pRef - 1)).toBeLessThan(0.01);
  });

  it("CLI: gptq --bits 4 --group 32 writes the checkpoint, quantized.json/bin and bits/weight; a bad group writes nothing", async () => {
    const out = join(tmp, "q");
    const rc = await main(["--model", MODEL, "--out", out, "--method", "gptq", "--bits", "4", "--group", "32", "--samples", "4", "--seq-len", "16", "--calib", "test/fixtures/models/llama/config.json", "--dtype", "float32"]);
    expect(rc).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, "compression.json"), "utf8"));
    expect(doc.quantized.bitsPerWeight).toBeCloseTo(4 + 40 / 32, 10);
    const q = JSON.parse(readFileSync(join(out, "quantized.json"), "utf8"));
    expect(q.layers[0]).toMatchObject({ name: "layers.0.q.weight", bits: 4, groupSize: 32, N: 32, K: 32 });
    expect(existsSync(join(out, "quantized.bin"))).toBe(true);
    const bad = join(tmp, "bad");
    expect(await main(["--model", MODEL, "--out", bad, "--method", "gptq", "--bits", "4", "--group", "64", "--samples", "4", "--seq-len", "16"])).toBe(1);
    expect(existsSync(bad)).toBe(false);
    expect(await main(["--model", MODEL, "--out", bad, "--method", "gptq", "--bits", "5"])).toBe(1);
    expect(existsSync(bad)).toBe(false);
  });
});
