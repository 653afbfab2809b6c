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
import { calibrationChars, calibrationStream, CalibrationError, sampleWindows } from "./calibration.js";
import { checkModelForSpec, compressModel, CompressionError, isCalibrationModel, linearsOf, needsCalibration, type CalibrationModel, type CompressResult, type LayerReport } from "./driver.js";
import type { FileStore } from "../util/file-store.js";
import { nodeFileStore } from "../util/node-file-store.js";
import type { CompressionSpec } from "./spec.js";

export interface LoadedForCompression {
  modelDir: string;
  spec: ModelSpec;
  model: CausalLM;
}

/** The calibration windows of a spec for a model (empty for methods without calibration). */
export function calibrationSamples(cspec: CompressionSpec, modelDir: string, spec: ModelSpec): number[][] {
  return calibrationWindows(cspec, spec, modelDir, () => {
    const tokenizer = existsSync(join(modelDir, "tokenizer.json")) ? ModelTokenizer.load(modelDir) : null;
    // as kick compress: only ~16 characters of text per token needed are tokenized
    return calibrationStream(cspec.calibration.source, tokenizer, spec.vocabSize, process.cwd(), calibrationChars(cspec.calibration));
  });
}

/** The calibration windows of a spec from a token stream made on demand (`model` names the model in errors). */
export function calibrationWindows(cspec: CompressionSpec, spec: ModelSpec, model: string, stream: () => { tokens: ArrayLike<number>; what: string }): number[][] {
  if (!needsCalibration(cspec)) return [];
  const c = cspec.calibration;
  if (c.seqLen > spec.maxPositions)
    throw new CalibrationError(`calibration.seqLen ${c.seqLen} exceeds the ${spec.maxPositions} positions of ${model} (give a smaller calibration.seqLen)`);
  const { tokens, what } = stream();
  return sampleWindows(tokens, c.samples, c.seqLen, c.seed, what);
}

export interface CompressHooks {
  onLayer?: (r: LayerReport, done: number, total: number) => void;
}

/** Compresses `input.model` per `cspec`; returns the model to evaluate and the driver's report. */
export async function compressLoadedModel(input: LoadedForCompression, cspec: CompressionSpec, { onLayer }: CompressHooks = {}): Promise<{ model: CausalLM; result: CompressResult }> {
  const { modelDir, spec, model } = input;
  checkModelForSpec(spec, cspec);
  const samples = calibrationSamples(cspec, modelDir, spec);
  if (isCalibrationModel(model)) return { model, result: await compressGpuModel(model, nodeFileStore(modelDir), spec, cspec, samples, { onLayer }) };
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

/**
 * Compresses a GPU model in place: the driver reads each linear's original values from a CPU copy (read from the
 * checkpoint's files in `files`) and writes the result into the model.
 */
export async function compressGpuModel(
  model: CausalLM & CalibrationModel,
  files: FileStore,
  spec: ModelSpec,
  cspec: CompressionSpec,
  samples: number[][],
  { onLayer }: CompressHooks = {},
): Promise<CompressResult> {
  const weights = await linearWeights(files, spec);
  return compressModel({ ctx: model.ctx, spec, weights, model, cspec, samples, onLayer });
}

async function linearWeights(files: FileStore, spec: ModelSpec): Promise<Map<string, Float32Array>> {
  const ckpt = await CheckpointWeights.openStore(files, spec);
  try {
    const out = new Map<string, Float32Array>();
    for (let l = 0; l < spec.numLayers; l++)
      for (const lin of linearsOf(spec)) out.set(`layers.${l}.${lin}.weight`, await ckpt.get(`layers.${l}.${lin}.weight`));
    return out;
  } finally {
    await ckpt.close();
  }
}
