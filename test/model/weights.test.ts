// Weight mapping: missing, extra, mis-shaped and non-float tensors fail naming the tensor; prefix variants and
// ignorable buffers load; per-layer streaming; linear-input hooks.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readModelSpec } from "../../loaders/model/config.js";
import { loadReferenceModel, openModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import type { LinearSite } from "../../loaders/model/causal-lm.js";
import { CheckpointWeights, LINEARS } from "../../loaders/model/weights.js";
import { maxAbsDiff, modelDir, readReference } from "./fixtures.js";
import { copyFixture, editConfig, readRawTensors, writeRawTensors } from "./helpers.js";

async function withTensors(name: string, edit: (t: Awaited<ReturnType<typeof readRawTensors>>) => typeof t): Promise<string> {
  const dir = copyFixture(name);
  const path = join(dir, "model.safetensors");
  writeRawTensors(path, edit(await readRawTensors(path)));
  return dir;
}

describe("bad checkpoints fail before reading data, naming the tensor", () => {
  it("missing tensor", async () => {
    const dir = await withTensors("llama", (ts) => ts.filter((t) => t.name !== "model.layers.1.mlp.up_proj.weight"));
    await expect(openModel(dir)).rejects.toThrow(/model\.safetensors: missing tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(needed for LlamaForCausalLM\)/);
  });
  it("untied model without lm_head", async () => {
    const dir = await withTensors("mistral", (ts) => ts.filter((t) => t.name !== "lm_head.weight"));
    await expect(openModel(dir)).rejects.toThrow(/missing tensor "lm_head\.weight"/);
  });
  it("extra tensor", async () => {
    const dir = await withTensors("qwen2", (ts) => [...ts, { ...ts[0], name: "model.layers.0.self_attn.extra.weight" }]);
    await expect(openModel(dir)).rejects.toThrow(/model\.safetensors: unexpected tensor "model\.layers\.0\.self_attn\.extra\.weight" for Qwen2ForCausalLM/);
  });
  it("a layer more in the file than in the config", async () => {
    const dir = copyFixture("opt");
    editConfig(dir, (c) => (c.num_hidden_layers = 1));
    await expect(openModel(dir)).rejects.toThrow(/unexpected tensor "model\.decoder\.layers\.1\./);
  });
  it("shape contradicting the config", async () => {
    const dir = copyFixture("llama");
    editConfig(dir, (c) => (c.intermediate_size = 48));
    await expect(openModel(dir)).rejects.toThrow(/tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[64, 32\] but config\.json implies \[48, 32\]/);
    const gpt2 = copyFixture("gpt2");
    editConfig(gpt2, (c) => (c.n_positions = 64));
    await expect(openModel(gpt2)).rejects.toThrow(/tensor "transformer\.wpe\.weight" has shape \[128, 32\] but config\.json implies \[64, 32\]/);
  });
  it("non-float dtype", async () => {
    const dir = await withTensors("llama", (ts) => ts.map((t) => (t.name === "model.norm.weight" ? { ...t, dtype: "I32" } : t)));
    await expect(openModel(dir)).rejects.toThrow(/tensor "model\.norm\.weight": dtype I32 is not supported for weights/);
  });
});

describe("accepted variants", () => {
  it("GPT-2 without the transformer. prefix (original upload) gives the same logits", async () => {
    const dir = await withTensors("gpt2", (ts) => ts.map((t) => ({ ...t, name: t.name.replace(/^transformer\./, "") })));
    const a = (await loadReferenceModel(dir)).model;
    const b = (await loadReferenceModel(modelDir("gpt2"))).model;
    const ids = readReference("gpt2").prompts[0].ids;
    expect(maxAbsDiff((await a.forward({ ids: [ids] })).data, (await b.forward({ ids: [ids] })).data)).toBe(0);
  });
  it("old buffers (attn.bias, rotary inv_freq) and a tied model's stray lm_head are ignored", async () => {
    const dir = await withTensors("qwen2", (ts) => [
      ...ts,
      { ...ts.find((t) => t.name === "model.embed_tokens.weight")!, name: "lm_head.weight" },
      { name: "model.layers.0.self_attn.rotary_emb.inv_freq", dtype: "F32", shape: [4], bytes: new Uint8Array(16) },
    ]);
    await expect(openModel(dir)).resolves.toBeTruthy();
  });
});

describe("streaming and hooks", () => {
  it("layer(i) gives exactly that layer's tensors", async () => {
    const spec = readModelSpec(modelDir("llama"));
    const w = await CheckpointWeights.open(modelDir("llama"), spec);
    const layer = await w.layer(1);
    expect([...layer.keys()].sort()).toEqual(
      ["attn_norm.weight", "down.weight", "gate.weight", "k.weight", "mlp_norm.weight", "o.weight", "q.weight", "up.weight", "v.weight"].map((n) => `layers.1.${n}`),
    );
    expect(layer.get("layers.1.k.weight")!.length).toBe(16 * 32);
    await w.close();
  });

  it("getRows reads part of a tensor; transposed GPT-2 weights refuse", async () => {
    const spec = readModelSpec(modelDir("llama"));
    const w = await CheckpointWeights.open(modelDir("llama"), spec);
    const all = await w.get("embed");
    expect(Array.from(await w.getRows("embed", 100, 3))).toEqual(Array.from(all.subarray(100 * 32, 103 * 32)));
    await w.close();
    const g = await CheckpointWeights.open(modelDir("gpt2"), readModelSpec(modelDir("gpt2")));
    await expect(g.getRows("layers.0.up.weight", 0, 1)).rejects.toThrow(/stored transposed or fused/);
    await g.close();
  });

  it("onLinearInput sees every linear's input, real tokens only, the same with or without padding", async () => {
    const { model } = await loadReferenceModel(modelDir("llama"));
    const ids = readReference("llama").prompts[0].ids;
    const capture = async (batch: { ids: number[][]; attentionMask?: number[][] }) => {
      const seen: [LinearSite, Float32Array, number][] = [];
      await model.forward(batch, { onLinearInput: (s, x, rows) => seen.push([s, Float32Array.from(x), rows]) });
      return seen;
    };
    const plain = await capture({ ids: [ids] });
    expect(plain.length).toBe(2 * LINEARS.length);
    expect(plain.map(([s]) => `${s.layer}.${s.linear}`)).toEqual([0, 1].flatMap((l) => LINEARS.map((n) => `${l}.${n}`)));
    for (const [s, x, rows] of plain) {
      expect(rows).toBe(ids.length);
      expect(x.length).toBe(rows * s.inFeatures);
      expect(s.inFeatures).toBe(s.linear === "down" ? 64 : s.linear === "o" ? 32 : 32);
    }
    // layer 0's q input is RMSNorm(embedding) · weight: compute it here from the raw tensors
    const w = model.weights;
    const h = 32;
    const emb = w.get("embed")!;
    const g = w.get("layers.0.attn_norm.weight")!;
    const expected = new Float32Array(ids.length * h);
    ids.forEach((id, t) => {
      const row = emb.subarray(id * h, (id + 1) * h);
      const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / h + 1e-6);
      for (let i = 0; i < h; i++) expected[t * h + i] = (row[i] / rms) * g[i];
    });
    expect(maxAbsDiff(plain[0][1], expected)).toBeLessThan(1e-5);
    // left padding changes nothing the hooks see
    const padded = await capture({ ids: [[0, 0, 0, ...ids]], attentionMask: [[0, 0, 0, ...ids.map(() => 1)]] });
    padded.forEach(([, x], i) => expect(maxAbsDiff(x, plain[i][1])).toBeLessThan(1e-5));
  });

  it("rejects ragged batches and out-of-vocabulary ids", async () => {
    const { model } = await loadReferenceModel(modelDir("opt"));
    await expect(model.forward({ ids: [[1, 2], [3]] })).rejects.toThrow(/ragged batch/);
    await expect(model.forward({ ids: [[1, 320]] })).rejects.toThrow(/token id 320 outside the vocabulary/);
    expect(model).toBeInstanceOf(ReferenceModel);
  });
});
