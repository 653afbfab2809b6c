// Models for sweeps: resolving a plan's model entry to a checkpoint directory, hashing its weights
// (the run key must change when the weights do), and loading it on a backend: "cpu" (the f64 reference
// forward, for tests and oracles) or "gpu" (the WebGPU transformer).
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CausalLM } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";
import { loadReferenceModel, openModel } from "../model/load.js";
import type { ModelTokenizer } from "../model/tokenizer.js";
import { deviceProvenance, type DeviceCapabilities } from "../../kernels/index.js";
import type { Precision } from "../model/half-weights.js";

export const BACKENDS = ["cpu", "gpu"] as const;
export type Backend = (typeof BACKENDS)[number];

/** Files that define a model's outputs: config, weights (and shard index), tokenizer. */
const HASHED = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|.*\.safetensors|model\.safetensors\.index\.json)$/;

const hashCache = new Map<string, string>();

/** sha256 (16 hex) over the names and bytes of the files that define the model, in name order. */
export async function modelWeightsHash(dir: string): Promise<string> {
  const files = readdirSync(dir).filter((f) => HASHED.test(f)).sort();
  const key = `${dir}\n${files.map((f) => `${f}:${statSync(join(dir, f)).size}:${statSync(join(dir, f)).mtimeMs}`).join("\n")}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const h = createHash("sha256");
  for (const f of files) {
    h.update(`${f}\0`);
    for await (const chunk of createReadStream(join(dir, f))) h.update(chunk as Buffer);
    h.update("\0");
  }
  const digest = h.digest("hex").slice(0, 16);
  hashCache.set(key, digest);
  return digest;
}

/** Checks that `dir` is a checkpoint directory; `where` names the plan entry in the error. */
export function checkModelDir(dir: string, where: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${where}: model directory ${dir} does not exist`);
  if (!existsSync(join(dir, "config.json"))) throw new Error(`${where}: ${dir} has no config.json (expected a Hugging Face checkpoint directory)`);
  if (!existsSync(join(dir, "tokenizer.json"))) throw new Error(`${where}: ${dir} has no tokenizer.json (evaluation needs the tokenizer)`);
}

export interface LoadedModel {
  model: CausalLM;
  tokenizer: ModelTokenizer;
  spec: ModelSpec;
  /** e.g. "cpu-reference", or the GPU adapter's description and its capabilities ("… [shader-f16 subgroups[32] …]") */
  device: string;
  dispose(): Promise<void>;
}

/** The part of the WebGPU model the runner uses (loaders/model/gpu-forward.ts). */
interface GpuModelLike extends CausalLM {
  ctx?: { adapterDescription: string; capabilities: DeviceCapabilities };
  dispose(): Promise<void> | void;
}

/**
 * Loads a checkpoint on a backend. Precision f16 (GPU only) is recorded in `device` after the adapter,
 * " · precision f16", so a stored row says how its numbers were computed; f32 adds nothing.
 */
export async function loadModel(dir: string, backend: Backend, precision: Precision = "f32"): Promise<LoadedModel> {
  if (precision === "f16" && backend !== "gpu") throw new Error(`${dir}: precision f16 needs the gpu backend (the cpu backend is the float64 reference)`);
  if (backend === "cpu") {
    const { model, opened } = await loadReferenceModel(dir);
    if (!opened.tokenizer) throw new Error(`${dir}: no tokenizer.json`);
    return { model, tokenizer: opened.tokenizer, spec: opened.spec, device: "cpu-reference", dispose: async () => {} };
  }
  const opened = await openModel(dir);
  await opened.weights.close();
  if (!opened.tokenizer) throw new Error(`${dir}: no tokenizer.json`);
  // Loaded lazily: the CPU path (and its tests) must not need WebGPU.
  const gpu = (await import("../model/gpu-forward.js")) as unknown as { GpuCausalLM: { open(dir: string, opts: { maxTokens: number; precision: Precision }): Promise<GpuModelLike> } };
  const model = await gpu.GpuCausalLM.open(dir, { maxTokens: Math.min(opened.spec.maxPositions, 4096), precision });
  return {
    model,
    tokenizer: opened.tokenizer,
    spec: opened.spec,
    device: (model.ctx ? deviceProvenance(model.ctx) : "webgpu") + (precision === "f16" ? " · precision f16" : ""),
    dispose: async () => {
      await model.dispose();
    },
  };
}
