// Compressing a checkpoint on disk into a new one (`kick compress` without its command line; kick
// prompt --compressed uses it too): the driver on the CPU reference or the GPU forward, then the saved
// checkpoint, compression.json and, for quantized methods, the packed integer weights.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../kernels/index.js";
import { loadReferenceModel } from "../model/load.js";
import { saveModel, type SaveDtype } from "../model/save.js";
import { calibrationStream, sampleWindows } from "./calibration.js";
import { checkModelForSpec, compressModel, needsCalibration, type LayerReport } from "./driver.js";
import type { PackedQuantWeight } from "./quant.js";
import { compressionSpecId, type CompressionSpec } from "./spec.js";

/**
 * Compresses the checkpoint MODEL per CSPEC into the new checkpoint OUT — `kick compress` without its command
 * line (kick prompt --compressed SPEC uses it too). Returns the content of OUT/compression.json.
 */
export async function compressCheckpoint(
  model: string,
  out: string,
  cspec: CompressionSpec,
  { backend = "cpu", dtype = "keep" }: { backend?: "cpu" | "gpu"; dtype?: SaveDtype | "keep" } = {},
  loaded?: Awaited<ReturnType<typeof loadReferenceModel>>,
): Promise<Record<string, unknown>> {
  const { model: ref, opened } = loaded ?? (await loadReferenceModel(model));
  const spec = opened.spec;
  checkModelForSpec(spec, cspec);
  const cal = cspec.calibration;
  let samples: number[][] = [];
  if (needsCalibration(cspec)) {
    const { tokens, what } = calibrationStream(cal.source, opened.tokenizer, spec.vocabSize, process.cwd(), Math.max(200_000, cal.samples * cal.seqLen * 16));
    samples = sampleWindows(tokens, cal.samples, cal.seqLen, cal.seed, what);
  }
  console.error(`[compress] ${compressionSpecId(cspec)} on ${model} (${spec.numLayers} layers, calibration forward on the ${backend === "gpu" ? "GPU" : "CPU reference"})`);
  // gpu: the layer-by-layer calibration forward runs on the model's WebGPU forward (as in sweeps), the CPU copy
  // ref.weights still supplies the original linears and receives the compressed ones for saving
  const gpu = backend === "gpu" ? await (await import("../model/gpu-forward.js")).GpuCausalLM.open(model, { maxTokens: Math.min(spec.maxPositions, 4096) }) : null;
  const ctx = gpu ? gpu.ctx : await createContext();
  try {
    const res = await compressModel({
      ctx, spec, weights: ref.weights, model: gpu ?? ref, cspec, samples,
      onLayer: (r: LayerReport, done, total) =>
        console.error(`[compress] ${done}/${total} ${r.name} ${r.rows}×${r.cols}: ${r.bits !== undefined ? `${r.bits}-bit g${r.groupSize} (${r.bitsPerWeight!.toFixed(3)} bits/weight), ` : ""}sparsity ${r.sparsity.toFixed(4)}${r.relError === null ? "" : `, rel err ${r.relError.toExponential(3)}`}, ${(r.seconds * 1000).toFixed(0)} ms${r.damping !== undefined && r.damping !== cspec.damping ? ` (damping raised to ${r.damping})` : ""}`),
    });
    const written = await saveModel(out, { sourceDir: model, spec, weights: ref.weights, dtype, metadata: { kick_compression: compressionSpecId(cspec) } });
    const doc: Record<string, unknown> = { spec: cspec, id: compressionSpecId(cspec), source: model, layerSparsity: res.layerSparsity, seconds: res.seconds, layers: res.report };
    if (res.packed) {
      const q = writePacked(out, res.packed);
      doc.quantized = { file: "quantized.json", bitsPerWeight: q.bitsPerWeight, bytes: q.bytes };
      console.error(`[compress] packed ${res.packed.size} linears: ${q.bitsPerWeight.toFixed(4)} bits/weight incl. scales and zeros (${q.bytes} bytes)`);
    }
    writeFileSync(join(out, "compression.json"), JSON.stringify(doc, null, 1) + "\n");
    const total = res.report.reduce((a, r) => a + r.rows * r.cols, 0);
    const zeros = res.report.reduce((a, r) => a + r.sparsity * r.rows * r.cols, 0);
    console.error(`[compress] wrote ${out} (${written.length + 1} files); linear sparsity ${(zeros / Math.max(1, total)).toFixed(4)} in ${res.seconds.toFixed(1)} s`);
    return doc;
  } finally {
    if (gpu) await gpu.dispose();
    else await ctx.destroy();
  }
}

/** quantized.bin (q, scales, zeros, gIdx of each linear, concatenated) + quantized.json (layout and offsets). */
export function writePacked(out: string, packed: Map<string, PackedQuantWeight>): { bitsPerWeight: number; bytes: number } {
  const parts: Uint8Array[] = [];
  let off = 0, bitsTotal = 0, weights = 0;
  const layers: Record<string, unknown>[] = [];
  const put = (a: Uint8Array | Float32Array | Int32Array, dtype: string) => {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    parts.push(b);
    const e = { dtype, offset: off, bytes: b.byteLength };
    off += b.byteLength;
    return e;
  };
  for (const [name, p] of packed) {
    layers.push({ name, bits: p.bits, N: p.N, K: p.K, groupSize: p.groupSize, q: put(p.q, "u8"), scales: put(p.scales, "f32"), zeros: put(p.zeros, "u8"), gIdx: put(p.gIdx, "i32") });
    bitsTotal += (p.q.byteLength + p.scales.byteLength + p.zeros.byteLength) * 8;
    weights += p.N * p.K;
  }
  const buf = Buffer.concat(parts);
  writeFileSync(join(out, "quantized.bin"), buf);
  const bitsPerWeight = bitsTotal / Math.max(1, weights);
  writeFileSync(join(out, "quantized.json"), JSON.stringify({ layout: "kick-packed-quant-v1 (docs/compress.md)", bitsPerWeight, layers }, null, 1) + "\n");
  return { bitsPerWeight, bytes: buf.byteLength };
}
