/**
 * ONNX export of a Llama-architecture decoder (Llama, Mistral, Qwen2: RMSNorm, rope, GQA, SwiGLU) with a KV
 * cache, as onnxruntime (and onnxruntime-web) run it:
 *
 *   inputs   input_ids int64 [batch, seq]; attention_mask int64 [batch, past + seq];
 *            position_ids int64 [batch, seq]; past_key_values.{i}.{key,value} float32 [batch, kvHeads, past, headDim]
 *   outputs  logits float32 [batch, seq, vocab]; present.{i}.{key,value} float32 [batch, kvHeads, past + seq, headDim]
 *
 * The same contract as Optimum's / ORT GenAI's decoder exports (`past` = 0 on the first call). Built from standard
 * ONNX ops (opset 17) plus `com.microsoft.MatMulNBits` for 4-bit grouped linear weights (see packed4.ts). Keys are
 * stored after rope. The protobuf is written with `onnx-proto` (protobufjs code generated from onnx.proto).
 *
 * Limits: one protobuf file (no external data), so models up to ~2 GB of weights; positions beyond
 * `max_position_embeddings` are outside the rope table (onnxruntime reports an index error).
 */
import onnxProto from "onnx-proto";
import type { ModelSpec } from "../model/config.js";
import { openModel } from "../model/load.js";
import { ropeInverseFrequencies } from "../model/reference-forward.js";
import type { LinearName } from "../model/weights.js";
import { type Packed4Weight, checkPacked4, packed4Bytes, quantizeRtn4 } from "./packed4.js";

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttr = onnxProto.onnx.IAttributeProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;

export const SUPPORTED_EXPORT_ARCHITECTURES = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"] as const;

export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxExportError";
  }
}

export interface ExportOptions {
  /** 32 (default): f32 weights; 4: every linear (and an untied LM head) as MatMulNBits */
  bits?: 4 | 32;
  /** group size for the stand-in RTN quantizer when `packed` gives nothing (default 128) */
  groupSize?: number;
  /**
   * The packed 4-bit weight of a linear, by canonical name without ".weight" ("layers.3.q", "lm_head"), as the
   * quantization step produced it. Absent (or returning undefined): the stand-in `quantizeRtn4` is used.
   */
  packed?: (name: string) => Packed4Weight | undefined;
  /** quantize an untied LM head too (default true) */
  quantizeLmHead?: boolean;
  /**
   * 4-bit only: store the token embedding as a packed 4-bit table too (default false: f32 Gather). The input side
   * gathers packed rows and dequantizes them with standard ops (Cast, Floor, Sub, Mul); a tied LM head is then
   * MatMulNBits on the same table, so it is stored once. Packed weight name "embed" (`packed("embed")` or RTN).
   */
  quantizeEmbedding?: boolean;
  /** group size of the stand-in RTN for the embedding (default: groupSize) */
  embeddingGroupSize?: number;
}

export interface ExportResult {
  bytes: Uint8Array;
  /** the packed weights in the file, by canonical name ("layers.0.q", "lm_head"), for dequantized cross-checks */
  packed: Map<string, Packed4Weight>;
  /** bytes of weights by kind, as written */
  weightBytes: { f32: number; packed4: number };
}

/** Throws an OnnxExportError listing what is supported when `spec` is not exportable. */
export function checkExportable(spec: ModelSpec): void {
  if (!(SUPPORTED_EXPORT_ARCHITECTURES as readonly string[]).includes(spec.architecture)) {
    throw new OnnxExportError(
      `ONNX export: unsupported architecture "${spec.architecture}"; supported: ${SUPPORTED_EXPORT_ARCHITECTURES.join(", ")} ` +
        `(RMSNorm, rope, grouped-query attention, SwiGLU; dense, pruned or 4-bit grouped weights)`,
    );
  }
  if (spec.norm.type !== "rms" || spec.mlp !== "gated" || spec.positions.type !== "rope" || spec.normPlacement !== "pre" || spec.activation !== "silu") {
    throw new OnnxExportError(
      `ONNX export: ${spec.architecture} with norm ${spec.norm.type}, mlp ${spec.mlp}, activation ${spec.activation}, positions ${spec.positions.type} ` +
        `is not supported; supported: pre-norm RMSNorm, gated SiLU MLP, rope`,
    );
  }
}

