/**
 * f16 copies of the f32 weights the matmuls read when a model runs at precision "f16" (f16 operands, f32
 * accumulation, f32 residual stream): made on the GPU from the f32 tensor (toF16, round to nearest half),
 * kept while that tensor lives for resident weights, made per use and released after for streamed ones.
 * The f32 weights stay the source of truth: compression reads and overwrites them, then `invalidate`.
 */
import { toF16, type GpuContext, type Tensor } from "../../kernels/index.js";

export type Precision = "f32" | "f16";
export const PRECISIONS = ["f32", "f16"] as const;

/** Fails unless the adapter can run f16 operands, naming the feature and the toggle. */
export function checkPrecision(ctx: GpuContext, precision: Precision): void {
  if (precision === "f16" && !ctx.features.has("shader-f16"))
    throw new Error(
      `precision f16: the adapter ${ctx.adapterDescription} lacks the WebGPU feature shader-f16. ` +
        "On NVIDIA, Dawn exposes it only with the toggle vulkan_enable_f16_on_nvidia (kick sets it unless KICK_F16_TOGGLES=0); " +
        "elsewhere use precision f32",
    );
}

export class HalfWeights {
  private readonly cache = new Map<Tensor, Tensor>();
  constructor(private readonly ctx: GpuContext, private readonly keep: boolean) {}

  /** The f16 copy of `w` and a release for it (a no-op for cached copies). */
  get(w: Tensor): { t: Tensor; done: () => void } {
    if (!this.keep) {
      const t = toF16(this.ctx, w);
      return { t, done: () => t.release() };
    }
    let t = this.cache.get(w);
    if (!t) this.cache.set(w, (t = toF16(this.ctx, w)));
    return { t, done: () => {} };
  }

  /** Drops the copy of a weight whose f32 values changed. */
  invalidate(w: Tensor): void {
    this.cache.get(w)?.release();
    this.cache.delete(w);
  }

  release(): void {
    for (const t of this.cache.values()) t.release();
    this.cache.clear();
  }
}
