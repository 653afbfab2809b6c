/**
 * One canonical decoder layout for every architecture, and the per-architecture map from Hugging Face tensor
 * names to it. Linear weights are always [out, in] row-major (torch's nn.Linear); GPT-2's Conv1D ([in, out])
 * is transposed and its fused c_attn split into q, k, v here, as are Phi-3's fused qkv_proj and gate_up_proj,
 * so nothing downstream knows a projection was fused (compression calibrates the parts as separate linears).
 *
 * Canonical names:
 *   embed                       [vocab, hidden]
 *   pos_embed                   [maxPositions + offset, hidden]   (learned positions only)
 *   layers.{i}.attn_norm.{weight,bias}
 *   layers.{i}.{q,k,v,o}.{weight,bias}
 *   layers.{i}.{q,k}_norm.weight  [headDim]                        (spec.qkNorm: Qwen3, Gemma 3)
 *   layers.{i}.post_attn_norm.weight, layers.{i}.post_mlp_norm.weight  (spec.sandwichNorm: Gemma)
 *   layers.{i}.mlp_norm.{weight,bias}
 *   layers.{i}.{gate,up,down}.{weight,bias}                       (gate only for gated MLPs)
 *   final_norm.{weight,bias}
 *   lm_head                     [vocab, hidden]                    (absent when tied: use embed)
 */
import type { ModelSpec } from "./config.js";
import type { FileStore } from "../util/file-store.js";
import { nodeFileStore } from "../util/node-file-store.js";
import { ModelFormatError } from "./errors.js";
import { SafetensorsCheckpoint } from "./safetensors.js";

export const LINEARS = ["q", "k", "v", "o", "gate", "up", "down"] as const;
export type LinearName = (typeof LINEARS)[number];

/** How one canonical tensor is stored in the HF checkpoint. */
export interface WeightSource {
  canonical: string;
  shape: number[];
  hf: string;
  /** GPT-2 Conv1D: stored as [in, out] */
  transpose?: boolean;
  /** a part of a fused tensor (GPT-2 c_attn, Phi-3 qkv_proj / gate_up_proj): rows [offset, offset + size) of the
   * fused tensor in [out, in] orientation (after the transposition, for GPT-2) */
  split?: { offset: number; size: number; fusedShape: number[] };
}

/** Tensors that HF checkpoints may carry but that are not weights (buffers of old versions). */
const IGNORABLE = [/\.attn\.bias$/, /\.attn\.masked_bias$/, /rotary_emb\.inv_freq$/];

function normNames(spec: ModelSpec, canonical: string, hf: string): WeightSource[] {
  const h = [spec.hiddenSize];
  const out: WeightSource[] = [{ canonical: `${canonical}.weight`, hf: `${hf}.weight`, shape: h }];
  if (spec.norm.type === "layer") out.push({ canonical: `${canonical}.bias`, hf: `${hf}.bias`, shape: h });
  return out;
}

function linear(canonical: string, hf: string, out: number, inp: number, bias: boolean): WeightSource[] {
  const w: WeightSource[] = [{ canonical: `${canonical}.weight`, hf: `${hf}.weight`, shape: [out, inp] }];
  if (bias) w.push({ canonical: `${canonical}.bias`, hf: `${hf}.bias`, shape: [out] });
  return w;
}

/**
 * The full list of canonical tensors of a spec and where each lives in an HF checkpoint. `prefix` is the
 * module prefix actually used by the file ("model." / "model.decoder." / "transformer." or none).
 */
