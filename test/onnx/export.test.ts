// The ONNX export cross-checked in Node: onnxruntime-web (wasm EP) runs the exported decoder and its logits are
// compared with HF transformers' (fixture logits, float64 HF run) and with kick's reference forward — dense, and
// 4-bit MatMulNBits against the reference forward on the dequantized weights — at every position, on a
// left-padded batch, through the KV cache; greedy continuations equal HF's / kick's. Sizes: 4-bit ≤ 0.35× f32.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parameterCount, parseModelConfig, readModelSpec } from "../../loaders/model/config.js";
import type { ModelSpec } from "../../loaders/model/config.js";
import { greedyGenerate, mulberry32 } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import type { WeightMap } from "../../loaders/model/reference-forward.js";
import { OnnxExportError, exportOnnx, exportOnnxFromDir } from "../../loaders/onnx/export.js";
import { type Packed4Weight, dequantize4, quantizeRtn4 } from "../../loaders/onnx/packed4.js";
import { OnnxCausalLM } from "../../loaders/onnx/session.js";
import { modelDir, readReference, readReferenceLogits } from "../model/fixtures.js";

/** Dense tolerance: ORT f32 vs f64 references; HF's own f32-vs-f64 gap on these fixtures is ~7e-6. */
const TOL_DENSE = 1e-4;
/** 4-bit vs kick's f64 forward on the dequantized weights: the same arithmetic up to f32 rounding. */
const TOL_Q4 = 1e-4;

/** worst |diff| seen per test, printed at the end of each (observed numbers for docs/onnx.md) */
let worst = 0;
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  worst = Math.max(worst, d);
  return d;
}
beforeEach(() => {
  worst = 0;
});
afterEach((ctx) => {
  if (worst > 0) console.log(`${ctx.task.name}: max |logit diff| ${worst.toExponential(2)}`);
});

/** The weights kick's forward must run to match the 4-bit file: every packed linear dequantized. */
function dequantizedWeights(weights: WeightMap, packed: Map<string, Packed4Weight>): WeightMap {
  const out = new Map(weights);
  for (const [name, p] of packed) out.set(name === "lm_head" || name === "embed" ? name : `${name}.weight`, dequantize4(p));
  return out;
}

describe("dense export vs HF transformers and kick's reference forward", () => {
  for (const name of ["llama", "llama3-rope", "mistral", "qwen2"]) {
    it(`${name}: logits at every position (prompts, left-padded batch), KV-cache steps, greedy = HF`, async () => {
      const dir = modelDir(name);
      const { bytes, spec } = await exportOnnxFromDir(dir);
      const ort = await OnnxCausalLM.create(bytes, spec);
      const { model: ref } = await loadReferenceModel(dir);
      const refJson = readReference(name);
      const hf = await readReferenceLogits(name);
      for (const [i, p] of refJson.prompts.entries()) {
        const lg = await ort.forward({ ids: [p.ids] });
        expect(maxAbsDiff(lg.data, hf.get(`prompt${i}`)!)).toBeLessThan(TOL_DENSE);
        expect(maxAbsDiff(lg.data, (await ref.forward({ ids: [p.ids] })).data)).toBeLessThan(TOL_DENSE);
        // generate.ts drives the KV cache (startDecode): prompt, then one token per step
        expect(await greedyGenerate(ort, p.ids, { maxNewTokens: p.greedy.length })).toEqual(p.greedy);
      }
      // left-padded batch: compare real-token positions only (padding logits are unspecified)
      const { ids, attention_mask: mask } = refJson.batch;
      const lg = await ort.forward({ ids, attentionMask: mask });
      const want = hf.get("batch")!;
      const V = spec.vocabSize;
      let d = 0;
      mask.forEach((row, b) =>
        row.forEach((m, t) => {
          if (!m) return;
          const o = (b * row.length + t) * V;
          d = Math.max(d, maxAbsDiff(lg.data.subarray(o, o + V), want.subarray(o, o + V)));
        }),
      );
      expect(d).toBeLessThan(TOL_DENSE);
      // explicit cache step: prompt minus its last 3 tokens, then those 3 at once, then 1 — vs full forward
      const p = refJson.prompts[0].ids;
      const full = await ref.forward({ ids: [p] });
      const first = await ort.run([p.slice(0, -3)], [p.slice(0, -3).map(() => 1)], [p.slice(0, -3).map((_, j) => j)]);
      const n = p.length;
      const second = await ort.run([p.slice(n - 3, n - 1)], [p.slice(0, n - 1).map(() => 1)], [[n - 3, n - 2]], first.present);
      const third = await ort.run([p.slice(n - 1)], [p.map(() => 1)], [[n - 1]], second.present);
      expect(third.present["past_key_values.0.key"].dims).toEqual([1, spec.numKvHeads, n, spec.headDim]);
      const stepLogits = [...(first.logits.data as Float32Array), ...(second.logits.data as Float32Array), ...(third.logits.data as Float32Array)];
      expect(maxAbsDiff(stepLogits, full.data)).toBeLessThan(TOL_DENSE);
      await ort.release();
    });
  }
});

