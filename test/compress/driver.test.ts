// The calibration driver end to end on a fixture model, against an independent reference pipeline
// written here with the float64 TypeScript references (hooks → H → sparsegptRef / wandaRef, layer
// by layer on the compressed model's activations), plus the CLI's output and bad-input handling.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import { hessianRef, reconErrorRef, sparsegptRef, wandaRef } from "../../kernels/reference/prune.js";
import { compressModel, linearsOf } from "../../loaders/compress/driver.js";
import { outlierRatio, owlSparsities } from "../../loaders/compress/owl.js";
import { sampleWindows } from "../../loaders/compress/calibration.js";
import { parseCompressionSpec } from "../../loaders/compress/spec.js";
import { main } from "../../loaders/cli/compress.js";
import { perplexity } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import type { ModelSpec } from "../../loaders/model/config.js";
import { withContext } from "../kernels/helpers.js";

const MODEL = "test/fixtures/models/llama";
let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-compress-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

const stream = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 37 + ((i * i) % 11)) % vocab);

/** The reference pipeline: layer by layer, f64 references, stats from a forward of the compressed-so-far model. */
async function referencePipeline(spec: ModelSpec, weights: Map<string, Float32Array>, samples: number[][], method: "sparsegpt" | "wanda", s: number) {
  const W = new Map(weights);
  const model = new ReferenceModel(spec, W);
  for (let l = 0; l < spec.numLayers; l++) {
    const inputs = new Map<string, { X: Float32Array; rows: number; cols: number }>();
    await model.forward({ ids: samples }, {
      onLinearInput: (site, input, rows) => {
        if (site.layer === l) inputs.set(site.linear, { X: input.slice(0, rows * site.inFeatures), rows, cols: site.inFeatures });
      },
    });
    for (const lin of linearsOf(spec)) {
      const { X, rows: T, cols } = inputs.get(lin)!;
      const name = `layers.${l}.${lin}.weight`, w = W.get(name)!, rows = w.length / cols;
      const H = hessianRef(X, T, cols, samples.length);
      let out: Float64Array;
      if (method === "sparsegpt") out = sparsegptRef(w, H, rows, cols, { sparsity: s });
      else out = wandaRef(w, Float32Array.from({ length: cols }, (_, c) => H[c * cols + c]! / 2), rows, cols, { sparsity: s });
      W.set(name, Float32Array.from(out));
    }
  }
  return { W, model };
}

