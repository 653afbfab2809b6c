// config.json → ModelSpec for every architecture fixture (written by HF transformers), real-world configs in
// the transformers-4 spelling, bad configs, the id/hash, and a seeded fuzz of the parser.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { modelSpecHash, modelSpecId, parameterCount, parseModelConfig, readModelSpec } from "../../loaders/model/config.js";
import { ModelFormatError } from "../../loaders/model/errors.js";
import { MODELS, modelDir } from "./fixtures.js";
import { pick, prng } from "./prng.js";

const rawConfig = (name: string) => JSON.parse(readFileSync(join(modelDir(name), "config.json"), "utf8"));

describe("fixture configs (as saved by transformers 5)", () => {
  it("llama: rope theta, GQA, untied, no biases", () => {
    const s = readModelSpec(modelDir("llama"));
    expect(s).toMatchObject({
      architecture: "LlamaForCausalLM", family: "llama", hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2,
      headDim: 8, intermediateSize: 64, vocabSize: 320, maxPositions: 128, norm: { type: "rms", eps: 1e-6 },
      normPlacement: "pre", activation: "silu", mlp: "gated", tiedEmbeddings: false,
      positions: { type: "rope", theta: 10000, scaling: { type: "none" } },
      bias: { qkv: false, o: false, mlp: false }, slidingWindow: null, bosTokenId: 1, eosTokenIds: [2], dtype: "float32",
    });
  });

  it("llama3-rope: transformers-4 spelling (rope_theta + rope_scaling llama3), tied", () => {
    const s = readModelSpec(modelDir("llama3-rope"));
    expect(s.positions).toEqual({
      type: "rope", theta: 500000,
      scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    });
    expect(s.tiedEmbeddings).toBe(true);
    expect(s.norm.eps).toBe(1e-5);
  });

  it("mistral: linear rope scaling in rope_parameters, sliding window", () => {
    const s = readModelSpec(modelDir("mistral"));
    expect(s.architecture).toBe("MistralForCausalLM");
    expect(s.positions).toEqual({ type: "rope", theta: 10000, scaling: { type: "linear", factor: 2 } });
    expect(s.slidingWindow).toBe(4);
  });

  it("qwen2: qkv bias, no o bias, tied", () => {
    const s = readModelSpec(modelDir("qwen2"));
    expect(s.bias).toEqual({ qkv: true, o: false, mlp: false });
    expect(s.tiedEmbeddings).toBe(true);
    expect(s.positions).toMatchObject({ theta: 1000000 });
  });

  it("opt: learned positions offset 2, LayerNorm, ReLU, biases, pre- and post-norm", () => {
    const s = readModelSpec(modelDir("opt"));
    expect(s).toMatchObject({
      family: "opt", intermediateSize: 64, norm: { type: "layer", eps: 1e-5 }, normPlacement: "pre", finalNorm: true,
      activation: "relu", mlp: "plain", positions: { type: "learned", offset: 2 }, tiedEmbeddings: true,
      bias: { qkv: true, o: true, mlp: true }, numKvHeads: 4, headDim: 8,
    });
    expect(readModelSpec(modelDir("opt-postln"))).toMatchObject({ normPlacement: "post", finalNorm: false });
  });

  it("gpt2: n_embd/n_head/n_layer, n_inner null → 4·n_embd, gelu_new, tied", () => {
    expect(readModelSpec(modelDir("gpt2"))).toMatchObject({
      architecture: "GPT2LMHeadModel", hiddenSize: 32, numHeads: 4, numLayers: 2, intermediateSize: 128, maxPositions: 128,
      activation: "gelu_tanh", positions: { type: "learned", offset: 0 }, tiedEmbeddings: true, norm: { type: "layer", eps: 1e-5 },
    });
  });

  it("parameter counts equal the number of stored values", async () => {
    const { SafetensorsCheckpoint } = await import("../../loaders/model/safetensors.js");
    for (const name of MODELS) {
      const ck = await SafetensorsCheckpoint.open(modelDir(name));
      const stored = [...ck.tensors.values()].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
      await ck.close();
      expect(parameterCount(readModelSpec(modelDir(name))), name).toBe(stored);
    }
  });
});

describe("real-world configs (transformers 4 spelling)", () => {
  it("Llama-3.1-8B", () => {
    const s = parseModelConfig({
      architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 4096, intermediate_size: 14336,
      num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 8, max_position_embeddings: 131072,
      rms_norm_eps: 1e-5, rope_theta: 500000.0, vocab_size: 128256, tie_word_embeddings: false, hidden_act: "silu",
      bos_token_id: 128000, eos_token_id: [128001, 128008, 128009], torch_dtype: "bfloat16", attention_bias: false, mlp_bias: false,
      rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
    });
    expect(s).toMatchObject({ headDim: 128, numKvHeads: 8, eosTokenIds: [128001, 128008, 128009], dtype: "bfloat16" });
    expect(s.positions).toMatchObject({ theta: 500000, scaling: { type: "llama3", originalMaxPositions: 8192 } });
    expect(parameterCount(s)).toBe(8030261248); // Meta's published count for Llama-3.1-8B
    expect(modelSpecId(s)).toBe("llama-h4096-l32-a32-kv8-v128256");
  });

  it("GPT-2 small (no architectures-independent fields beyond the original upload)", () => {
    const s = parseModelConfig({
      architectures: ["GPT2LMHeadModel"], n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, n_ctx: 1024,
      vocab_size: 50257, activation_function: "gelu_new", layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
    });
    expect(parameterCount(s)).toBe(124439808); // GPT-2 small as counted by transformers
  });

  it("OPT-125m with no tie_word_embeddings field ties (OPT's default)", () => {
    const s = parseModelConfig({
      architectures: ["OPTForCausalLM"], hidden_size: 768, ffn_dim: 3072, num_hidden_layers: 12, num_attention_heads: 12,
      max_position_embeddings: 2048, vocab_size: 50272, word_embed_proj_dim: 768, do_layer_norm_before: true, activation_function: "relu",
    });
    expect(s.tiedEmbeddings).toBe(true);
    expect(parameterCount(s)).toBe(125239296); // OPT-125m as counted by transformers
  });

  it("model_type alone is enough when architectures is absent", () => {
    const c = rawConfig("qwen2");
    delete c.architectures;
    expect(parseModelConfig(c).architecture).toBe("Qwen2ForCausalLM");
  });
});

