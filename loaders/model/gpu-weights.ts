/**
 * Canonical weights on the GPU: uploaded once (resident), or, for a model larger than GPU memory, only the
 * embeddings, final norm and LM head resident and each layer uploaded when the forward reaches it (streamed
 * from disk through CheckpointWeights.layer). The memory check runs before any upload, from `weightBytes`.
 */
import { freemem } from "node:os";
import type { GpuContext, Tensor } from "../../kernels/index.js";
import { weightBytes, type ModelSpec } from "./config.js";
import type { CheckpointWeights } from "./weights.js";

export class GpuMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuMemoryError";
  }
}

export const GiB = 1024 ** 3;
const fmt = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`);

/**
 * GPU memory the weights may use, in bytes: `explicit`, else KICK_GPU_MEMORY (bytes, or with a G/M suffix),
 * else free system memory for a software adapter (lavapipe allocates there); null when unknown (WebGPU does
 * not report a discrete GPU's memory; then allocation failures are caught instead).
 */
export function availableGpuMemory(ctx: GpuContext, explicit?: number): number | null {
  if (explicit !== undefined) return explicit;
  const env = process.env.KICK_GPU_MEMORY;
  if (env) {
    const m = /^(\d+(?:\.\d+)?)\s*([GMK]?)i?B?$/i.exec(env.trim());
    if (!m) throw new GpuMemoryError(`KICK_GPU_MEMORY="${env}": expected bytes or a size such as 80G`);
    const unit = { "": 1, K: 1024, M: 1024 ** 2, G: GiB }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
    return Number(m[1]) * unit;
  }
  return ctx.isSoftware ? freemem() : null;
}

/** Bytes a resident model needs: f32 weights plus the activations of `tokens` tokens at once (logits dominate). */
export function residentBytes(spec: ModelSpec, tokens: number): number {
  const act = tokens * (4 * spec.hiddenSize + 2 * spec.intermediateSize + spec.vocabSize) * 4;
  return weightBytes(spec) + act;
}

/** Bytes of the tensors that stay resident when streaming: embeddings, positions, final norm, LM head. */
function globalBytes(spec: ModelSpec): number {
  const perLayer = (weightBytes(spec) - weightBytes({ ...spec, numLayers: 0 })) / Math.max(spec.numLayers, 1);
  return weightBytes(spec) - perLayer * spec.numLayers + perLayer; // plus one layer in flight
}

export type Residency = "resident" | "stream";

/** Checks the memory up front; throws naming what is needed and what is available. */
export function planResidency(ctx: GpuContext, spec: ModelSpec, opts: { stream?: boolean; memoryBytes?: number; tokens?: number; halfCopies?: boolean }): Residency {
  const avail = availableGpuMemory(ctx, opts.memoryBytes);
  const tokens = opts.tokens ?? Math.min(spec.maxPositions, 2048);
  // precision f16 keeps f16 copies of the resident weights beside the f32 ones (loaders/model/half-weights.ts)
  const half = opts.halfCopies ? 1.5 : 1;
  const need = residentBytes(spec, tokens) + (half - 1) * weightBytes(spec);
  if (opts.stream) {
    const streamNeed = half * globalBytes(spec) + (residentBytes(spec, tokens) - weightBytes(spec));
    if (avail !== null && streamNeed > avail)
      throw new GpuMemoryError(`${spec.architecture}: even streamed layer by layer the model needs ${fmt(streamNeed)} of GPU memory (resident tensors + one layer + activations of ${tokens} tokens); ${fmt(avail)} available on ${ctx.adapterDescription}`);
    return "stream";
  }
  if (avail !== null && need > avail)
    throw new GpuMemoryError(`${spec.architecture}: the model needs ${fmt(need)} of GPU memory (${fmt(weightBytes(spec))} f32 weights${opts.halfCopies ? ` + ${fmt(weightBytes(spec) / 2)} of f16 copies (precision f16)` : ""} + activations of ${tokens} tokens); ${fmt(avail)} available on ${ctx.adapterDescription}. Stream layers from disk instead (option stream / --stream), or use a smaller model`);
  return "resident";
}

/** Uploads tensors, turning an out-of-memory error of the device into a GpuMemoryError naming the size. */
export async function uploadTensors(ctx: GpuContext, tensors: Map<string, Float32Array>, shapeOf: (name: string) => number[]): Promise<Map<string, Tensor>> {
  const out = new Map<string, Tensor>();
  let bytes = 0;
  ctx.device.pushErrorScope("out-of-memory");
  for (const [name, data] of tensors) {
    out.set(name, ctx.upload(data, shapeOf(name)));
    bytes += data.byteLength;
  }
  const err = await ctx.device.popErrorScope();
  if (err) {
    for (const t of out.values()) t.release();
    throw new GpuMemoryError(`out of GPU memory uploading ${fmt(bytes)} of weights on ${ctx.adapterDescription}: ${err.message}`);
  }
  return out;
}

/**
 * A canonical tensor as the GPU kernels use it: Gemma's RMSNorm scales by (1 + w), so its norm weights go up as
 * f32(1 + w), what HF's float32 forward multiplies by (the canonical weights stay as stored, for saving).
 */
export function gpuWeightData(spec: ModelSpec, name: string, data: Float32Array): Float32Array {
  if (!spec.norm.offset || !name.endsWith("norm.weight")) return data;
  return Float32Array.from(data, (w) => w + spec.norm.offset!);
}

/** Canonical weights on the GPU, by name; layer tensors come from `layer(i)` (streamed or resident). */
export class GpuWeights {
  private constructor(
    private readonly ctx: GpuContext,
    readonly residency: Residency,
    private readonly source: CheckpointWeights,
    private readonly resident: Map<string, Tensor>,
  ) {}

  static async load(ctx: GpuContext, source: CheckpointWeights, residency: Residency): Promise<GpuWeights> {
    const names = source.names().filter((n) => residency === "resident" || !n.startsWith("layers."));
    const out = new Map<string, Tensor>();
    for (const name of names) {
      // one tensor at a time: host memory holds at most one f32 copy of the largest tensor
      const up = await uploadTensors(ctx, new Map([[name, gpuWeightData(source.spec, name, await source.get(name))]]), (n) => source.shape(n));
      for (const [k, t] of up) out.set(k, t);
    }
    return new GpuWeights(ctx, residency, source, out);
  }

  get(name: string): Tensor {
    const t = this.resident.get(name);
    if (!t) throw new Error(`GPU weights: "${name}" is not resident`);
    return t;
  }

  /** Layer i's tensors by canonical name without the `layers.i.` prefix; `done()` frees streamed ones. */
  async layer(i: number): Promise<{ w: (name: string) => Tensor | undefined; done: () => void }> {
    const p = `layers.${i}.`;
    if (this.residency === "resident") return { w: (n) => this.resident.get(p + n), done: () => {} };
    const data = new Map([...(await this.source.layer(i))].map(([n, d]) => [n, gpuWeightData(this.source.spec, n, d)]));
    const up = await uploadTensors(this.ctx, data, (n) => this.source.shape(n));
    return { w: (n) => up.get(p + n), done: () => up.forEach((t) => t.release()) };
  }

  release(): void {
    for (const t of this.resident.values()) t.release();
    this.resident.clear();
  }
}
