// The calibration driver on the GPU forward (GpuCausalLM: activations stay on the GPU, compressed weights
// written back with replaceWeight) against the same driver on the CPU f64 ReferenceModel, on the llama
// fixture: masks and quantization levels agree on ≥ 99.9% of the weights, per-layer reconstruction errors
// within 2% (relative), and the GPU model's logits afterwards are those of the compressed weights.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import { sampleWindows } from "../../loaders/compress/calibration.js";
import { compressModel, type CompressResult } from "../../loaders/compress/driver.js";
import { levelAt } from "../../loaders/compress/quant.js";
import { parseCompressionSpec, type CompressionSpecInput } from "../../loaders/compress/spec.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { withContext } from "../kernels/helpers.js";

const MODEL = "test/fixtures/models/llama";
let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

const stream = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 37 + ((i * i) % 11)) % vocab);

async function bothWays(input: CompressionSpecInput) {
  const { model: ref, opened } = await loadReferenceModel(MODEL);
  const spec = opened.spec;
  const dense = new Map(ref.weights);
  const samples = sampleWindows(stream(4000, spec.vocabSize), 6, 24, 3, "test stream");
  const cspec = parseCompressionSpec({ calibration: { samples: 6, seqLen: 24 }, ...input });
  const cpu = await compressModel({ ctx, spec, weights: ref.weights, model: ref, cspec, samples, batch: 4 });
  const gpuModel = await GpuCausalLM.open(MODEL, { ctx });
  try {
    const weights = new Map(dense);
    const gpu = await compressModel({ ctx, spec, weights, model: gpuModel, cspec, samples, batch: 4 });
    // the GPU model now computes with the compressed weights
    const ids = [stream(40, spec.vocabSize).slice(7, 27)];
    const got = (await gpuModel.forward({ ids })).data;
    const want = (await new ReferenceModel(spec, weights).forward({ ids })).data;
    const wantDense = (await new ReferenceModel(spec, dense).forward({ ids })).data;
    return { cpu, gpu, cpuW: ref.weights, gpuW: weights, got, want, wantDense };
  } finally {
    await gpuModel.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function compareReports(cpu: CompressResult, gpu: CompressResult) {
  expect(gpu.report.map((r) => r.name)).toEqual(cpu.report.map((r) => r.name));
  for (const [i, r] of gpu.report.entries()) {
    const c = cpu.report[i]!;
    expect(r.sparsity, r.name).toBeCloseTo(c.sparsity, 12);
    if (c.relError !== null) expect(Math.abs(r.relError! / c.relError - 1), `${r.name} rel error ${r.relError} vs ${c.relError}`).toBeLessThan(0.02);
  }
}

describe("calibration driver: GPU forward vs CPU reference forward (llama fixture)", () => {
  it.each<[string, CompressionSpecInput]>([
    ["sparsegpt 50%", { method: "sparsegpt", sparsity: 0.5 }],
    ["wanda 2:4, true-sequential", { method: "wanda", pattern: "2:4", trueSequential: true }],
    ["wanda 60% + OWL", { method: "wanda", sparsity: 0.6, owl: { lambda: 0.08, m: 3 } }],
  ])("%s: masks ≥ 99.9 percent identical, errors within 2 percent, logits follow the new weights", async (_name, input) => {
    const { cpu, gpu, cpuW, gpuW, got, want, wantDense } = await bothWays(input);
    compareReports(cpu, gpu);
    expect(gpu.layerSparsity).toEqual(cpu.layerSparsity.map((s) => expect.closeTo(s, 9)));
    let same = 0, total = 0;
    for (const r of gpu.report) {
      const a = gpuW.get(r.name)!, b = cpuW.get(r.name)!;
      for (let i = 0; i < a.length; i++) if ((a[i] === 0) === (b[i] === 0)) same++;
      total += a.length;
    }
    console.log(`[gpu-forward] ${_name}: masks ${(same / total * 100).toFixed(3)}% identical`);
    expect(same / total).toBeGreaterThanOrEqual(0.999);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got, wantDense)).toBeGreaterThan(1e-3); // would fail if the forward kept the dense weights
  });

  it("gptq 4-bit g32: levels ≥ 99.9 percent identical, errors within 2 percent", async () => {
    const { cpu, gpu, got, want } = await bothWays({ method: "gptq", bits: 4, groupSize: 32 });
    compareReports(cpu, gpu);
    let same = 0, total = 0;
    for (const [name, p] of gpu.packed!) {
      const q = cpu.packed!.get(name)!;
      for (let n = 0; n < p.N; n++) for (let k = 0; k < p.K; k++) { if (levelAt(p, n, k) === levelAt(q, n, k)) same++; total++; }
    }
    console.log(`[gpu-forward] gptq 4-bit g32: levels ${(same / total * 100).toFixed(3)}% identical`);
    expect(same / total).toBeGreaterThanOrEqual(0.999);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
  });

  it("refuses a GPU model on another context", async () => {
    const gpuModel = await GpuCausalLM.open(MODEL);
    try {
      const { model: ref, opened } = await loadReferenceModel(MODEL);
      const cspec = parseCompressionSpec({ method: "magnitude", sparsity: 0.5 });
      await expect(compressModel({ ctx, spec: opened.spec, weights: ref.weights, model: gpuModel, cspec, samples: [] })).rejects.toThrow(/share one GpuContext/);
    } finally {
      await gpuModel.dispose();
    }
  });
});
