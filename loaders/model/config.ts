/**
 * config.json → ModelSpec: one validated description of a decoder-only transformer, whatever the
 * architecture that wrote it. Everything downstream (weight mapping, forward pass, save) reads the spec,
 * never the raw config.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelFormatError } from "./errors.js";

export const SUPPORTED_ARCHITECTURES = [
  "LlamaForCausalLM",
  "MistralForCausalLM",
  "Qwen2ForCausalLM",
  "OPTForCausalLM",
  "GPT2LMHeadModel",
  "Qwen3ForCausalLM",
  "Gemma2ForCausalLM",
  "Gemma3ForCausalLM",
  "Phi3ForCausalLM",
] as const;
export type HfArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];
export type Family = "llama" | "mistral" | "qwen2" | "opt" | "gpt2" | "qwen3" | "gemma2" | "gemma3" | "phi3";

export type Activation = "silu" | "relu" | "gelu" | "gelu_tanh";
export type RopeScaling =
  | { type: "none" }
  | { type: "linear"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    };
export type Positions =
  | { type: "rope"; theta: number; scaling: RopeScaling }
  /** a learned table; row = position + offset (OPT keeps 2 rows for padding, GPT-2 none) */
  | { type: "learned"; offset: number };

export interface ModelSpec {
  architecture: HfArchitecture;
  family: Family;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  /** offset 1: Gemma's RMSNorm scales by (1 + weight) (every norm of the model, q/k norms included) */
  norm: { type: "rms" | "layer"; eps: number; offset?: 1 };
  /** "pre": x + f(norm(x)) (all but old OPT); "post": norm(x + f(x)) (OPT with do_layer_norm_before=false) */
  normPlacement: "pre" | "post";
  /** a final norm before the LM head (absent in post-norm OPT) */
  finalNorm: boolean;
  activation: Activation;
  /** gated: down(act(gate(x)) * up(x)) (Llama family); plain: down(act(up(x))) (OPT, GPT-2) */
  mlp: "gated" | "plain";
  positions: Positions;
  tiedEmbeddings: boolean;
  bias: { qkv: boolean; o: boolean; mlp: boolean };
  /** a query attends to at most this many most recent keys (itself included); null: no limit */
  slidingWindow: number | null;
  /** GPT-2's scale_attn_by_inverse_layer_idx: attention scores also divided by (layer + 1) */
  scaleAttnByInverseLayer: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  /** the dtype the checkpoint says it is stored in, if it says */
  dtype: "float32" | "float16" | "bfloat16" | null;
  // The fields below exist only for the architectures that need them (absent, they leave modelSpecHash of the
  // first five architectures unchanged, so stored results keep their keys).
  /** per-head RMSNorm of q and k before rope, weights layers.{i}.{q,k}_norm.weight [headDim] (Qwen3, Gemma 3) */
  qkNorm?: true;
  /** a norm on the attention output and on the MLP output before each residual add (Gemma 2/3) */
  sandwichNorm?: true;
  /** token embeddings multiplied by this (Gemma: √hidden as f32) */
  embedScale?: number;
  /** attention scores × this instead of 1/√headDim (Gemma: query_pre_attn_scalar^-0.5) */
  attnScale?: number;
  /** scores → cap·tanh(scores/cap) before the mask and softmax (Gemma 2) */
  attnSoftcap?: number;
  /** logits → cap·tanh(logits/cap) (Gemma 2/3) */
  logitSoftcap?: number;
  /** per layer, whether it uses slidingWindow (Gemma 2/3 alternate); absent: every layer does */
  slidingLayers?: boolean[];
  /** the rope of the sliding-window layers when it differs from `positions` (Gemma 3's rope_local_base_freq) */
  localRope?: { theta: number; scaling: RopeScaling };
}

/** The attention window of layer l (null: the whole causal context). */
export function layerWindow(s: ModelSpec, l: number): number | null {
  if (s.slidingWindow === null) return null;
  return s.slidingLayers && !s.slidingLayers[l] ? null : s.slidingWindow;
}

/**
 * What a spec uses beyond the first five architectures' decoder (Llama/Mistral/Qwen2/OPT/GPT-2), named, for
 * the code paths that implement only that decoder (AWQ's layer replica) to refuse by name.
 */