describe("bad configs name the file and field", () => {
  const bad = (mutate: (c: Record<string, unknown>) => void, base = "llama") => {
    const c = rawConfig(base);
    mutate(c);
    return () => parseModelConfig(JSON.stringify(c), "some/dir/config.json");
  };
  it("unsupported architecture lists the supported ones", () => {
    expect(bad((c) => (c.architectures = ["FalconForCausalLM"]))).toThrow(
      /some\/dir\/config\.json: field "architectures": unsupported architecture "FalconForCausalLM"; supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, OPTForCausalLM, GPT2LMHeadModel/,
    );
  });
  it("missing and mistyped fields", () => {
    expect(bad((c) => delete c.hidden_size)).toThrow(/config\.json: field "hidden_size"/);
    expect(bad((c) => (c.num_attention_heads = "32"))).toThrow(/field "num_attention_heads"/);
    expect(bad((c) => (c.vocab_size = -1))).toThrow(/field "vocab_size"/);
    expect(bad((c) => (c.rms_norm_eps = 0))).toThrow(/field "rms_norm_eps"/);
  });
  it("inconsistent sizes", () => {
    expect(bad((c) => (c.num_key_value_heads = 3))).toThrow(/field "num_key_value_heads": 3 does not divide num_attention_heads 4/);
    expect(bad((c) => { c.hidden_size = 30; delete c.head_dim; })).toThrow(/field "num_attention_heads"/);
    expect(bad((c) => (c.n_head = 5), "gpt2")).toThrow(/field "n_head"/);
    expect(bad((c) => (c.word_embed_proj_dim = 16), "opt")).toThrow(/field "word_embed_proj_dim"/);
  });
  it("unsupported rope type, activation and Qwen2 sliding window", () => {
    expect(bad((c) => (c.rope_parameters = { rope_type: "yarn", rope_theta: 1e4, factor: 4 }))).toThrow(/field "rope_parameters\.rope_type": unsupported rope type "yarn"/);
    expect(bad((c) => { c.rope_parameters = { rope_type: "llama3", rope_theta: 1e4, factor: 8 }; })).toThrow(/field "rope_parameters\.low_freq_factor": required/);
    expect(bad((c) => (c.hidden_act = "mish"))).toThrow(/field "hidden_act": unsupported activation "mish"/);
    expect(bad((c) => (c.use_sliding_window = true), "qwen2")).toThrow(/field "use_sliding_window"/);
  });
  it("not JSON, not an object", () => {
    expect(() => parseModelConfig("{", "x/config.json")).toThrow(/x\/config\.json: not valid JSON/);
    expect(() => parseModelConfig("[1]", "x/config.json")).toThrow(/x\/config\.json: expected a JSON object/);
    expect(() => readModelSpec("/nonexistent")).toThrow(/\/nonexistent\/config\.json: cannot read/);
  });
});

describe("spec id and hash", () => {
  it("equal specs hash equal, any change changes the hash", () => {
    const a = readModelSpec(modelDir("llama"));
    const b = parseModelConfig(rawConfig("llama"));
    expect(modelSpecHash(a)).toBe(modelSpecHash(b));
    expect(modelSpecHash(a)).toMatch(/^[0-9a-f]{16}$/);
    const c = rawConfig("llama");
    c.rms_norm_eps = 1e-5;
    expect(modelSpecHash(parseModelConfig(c))).not.toBe(modelSpecHash(a));
    expect(modelSpecId(a)).toBe("llama-h32-l2-a4-kv2-v320");
  });
});

describe("fuzz: mutated configs only ever throw ModelFormatError", () => {
  const values = [null, true, false, 0, -1, 1, 2, 3, 7, 1e9, 1.5, Number.MAX_SAFE_INTEGER, "", "llama", "x", [], [1], {}, { rope_type: "llama3" }, { rope_type: "linear" }];
  it("5000 seeded mutations of every fixture config", () => {
    const rand = prng(12345);
    const bases = MODELS.map((m) => JSON.stringify(rawConfig(m)));
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      let text = pick(rand, bases);
      const mode = rand();
      if (mode < 0.6) {
        const c = JSON.parse(text);
        const keys = Object.keys(c);
        for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
          const key = pick(rand, keys);
          if (rand() < 0.3) delete c[key];
          else c[key] = pick(rand, values);
        }
        text = JSON.stringify(c);
      } else if (mode < 0.9) {
        const chars = [...text];
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
          chars[Math.floor(rand() * chars.length)] = String.fromCharCode(Math.floor(rand() * 128));
        }
        text = chars.join("");
      } else {
        text = text.slice(0, Math.floor(rand() * text.length));
      }
      try {
        const s = parseModelConfig(text, "fuzz/config.json");
        expect(s.hiddenSize).toBeGreaterThan(0);
        ok++;
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(ModelFormatError);
        expect((e as Error).message.startsWith("fuzz/config.json: ")).toBe(true);
        rejected++;
      }
    }
    expect(ok).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1000);
  });
});
