// Compares kick's logits for a trained model with HF transformers' (made on the GPU host by
// test/reference/trained_model_logits.py): kick's WebGPU forward and its f64 CPU reference forward.
//   npx tsx scripts/check-trained-logits.ts MODEL_DIR HF_LOGITS.safetensors
import { SafetensorsFile } from "../loaders/model/safetensors.js";
import { GpuCausalLM } from "../loaders/model/gpu-forward.js";
import { loadReferenceModel } from "../loaders/model/load.js";
import type { CausalLM } from "../loaders/model/causal-lm.js";

const [modelDir, hfFile] = process.argv.slice(2);
if (!modelDir || !hfFile) {
  console.error("usage: check-trained-logits.ts MODEL_DIR HF_LOGITS.safetensors");
  process.exit(2);
}
const hf = await SafetensorsFile.open(hfFile);
const prompts: { ids: number[]; logits: Float32Array }[] = [];
for (let i = 0; hf.tensors.has(`ids_${i}`); i++) {
  const ids = new Int32Array((await hf.readBytes(`ids_${i}`)).slice().buffer);
  prompts.push({ ids: [...ids], logits: await hf.read(`logits_${i}`) });
}

async function maxDiff(model: CausalLM): Promise<number> {
  let worst = 0;
  for (const p of prompts) {
    const out = await model.forward({ ids: [p.ids] });
    for (let j = 0; j < p.logits.length; j++) worst = Math.max(worst, Math.abs(out.data[j] - p.logits[j]));
  }
  return worst;
}

const tokens = prompts.reduce((n, p) => n + p.ids.length, 0);
const gpu = await GpuCausalLM.open(modelDir);
console.log(`${modelDir}: WebGPU forward vs HF transformers, ${prompts.length} prompts / ${tokens} tokens: max |logit diff| ${(await maxDiff(gpu)).toExponential(3)}`);
await gpu.dispose();
const { model } = await loadReferenceModel(modelDir);
console.log(`${modelDir}: f64 reference forward vs HF transformers: max |logit diff| ${(await maxDiff(model)).toExponential(3)}`);
