/**
 * LoRA adapters on a frozen (possibly compressed) TrainableLlama: y = x Wᵀ + s · (x Aᵀ) Bᵀ on the chosen
 * linears of every layer, A [r, in], B [out, r], s = α / r (PEFT's LoraLayer, no dropout). The base weights
 * are never touched: a pruned weight stays exactly zero, and the adapter is a separate additive path
 * (`mergeLora` folds it into the weights only when asked). Plugs into TrainableLlama.adapter; gradients:
 *   u = x Aᵀ,  dB += s · dyᵀ u,  du = s · dy B,  dA += duᵀ x,  dx += du A.
 */
import { matmul, scale, Tensor, type GpuContext, weightGradInto, viewAs } from "../../kernels/index.js";
import type { ModelSpec } from "../model/config.js";
import type { LinearAdapter, TrainableLlama } from "./model.js";
import { normalStream } from "./model.js";

export const LORA_TARGETS = ["q", "k", "v", "o", "gate", "up", "down"] as const;
export type LoraTargetName = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  rank: number;
  /** α (default = rank, so s = 1; Paper B's lora_learning.py: r 32, α 32) */
  alpha?: number;
  /** linears of every layer (default q, v as PEFT's default for Llama and Paper B) */
  targets?: LoraTargetName[];
}

/** in/out features of a canonical linear. */
export function loraLinearShape(spec: ModelSpec, t: LoraTargetName): { in: number; out: number } {
  const h = spec.hiddenSize, q = spec.numHeads * spec.headDim, kv = spec.numKvHeads * spec.headDim, I = spec.intermediateSize;
  switch (t) {
    case "q": return { in: h, out: q };
    case "k": case "v": return { in: h, out: kv };
    case "o": return { in: q, out: h };
    case "gate": case "up": return { in: h, out: I };
    case "down": return { in: I, out: h };
  }
}

/** Parameter names and shapes: `layers.<l>.<t>.lora_A` [r, in] and `.lora_B` [out, r], in layer, target order. */
export function loraShapes(spec: ModelSpec, cfg: LoraConfig): { name: string; shape: [number, number] }[] {
  const targets = cfg.targets ?? ["q", "v"];
  const out: { name: string; shape: [number, number] }[] = [];
  for (let l = 0; l < spec.numLayers; l++)
    for (const t of targets) {
      const s = loraLinearShape(spec, t);
      out.push({ name: `layers.${l}.${t}.lora_A`, shape: [cfg.rank, s.in] }, { name: `layers.${l}.${t}.lora_B`, shape: [s.out, cfg.rank] });
    }
  return out;
}

export function checkLoraConfig(cfg: LoraConfig): void {
  if (!Number.isInteger(cfg.rank) || cfg.rank < 1) throw new Error(`LoRA rank ${cfg.rank}: must be a positive integer`);
  if (cfg.alpha !== undefined && !(cfg.alpha > 0)) throw new Error(`LoRA alpha ${cfg.alpha}: must be positive`);
  const t = cfg.targets ?? ["q", "v"];
  if (!t.length) throw new Error("LoRA targets: none given");
  for (const x of t) if (!(LORA_TARGETS as readonly string[]).includes(x)) throw new Error(`LoRA target "${x}": expected one of ${LORA_TARGETS.join(", ")}`);
  if (new Set(t).size !== t.length) throw new Error(`LoRA targets ${t.join(",")}: a target is listed twice`);
}

/**
 * PEFT's init: A ~ U(−1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0, so the adapted model starts equal
 * to the base model. Seeded, the same on every machine.
 */
export function initLora(spec: ModelSpec, cfg: LoraConfig, seed = 0): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const z = normalStream(seed * 2654435761 + 12345);
  for (const { name, shape } of loraShapes(spec, cfg)) {
    const a = new Float32Array(shape[0] * shape[1]);
    if (name.endsWith("lora_A")) {
      const bound = 1 / Math.sqrt(shape[1]);
      for (let i = 0; i < a.length; i++) a[i] = (2 * uniform(z) - 1) * bound;
    }
    out.set(name, a);
  }
  return out;
}

/** A uniform in (0, 1) from two normals (the angle of the pair is uniform). */
const uniform = (z: () => number): number => (Math.atan2(z(), z()) + Math.PI) / (2 * Math.PI);

/** The trainable adapter set; `grads` (same names) receives the gradients when not null. */
export class LoraAdapter implements LinearAdapter {
  readonly scaling: number;
  readonly targets: LoraTargetName[];
  grads: Map<string, Tensor> | null = null;

  constructor(readonly ctx: GpuContext, readonly spec: ModelSpec, readonly cfg: LoraConfig, readonly params: Map<string, Tensor>) {
    checkLoraConfig(cfg);
    this.scaling = (cfg.alpha ?? cfg.rank) / cfg.rank;
    this.targets = cfg.targets ?? ["q", "v"];
    for (const { name, shape } of loraShapes(spec, cfg)) {
      const t = params.get(name);
      if (!t) throw new Error(`LoRA: parameter "${name}" missing`);
      if (t.size !== shape[0] * shape[1]) throw new Error(`LoRA: parameter "${name}" has ${t.size} values, expected [${shape.join(", ")}]`);
    }
  }