export function extendedFeatures(s: ModelSpec): string[] {
  const f: string[] = [];
  if (s.norm.offset) f.push("(1 + weight) RMSNorm");
  if (s.qkNorm) f.push("q/k norms");
  if (s.sandwichNorm) f.push("post-attention/post-feedforward norms");
  if (s.embedScale !== undefined) f.push("embedding scaling");
  if (s.attnScale !== undefined) f.push("query_pre_attn_scalar");
  if (s.attnSoftcap !== undefined) f.push("attention soft-capping");
  if (s.logitSoftcap !== undefined) f.push("final logit soft-capping");
  if (s.slidingLayers) f.push("per-layer sliding windows");
  if (s.localRope) f.push("a local rope base");
  return f;
}

const int = z.number().int();
const pos = z.number().int().positive();
const eps = z.number().positive();
const tokenIds = z.union([int, z.array(int)]).nullish();

const common = {
  architectures: z.array(z.string()).optional(),
  model_type: z.string().optional(),
  vocab_size: pos,
  tie_word_embeddings: z.boolean().optional(),
  bos_token_id: tokenIds,
  eos_token_id: tokenIds,
  pad_token_id: tokenIds,
  torch_dtype: z.string().nullish(),
  dtype: z.string().nullish(),
};

const ropeDict = z.looseObject({
  rope_type: z.string().optional(),
  type: z.string().optional(),
  rope_theta: z.number().positive().optional(),
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  original_max_position_embeddings: pos.optional(),
});

const llamaLike = z.looseObject({
  ...common,
  hidden_size: pos,
  num_hidden_layers: pos,
  num_attention_heads: pos,
  num_key_value_heads: pos.nullish(),
  head_dim: pos.nullish(),
  intermediate_size: pos,
  max_position_embeddings: pos,
  rms_norm_eps: eps,
  hidden_act: z.string().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: ropeDict.nullish(),
  rope_parameters: ropeDict.nullish(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  sliding_window: pos.nullish(),
  use_sliding_window: z.boolean().optional(),
  pretraining_tp: z.number().optional(),
  // Qwen3, Gemma (transformers 5)
  layer_types: z.array(z.string()).nullish(),
  // Gemma 2/3
  hidden_activation: z.string().nullish(),
  query_pre_attn_scalar: z.number().positive().nullish(),
  final_logit_softcapping: z.number().positive().nullish(),
  attn_logit_softcapping: z.number().positive().nullish(),
  sliding_window_pattern: pos.nullish(),
  rope_local_base_freq: z.number().positive().nullish(),
  use_bidirectional_attention: z.boolean().nullish(),
  // Phi-3
  partial_rotary_factor: z.number().positive().nullish(),
});

const opt = z.looseObject({
  ...common,
  hidden_size: pos,
  ffn_dim: pos,
  num_hidden_layers: pos,
  num_attention_heads: pos,
  max_position_embeddings: pos,
  word_embed_proj_dim: pos.optional(),
  do_layer_norm_before: z.boolean().optional(),
  _remove_final_layer_norm: z.boolean().optional(),
  activation_function: z.string().optional(),
  enable_bias: z.boolean().optional(),
  layer_norm_elementwise_affine: z.boolean().optional(),
});

const gpt2 = z.looseObject({
  ...common,
  n_embd: pos,
  n_layer: pos,
  n_head: pos,
  n_positions: pos,
  n_inner: pos.nullish(),
  activation_function: z.string().optional(),
  layer_norm_epsilon: eps.optional(),
  scale_attn_weights: z.boolean().optional(),
  scale_attn_by_inverse_layer_idx: z.boolean().optional(),
  add_cross_attention: z.boolean().optional(),
});

const MODEL_TYPE_TO_ARCH: Record<string, HfArchitecture> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  opt: "OPTForCausalLM",
  gpt2: "GPT2LMHeadModel",
  qwen3: "Qwen3ForCausalLM",
  gemma2: "Gemma2ForCausalLM",
  gemma3_text: "Gemma3ForCausalLM",
  phi3: "Phi3ForCausalLM",
};

/** Reads and validates `<dir>/config.json`. */
export function readModelSpec(dir: string): ModelSpec {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ModelFormatError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return parseModelConfig(text, file);
}

