// The architectures added after the first five (Qwen3, Llama 3.2, Gemma 2, Gemma 3, Phi-3): their specs as
// read from the configs HF transformers saved (scripts/gpu-host/make_arch_fixtures.py sets the values
// expected here), refusals by name, the first five's spec hashes unchanged (the values the code before this
// change computed), Phi-3's fused projections, which linears calibration sees, AWQ's refusals, and HF's reload
// of kick-compressed checkpoints (checked on the GPU host). Logits, greedy tokens and perplexity against HF are
// in reference-forward / gpu-forward.test.ts, save byte-identity in save.test.ts (all iterate MODELS).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAwqModel } from "../../loaders/compress/awq-driver.js";
import { parseAwqSpec } from "../../loaders/compress/awq-spec.js";
import { compressModel } from "../../loaders/compress/driver.js";
import { parseCompressionSpec } from "../../loaders/compress/spec.js";
import { createContext } from "../../kernels/index.js";
import type { LinearSite } from "../../loaders/model/causal-lm.js";
import { extendedFeatures, modelSpecHash, parseModelConfig, readModelSpec } from "../../loaders/model/config.js";
import { ModelFormatError } from "../../loaders/model/errors.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { SafetensorsFile } from "../../loaders/model/safetensors.js";
import { saveModel } from "../../loaders/model/save.js";
import { CheckpointWeights } from "../../loaders/model/weights.js";
import { FIXTURES, modelDir, readReference } from "./fixtures.js";
import { tempDir } from "./helpers.js";

const config = (name: string) => JSON.parse(readFileSync(join(modelDir(name), "config.json"), "utf8")) as Record<string, unknown>;
const refused = (c: Record<string, unknown>, pattern: RegExp) => {
  expect(() => parseModelConfig(c, "x/config.json")).toThrow(ModelFormatError);
  expect(() => parseModelConfig(c, "x/config.json")).toThrow(pattern);
};

describe("specs of the HF-saved configs", () => {
  it("qwen3: q/k norms, explicit head_dim 24 (≠ hidden / heads), tied, no sliding window", () => {
    const s = readModelSpec(modelDir("qwen3"));
    expect(s).toMatchObject({ architecture: "Qwen3ForCausalLM", family: "qwen3", headDim: 24, qkNorm: true, tiedEmbeddings: true,
      slidingWindow: null, bias: { qkv: false, o: false, mlp: false }, positions: { theta: 1e6, scaling: { type: "none" } } });
    expect(extendedFeatures(s)).toEqual(["q/k norms"]);
  });

  it("llama32: llama3 rope scaling in the transformers-5 spelling, tied (SmolLM / Llama-3.2)", () => {
    const s = readModelSpec(modelDir("llama32"));
    expect(s.positions).toEqual({ type: "rope", theta: 500000,
      scaling: { type: "llama3", factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 } });
    expect(s.tiedEmbeddings).toBe(true);
    expect(extendedFeatures(s)).toEqual([]);
  });

  it("gemma2: (1 + w) norms, √hidden embedding scale, sandwich norms, query_pre_attn_scalar, both soft caps, alternating windows", () => {
    const s = readModelSpec(modelDir("gemma2"));
    expect(s).toMatchObject({ family: "gemma2", headDim: 24, norm: { type: "rms", eps: 1e-6, offset: 1 }, activation: "gelu_tanh",
      embedScale: 8, attnScale: 20 ** -0.5, attnSoftcap: 3, logitSoftcap: 5, slidingWindow: 4, slidingLayers: [true, false],
      sandwichNorm: true, tiedEmbeddings: true });
    expect(s.qkNorm).toBeUndefined();
    expect(s.localRope).toBeUndefined();
  });

  it("gemma3 (transformers-4 spelling): local rope base, linear scaling on global layers only, pattern 2, no attention cap", () => {
    const s = readModelSpec(modelDir("gemma3"));
    expect(config("gemma3")).toMatchObject({ rope_local_base_freq: 10000, sliding_window_pattern: 2 });
    expect(s).toMatchObject({ architecture: "Gemma3ForCausalLM", family: "gemma3", qkNorm: true, sandwichNorm: true,
      positions: { theta: 1e6, scaling: { type: "linear", factor: 2 } }, localRope: { theta: 10000, scaling: { type: "none" } },
      slidingLayers: [true, false], slidingWindow: 4, logitSoftcap: 5 });
    expect(s.attnSoftcap).toBeUndefined();
    // the transformers-5 spelling of the same model gives the same spec
    const c = config("gemma3");
    const v5: Record<string, unknown> = { ...c, layer_types: ["sliding_attention", "full_attention"], rope_parameters: {
      full_attention: { rope_type: "linear", factor: 2, rope_theta: 1e6 }, sliding_attention: { rope_type: "default", rope_theta: 10000 } } };
    for (const k of ["rope_theta", "rope_local_base_freq", "rope_scaling", "sliding_window_pattern"]) delete v5[k];
    expect(parseModelConfig(v5)).toEqual(s);
  });

  it("phi3: fused projections split into canonical parts, sliding window on every layer, untied", () => {
    const s = readModelSpec(modelDir("phi3"));
    expect(s).toMatchObject({ family: "phi3", slidingWindow: 5, tiedEmbeddings: false, bias: { qkv: false, o: false, mlp: false } });
    expect(s.slidingLayers).toBeUndefined();
  });

  it("the first five architectures' spec hashes (part of every stored run's key) are what they were before", () => {
    // computed with loaders/model/config.ts as of d27b541, before the new optional fields existed
    const before: Record<string, string> = {
      llama: "90dc625ef4d1695a", "llama3-rope": "fda968ffe313c1e6", mistral: "decddcb7f20133b6", qwen2: "0df38a59172a266f",
      opt: "211f2a557aa769df", "opt-postln": "d8cabbc0bf1ad1a4", gpt2: "ebdcb437b70e2345",
    };
    for (const [name, hash] of Object.entries(before)) expect(modelSpecHash(readModelSpec(modelDir(name))), name).toBe(hash);
  });
});