export function weightSources(spec: ModelSpec, prefix = defaultPrefix(spec)): WeightSource[] {
  const { hiddenSize: h, intermediateSize: f, vocabSize: V } = spec;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const src: WeightSource[] = [];
  if (spec.family === "gpt2") {
    src.push({ canonical: "embed", hf: `${prefix}wte.weight`, shape: [V, h] });
    src.push({ canonical: "pos_embed", hf: `${prefix}wpe.weight`, shape: [spec.maxPositions, h] });
    for (let i = 0; i < spec.numLayers; i++) {
      const p = `${prefix}h.${i}.`;
      const L = `layers.${i}.`;
      src.push(...normNames(spec, `${L}attn_norm`, `${p}ln_1`));
      ["q", "k", "v"].forEach((name, part) => {
        src.push({ canonical: `${L}${name}.weight`, hf: `${p}attn.c_attn.weight`, shape: [h, h], transpose: true, split: { offset: part * h, size: h, fusedShape: [h, 3 * h] } });
        src.push({ canonical: `${L}${name}.bias`, hf: `${p}attn.c_attn.bias`, shape: [h], split: { offset: part * h, size: h, fusedShape: [3 * h] } });
      });
      src.push({ canonical: `${L}o.weight`, hf: `${p}attn.c_proj.weight`, shape: [h, h], transpose: true });
      src.push({ canonical: `${L}o.bias`, hf: `${p}attn.c_proj.bias`, shape: [h] });
      src.push(...normNames(spec, `${L}mlp_norm`, `${p}ln_2`));
      src.push({ canonical: `${L}up.weight`, hf: `${p}mlp.c_fc.weight`, shape: [f, h], transpose: true });
      src.push({ canonical: `${L}up.bias`, hf: `${p}mlp.c_fc.bias`, shape: [f] });
      src.push({ canonical: `${L}down.weight`, hf: `${p}mlp.c_proj.weight`, shape: [h, f], transpose: true });
      src.push({ canonical: `${L}down.bias`, hf: `${p}mlp.c_proj.bias`, shape: [h] });
    }
    src.push(...normNames(spec, "final_norm", `${prefix}ln_f`));
    if (!spec.tiedEmbeddings) src.push({ canonical: "lm_head", hf: "lm_head.weight", shape: [V, h] });
    return src;
  }
  if (spec.family === "opt") {
    const off = spec.positions.type === "learned" ? spec.positions.offset : 0;
    src.push({ canonical: "embed", hf: `${prefix}embed_tokens.weight`, shape: [V, h] });
    src.push({ canonical: "pos_embed", hf: `${prefix}embed_positions.weight`, shape: [spec.maxPositions + off, h] });
    for (let i = 0; i < spec.numLayers; i++) {
      const p = `${prefix}layers.${i}.`;
      const L = `layers.${i}.`;
      src.push(...normNames(spec, `${L}attn_norm`, `${p}self_attn_layer_norm`));
      src.push(...linear(`${L}q`, `${p}self_attn.q_proj`, q, h, spec.bias.qkv));
      src.push(...linear(`${L}k`, `${p}self_attn.k_proj`, kv, h, spec.bias.qkv));
      src.push(...linear(`${L}v`, `${p}self_attn.v_proj`, kv, h, spec.bias.qkv));
      src.push(...linear(`${L}o`, `${p}self_attn.out_proj`, h, q, spec.bias.o));
      src.push(...normNames(spec, `${L}mlp_norm`, `${p}final_layer_norm`));
      src.push(...linear(`${L}up`, `${p}fc1`, f, h, spec.bias.mlp));
      src.push(...linear(`${L}down`, `${p}fc2`, h, f, spec.bias.mlp));
    }
    if (spec.finalNorm) src.push(...normNames(spec, "final_norm", `${prefix}final_layer_norm`));
    if (!spec.tiedEmbeddings) src.push({ canonical: "lm_head", hf: "lm_head.weight", shape: [V, h] });
    return src;
  }
  // Llama, Mistral, Qwen2/3, Gemma 2/3, Phi-3
  src.push({ canonical: "embed", hf: `${prefix}embed_tokens.weight`, shape: [V, h] });
  const fused = spec.family === "phi3";
  /** parts of one fused [Σ sizes, h] tensor, in the order they are stacked */
  const parts = (hf: string, names: [string, number][]): WeightSource[] => {
    const total = names.reduce((a, [, n]) => a + n, 0);
    let offset = 0;
    return names.map(([canonical, size]) => {
      const w = { canonical: `${canonical}.weight`, hf, shape: [size, h], split: { offset, size, fusedShape: [total, h] } };
      offset += size;
      return w;
    });
  };
  for (let i = 0; i < spec.numLayers; i++) {
    const p = `${prefix}layers.${i}.`;
    const L = `layers.${i}.`;
    src.push(...normNames(spec, `${L}attn_norm`, `${p}input_layernorm`));
    if (fused) src.push(...parts(`${p}self_attn.qkv_proj.weight`, [[`${L}q`, q], [`${L}k`, kv], [`${L}v`, kv]]));
    else {
      src.push(...linear(`${L}q`, `${p}self_attn.q_proj`, q, h, spec.bias.qkv));
      src.push(...linear(`${L}k`, `${p}self_attn.k_proj`, kv, h, spec.bias.qkv));
      src.push(...linear(`${L}v`, `${p}self_attn.v_proj`, kv, h, spec.bias.qkv));
    }
    if (spec.qkNorm) {
      src.push({ canonical: `${L}q_norm.weight`, hf: `${p}self_attn.q_norm.weight`, shape: [spec.headDim] });
      src.push({ canonical: `${L}k_norm.weight`, hf: `${p}self_attn.k_norm.weight`, shape: [spec.headDim] });
    }
    src.push(...linear(`${L}o`, `${p}self_attn.o_proj`, h, q, spec.bias.o));
    if (spec.sandwichNorm) {
      // Gemma: post_attention_layernorm is the attention output's norm; the MLP's input norm is pre_feedforward
      src.push(...normNames(spec, `${L}post_attn_norm`, `${p}post_attention_layernorm`));
      src.push(...normNames(spec, `${L}mlp_norm`, `${p}pre_feedforward_layernorm`));
    } else src.push(...normNames(spec, `${L}mlp_norm`, `${p}post_attention_layernorm`));
    if (fused) src.push(...parts(`${p}mlp.gate_up_proj.weight`, [[`${L}gate`, f], [`${L}up`, f]]));
    else {
      src.push(...linear(`${L}gate`, `${p}mlp.gate_proj`, f, h, spec.bias.mlp));
      src.push(...linear(`${L}up`, `${p}mlp.up_proj`, f, h, spec.bias.mlp));
    }
    src.push(...linear(`${L}down`, `${p}mlp.down_proj`, h, f, spec.bias.mlp));
    if (spec.sandwichNorm) src.push(...normNames(spec, `${L}post_mlp_norm`, `${p}post_feedforward_layernorm`));
  }
  src.push(...normNames(spec, "final_norm", `${prefix}norm`));
  if (!spec.tiedEmbeddings) src.push({ canonical: "lm_head", hf: "lm_head.weight", shape: [V, h] });
  return src;
}