/** Parses config.json text (or an already parsed object); `file` names it in errors. */
export function parseModelConfig(input: string | unknown, file = "config.json"): ModelSpec {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ModelFormatError(file, "expected a JSON object");
  }
  const obj = raw as Record<string, unknown>;
  const arch = detectArchitecture(obj, file);
  const fail = (field: string, detail: string): never => {
    throw new ModelFormatError(file, `field "${field}": ${detail}`);
  };
  switch (arch) {
    case "LlamaForCausalLM":
    case "MistralForCausalLM":
    case "Qwen2ForCausalLM":
    case "Qwen3ForCausalLM":
    case "Gemma2ForCausalLM":
    case "Gemma3ForCausalLM":
    case "Phi3ForCausalLM":
      return specLlamaLike(arch, validate(llamaLike, obj, file), fail);
    case "OPTForCausalLM":
      return specOpt(validate(opt, obj, file), fail);
    case "GPT2LMHeadModel":
      return specGpt2(validate(gpt2, obj, file), fail);
  }
}

function detectArchitecture(obj: Record<string, unknown>, file: string): HfArchitecture {
  const supported = `supported: ${SUPPORTED_ARCHITECTURES.join(", ")}`;
  const archs = obj.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || archs.length === 0 || typeof archs[0] !== "string") {
      throw new ModelFormatError(file, `field "architectures": expected a non-empty list of names`);
    }
    const a = archs[0];
    if ((SUPPORTED_ARCHITECTURES as readonly string[]).includes(a)) return a as HfArchitecture;
    throw new ModelFormatError(file, `field "architectures": unsupported architecture "${a}"; ${supported}`);
  }
  const t = obj.model_type;
  if (typeof t === "string" && MODEL_TYPE_TO_ARCH[t]) return MODEL_TYPE_TO_ARCH[t];
  throw new ModelFormatError(
    file,
    `field "model_type": unsupported or missing model type ${JSON.stringify(t)} (no "architectures" either); ${supported}`,
  );
}

function validate<T extends z.ZodType>(schema: T, obj: unknown, file: string): z.infer<T> {
  const r = schema.safeParse(obj);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.map(String).join(".") || "(root)";
  throw new ModelFormatError(file, `field "${field}": ${issue.message}`);
}

type Fail = (field: string, detail: string) => never;

function tokenIdList(v: number | number[] | null | undefined): number[] {
  return v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
}
function firstId(v: number | number[] | null | undefined): number | null {
  return tokenIdList(v)[0] ?? null;
}
function storedDtype(c: { torch_dtype?: string | null; dtype?: string | null }): ModelSpec["dtype"] {
  const d = c.dtype ?? c.torch_dtype;
  return d === "float32" || d === "float16" || d === "bfloat16" ? d : null;
}

function activation(name: string, field: string, fail: Fail): Activation {
  switch (name) {
    case "silu":
    case "swish":
      return "silu";
    case "relu":
      return "relu";
    case "gelu":
      return "gelu";
    case "gelu_new":
    case "gelu_pytorch_tanh":
    case "gelu_fast":
      return "gelu_tanh";
    default:
      return fail(field, `unsupported activation "${name}"; supported: silu, relu, gelu, gelu_new, gelu_pytorch_tanh`);
  }
}

function ropeScaling(
  d: z.infer<typeof ropeDict> | null | undefined,
  field: string,
  fail: Fail,
): RopeScaling {
  const type = d?.rope_type ?? d?.type ?? "default";
  if (!d || type === "default") return { type: "none" };
  const need = (k: keyof typeof d): number => {
    const v = d[k];
    return typeof v === "number" ? v : fail(`${field}.${String(k)}`, `required for rope type "${type}"`);
  };
  if (type === "linear") return { type: "linear", factor: need("factor") };
  if (type === "llama3") {
    const s = {
      type: "llama3" as const,
      factor: need("factor"),
      lowFreqFactor: need("low_freq_factor"),
      highFreqFactor: need("high_freq_factor"),
      originalMaxPositions: need("original_max_position_embeddings"),
    };
    if (s.highFreqFactor <= s.lowFreqFactor) fail(`${field}.high_freq_factor`, "must exceed low_freq_factor");
    return s;
  }
  return fail(`${field}.rope_type`, `unsupported rope type "${type}"; supported: default, linear, llama3`);
}

const FAMILY: Partial<Record<HfArchitecture, Family>> = {
  LlamaForCausalLM: "llama", MistralForCausalLM: "mistral", Qwen2ForCausalLM: "qwen2", Qwen3ForCausalLM: "qwen3",
  Gemma2ForCausalLM: "gemma2", Gemma3ForCausalLM: "gemma3", Phi3ForCausalLM: "phi3",
};

