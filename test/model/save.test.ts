// Writing HF directories: tensors byte-identical to what save_pretrained wrote (incl. GPT-2's fused,
// transposed Conv1D), dtype conversion and "keep", sharding, files copied, and no partial output on error.
// (That HF transformers itself reloads kick's output with the same logits is checked on the GPU host:
// test/reference/make_model_fixtures.py → test/fixtures/models/written-by-kick-check.json, asserted below.)
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readModelSpec } from "../../loaders/model/config.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { saveModel } from "../../loaders/model/save.js";
import { CheckpointWeights } from "../../loaders/model/weights.js";
import { FIXTURES, maxAbsDiff, modelDir, readReference } from "./fixtures.js";
import { readRawTensors, tempDir } from "./helpers.js";

const sortByName = <T extends { name: string }>(a: T[]) => [...a].sort((x, y) => x.name.localeCompare(y.name));

describe.each(["llama", "qwen2", "opt", "gpt2", "qwen3", "llama32", "gemma2", "gemma3", "phi3"])("%s: save as float32", (name) => {
  it("writes the same tensors, byte for byte, as save_pretrained did; copies config and tokenizer", async () => {
    const { model, opened } = await loadReferenceModel(modelDir(name));
    const out = join(tempDir(), "saved");
    const files = await saveModel(out, { sourceDir: modelDir(name), spec: opened.spec, weights: model.weights });
    expect(files).toContain("model.safetensors");
    expect(files).toContain("tokenizer.json");
    const theirs = sortByName(await readRawTensors(join(modelDir(name), "model.safetensors")));
    const ours = sortByName(await readRawTensors(join(out, "model.safetensors")));
    expect(ours.map((t) => [t.name, t.dtype, t.shape])).toEqual(theirs.map((t) => [t.name, t.dtype, t.shape]));
    ours.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.bytes), Buffer.from(theirs[i].bytes)), t.name).toBe(0));
    // as text, not only as JSON: re-serialising writes 5.0 as 5, which transformers 5 refuses for a float field
    expect(readFileSync(join(out, "config.json"), "utf8")).toBe(readFileSync(join(modelDir(name), "config.json"), "utf8"));
    for (const f of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) {
      expect(readFileSync(join(out, f), "utf8")).toBe(readFileSync(join(modelDir(name), f), "utf8"));
    }
  });
});

describe("dtype, sharding, streaming", () => {
  it("bfloat16: BF16 tensors, config dtype updated, values within bf16 rounding; 'keep' keeps it", async () => {
    const { model, opened } = await loadReferenceModel(modelDir("llama"));
    const out = join(tempDir(), "bf16");
    await saveModel(out, { sourceDir: modelDir("llama"), spec: opened.spec, weights: model.weights, dtype: "bfloat16" });
    expect(readFileSync(join(out, "config.json"), "utf8")).toBe(readFileSync(join(modelDir("llama"), "config.json"), "utf8").replace('"dtype": "float32"', '"dtype": "bfloat16"'));
    expect((await readRawTensors(join(out, "model.safetensors"))).every((t) => t.dtype === "BF16")).toBe(true);
    const re = await loadReferenceModel(out);
    for (const [k, v] of model.weights) {
      const back = re.model.weights.get(k)!;
      v.forEach((x, i) => expect(Math.abs(back[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8));
    }
    const kept = join(tempDir(), "kept");
    await saveModel(kept, { sourceDir: out, spec: re.opened.spec, weights: re.model.weights, dtype: "keep" });
    expect((await readRawTensors(join(kept, "model.safetensors"))).every((t) => t.dtype === "BF16")).toBe(true);
  });

  it("sharded output (index + shards) reloads to the same logits", async () => {
    const { model, opened } = await loadReferenceModel(modelDir("mistral"));
    const out = join(tempDir(), "sharded");
    const files = await saveModel(out, { sourceDir: modelDir("mistral"), spec: opened.spec, weights: model.weights, maxShardBytes: 50_000 });
    expect(files).toContain("model.safetensors.index.json");
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    const re = (await loadReferenceModel(out)).model;
    const ids = readReference("mistral").prompts[1].ids;
    expect(maxAbsDiff((await re.forward({ ids: [ids] })).data, (await model.forward({ ids: [ids] })).data)).toBe(0);
  });

  it("streams weights from a checkpoint without loading them all", async () => {
    const spec = readModelSpec(modelDir("gpt2"));
    const w = await CheckpointWeights.open(modelDir("gpt2"), spec);
    let fetched = 0;
    const out = join(tempDir(), "streamed");
    await saveModel(out, { sourceDir: modelDir("gpt2"), spec, weights: (n) => (fetched++, w.get(n)) });
    await w.close();
    expect(fetched).toBe(w.names().length);
    const theirs = sortByName(await readRawTensors(join(modelDir("gpt2"), "model.safetensors")));
    const ours = sortByName(await readRawTensors(join(out, "model.safetensors")));
    ours.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.bytes), Buffer.from(theirs[i].bytes)), t.name).toBe(0));
  });
});

describe("no partial output", () => {
  it("refuses an existing directory, a missing or mis-sized weight, writing nothing", async () => {
    const { model, opened } = await loadReferenceModel(modelDir("qwen2"));
    const parent = tempDir();
    const base = { sourceDir: modelDir("qwen2"), spec: opened.spec };
    await expect(saveModel(parent, { ...base, weights: model.weights })).rejects.toThrow(/already exists/);
    const missing = new Map(model.weights);
    missing.delete("layers.1.down.weight");
    await expect(saveModel(join(parent, "a"), { ...base, weights: missing })).rejects.toThrow(/weight "layers\.1\.down\.weight" missing/);
    const wrong = new Map(model.weights);
    wrong.set("layers.0.q.bias", new Float32Array(3));
    await expect(saveModel(join(parent, "b"), { ...base, weights: wrong })).rejects.toThrow(/weight "layers\.0\.q\.bias" has 3 values; the spec implies \[32\]/);
    // a streamed weight failing mid-write leaves no directory and no temp files
    await expect(saveModel(join(parent, "c"), { ...base, weights: async (n) => { if (n === "final_norm.weight") throw new Error("disk gone"); return model.weights.get(n)!; } })).rejects.toThrow(/disk gone/);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe("HF transformers reloads kick's checkpoints (checked on the GPU host)", () => {
  it("written-by-kick-check.json: every checkpoint loaded with no missing/unexpected keys and logits within 1e-4", () => {
    const path = join(FIXTURES, "written-by-kick-check.json");
    expect(existsSync(path)).toBe(true);
    const results = JSON.parse(readFileSync(path, "utf8")) as { name: string; dtype: string; max_abs_diff: number; ok: boolean; loading_problems: object }[];
    expect(results.map((r) => [r.name, r.dtype])).toEqual([["gpt2", "float16"], ["llama", "bfloat16"], ["qwen2", "float32"]]);
    for (const r of results) {
      expect(r.loading_problems).toEqual({});
      expect(r.max_abs_diff).toBeLessThanOrEqual(1e-4);
      expect(r.ok).toBe(true);
    }
  });
});