describe("a real-world config (transformers-4 spelling)", () => {
  it("gemma-3-1b-it: one global layer in six, local rope 10k, no soft caps, embeddings × f32(√1152)", () => {
    // google/gemma-3-1b-it config.json (transformers 4.50.0.dev0)
    const s = parseModelConfig({
      architectures: ["Gemma3ForCausalLM"], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: null, bos_token_id: 2,
      cache_implementation: "hybrid", eos_token_id: [1, 106], final_logit_softcapping: null, head_dim: 256, hidden_activation: "gelu_pytorch_tanh",
      hidden_size: 1152, initializer_range: 0.02, intermediate_size: 6912, max_position_embeddings: 32768, model_type: "gemma3_text",
      num_attention_heads: 4, num_hidden_layers: 26, num_key_value_heads: 1, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6,
      rope_local_base_freq: 10000, rope_scaling: null, rope_theta: 1000000, sliding_window: 512, sliding_window_pattern: 6,
      torch_dtype: "bfloat16", transformers_version: "4.50.0.dev0", use_cache: true, vocab_size: 262144,
    });
    expect(s).toMatchObject({ headDim: 256, numKvHeads: 1, slidingWindow: 512, attnScale: 1 / 16, embedScale: Math.fround(Math.sqrt(1152)),
      positions: { theta: 1e6, scaling: { type: "none" } }, localRope: { theta: 1e4, scaling: { type: "none" } }, eosTokenIds: [1, 106],
      tiedEmbeddings: true, dtype: "bfloat16" });
    expect(s.slidingLayers!.flatMap((w, i) => (w ? [] : [i]))).toEqual([5, 11, 17, 23]);
    expect(s.attnSoftcap).toBeUndefined();
    expect(s.logitSoftcap).toBeUndefined();
  });
});