type LlamaLikeConfig = z.infer<typeof llamaLike>;

function specLlamaLike(arch: HfArchitecture, c: LlamaLikeConfig, fail: Fail): ModelSpec {
  const family = FAMILY[arch]!;
  const gemma = family === "gemma2" || family === "gemma3";
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % numKvHeads !== 0) {
    fail("num_key_value_heads", `${numKvHeads} does not divide num_attention_heads ${c.num_attention_heads}`);
  }
  // Gemma's configs default head_dim to 256 rather than hidden / heads
  const headDim = c.head_dim ?? (gemma ? 256 : c.hidden_size / c.num_attention_heads);
  if (!Number.isInteger(headDim)) {
    fail("num_attention_heads", `${c.num_attention_heads} does not divide hidden_size ${c.hidden_size}`);
  }
  if (headDim % 2 !== 0) fail("head_dim", `rotary embeddings need an even head dimension, got ${headDim}`);
  if ((c.partial_rotary_factor ?? 1) !== 1 || (c.rope_parameters?.partial_rotary_factor ?? 1) !== 1) {
    fail("partial_rotary_factor", `${c.partial_rotary_factor ?? c.rope_parameters?.partial_rotary_factor}: partial rotary embeddings are not supported (only 1)`);
  }
  const { theta, scaling, localRope } = family === "gemma3" ? gemma3Rope(c, fail) : llamaRope(c, fail);

  let slidingWindow: number | null = null;
  let slidingLayers: boolean[] | undefined;
  if (family === "mistral" || family === "phi3") slidingWindow = c.sliding_window ?? null;
  if ((family === "qwen2" || family === "qwen3") && c.use_sliding_window) {
    fail("use_sliding_window", `${arch === "Qwen2ForCausalLM" ? "Qwen2" : "Qwen3"} per-layer sliding window attention is not supported`);
  }
  if (family === "qwen3" && c.layer_types?.some((t) => t !== "full_attention")) {
    fail("layer_types", "Qwen3 sliding-window layers are not supported (only full_attention)");
  }
  if (gemma) {
    if (c.use_bidirectional_attention) fail("use_bidirectional_attention", "true: bidirectional attention is not supported (decoders only)");
    slidingWindow = c.sliding_window === undefined ? 4096 : c.sliding_window;
    slidingLayers = gemmaSlidingLayers(family, c, fail);
    if (slidingWindow === null || !slidingLayers.includes(true)) slidingLayers = undefined;
  }

  const biased = family === "llama" || family === "qwen3" || gemma ? (c.attention_bias ?? false) : false;
  const spec: ModelSpec = {
    architecture: arch,
    family,
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim,
    intermediateSize: c.intermediate_size,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    norm: { type: "rms", eps: c.rms_norm_eps, ...(gemma ? { offset: 1 as const } : {}) },
    normPlacement: "pre",
    finalNorm: true,
    activation: gemma
      ? activation(c.hidden_activation ?? "gelu_pytorch_tanh", "hidden_activation", fail)
      : activation(c.hidden_act ?? "silu", "hidden_act", fail),
    mlp: "gated",
    positions: { type: "rope", theta, scaling },
    tiedEmbeddings: c.tie_word_embeddings ?? gemma,
    bias: {
      qkv: family === "qwen2" ? true : family === "mistral" ? (c.attention_bias ?? false) : biased,
      o: biased,
      mlp: family === "llama" || family === "mistral" || family === "qwen2" ? (c.mlp_bias ?? false) : false,
    },
    slidingWindow,
    scaleAttnByInverseLayer: false,
    bosTokenId: firstId(c.bos_token_id),
    eosTokenIds: tokenIdList(c.eos_token_id),
    padTokenId: firstId(c.pad_token_id),
    dtype: storedDtype(c),
  };
  if (family === "qwen3" || family === "gemma3") spec.qkNorm = true;
  if (gemma) {
    spec.sandwichNorm = true;
    spec.embedScale = Math.fround(Math.sqrt(c.hidden_size));
    spec.attnScale = (c.query_pre_attn_scalar ?? 256) ** -0.5;
    // Gemma 2's defaults are 50 / 30; Gemma 3 has no attention soft-capping (HF ignores the field) and no default cap
    const attnCap = family === "gemma2" ? (c.attn_logit_softcapping === undefined ? 50 : c.attn_logit_softcapping) : null;
    const logitCap = c.final_logit_softcapping === undefined ? (family === "gemma2" ? 30 : null) : c.final_logit_softcapping;
    if (attnCap !== null) spec.attnSoftcap = attnCap;
    if (logitCap !== null) spec.logitSoftcap = logitCap;
    if (slidingLayers) spec.slidingLayers = slidingLayers;
    if (localRope) spec.localRope = localRope;
  }
  return spec;
}

