// onnxruntime-web (wasm EP) against kick's WebGPU transformer (GpuCausalLM, lavapipe in CI): the exported dense
// model against the checkpoint, the 4-bit MatMulNBits model against the checkpoint with every linear replaced by
// its dequantized weight (written with saveModel and reopened, as the quantization step will). Logits at every
// position and greedy continuations through both KV caches.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext, type GpuContext } from "../../kernels/index.js";
import { greedyGenerate } from "../../loaders/model/generate.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { saveModel } from "../../loaders/model/save.js";
import { exportOnnxFromDir } from "../../loaders/onnx/export.js";
import { dequantize4 } from "../../loaders/onnx/packed4.js";
import { OnnxCausalLM } from "../../loaders/onnx/session.js";
import { maxAbsDiff, modelDir, readReference } from "../model/fixtures.js";

/** ORT f32 (wasm) vs kick f32 (WebGPU); kick's GPU forward is itself within 1e-4 of HF's. */
const TOL = 1e-4;
let ctx: GpuContext;
const tmp = mkdtempSync(join(tmpdir(), "kick-onnx-gpu-"));

beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  ctx = await createContext();
});
afterAll(async () => {
  await ctx?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

describe.each([
  ["llama", 32],
  ["qwen2", 32],
] as const)("%s: onnxruntime-web vs GpuCausalLM", (name, group) => {
  for (const bits of [32, 4] as const) {
    it(`${bits === 4 ? `4-bit group ${group} (dequantized on kick's side)` : "dense f32"}: logits at every position, greedy with KV cache`, async () => {
      const dir = modelDir(name);
      const { bytes, spec, packed } = await exportOnnxFromDir(dir, { bits, groupSize: group });
      let gpuDir = dir;
      if (bits === 4) {
        const { model } = await loadReferenceModel(dir);
        const weights = new Map(model.weights);
        for (const [n, p] of packed) weights.set(n === "lm_head" ? n : `${n}.weight`, dequantize4(p));
        gpuDir = join(tmp, `${name}-q4`);
        await saveModel(gpuDir, { sourceDir: dir, spec, weights, overwrite: true });
      }
      const gpu = await GpuCausalLM.open(gpuDir, { ctx });
      const ort = await OnnxCausalLM.create(bytes, spec);
      try {
        let worst = 0;
        for (const p of readReference(name).prompts) {
          const a = await ort.forward({ ids: [p.ids] });
          const b = await gpu.forward({ ids: [p.ids] });
          const d = maxAbsDiff(a.data, b.data);
          worst = Math.max(worst, d);
          expect(d).toBeLessThanOrEqual(TOL);
          expect(await greedyGenerate(ort, p.ids, { maxNewTokens: 8 })).toEqual(await greedyGenerate(gpu, p.ids, { maxNewTokens: 8 }));
        }
        console.log(`${name} ${bits === 4 ? "4-bit" : "f32"}: ORT vs GpuCausalLM max |logit diff| ${worst.toExponential(2)}`);
      } finally {
        await ort.release();
        await gpu.dispose();
      }
    });
  }
});