describe("4-bit MatMulNBits export vs kick's forward on the dequantized weights", () => {
  for (const [name, group] of [
    ["llama", 32],
    ["qwen2", 32],
    ["mistral", 128],
  ] as const) {
    it(`${name}, group ${group}: logits at every position and greedy generation equal`, async () => {
      const dir = modelDir(name);
      const { bytes, spec, packed } = await exportOnnxFromDir(dir, { bits: 4, groupSize: group });
      const ort = await OnnxCausalLM.create(bytes, spec);
      const { model: ref } = await loadReferenceModel(dir);
      const linears = spec.numLayers * 7 + (spec.tiedEmbeddings ? 0 : 1);
      expect(packed.size).toBe(linears);
      const deq = new ReferenceModel(spec, dequantizedWeights(ref.weights, packed));
      // the dequantized model really differs from the dense one (else this test could not fail)
      const ids = readReference(name).prompts.map((p) => p.ids);
      const dense = await ref.forward({ ids: [ids[0]] });
      const want = await deq.forward({ ids: [ids[0]] });
      const gap = maxAbsDiff(dense.data, want.data);
      worst = 0;
      console.log(`${name} group ${group}: dequantized vs dense max |logit diff| ${gap.toExponential(2)}`);
      expect(gap).toBeGreaterThan(1e-2);
      for (const p of ids) {
        const got = await ort.forward({ ids: [p] });
        expect(maxAbsDiff(got.data, (await deq.forward({ ids: [p] })).data)).toBeLessThan(TOL_Q4);
        expect(await greedyGenerate(ort, p, { maxNewTokens: 8 })).toEqual(await greedyGenerate(deq, p, { maxNewTokens: 8 }));
      }
      await ort.release();
    });
  }

  for (const [name, group] of [
    ["qwen2", 16],
    ["llama", 32],
  ] as const) {
    it(`${name}: a packed 4-bit embedding (quantizeEmbedding, group ${group}; ${name === "qwen2" ? "tied: the LM head is MatMulNBits on the same table" : "untied head quantized too"})`, async () => {
      const dir = modelDir(name);
      const { bytes, spec, packed } = await exportOnnxFromDir(dir, { bits: 4, groupSize: 32, quantizeEmbedding: true, embeddingGroupSize: group });
      expect(packed.get("embed")?.groupSize).toBe(group);
      expect(packed.size).toBe(spec.numLayers * 7 + 1 + (spec.tiedEmbeddings ? 0 : 1));
      const plain = await exportOnnxFromDir(dir, { bits: 4, groupSize: 32 });
      expect(bytes.byteLength).toBeLessThan(plain.bytes.byteLength);
      const ort = await OnnxCausalLM.create(bytes, spec);
      const { model: ref } = await loadReferenceModel(dir);
      const deq = new ReferenceModel(spec, dequantizedWeights(ref.weights, packed));
      for (const p of readReference(name).prompts.map((x) => x.ids)) {
        expect(maxAbsDiff((await ort.forward({ ids: [p] })).data, (await deq.forward({ ids: [p] })).data)).toBeLessThan(TOL_Q4);
        expect(await greedyGenerate(ort, p, { maxNewTokens: 8 })).toEqual(await greedyGenerate(deq, p, { maxNewTokens: 8 }));
      }
      await ort.release();
    });
  }

  it("takes packed weights from the caller (the quantization issue's interface) and uses them verbatim", async () => {
    const dir = modelDir("llama");
    const { model: ref } = await loadReferenceModel(dir);
    const spec = ref.spec;
    // a caller-made layout: symmetric 4-bit (zero point 8) for layer 0's q, the stand-in RTN for the rest
    const w = ref.weights.get("layers.0.q.weight")!;
    const K = spec.hiddenSize;
    const N = spec.numHeads * spec.headDim;
    const sym = quantizeRtn4(w, N, K, 32);
    sym.zeroPoints.fill(0x88);
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
      const s = Math.fround(amax / 7 || 1);
      sym.scales[n] = s;
      sym.q.fill(0, (n * K) / 2, ((n + 1) * K) / 2);
      for (let k = 0; k < K; k++) sym.q[(n * K + k) >> 1] |= Math.min(15, Math.max(0, Math.round(w[n * K + k] / s) + 8)) << ((k & 1) * 4);
    }
    const { bytes, packed } = await exportOnnxFromDir(dir, { bits: 4, groupSize: 32, packed: (n) => (n === "layers.0.q" ? sym : undefined) });
    expect(packed.get("layers.0.q")).toBe(sym);
    const ort = await OnnxCausalLM.create(bytes, spec);
    const deq = new ReferenceModel(spec, dequantizedWeights(ref.weights, packed));
    const p = readReference("llama").prompts[1].ids;
    expect(maxAbsDiff((await ort.forward({ ids: [p] })).data, (await deq.forward({ ids: [p] })).data)).toBeLessThan(TOL_Q4);
    await ort.release();
  });
});