/** transformers ≥ 5 writes rope_parameters {rope_theta, rope_type, ...}; 4.x writes rope_theta + rope_scaling. */
function llamaRope(c: LlamaLikeConfig, fail: Fail): { theta: number; scaling: RopeScaling; localRope?: undefined } {
  const theta = c.rope_parameters?.rope_theta ?? c.rope_theta ?? 10000;
  const scaling = c.rope_parameters
    ? ropeScaling(c.rope_parameters, "rope_parameters", fail)
    : ropeScaling(c.rope_scaling, "rope_scaling", fail);
  return { theta, scaling };
}

/**
 * Gemma 3: global layers use rope_theta (+ rope_scaling), sliding ones rope_local_base_freq without scaling
 * (4.x spelling), or rope_parameters.{full_attention, sliding_attention} (5.x).
 */
function gemma3Rope(c: LlamaLikeConfig, fail: Fail): { theta: number; scaling: RopeScaling; localRope: { theta: number; scaling: RopeScaling } } {
  const rp = c.rope_parameters as Record<string, unknown> | null | undefined;
  if (rp && ("full_attention" in rp || "sliding_attention" in rp)) {
    const part = (k: string) => {
      const r = ropeDict.safeParse(rp[k] ?? {});
      if (!r.success) fail(`rope_parameters.${k}`, r.error.issues[0].message);
      return r.data!;
    };
    const full = part("full_attention"), local = part("sliding_attention");
    return {
      theta: full.rope_theta ?? 1e6,
      scaling: ropeScaling(full, "rope_parameters.full_attention", fail),
      localRope: { theta: local.rope_theta ?? 1e4, scaling: ropeScaling(local, "rope_parameters.sliding_attention", fail) },
    };
  }
  return {
    theta: c.rope_theta ?? 1e6,
    scaling: ropeScaling(c.rope_scaling, "rope_scaling", fail),
    localRope: { theta: c.rope_local_base_freq ?? 1e4, scaling: { type: "none" } },
  };
}

/** Gemma 2 alternates sliding (even layers) and global; Gemma 3 has one global layer every sliding_window_pattern. */
function gemmaSlidingLayers(family: Family, c: LlamaLikeConfig, fail: Fail): boolean[] {
  const n = c.num_hidden_layers;
  if (n > 100_000) fail("num_hidden_layers", `${n}: implausibly many layers (a per-layer attention pattern is built)`);
  if (c.layer_types) {
    if (c.layer_types.length !== n) fail("layer_types", `${c.layer_types.length} entries for ${n} layers`);
    return c.layer_types.map((t, i) =>
      t === "sliding_attention" ? true : t === "full_attention" ? false
        : fail(`layer_types.${i}`, `unsupported layer type "${t}"; supported: sliding_attention, full_attention`));
  }
  const pattern = family === "gemma2" ? 2 : (c.sliding_window_pattern ?? 6);
  return Array.from({ length: n }, (_, i) => (i + 1) % pattern !== 0);
}

function specOpt(c: z.infer<typeof opt>, fail: Fail): ModelSpec {
  if (c.word_embed_proj_dim !== undefined && c.word_embed_proj_dim !== c.hidden_size) {
    fail("word_embed_proj_dim", `${c.word_embed_proj_dim} ≠ hidden_size ${c.hidden_size}: OPT input/output projections are not supported`);
  }
  if (c.layer_norm_elementwise_affine === false) {
    fail("layer_norm_elementwise_affine", "layer norms without weights are not supported");
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    fail("num_attention_heads", `${c.num_attention_heads} does not divide hidden_size ${c.hidden_size}`);
  }
  const pre = c.do_layer_norm_before ?? true;
  const bias = c.enable_bias ?? true;
  return {
    architecture: "OPTForCausalLM",
    family: "opt",
    hiddenSize: c.hidden_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads: c.num_attention_heads,
    headDim: c.hidden_size / c.num_attention_heads,
    intermediateSize: c.ffn_dim,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    norm: { type: "layer", eps: 1e-5 }, // OPT uses nn.LayerNorm's default eps; config has no field
    normPlacement: pre ? "pre" : "post",
    finalNorm: pre && !(c._remove_final_layer_norm ?? false),
    activation: activation(c.activation_function ?? "relu", "activation_function", fail),
    mlp: "plain",
    positions: { type: "learned", offset: 2 },
    tiedEmbeddings: c.tie_word_embeddings ?? true,
    bias: { qkv: bias, o: bias, mlp: bias },
    slidingWindow: null,
    scaleAttnByInverseLayer: false,
    bosTokenId: firstId(c.bos_token_id),
    eosTokenIds: tokenIdList(c.eos_token_id),
    padTokenId: firstId(c.pad_token_id),
    dtype: storedDtype(c),
  };
}