describe("calibration driver vs an independent reference pipeline (llama fixture)", () => {
  it.each(["sparsegpt", "wanda"] as const)("%s 50%%: same masks, errors and perplexity", async (method) => {
    const { model, opened } = await loadReferenceModel(MODEL);
    const spec = opened.spec;
    const dense = new Map(model.weights);
    const samples = sampleWindows(stream(4000, spec.vocabSize), 8, 32, 0, "test stream");
    const { W: refW, model: refModel } = await referencePipeline(spec, dense, samples, method, 0.5);
    const cspec = parseCompressionSpec({ method, sparsity: 0.5, calibration: { samples: 8, seqLen: 32 } });
    const res = await compressModel({ ctx, spec, weights: model.weights, model, cspec, samples, batch: 3 });
    expect(res.report).toHaveLength(spec.numLayers * linearsOf(spec).length);
    for (const r of res.report) {
      const got = model.weights.get(r.name)!, want = refW.get(r.name)!;
      let same = 0;
      for (let i = 0; i < got.length; i++) if ((got[i] === 0) === (want[i] === 0)) same++;
      expect(same / got.length, r.name).toBeGreaterThanOrEqual(0.98);
      expect(r.sparsity).toBeGreaterThanOrEqual(0.5);
      expect(r.relError!).toBeGreaterThan(0);
      expect(r.relError!).toBeLessThan(0.5);
    }
    const evalTokens = stream(4000, spec.vocabSize).slice(1000, 1000 + 8 * 32);
    const pKick = (await perplexity(model, evalTokens, { window: 32 })).perplexity;
    const pRef = (await perplexity(refModel, evalTokens, { window: 32 })).perplexity;
    const pDense = (await perplexity(new ReferenceModel(spec, dense), evalTokens, { window: 32 })).perplexity;
    console.log(`[e2e] ${method} 50%: perplexity kick ${pKick.toFixed(4)}, reference pipeline ${pRef.toFixed(4)}, dense ${pDense.toFixed(4)}`);
    expect(Math.abs(pKick / pRef - 1)).toBeLessThan(0.01);
    expect(pKick).not.toBeCloseTo(pDense, 6);
  });

  it("true-sequential and N:M: every group of 4 weights has two zeros", async () => {
    const { model, opened } = await loadReferenceModel(MODEL);
    const samples = sampleWindows(stream(2000, opened.spec.vocabSize), 4, 16, 1, "s");
    const cspec = parseCompressionSpec({ method: "sparsegpt", pattern: "2:4", trueSequential: true, calibration: { samples: 4, seqLen: 16 } });
    const res = await compressModel({ ctx, spec: opened.spec, weights: model.weights, model, cspec, samples });
    for (const r of res.report) {
      const w = model.weights.get(r.name)!;
      for (let i = 0; i < w.length; i += 4) expect(w.subarray(i, i + 4).filter((x) => x === 0).length).toBeGreaterThanOrEqual(2);
    }
  });

  it("OWL: hand-worked ratios and per-layer sparsities around the target", async () => {
    // D = [1, 3]: r = [0, 2λ] = [0, 0.16] → r - mean + 0.5 = [0.42, 0.58] → s = [0.58, 0.42]
    const s = owlSparsities([1, 3], 0.5, 0.08);
    expect(s[0]).toBeCloseTo(0.58, 12);
    expect(s[1]).toBeCloseTo(0.42, 12);
    expect(owlSparsities([2, 2], 0.7, 0.08)).toEqual([0.7, 0.7]);
    expect(outlierRatio([Float32Array.from([1, 1, 1, 9])], 2)).toBe(25); // mean 3, threshold 6
    const { model, opened } = await loadReferenceModel(MODEL);
    const samples = sampleWindows(stream(2000, opened.spec.vocabSize), 4, 16, 2, "s");
    const cspec = parseCompressionSpec({ method: "wanda", sparsity: 0.6, owl: { lambda: 0.08, m: 3 }, calibration: { samples: 4, seqLen: 16 } });
    const res = await compressModel({ ctx, spec: opened.spec, weights: model.weights, model, cspec, samples });
    const mean = res.layerSparsity.reduce((a, b) => a + b, 0) / res.layerSparsity.length;
    expect(mean).toBeCloseTo(0.6, 10);
    for (const r of res.report) expect(r.targetSparsity).toBe(res.layerSparsity[r.layer]);
  });
});

/** Runs a CLI main() with console.error captured (the compress CLI reports through it). */
async function withStderrLines(run: () => Promise<number>): Promise<{ code: number; errs: string[] }> {
  const errs: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errs.push(String(m));
  try {
    return { code: await run(), errs };
  } finally {
    console.error = orig;
  }
}

