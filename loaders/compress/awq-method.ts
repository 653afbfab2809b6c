// AWQ as a method of the sweep registry (loaders/sweep/compression-methods.ts lists it beside the
// registry's linear methods), and `awqCompressLoaded` compresses a model loaded for evaluation (GpuCausalLM: every changed tensor,
// norms included, is written back with replaceWeight; ReferenceModel: a new CPU model on the new weights).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../kernels/index.js";
import type { CausalLM } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";
import { ReferenceModel } from "../model/reference-forward.js";
import { ModelTokenizer } from "../model/tokenizer.js";
import { CheckpointWeights } from "../model/weights.js";
import type { CompressionColumns, CompressionInput, CompressionMethod, CompressionSpecObject } from "../sweep/compression.js";
import { calibrationStream, CalibrationError, sampleWindows } from "./calibration.js";
import { awqCompress, AwqError, checkAwqModel, type AwqCompressOptions, type AwqResult } from "./awq-driver.js";
import { awqSpecId, parseAwqSpec, type AwqSpec } from "./awq-spec.js";
import { isCalibrationModel } from "./driver.js";

/** The calibration windows of an AWQ spec (kick's corpus or a text file, as `kick compress`). */
export function awqCalibrationSamples(a: AwqSpec, modelDir: string, spec: ModelSpec): number[][] {
  const c = a.calibration;
  if (c.seqLen > spec.maxPositions)
    throw new CalibrationError(`calibration.seqLen ${c.seqLen} exceeds the ${spec.maxPositions} positions of ${modelDir} (give a smaller calibration.seqLen / --seq-len)`);
  const tokenizer = existsSync(join(modelDir, "tokenizer.json")) ? ModelTokenizer.load(modelDir) : null;
  const { tokens, what } = calibrationStream(c.source, tokenizer, spec.vocabSize, process.cwd(), Math.max(200_000, c.samples * c.seqLen * 16));
  return sampleWindows(tokens, c.samples, c.seqLen, c.seed, what);
}

/**
 * AWQ on a model loaded for evaluation. Returns the model to evaluate and the driver's result.
 * GpuCausalLM (a CalibrationModel) gets every changed tensor through replaceWeight (linears AND the
 * two RMSNorm weights per layer the scales were folded into).
 */
export async function awqCompressLoaded(
  input: { modelDir: string; spec: ModelSpec; model: CausalLM },
  a: AwqSpec,
  opts: Omit<AwqCompressOptions, "ctx" | "samples"> = {},
): Promise<{ model: CausalLM; result: AwqResult }> {
  const { modelDir, spec, model } = input;
  checkAwqModel(spec, a);
  const samples = awqCalibrationSamples(a, modelDir, spec);
  const ckpt = await CheckpointWeights.open(modelDir, spec);
  let weights: Map<string, Float32Array>;
  try { weights = await ckpt.loadAll(); } finally { await ckpt.close(); }
  if (isCalibrationModel(model)) {
    const result = await awqCompress({ spec, weights }, a, { ...opts, ctx: model.ctx, samples });
    for (const [n, w] of result.weights) if (w !== weights.get(n)) model.replaceWeight(n, w);
    return { model, result };
  }
  if (model instanceof ReferenceModel) {
    const ctx = await createContext();
    try {
      const result = await awqCompress({ spec, weights }, a, { ...opts, ctx, samples });
      return { model: new ReferenceModel(spec, result.weights), result };
    } finally {
      await ctx.destroy();
    }
  }
  throw new AwqError(`cannot AWQ-compress a ${model.constructor.name}: expected the GPU model (GpuCausalLM) or the CPU ReferenceModel`);
}

/** Only the fields that change the result are kept, so a spec spelled two ways is one run. */
function normalise(a: AwqSpec): CompressionSpecObject {
  return { ...a } as unknown as CompressionSpecObject;
}

const parse = (entry: CompressionSpecObject, where: string): AwqSpec => {
  try {
    return parseAwqSpec(entry);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message.replace(/\n\s*/g, " ")}`);
  }
};

export const awqColumns = (a: AwqSpec): CompressionColumns => ({ method: "awq", pattern: "dense", sparsity: 0, bits: a.bits, group_size: a.groupSize, calib_samples: a.calibration.samples, calib_seed: a.calibration.seed });

/** The sweep registry's entry (listed in loaders/sweep/compression-methods.ts SWEEP_METHODS). */
export const awqCompressionMethod: CompressionMethod = {
  method: "awq",
  parse: (entry, where) => normalise(parse(entry, where)),
  columns: (entry) => awqColumns(parse(entry, "compression awq")),
  calibrated: () => true,
  apply: async (entry, input: CompressionInput) => {
    const a = parse(entry, "compression awq");
    const { model } = await awqCompressLoaded(input, a, {
      onProgress: (m) => process.stderr.write(`[compress ${awqSpecId(a)}] ${input.modelDir}: ${m}\n`),
    });
    return model;
  },
};

/** `awqCompress(model, spec, opts)` with a spec object as a plan or compression.json spells it. */
export { awqCompress };