function specGpt2(c: z.infer<typeof gpt2>, fail: Fail): ModelSpec {
  if (c.n_embd % c.n_head !== 0) fail("n_head", `${c.n_head} does not divide n_embd ${c.n_embd}`);
  if (c.scale_attn_weights === false) fail("scale_attn_weights", "unscaled attention is not supported");
  if (c.add_cross_attention) fail("add_cross_attention", "cross-attention is not supported");
  return {
    architecture: "GPT2LMHeadModel",
    family: "gpt2",
    hiddenSize: c.n_embd,
    numLayers: c.n_layer,
    numHeads: c.n_head,
    numKvHeads: c.n_head,
    headDim: c.n_embd / c.n_head,
    intermediateSize: c.n_inner ?? 4 * c.n_embd,
    vocabSize: c.vocab_size,
    maxPositions: c.n_positions,
    norm: { type: "layer", eps: c.layer_norm_epsilon ?? 1e-5 },
    normPlacement: "pre",
    finalNorm: true,
    activation: activation(c.activation_function ?? "gelu_new", "activation_function", fail),
    mlp: "plain",
    positions: { type: "learned", offset: 0 },
    tiedEmbeddings: c.tie_word_embeddings ?? true,
    bias: { qkv: true, o: true, mlp: true },
    slidingWindow: null,
    scaleAttnByInverseLayer: c.scale_attn_by_inverse_layer_idx ?? false,
    bosTokenId: firstId(c.bos_token_id),
    eosTokenIds: tokenIdList(c.eos_token_id),
    padTokenId: firstId(c.pad_token_id),
    dtype: storedDtype(c),
  };
}

/** Number of parameters the spec implies (tied embeddings counted once). */
export function parameterCount(s: ModelSpec): number {
  const h = s.hiddenSize;
  const q = s.numHeads * s.headDim;
  const kv = s.numKvHeads * s.headDim;
  const norm = s.norm.type === "layer" ? 2 * h : h;
  let layer = h * q + 2 * h * kv + q * h + (s.sandwichNorm ? 4 : 2) * norm;
  if (s.qkNorm) layer += 2 * s.headDim;
  if (s.bias.qkv) layer += q + 2 * kv;
  if (s.bias.o) layer += h;
  const mats = s.mlp === "gated" ? 3 : 2;
  layer += mats * h * s.intermediateSize;
  if (s.bias.mlp) layer += (mats - 1) * s.intermediateSize + h;
  let total = s.numLayers * layer + s.vocabSize * h;
  if (!s.tiedEmbeddings) total += s.vocabSize * h;
  if (s.finalNorm) total += norm;
  if (s.positions.type === "learned") total += (s.maxPositions + s.positions.offset) * h;
  return total;
}

/**
 * Bytes the weights take at `bytesPerValue` (4 for f32 on the GPU): what a runtime checks against its memory
 * and binding limits before uploading, to fail up front with the number rather than part-way.
 */
export function weightBytes(s: ModelSpec, bytesPerValue = 4): number {
  return parameterCount(s) * bytesPerValue;
}

/** A short human-readable id, e.g. "llama-h4096-l32-a32-kv8-v128256". */
export function modelSpecId(s: ModelSpec): string {
  return `${s.family}-h${s.hiddenSize}-l${s.numLayers}-a${s.numHeads}-kv${s.numKvHeads}-v${s.vocabSize}`;
}

/** sha256 (hex, 16 chars) of the spec as canonical JSON (sorted keys): equal specs, equal hashes. */
export function modelSpecHash(s: ModelSpec): string {
  return createHash("sha256").update(canonicalJson(s)).digest("hex").slice(0, 16);
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