/** The prefix save_pretrained writes for each family. */
export function defaultPrefix(spec: ModelSpec): string {
  return spec.family === "gpt2" ? "transformer." : spec.family === "opt" ? "model.decoder." : "model.";
}

/** Other prefixes seen in the wild (original GPT-2 and OPT uploads). */
function prefixCandidates(spec: ModelSpec): string[] {
  if (spec.family === "gpt2") return ["transformer.", ""];
  if (spec.family === "opt") return ["model.decoder.", "decoder."];
  return ["model."];
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checkpoint weights in the canonical layout, validated against the spec, read tensor by tensor. */
export class CheckpointWeights {
  private constructor(
    readonly spec: ModelSpec,
    readonly checkpoint: SafetensorsCheckpoint,
    readonly sources: Map<string, WeightSource>,
    /** safetensors dtype of the stored weights (of the embedding) */
    readonly storedDtype: string,
  ) {}

  /**
   * Opens the safetensors of `dir` and checks, before reading any data: every tensor the spec needs is
   * present with the right shape and a float dtype, and no unexpected tensor is there.
   */
  static open(dir: string, spec: ModelSpec): Promise<CheckpointWeights> {
    return CheckpointWeights.openStore(nodeFileStore(dir), spec);
  }

  /** As open, the checkpoint's files read through `store` (a folder on disk, or files fetched by a page). */
  static async openStore(store: FileStore, spec: ModelSpec): Promise<CheckpointWeights> {
    const ckpt = await SafetensorsCheckpoint.openStore(store);
    try {
      const where = ckpt.files.length === 1 ? ckpt.files[0].path : store.where("model.safetensors.index.json");
      const prefix =
        prefixCandidates(spec).find((p) => weightSources(spec, p).every((s) => ckpt.tensors.has(s.hf))) ??
        prefixCandidates(spec).find((p) => ckpt.tensors.has(weightSources(spec, p)[0].hf)) ??
        defaultPrefix(spec);
      const sources = weightSources(spec, prefix);
      const used = new Set<string>();
      for (const s of sources) {
        const t = ckpt.tensors.get(s.hf);
        if (!t) throw new ModelFormatError(where, `missing tensor "${s.hf}" (needed for ${spec.architecture})`);
        const stored = s.split ? s.split.fusedShape : s.transpose ? [s.shape[1], s.shape[0]] : s.shape;
        if (!sameShape(t.shape, stored)) {
          throw new ModelFormatError(
            t.file,
            `tensor "${s.hf}" has shape [${t.shape.join(", ")}] but config.json implies [${stored.join(", ")}]`,
          );
        }
        if (!["F32", "F16", "BF16"].includes(t.dtype)) {
          throw new ModelFormatError(t.file, `tensor "${s.hf}": dtype ${t.dtype} is not supported for weights; supported: F32, F16, BF16`);
        }
        used.add(s.hf);
      }
      for (const name of ckpt.tensors.keys()) {
        if (used.has(name) || IGNORABLE.some((r) => r.test(name))) continue;
        // A tied checkpoint may still carry a copy of the LM head; HF ignores it, so do we.
        if (spec.tiedEmbeddings && name === "lm_head.weight") continue;
        throw new ModelFormatError(ckpt.tensors.get(name)!.file, `unexpected tensor "${name}" for ${spec.architecture} with this config`);
      }
      const embed = ckpt.tensors.get(sources[0].hf)!;
      return new CheckpointWeights(spec, ckpt, new Map(sources.map((s) => [s.canonical, s])), embed.dtype);
    } catch (e) {
      await ckpt.close();
      throw e;
    }
  }

  /** Canonical tensor names, in checkpoint order. */
  names(): string[] {
    return [...this.sources.keys()];
  }

  shape(canonical: string): number[] {
    const s = this.sources.get(canonical);
    if (!s) throw new Error(`unknown canonical weight "${canonical}"`);
    return s.shape;
  }

  /** One canonical tensor as f32, [out, in] for linears. */
  async get(canonical: string): Promise<Float32Array> {
    const s = this.sources.get(canonical);
    if (!s) throw new Error(`unknown canonical weight "${canonical}"`);
    let data = await this.checkpoint.read(s.hf);
    if (s.transpose) {
      const [rows, cols] = s.split ? s.split.fusedShape : [s.shape[1], s.shape[0]];
      data = transpose(data, rows, cols);
    }
    if (s.split) {
      const cols = s.shape.length === 2 ? s.shape[1] : 1;
      data = data.slice(s.split.offset * cols, (s.split.offset + s.split.size) * cols);
    }
    return data;
  }

  /**
   * Rows [start, start + count) of a canonical tensor, read without the rest: for tensors larger than one
   * buffer (a 128k × 8k embedding or LM head). Only for tensors stored as they are used (not GPT-2's Conv1D).
   */
  async getRows(canonical: string, start: number, count: number): Promise<Float32Array> {
    const s = this.sources.get(canonical);
    if (!s) throw new Error(`unknown canonical weight "${canonical}"`);
    if (s.transpose || s.split) throw new Error(`weight "${canonical}" is stored transposed or fused; read it whole`);
    return this.checkpoint.read(s.hf, { start, count });
  }

  /** Every canonical tensor of one layer (for layer-by-layer streaming). */
  async layer(i: number): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const p = `layers.${i}.`;
    for (const name of this.sources.keys()) if (name.startsWith(p)) out.set(name, await this.get(name));
    return out;
  }

  /** All weights in memory (small and medium models; the reference forward uses this). */
  async loadAll(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const name of this.sources.keys()) out.set(name, await this.get(name));
    return out;
  }

  close(): Promise<void> {
    return this.checkpoint.close();
  }
}

/** [rows, cols] → [cols, rows] */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