const F32 = 1;
const U8 = 2;
const I64 = 7;
const BOOL = 9;

class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private n = 0;
  f32Bytes = 0;
  packedBytes = 0;

  fresh(hint: string): string {
    return `${hint}_${this.n++}`;
  }

  node(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, opts: { out?: string; domain?: string } = {}): string {
    const out = opts.out ?? this.fresh(op.toLowerCase());
    const attribute: IAttr[] = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === "string") return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
      if (Number.isInteger(v) && !(name === "epsilon" || name === "alpha")) return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
      return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v };
    });
    this.nodes.push({ opType: op, input: inputs, output: [out], name: this.fresh(`n_${op}`), attribute, domain: opts.domain ?? "" });
    return out;
  }

  tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType, dims, rawData: raw });
    if (dataType === F32 && dims.length >= 1 && raw.byteLength > 64) this.f32Bytes += raw.byteLength;
    return name;
  }

  i64(values: number[], scalar = false): string {
    return this.tensor(this.fresh("c_i64"), I64, scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  f32(values: number[], scalar = false): string {
    return this.tensor(this.fresh("c_f32"), F32, scalar ? [] : [values.length], Float32Array.from(values));
  }
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): IValueInfo {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/**
 * Builds the ONNX model. `weight(name)` returns a canonical f32 tensor (`CheckpointWeights.get`), asked for one
 * at a time.
 */
export async function exportOnnx(spec: ModelSpec, weight: (name: string) => Promise<Float32Array>, opts: ExportOptions = {}): Promise<ExportResult> {
  checkExportable(spec);
  const bits = opts.bits ?? 32;
  if (bits !== 4 && bits !== 32) throw new OnnxExportError(`ONNX export: --bits ${bits} is not supported; supported: 32 (f32), 4 (MatMulNBits)`);
  const groupSize = opts.groupSize ?? 128;
  const { hiddenSize: H, numHeads: nH, numKvHeads: KV, headDim: D, vocabSize: V, numLayers: L } = spec;
  const g = new GraphBuilder();
  const packedOut = new Map<string, Packed4Weight>();

  // Shapes and the attention bias [batch, 1, seq, past + seq], shared by all layers.
  const shapeIds = g.node("Shape", ["input_ids"]);
  const S1 = g.node("Slice", [shapeIds, g.i64([1]), g.i64([2])]);
  const P1 = g.node("Slice", [g.node("Shape", ["past_key_values.0.key"]), g.i64([2]), g.i64([3])]);
  const T1 = g.node("Add", [P1, S1]);
  const axis0 = g.i64([0]);
  const Ts = g.node("Squeeze", [T1, axis0]);
  const Ps = g.node("Squeeze", [P1, axis0]);
  const zero = g.i64([0], true);
  const one = g.i64([1], true);
  const kRow = g.node("Unsqueeze", [g.node("Range", [zero, Ts, one]), g.i64([0])]); // [1, T]
  const qCol = g.node("Unsqueeze", [g.node("Range", [Ps, Ts, one]), g.i64([1])]); // [S, 1]
  let allowed = g.node("LessOrEqual", [kRow, qCol]); // [S, T]
  if (spec.slidingWindow !== null) {
    // as the reference: query at index t sees key j only when t - j < window
    allowed = g.node("And", [allowed, g.node("Less", [g.node("Sub", [qCol, kRow]), g.i64([spec.slidingWindow], true)])]);
  }
  const padOk = g.node("Unsqueeze", [g.node("Cast", ["attention_mask"], { to: BOOL }), g.i64([1, 2])]); // [B,1,1,T]
  allowed = g.node("And", [allowed, padOk]); // [B, 1, S, T]
  const attnBias = g.node("Where", [allowed, g.f32([0], true), g.f32([-1e30], true)]);

  // Rope tables [maxPositions, D/2] computed as the reference does (f32 angles), gathered by position_ids.
  const inv = ropeInverseFrequencies(spec);
  const P = spec.maxPositions;
  const cosT = new Float32Array(P * (D / 2));
  const sinT = new Float32Array(P * (D / 2));
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < D / 2; i++) {
      const angle = Math.fround(inv[i] * p);
      cosT[p * (D / 2) + i] = Math.cos(angle);
      sinT[p * (D / 2) + i] = Math.sin(angle);
    }
  }
  const ropeTable = (t: string) => {
    const half = g.node("Gather", [t, "position_ids"], { axis: 0 }); // [B, S, D/2]
    return g.node("Unsqueeze", [g.node("Concat", [half, half], { axis: -1 }), g.i64([1])]); // [B, 1, S, D]
  };
  const cos = ropeTable(g.tensor("rope.cos", F32, [P, D / 2], cosT));
  const sin = ropeTable(g.tensor("rope.sin", F32, [P, D / 2], sinT));
  const firstHalf = [g.i64([0]), g.i64([D / 2]), g.i64([3])];
  const secondHalf = [g.i64([D / 2]), g.i64([D]), g.i64([3])];
  const rope = (x: string) => {
    const x1 = g.node("Slice", [x, ...firstHalf]);
    const x2 = g.node("Slice", [x, ...secondHalf]);
    const rot = g.node("Concat", [g.node("Neg", [x2]), x1], { axis: 3 });
    return g.node("Add", [g.node("Mul", [x, cos]), g.node("Mul", [rot, sin])]);
  };

  const rms = async (x: string, name: string) => {
    const w = g.tensor(`${name}.weight`, F32, [H], await weight(`${name}.weight`));
    const ms = g.node("ReduceMean", [g.node("Mul", [x, x])], { axes: [-1], keepdims: 1 });
    const denom = g.node("Sqrt", [g.node("Add", [ms, g.f32([spec.norm.eps], true)])]);
    return g.node("Mul", [g.node("Div", [x, denom]), w]);
  };

  const packedFor = (name: string, w: Float32Array, N: number, K: number): Packed4Weight => {
    const p = opts.packed?.(name) ?? quantizeRtn4(w, N, K, groupSize);
    if (p.N !== N || p.K !== K) throw new OnnxExportError(`ONNX export: packed weight "${name}" is [${p.N}, ${p.K}], the model needs [${N}, ${K}]`);
    checkPacked4(p, `packed weight "${name}"`);
    return p;
  };

  const matmul4 = (x: string, name: string, p: Packed4Weight) => {
    packedOut.set(name, p);
    const blocks = Math.ceil(p.K / p.groupSize);
    const q = g.tensor(`${name}.q4`, U8, [p.N, blocks, p.groupSize / 2], p.q);
    const sc = g.tensor(`${name}.scales`, F32, [p.N * blocks], p.scales);
    const zp = g.tensor(`${name}.zero_points`, U8, [p.zeroPoints.length], p.zeroPoints);
    g.packedBytes += packed4Bytes(p);
    return g.node("MatMulNBits", [x, q, sc, zp], { K: p.K, N: p.N, bits: 4, block_size: p.groupSize }, { domain: "com.microsoft" });
  };

  const linear = async (x: string, layer: number, name: LinearName, N: number, K: number) => {
    const base = `layers.${layer}.${name}`;
    const w = await weight(`${base}.weight`);
    const y = bits === 4 ? matmul4(x, base, packedFor(base, w, N, K)) : g.node("MatMul", [x, g.tensor(`${base}.weight_t`, F32, [K, N], transpose(w, N, K))]);
    const hasBias = name === "o" ? spec.bias.o : name === "q" || name === "k" || name === "v" ? spec.bias.qkv : spec.bias.mlp;
    return hasBias ? g.node("Add", [y, g.tensor(`${base}.bias`, F32, [N], await weight(`${base}.bias`))]) : y;
  };

  const heads = (x: string, n: number) => g.node("Transpose", [g.node("Reshape", [x, g.i64([0, 0, n, D])])], { perm: [0, 2, 1, 3] });
  const scale = g.f32([1 / Math.sqrt(D)], true);
  const kvShape = g.i64([0, KV, -1, D]);
  const byHead = g.i64([0, nH, -1, 0]);
  const byKv = g.i64([0, KV, -1, 0]);

  // The token embedding: an f32 table, or (quantizeEmbedding) a packed 4-bit one whose gathered rows are unpacked
  // with standard ops: byte b → low nibble b − 16·floor(b/16), high nibble floor(b/16); (level − zero)·scale in f32,
  // exactly as dequantize4 computes it.
  let embedPacked: Packed4Weight | null = null;
  let x: string;
  if (bits === 4 && opts.quantizeEmbedding) {
    const w = await weight("embed");
    const p = opts.packed?.("embed") ?? quantizeRtn4(w, V, H, opts.embeddingGroupSize ?? groupSize);
    if (p.N !== V || p.K !== H) throw new OnnxExportError(`ONNX export: packed weight "embed" is [${p.N}, ${p.K}], the model needs [${V}, ${H}]`);
    checkPacked4(p, 'packed weight "embed"');
    embedPacked = p;
    packedOut.set("embed", p);
    const blocks = Math.ceil(H / p.groupSize);
    const zb = Math.ceil(blocks / 2);
    g.tensor("embed.q4", U8, [V, blocks, p.groupSize / 2], p.q);
    g.tensor("embed.scales", F32, [V * blocks], p.scales);
    g.tensor("embed.zero_points", U8, [p.zeroPoints.length], p.zeroPoints);
    g.packedBytes += packed4Bytes(p);
    const sixteen = g.f32([16], true);
    const nibbles = (bytesU8: string) => {
      const b = g.node("Cast", [bytesU8], { to: F32 });
      const hi = g.node("Floor", [g.node("Div", [b, sixteen])]);
      const lo = g.node("Sub", [b, g.node("Mul", [hi, sixteen])]);
      const last = g.i64([-1]);
      return g.node("Concat", [g.node("Unsqueeze", [lo, last]), g.node("Unsqueeze", [hi, last])], { axis: -1 }); // [..., n, 2]
    };
    const levels = g.node("Reshape", [nibbles(g.node("Gather", ["embed.q4", "input_ids"], { axis: 0 })), g.i64([0, 0, blocks, p.groupSize])]); // [B, S, blocks, G]
    const zpRows = g.node("Reshape", ["embed.zero_points", g.i64([V, zb])]);
    const zeros = g.node("Reshape", [nibbles(g.node("Gather", [zpRows, "input_ids"], { axis: 0 })), g.i64([0, 0, 2 * zb])]); // [B, S, 2·zb]
    const zero = g.node("Unsqueeze", [g.node("Slice", [zeros, g.i64([0]), g.i64([blocks]), g.i64([2])]), g.i64([-1])]); // [B, S, blocks, 1]
    const scRows = g.node("Reshape", ["embed.scales", g.i64([V, blocks])]);
    const sc = g.node("Unsqueeze", [g.node("Gather", [scRows, "input_ids"], { axis: 0 }), g.i64([-1])]); // [B, S, blocks, 1]
    const deq = g.node("Reshape", [g.node("Mul", [g.node("Sub", [levels, zero]), sc]), g.i64([0, 0, blocks * p.groupSize])]);
    x = blocks * p.groupSize === H ? deq : g.node("Slice", [deq, g.i64([0]), g.i64([H]), g.i64([2])]);
  } else {
    x = g.node("Gather", [g.tensor("embed", F32, [V, H], await weight("embed")), "input_ids"], { axis: 0 });
  }
  for (let l = 0; l < L; l++) {
    const a = await rms(x, `layers.${l}.attn_norm`);
    const q = rope(heads(await linear(a, l, "q", nH * D, H), nH)); // [B, nH, S, D]
    const k = rope(heads(await linear(a, l, "k", KV * D, H), KV)); // [B, KV, S, D]
    const v = heads(await linear(a, l, "v", KV * D, H), KV);
    const keys = g.node("Concat", [`past_key_values.${l}.key`, k], { axis: 2 }, { out: `present.${l}.key` });
    const values = g.node("Concat", [`past_key_values.${l}.value`, v], { axis: 2 }, { out: `present.${l}.value` });
    // Grouped-query attention without repeating keys: the nH/KV query heads of one kv head are consecutive,
    // so [B, nH, S, D] → [B, KV, (nH/KV)·S, D] meets keys [B, KV, T, D] in one batched MatMul.
    const qg = g.node("Reshape", [g.node("Mul", [q, scale]), kvShape]);
    let scores = g.node("MatMul", [qg, g.node("Transpose", [keys], { perm: [0, 1, 3, 2] })]); // [B, KV, gS, T]
    scores = g.node("Add", [g.node("Reshape", [scores, byHead]), attnBias]); // [B, nH, S, T]
    const probs = g.node("Reshape", [g.node("Softmax", [scores], { axis: -1 }), byKv]);
    const ctx = g.node("Reshape", [g.node("MatMul", [probs, values]), g.i64([0, nH, -1, D])]); // [B, nH, S, D]
    const merged = g.node("Reshape", [g.node("Transpose", [ctx], { perm: [0, 2, 1, 3] }), g.i64([0, 0, nH * D])]);
    x = g.node("Add", [x, await linear(merged, l, "o", H, nH * D)]);
    const m = await rms(x, `layers.${l}.mlp_norm`);
    const gate = await linear(m, l, "gate", spec.intermediateSize, H);
    const up = await linear(m, l, "up", spec.intermediateSize, H);
    const act = g.node("Mul", [g.node("Mul", [gate, g.node("Sigmoid", [gate])]), up]);
    x = g.node("Add", [x, await linear(act, l, "down", H, spec.intermediateSize)]);
  }
  x = await rms(x, "final_norm");
  if (spec.tiedEmbeddings && embedPacked) {
    // the tied LM head on the packed embedding table (the same initializers)
    const p = embedPacked;
    const lg = g.node("MatMulNBits", [x, "embed.q4", "embed.scales", "embed.zero_points"], { K: p.K, N: p.N, bits: 4, block_size: p.groupSize }, { domain: "com.microsoft" });
    g.node("Identity", [lg], {}, { out: "logits" });
  } else if (spec.tiedEmbeddings) {
    // logits = x · embedᵀ through Gemm(transB) on [B·S, H], so the tied table is stored once
    const flat = g.node("Reshape", [x, g.i64([-1, H])]);
    const lg = g.node("Gemm", [flat, "embed"], { transB: 1 });
    const outShape = g.node("Concat", [g.node("Slice", [shapeIds, g.i64([0]), g.i64([2])]), g.i64([V])], { axis: 0 });
    g.node("Reshape", [lg, outShape], {}, { out: "logits" });
  } else {
    const w = await weight("lm_head");
    const y =
      bits === 4 && (opts.quantizeLmHead ?? true)
        ? matmul4(x, "lm_head", packedFor("lm_head", w, V, H))
        : g.node("MatMul", [x, g.tensor("lm_head_t", F32, [H, V], transpose(w, V, H))]);
    g.node("Identity", [y], {}, { out: "logits" });
  }

  const inputs: IValueInfo[] = [
    valueInfo("input_ids", I64, ["batch_size", "sequence_length"]),
    valueInfo("attention_mask", I64, ["batch_size", "total_sequence_length"]),
    valueInfo("position_ids", I64, ["batch_size", "sequence_length"]),
  ];
  const outputs: IValueInfo[] = [valueInfo("logits", F32, ["batch_size", "sequence_length", V])];
  for (let l = 0; l < L; l++) {
    for (const kind of ["key", "value"]) {
      inputs.push(valueInfo(`past_key_values.${l}.${kind}`, F32, ["batch_size", KV, "past_sequence_length", D]));
      outputs.push(valueInfo(`present.${l}.${kind}`, F32, ["batch_size", KV, "total_sequence_length", D]));
    }
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "kick",
    producerVersion: "0.1.0",
    opsetImport: [
      { domain: "", version: 17 },
      { domain: "com.microsoft", version: 1 },
    ],
    metadataProps: [
      { key: "kick.architecture", value: spec.architecture },
      { key: "kick.bits", value: String(bits) },
      { key: "kick.group_size", value: bits === 4 ? String(groupSize) : "" },
      { key: "kick.embedding", value: embedPacked ? `4-bit group ${embedPacked.groupSize}` : "f32" },
      { key: "kick.spec", value: JSON.stringify(spec) },
    ],
    graph: { name: `kick_${spec.family}_decoder`, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  if (bytes.byteLength > 2 ** 31 - 1) throw new OnnxExportError(`ONNX export: ${bytes.byteLength} bytes exceed protobuf's 2 GB limit (external data is not supported yet)`);
  return { bytes, packed: packedOut, weightBytes: { f32: g.f32Bytes, packed4: g.packedBytes } };
}

/** Exports a Hugging Face checkpoint directory (validated by openModel first). */
export async function exportOnnxFromDir(dir: string, opts: ExportOptions = {}): Promise<ExportResult & { spec: ModelSpec }> {
  const { spec, weights } = await openModel(dir);
  try {
    checkExportable(spec);
    const result = await exportOnnx(spec, (name) => weights.get(name === "lm_head" ? "lm_head" : name), opts);
    return { ...result, spec };
  } finally {
    await weights.close();
  }
}