  static upload(ctx: GpuContext, spec: ModelSpec, cfg: LoraConfig, weights: Map<string, Float32Array>): LoraAdapter {
    checkLoraConfig(cfg);
    const params = new Map<string, Tensor>();
    for (const { name, shape } of loraShapes(spec, cfg)) {
      const w = weights.get(name);
      if (!w) throw new Error(`LoRA: weight "${name}" missing`);
      if (w.length !== shape[0] * shape[1]) throw new Error(`LoRA: weight "${name}" has ${w.length} values, expected [${shape.join(", ")}]`);
      params.set(name, ctx.upload(w, shape));
    }
    return new LoraAdapter(ctx, spec, cfg, params);
  }

  /** Trainable parameter count: Σ r · (in + out) over the adapted linears. */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.params.values()) n += t.size;
    return n;
  }

  zeroGrads(): Map<string, Tensor> {
    return new Map([...this.params].map(([n, t]) => [n, this.ctx.zeros(t.shape)]));
  }

  private has(name: string): boolean {
    return this.params.has(`${name}.lora_A`);
  }

  forward(name: string, x: Tensor): Tensor | null {
    if (!this.has(name)) return null;
    const A = this.params.get(`${name}.lora_A`)!, B = this.params.get(`${name}.lora_B`)!;
    const u = matmul(this.ctx, x, A, { transB: true });
    const e = matmul(this.ctx, u, B, { transB: true });
    u.release();
    if (this.scaling === 1) return e;
    const s = scale(this.ctx, e, this.scaling);
    e.release();
    return s;
  }

  backward(name: string, x: Tensor, dy: Tensor): Tensor | null {
    if (!this.has(name)) return null;
    const ctx = this.ctx, A = this.params.get(`${name}.lora_A`)!, B = this.params.get(`${name}.lora_B`)!;
    const out = B.shape[0], N = dy.size / out;
    const dy2 = viewAs(dy, [N, out]);
    const dys = this.scaling === 1 ? dy2 : scale(ctx, dy2, this.scaling);
    // dy2 is a view of the caller's tensor (never released here)
    const G = this.grads;
    if (G) {
      const u = matmul(ctx, x, A, { transB: true });
      G.set(`${name}.lora_B`, weightGradInto(ctx, dys, u, G.get(`${name}.lora_B`)!));
      u.release();
    }
    const du = matmul(ctx, dys, B);
    if (dys !== dy2) dys.release();
    if (G) G.set(`${name}.lora_A`, weightGradInto(ctx, du, x, G.get(`${name}.lora_A`)!));
    const dx = matmul(ctx, du, A);
    du.release();
    return dx;
  }

  async read(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [n, t] of this.params) out.set(n, await this.ctx.readF32(t));
    return out;
  }

  release(): void {
    for (const t of this.params.values()) t.release();
    if (this.grads) for (const t of this.grads.values()) t.release();
    this.grads = null;
  }
}

/** Attaches an adapter to a model (the model's weights stay frozen; pass grads: null to forwardBackward). */
export function attachLora(model: TrainableLlama, adapter: LoraAdapter | null): void {
  model.adapter = adapter;
}

/**
 * W + s · B A for every adapted linear (float64 accumulation, rounded to f32), only when asked: the merged
 * weights are dense wherever B A is, so a pruned model stops being sparse unless `keepMask` puts its zeros
 * back (then the merged model is no longer exactly the adapted one).
 */
export function mergeLora(spec: ModelSpec, base: Map<string, Float32Array>, cfg: LoraConfig, lora: Map<string, Float32Array>, { keepMask = false } = {}): Map<string, Float32Array> {
  checkLoraConfig(cfg);
  const s = (cfg.alpha ?? cfg.rank) / cfg.rank, r = cfg.rank;
  const out = new Map(base);
  for (let l = 0; l < spec.numLayers; l++)
    for (const t of cfg.targets ?? ["q", "v"]) {
      const { in: I, out: O } = loraLinearShape(spec, t);
      const key = `layers.${l}.${t}.weight`, W = base.get(key);
      const A = lora.get(`layers.${l}.${t}.lora_A`), B = lora.get(`layers.${l}.${t}.lora_B`);
      if (!W || !A || !B) throw new Error(`mergeLora: "${key}" or its adapter is missing`);
      const M = new Float32Array(O * I);
      for (let o = 0; o < O; o++)
        for (let i = 0; i < I; i++) {
          if (keepMask && W[o * I + i] === 0) continue;
          let d = 0;
          for (let k = 0; k < r; k++) d += B[o * r + k] * A[k * I + i];
          M[o * I + i] = W[o * I + i] + s * d;
        }
      out.set(key, M);
    }
  return out;
}