describe("kick compress (CLI)", () => {
  const calib = () => {
    const p = join(tmp, "calib.txt");
    writeFileSync(p, Array.from({ length: 200 }, (_, i) => `Sentence ${i} about foxes, dogs and compression.`).join(" "));
    return p;
  };
  it("writes an HF checkpoint with exact zeros and a per-layer report", async () => {
    const out = join(tmp, "wanda24");
    const code = await main(["--model", MODEL, "--out", out, "--method", "wanda", "--pattern", "2:4", "--calib", calib(), "--samples", "4", "--seq-len", "16", "--dtype", "float16"]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, "compression.json"), "utf8"));
    expect(doc.id).toBe(`wanda-2:4-s0.5-calib(${calib()},4x16,seed0)`);
    const { model } = await loadReferenceModel(out);
    const w = model.weights.get("layers.1.down.weight")!;
    for (let i = 0; i < w.length; i += 4) expect(w.subarray(i, i + 4).filter((x) => x === 0).length).toBeGreaterThanOrEqual(2);
    expect(doc.layers.find((l: { name: string }) => l.name === "layers.1.down.weight").sparsity).toBe(0.5);
    // embeddings untouched (up to float16 rounding)
    const { model: src } = await loadReferenceModel(MODEL);
    const e1 = model.weights.get("embed")!, e0 = src.weights.get("embed")!;
    for (let i = 0; i < e0.length; i++) expect(Math.abs(e1[i]! - e0[i]!)).toBeLessThanOrEqual(1e-3 * Math.abs(e0[i]!) + 1e-6);
  });
  it("--backend gpu calibrates on the WebGPU forward and keeps (nearly) the CPU reference's masks", async () => {
    const args = ["--method", "sparsegpt", "--sparsity", "0.5", "--calib", calib(), "--samples", "4", "--seq-len", "16", "--dtype", "float32"];
    const outs = { cpu: join(tmp, "sgpt-cpu"), gpu: join(tmp, "sgpt-gpu") };
    expect(await main(["--model", MODEL, "--out", outs.cpu, ...args])).toBe(0);
    const { code, errs } = await withStderrLines(() => main(["--model", MODEL, "--out", outs.gpu, ...args, "--backend", "gpu"]));
    expect(code).toBe(0);
    expect(errs[0]).toMatch(/calibration forward on the GPU\)$/);
    const [a, b] = await Promise.all([loadReferenceModel(outs.cpu), loadReferenceModel(outs.gpu)]);
    let differ = 0, total = 0;
    for (const [name, w] of a.model.weights) {
      if (!/^layers\.\d+\.\w+\.weight$/.test(name) || name.includes("norm")) continue;
      const g = b.model.weights.get(name)!;
      for (let i = 0; i < w.length; i++) differ += Number((w[i] === 0) !== (g[i] === 0));
      total += w.length;
    }
    // f32 (GPU) vs f64 (CPU) activations move only near-tied scores across the threshold
    expect(total).toBeGreaterThan(1000);
    expect(differ / total).toBeLessThan(0.01);
    expect(JSON.parse(readFileSync(join(outs.gpu, "compression.json"), "utf8")).id).toBe(JSON.parse(readFileSync(join(outs.cpu, "compression.json"), "utf8")).id);
  });
  it.each([
    [["--method", "wanda", "--sparsity", "1"], /sparsity must be in \[0, 1\) \(got 1\)/],
    [["--method", "wanda", "--sparsity", "0.5", "--backend", "tpu"], /--backend must be cpu or gpu, got "tpu"/],
    [["--method", "wanda", "--pattern", "3:5"], /layers\.0\.q\.weight: input width 32 is not divisible by M=5/],
    [["--method", "sparsegpt", "--sparsity", "0.5", "--seq-len", "100000"], /--seq-len 100000 exceeds the model's 128 positions/],
    [["--method", "sparsegpt", "--sparsity", "0.5", "--calib", "TINY", "--seq-len", "64"], /too little calibration text/],
    [["--method", "wanda", "--sparsity", "0.5", "--calib", "DIR"], /calibration source .*: .* is a directory, not a file \(pass a text file/],
    [["--method", "dense", "--sparsity", "0.5"], /sparsity: method dense does not prune .*\(got 0\.5\)/],
    [["--method", "owq"], /--method: unknown method "owq"; one of magnitude, wanda, sparsegpt, rtn, gptq, ria, awq, dense/],
  ])("bad input %o fails clearly and writes nothing", async (args, msg) => {
    const out = join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    const tiny = join(tmp, "tiny.txt");
    writeFileSync(tiny, "too short");
    const { code, errs } = await withStderrLines(() => main(["--model", MODEL, "--out", out, ...args.map((a) => (a === "TINY" ? tiny : a === "DIR" ? tmp : a))]));
    expect(code).not.toBe(0);
    expect(errs.join("\n")).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });
  it("a NaN weight is refused, naming the weight", async () => {
    const { model, opened } = await loadReferenceModel(MODEL);
    model.weights.get("layers.1.up.weight")![5] = NaN;
    const cspec = parseCompressionSpec({ method: "magnitude", sparsity: 0.5 });
    await expect(compressModel({ ctx, spec: opened.spec, weights: model.weights, model, cspec, samples: [] })).rejects.toThrow(/layers\.1\.up\.weight: weight \[0, 5\] is NaN/);
  });
});
