// Compressing a model already loaded for evaluation (the sweep's `apply`): calibration windows taken as
// `kick compress` takes them, then the driver on the model's own forward — GpuCausalLM (activations stay
// on the GPU, compressed weights written back into it) or, on the CPU backend, a copy of the f64
// ReferenceModel (the loaded model itself is left dense).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../kernels/index.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";
import { CheckpointWeights } from "../model/weights.js";
import { ReferenceModel } from "../model/reference-forward.js";
import { ModelTokenizer } from "../model/tokenizer.js";
import { calibrationStream, CalibrationError, sampleWindows } from "./calibration.js";
import { checkModelForSpec, compressModel, CompressionError, isCalibrationModel, linearsOf, needsCalibration, type CompressResult, type LayerReport } from "./driver.js";
import type { CompressionSpec } from "./spec.js";

export interface LoadedForCompression {
  modelDir: string;
  spec: ModelSpec;
  model: CausalLM;
}

/** The calibration windows of a spec for a model (empty for methods without calibration). */
export function calibrationSamples(cspec: CompressionSpec, modelDir: string, spec: ModelSpec): number[][] {
  if (!needsCalibration(cspec)) return [];
  const c = cspec.calibration;
  if (c.seqLen > spec.maxPositions)
    throw new CalibrationError(`calibration.seqLen ${c.seqLen} exceeds the ${spec.maxPositions} positions of ${modelDir} (give a smaller calibration.seqLen)`);
  const tokenizer = existsSync(join(modelDir, "tokenizer.json")) ? ModelTokenizer.load(modelDir) : null;
  // as kick compress: only ~16 characters of text per token needed are tokenized
  const { tokens, what } = calibrationStream(c.source, tokenizer, spec.vocabSize, process.cwd(), Math.max(200_000, c.samples * c.seqLen * 16));
  return sampleWindows(tokens, c.samples, c.seqLen, c.seed, what);
}

/** Compresses `input.model` per `cspec`; returns the model to evaluate and the driver's report. */
export async function compressLoadedModel(
  input: LoadedForCompression,
  cspec: CompressionSpec,
  { onLayer }: { onLayer?: (r: LayerReport, done: number, total: number) => void } = {},
): Promise<{ model: CausalLM; result: CompressResult }> {
  const { modelDir, spec, model } = input;
  checkModelForSpec(spec, cspec);
  const samples = calibrationSamples(cspec, modelDir, spec);
  if (isCalibrationModel(model)) {
    // the driver reads each linear's original values from a CPU copy and writes the result into the model
    const weights = await linearWeights(modelDir, spec);
    const result = await compressModel({ ctx: model.ctx, spec, weights, model, cspec, samples, onLayer });
    return { model, result };
  }
  if (model instanceof ReferenceModel) {
    const copy = new ReferenceModel(spec, new Map(model.weights));
    const ctx = await createContext();
    try {
      const result = await compressModel({ ctx, spec, weights: copy.weights, model: copy, cspec, samples, onLayer });
      return { model: copy, result };
    } finally {
      await ctx.destroy();
    }
  }
  throw new CompressionError(`cannot compress a ${model.constructor.name}: expected the GPU model (GpuCausalLM) or the CPU ReferenceModel`);
}

async function linearWeights(dir: string, spec: ModelSpec): Promise<Map<string, Float32Array>> {
  const ckpt = await CheckpointWeights.open(dir, spec);
  try {
    const out = new Map<string, Float32Array>();
    for (let l = 0; l < spec.numLayers; l++)
      for (const lin of linearsOf(spec)) out.set(`layers.${l}.${lin}.weight`, await ckpt.get(`layers.${l}.${lin}.weight`));
    return out;
  } finally {
    await ckpt.close();
  }
}
