// The ONNX cross-check on the shipped model, kick-s (Llama, hidden 128, 6 layers, vocab 8192, tied embeddings, bf16):
// onnxruntime-web (wasm EP) against kick's float64 reference forward — the dense export on the checkpoint, and the
// playground's 4-bit file (kick's GPTQ w4 g128 for every linear, 4-bit RTN g32 tied embedding / LM head) on the
// weights dequantized from that very file. Logits at every position of task-suite prompts, KV-cache greedy equal.
// The 4-bit file comes from the same content-addressed cache as the site's loaders (a fresh one runs kick's GPTQ on
// lavapipe, ~70 s on 2 cores), so this test checks the file the site ships.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { greedyGenerate } from "../../loaders/model/generate.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { dequantize4 } from "../../loaders/onnx/packed4.js";
import { type PlaygroundArtifacts, playgroundArtifacts } from "../../loaders/onnx/playground.js";
import { onnxMetadata, packedFromOnnx } from "../../loaders/onnx/read.js";
import { OnnxCausalLM } from "../../loaders/onnx/session.js";
import { PLAYGROUND_CACHE, PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE } from "../../src/data/playground-model.js";

/**
 * max |ORT f32 − kick f64| over all logits: 1e-4 absolute, as for the fixtures (kick-s logits reach |x| ≈ 21; observed
 * 1.5e-5 dense, 1.9e-5 4-bit). The 4-bit model differs from the dense one by ~3.4, so the 4-bit check can fail.
 */
const TOL = 1e-4;

let ref: ReferenceModel;
let tokenizer: ModelTokenizer;
let art: PlaygroundArtifacts;
const prompts: number[][] = [];

beforeAll(async () => {
  ({ model: ref } = await loadReferenceModel(PLAYGROUND_MODEL_DIR));
  tokenizer = ModelTokenizer.load(PLAYGROUND_MODEL_DIR);
  art = await playgroundArtifacts(PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE, PLAYGROUND_CACHE, (m) => console.log(`[kick-s artifacts] ${m}`));
  const items = readFileSync("data/tasks/factoid_qa.jsonl", "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as { ci: boolean; prompt: string });
  for (const item of items.filter((i) => i.ci).slice(0, 3)) prompts.push(tokenizer.encode(item.prompt));
  prompts.push(tokenizer.encode("Q: What is the capital of France?\nA:"));
});

function compare(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

async function crossCheck(bytes: Uint8Array, model: ReferenceModel, what: string): Promise<void> {
  const ort = await OnnxCausalLM.create(bytes, model.spec);
  try {
    let worst = 0;
    let worstScale = 0;
    for (const ids of prompts) {
      const got = await ort.forward({ ids: [ids] });
      const want = await model.forward({ ids: [ids] });
      const { diff, scale } = compare(got.data, want.data);
      expect(diff, `${what}: max |logit diff| ${diff} (max |logit| ${scale})`).toBeLessThanOrEqual(TOL);
      if (diff > worst) worst = diff;
      worstScale = Math.max(worstScale, scale);
      // greedy through ORT's KV cache = kick's greedy (prompt, then one token per step)
      expect(await greedyGenerate(ort, ids, { maxNewTokens: 8 }), what).toEqual(await greedyGenerate(model, ids, { maxNewTokens: 8 }));
    }
    console.log(`${what}: ORT (wasm) vs kick's reference forward, max |logit diff| ${worst.toExponential(2)} (max |logit| ${worstScale.toFixed(2)}, bound ${TOL})`);
  } finally {
    await ort.release();
  }
}

describe("kick-s: onnxruntime-web vs kick's forward", () => {
  it("dense f32 export: logits at every position, greedy with KV cache", async () => {
    await crossCheck(art.dense, ref, "kick-s dense");
  });

  it("dense f32 export vs kick's WebGPU forward (lavapipe here): logits at every position", async () => {
    const gpu = await GpuCausalLM.open(PLAYGROUND_MODEL_DIR);
    const ort = await OnnxCausalLM.create(art.dense, ref.spec);
    try {
      let worst = 0;
      for (const ids of prompts) {
        const { diff, scale } = compare((await ort.forward({ ids: [ids] })).data, (await gpu.forward({ ids: [ids] })).data);
        expect(diff, `kick-s dense vs WebGPU: max |logit diff| ${diff} (max |logit| ${scale})`).toBeLessThanOrEqual(TOL);
        worst = Math.max(worst, diff);
      }
      console.log(`kick-s dense: ORT (wasm) vs kick's WebGPU forward, max |logit diff| ${worst.toExponential(2)} (bound ${TOL})`);
    } finally {
      await ort.release();
      await gpu.dispose();
    }
  });

  it("the playground's 4-bit file (kick GPTQ w4 g128 + 4-bit tied embedding): vs the weights dequantized from the file", async () => {
    const meta = onnxMetadata(art.q4);
    expect(meta["kick.bits"]).toBe("4");
    expect(meta["kick.embedding"]).toBe("4-bit group 32");
    expect(art.q4Info.id).toMatch(/^gptq-.*w4g128/);
    const packed = packedFromOnnx(art.q4);
    expect(packed.size).toBe(ref.spec.numLayers * 7 + 1);
    const deq = new Map(ref.weights);
    for (const [name, p] of packed) deq.set(name === "embed" ? name : `${name}.weight`, dequantize4(p));
    const model = new ReferenceModel(ref.spec, deq);
    // the 4-bit model really differs from the dense one (else this could not fail)
    const gap = compare((await model.forward({ ids: [prompts[0]] })).data, (await ref.forward({ ids: [prompts[0]] })).data).diff;
    console.log(`kick-s 4-bit vs dense (kick's forward): max |logit diff| ${gap.toFixed(3)}`);
    expect(gap).toBeGreaterThan(1e-2);
    await crossCheck(art.q4, model, "kick-s 4-bit");
  });

  it("sizes: the 4-bit file is ≤ 0.35× the f32 file (tied embedding stored once in each)", () => {
    const ratio = art.q4.byteLength / art.dense.byteLength;
    console.log(`kick-s ONNX: f32 ${art.dense.byteLength} B, 4-bit ${art.q4.byteLength} B (${ratio.toFixed(3)}×); 4-bit weights ${art.q4Info.weightBytes.packed4} B packed + ${art.q4Info.weightBytes.f32} B f32 (norms, rope tables)`);
    expect(ratio).toBeLessThanOrEqual(0.35);
  });
});