describe("sizes", () => {
  it("a 4-bit file is ≤ 0.35× the f32 file (group 128; embeddings stay f32), tied and untied", async () => {
    const base = readModelSpec(modelDir("llama"));
    for (const tied of [false, true]) {
      const spec: ModelSpec = parseModelConfig({
        architectures: ["LlamaForCausalLM"],
        hidden_size: 256,
        intermediate_size: 768,
        num_hidden_layers: 4,
        num_attention_heads: 8,
        num_key_value_heads: 4,
        max_position_embeddings: 256,
        rms_norm_eps: 1e-6,
        vocab_size: base.vocabSize,
        tie_word_embeddings: tied,
      });
      const rand = mulberry32(tied ? 2 : 1);
      const cache = new Map<string, Float32Array>();
      const weight = async (name: string) => {
        if (!cache.has(name)) {
          const size = name.endsWith("norm.weight") ? spec.hiddenSize : weightSize(spec, name);
          cache.set(name, Float32Array.from({ length: size }, () => (name.endsWith("norm.weight") ? 1 : (rand() - 0.5) * 0.1)));
        }
        return cache.get(name)!;
      };
      const f32 = await exportOnnx(spec, weight);
      const q4 = await exportOnnx(spec, weight, { bits: 4, groupSize: 128 });
      const ratio = q4.bytes.byteLength / f32.bytes.byteLength;
      console.log(`size check (${tied ? "tied" : "untied"}): f32 ${f32.bytes.byteLength} B, 4-bit ${q4.bytes.byteLength} B, ratio ${ratio.toFixed(3)}`);
      expect(ratio).toBeLessThanOrEqual(0.35);
      // the f32 file holds every parameter at 4 bytes (+ rope tables and graph)
      expect(f32.bytes.byteLength).toBeGreaterThanOrEqual(4 * parameterCount(spec));
      // and the 4-bit model still runs and matches the dequantized reference on a few tokens
      const ort = await OnnxCausalLM.create(q4.bytes, spec);
      const weights: WeightMap = new Map(cache);
      const deq = new ReferenceModel(spec, dequantizedWeights(weights, q4.packed));
      const ids = [[1, 5, 9, 200, 17]];
      expect(maxAbsDiff((await ort.forward({ ids })).data, (await deq.forward({ ids })).data)).toBeLessThan(TOL_Q4);
      await ort.release();
    }
  });
});

function weightSize(spec: ModelSpec, name: string): number {
  const { hiddenSize: H, numHeads: nH, numKvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V } = spec;
  if (name === "embed" || name === "lm_head") return V * H;
  const linear = name.split(".")[2];
  const shapes: Record<string, number> = { q: nH * D * H, k: KV * D * H, v: KV * D * H, o: H * nH * D, gate: I * H, up: I * H, down: H * I };
  if (!(linear in shapes)) throw new Error(`no size for ${name}`);
  return shapes[linear];
}

describe("bad input", () => {
  it("an unsupported architecture fails with the list of supported ones", async () => {
    for (const name of ["gpt2", "opt"]) {
      const err = await exportOnnxFromDir(modelDir(name)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OnnxExportError);
      expect((err as Error).message).toMatch(/unsupported architecture "(GPT2LMHeadModel|OPTForCausalLM)"; supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM/);
    }
  });

  it("a group size MatMulNBits cannot take, and packed weights of the wrong shape, are refused by name", async () => {
    await expect(exportOnnxFromDir(modelDir("llama"), { bits: 4, groupSize: 24 })).rejects.toThrow(/group size 24 is not supported; MatMulNBits needs a power of two/);
    const bad = quantizeRtn4(new Float32Array(32 * 32), 32, 32, 32);
    await expect(exportOnnxFromDir(modelDir("llama"), { bits: 4, groupSize: 32, packed: (n) => (n === "layers.0.k" ? bad : undefined) })).rejects.toThrow(
      /packed weight "layers.0.k" is \[32, 32\], the model needs \[16, 32\]/,
    );
  });
});