describe("refused by name (architecture, field, value)", () => {
  it("the multimodal Gemma 3 and unknown architectures", () => {
    refused({ ...config("gemma3"), architectures: ["Gemma3ForConditionalGeneration"] }, /field "architectures": unsupported architecture "Gemma3ForConditionalGeneration"/);
  });
  it("Phi-3 longrope (128k) and partial rotary embeddings (Phi-4-mini)", () => {
    refused({ ...config("phi3"), rope_parameters: { rope_type: "longrope", rope_theta: 10000, short_factor: [1], long_factor: [1] } },
      /field "rope_parameters.rope_type": unsupported rope type "longrope"/);
    refused({ ...config("phi3"), rope_parameters: undefined, rope_scaling: { type: "su", short_factor: [1] } }, /unsupported rope type "su"/);
    refused({ ...config("phi3"), partial_rotary_factor: 0.75 }, /field "partial_rotary_factor": 0.75: partial rotary embeddings are not supported/);
  });
  it("Gemma bidirectional attention, an unknown layer type, a layer_types of the wrong length", () => {
    refused({ ...config("gemma3"), use_bidirectional_attention: true }, /field "use_bidirectional_attention": true/);
    refused({ ...config("gemma2"), layer_types: ["sliding_attention", "chunked_attention"] }, /field "layer_types.1": unsupported layer type "chunked_attention"/);
    refused({ ...config("gemma2"), layer_types: ["sliding_attention"] }, /field "layer_types": 1 entries for 2 layers/);
  });
  it("Qwen3 sliding-window layers", () => {
    refused({ ...config("qwen3"), use_sliding_window: true }, /field "use_sliding_window": Qwen3 per-layer sliding window attention is not supported/);
    refused({ ...config("qwen3"), layer_types: ["sliding_attention", "full_attention"] }, /field "layer_types": Qwen3 sliding-window layers are not supported/);
  });
  it("AWQ refuses the Gemma and Qwen3 features its layer replica lacks, by name; takes Phi-3 and Llama 3.2", () => {
    const awq = parseAwqSpec({ method: "awq", bits: 4, groupSize: 32 });
    expect(() => checkAwqModel(readModelSpec(modelDir("gemma2")), awq)).toThrow(/AWQ: model family gemma2 is not supported \(activation gelu_tanh, \(1 \+ weight\) RMSNorm, post-attention\/post-feedforward norms, embedding scaling, query_pre_attn_scalar, attention soft-capping, final logit soft-capping, per-layer sliding windows\)/);
    expect(() => checkAwqModel(readModelSpec(modelDir("qwen3")), awq)).toThrow(/model family qwen3 is not supported \(q\/k norms\)/);
    expect(() => checkAwqModel(readModelSpec(modelDir("phi3")), awq)).not.toThrow();
    expect(() => checkAwqModel(readModelSpec(modelDir("llama32")), awq)).not.toThrow();
  });
});

describe("Phi-3's fused projections", () => {
  it("q, k, v and gate, up are row ranges of qkv_proj and gate_up_proj as stored", async () => {
    const dir = modelDir("phi3");
    const s = readModelSpec(dir);
    const w = await CheckpointWeights.open(dir, s);
    const raw = await SafetensorsFile.open(join(dir, "model.safetensors"));
    try {
      const h = s.hiddenSize, q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim, f = s.intermediateSize;
      const qkv = await raw.read("model.layers.1.self_attn.qkv_proj.weight");
      const gu = await raw.read("model.layers.1.mlp.gate_up_proj.weight");
      expect(qkv.length).toBe((q + 2 * kv) * h);
      expect(await w.get("layers.1.q.weight")).toEqual(qkv.slice(0, q * h));
      expect(await w.get("layers.1.k.weight")).toEqual(qkv.slice(q * h, (q + kv) * h));
      expect(await w.get("layers.1.v.weight")).toEqual(qkv.slice((q + kv) * h));
      expect(await w.get("layers.1.gate.weight")).toEqual(gu.slice(0, f * h));
      expect(await w.get("layers.1.up.weight")).toEqual(gu.slice(f * h));
    } finally {
      await w.close();
      await raw.close();
    }
  });
});

