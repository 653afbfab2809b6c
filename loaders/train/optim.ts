// AdamW over a model's parameters with global-norm gradient clipping. The norm is summed in a fixed order
// (per-chunk partial sums on the GPU, one readback, float64 on the CPU), so a step is reproducible bit for bit.
import { type GpuContext, type Tensor, adamw, sumSquaresInto, sumSquaresPartials } from "../../kernels/index.js";

export interface AdamWConfig { beta1: number; beta2: number; eps: number; weightDecay: number; clipNorm: number }

/** Weight decay applies to matrices (linears, embeddings), not to norm weights. */
export const decays = (name: string, shape: readonly number[]) => shape.length === 2 && !name.endsWith("norm.weight");

export class AdamW {
  readonly m: Map<string, Tensor>;
  readonly v: Map<string, Tensor>;
  constructor(private readonly ctx: GpuContext, params: Map<string, Tensor>, readonly cfg: AdamWConfig, state?: { m: Map<string, Tensor>; v: Map<string, Tensor> }) {
    this.m = state?.m ?? new Map([...params].map(([n, t]) => [n, ctx.zeros(t.shape)]));
    this.v = state?.v ?? new Map([...params].map(([n, t]) => [n, ctx.zeros(t.shape)]));
  }

  /** sqrt(Σ g²) over all gradients, in a fixed order. */
  async globalNorm(grads: Map<string, Tensor>): Promise<number> {
    const total = [...grads.values()].reduce((a, g) => a + sumSquaresPartials(g.size), 0);
    const out = this.ctx.zeros([Math.max(1, total)]);
    let off = 0;
    for (const g of grads.values()) { sumSquaresInto(this.ctx, g, out, off); off += sumSquaresPartials(g.size); }
    const parts = await this.ctx.readF32(out);
    out.release();
    let s = 0;
    for (const x of parts) s += x;
    return Math.sqrt(s);
  }

  /** One update with learning rate lr at 1-based step `step`; the gradients are scaled by min(1, clip / norm). */
  update(params: Map<string, Tensor>, grads: Map<string, Tensor>, lr: number, step: number, norm: number): void {
    const gradScale = norm > this.cfg.clipNorm ? this.cfg.clipNorm / norm : 1;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) throw new Error(`AdamW: no gradient for "${name}"`);
      adamw(this.ctx, p, g, this.m.get(name)!, this.v.get(name)!, {
        lr, beta1: this.cfg.beta1, beta2: this.cfg.beta2, eps: this.cfg.eps, step, gradScale,
        weightDecay: decays(name, p.shape) ? this.cfg.weightDecay : 0,
      });
    }
  }

  release(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.release();
  }
}