describe("calibration sees the right linears", () => {
  it.each(["qwen3", "gemma2", "gemma3", "phi3"])("%s: every linear of every layer with its own shape; q/k/v share one input, as do gate/up", async (name) => {
    const { model } = await loadReferenceModel(modelDir(name));
    const s = model.spec;
    const seen = new Map<string, { site: LinearSite; data: Float32Array }>();
    await model.forward({ ids: [readReference(name).prompts[0].ids] }, {
      onLinearInput: (site, input) => void seen.set(`${site.layer}.${site.linear}`, { site, data: input.slice() }),
    });
    const q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim, h = s.hiddenSize, f = s.intermediateSize;
    const shapes = { q: [h, q], k: [h, kv], v: [h, kv], o: [q, h], gate: [h, f], up: [h, f], down: [f, h] };
    expect(seen.size).toBe(s.numLayers * 7);
    for (let l = 0; l < s.numLayers; l++) {
      for (const [lin, [inF, outF]] of Object.entries(shapes)) expect(seen.get(`${l}.${lin}`)!.site).toEqual({ layer: l, linear: lin, inFeatures: inF, outFeatures: outF });
      expect(seen.get(`${l}.k`)!.data).toEqual(seen.get(`${l}.q`)!.data);
      expect(seen.get(`${l}.v`)!.data).toEqual(seen.get(`${l}.q`)!.data);
      expect(seen.get(`${l}.up`)!.data).toEqual(seen.get(`${l}.gate`)!.data);
    }
  });

  it("phi3: SparseGPT 50% prunes each part of the fused projections to 50% and saving stacks them back", async () => {
    const { model, opened } = await loadReferenceModel(modelDir("phi3"));
    const ctx = await createContext();
    try {
      const samples = [readReference("phi3").perplexity.stream.slice(0, 24), readReference("phi3").perplexity.stream.slice(24, 48)];
      const cspec = parseCompressionSpec({ method: "sparsegpt", sparsity: 0.5, blockSize: 16 });
      const r = await compressModel({ ctx, spec: opened.spec, weights: model.weights, model, cspec, samples });
      expect(r.report.map((x) => x.name).sort()).toEqual(
        [0, 1].flatMap((l) => ["q", "k", "v", "o", "gate", "up", "down"].map((n) => `layers.${l}.${n}.weight`)).sort());
      for (const x of r.report) expect(x.sparsity, x.name).toBeGreaterThanOrEqual(0.5);
      // saved, the parts are stacked back into qkv_proj / gate_up_proj and read back as they were
      const out = join(tempDir(), "phi3-pruned");
      await saveModel(out, { sourceDir: modelDir("phi3"), spec: opened.spec, weights: model.weights });
      const back = await CheckpointWeights.open(out, opened.spec);
      try {
        for (const n of ["q", "k", "v", "gate", "up"]) expect(await back.get(`layers.1.${n}.weight`), n).toEqual(model.weights.get(`layers.1.${n}.weight`));
      } finally {
        await back.close();
      }
    } finally {
      await ctx.destroy();
    }
  });
});

describe("HF transformers reloads kick-compressed checkpoints of the new architectures (checked on the GPU host)", () => {
  it("arch-written-by-kick-check.json: each loaded with no missing/unexpected keys, logits within 1e-4 of kick's", () => {
    const path = join(FIXTURES, "arch-written-by-kick-check.json");
    expect(existsSync(path)).toBe(true);
    const results = JSON.parse(readFileSync(path, "utf8")) as { name: string; dtype: string; hf_class: string; max_abs_diff: number; ok: boolean; loading_problems: object }[];
    expect(results.map((r) => [r.name, r.hf_class, r.dtype])).toEqual([
      ["gemma2", "Gemma2ForCausalLM", "float32"], ["gemma3", "Gemma3ForCausalLM", "float16"], ["llama32", "LlamaForCausalLM", "bfloat16"],
      ["phi3", "Phi3ForCausalLM", "float32"], ["qwen3", "Qwen3ForCausalLM", "float32"],
    ]);
    for (const r of results) {
      expect(r.loading_problems, r.name).toEqual({});
      expect(r.max_abs_diff, r.name).toBeLessThanOrEqual(1e-4);
      expect(r.ok, r.name).toBe(true);
    }
  });
});
