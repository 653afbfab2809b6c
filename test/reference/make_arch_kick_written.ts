/**
 * Compresses each fixture of the newer architectures with kick (SparseGPT 50% on the WebGPU model, so the
 * fused Phi-3 projections, q/k norms and Gemma's extra norms all go through calibration and saving) and writes
 * the result with save.ts, plus kick's own logits of the written checkpoint, for the GPU host to reload with
 * HF transformers (scripts/gpu-host/make_arch_fixtures.py OUT --check-only --check-written DIR).
 *
 *   npx tsx test/reference/make_arch_kick_written.ts OUT_DIR
 *
 * OUT_DIR/<name>/ is a checkpoint + kick_logits.json ({ids, logits}: CPU reference forward of the checkpoint as
 * written, so rounding to bf16/f16 is on both sides) + kick_sparsity.json (zeros per compressed linear).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compressModel } from "../../loaders/compress/driver.js";
import { parseCompressionSpec } from "../../loaders/compress/spec.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { loadReferenceModel, openModel } from "../../loaders/model/load.js";
import { saveModel, type SaveDtype } from "../../loaders/model/save.js";

export const ARCH_WRITTEN: { name: string; dtype: SaveDtype }[] = [
  { name: "qwen3", dtype: "float32" },
  { name: "llama32", dtype: "bfloat16" },
  { name: "gemma2", dtype: "float32" },
  { name: "gemma3", dtype: "float16" },
  { name: "phi3", dtype: "float32" },
];

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));

export async function writeArchCheckpoints(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const cspec = parseCompressionSpec({ method: "sparsegpt", sparsity: 0.5, calibration: { samples: 4, seqLen: 24, seed: 1 } });
  for (const p of ARCH_WRITTEN) {
    const src = join(fixtures, p.name);
    const { spec, weights: ckpt } = await openModel(src);
    const weights = await ckpt.loadAll();
    await ckpt.close();
    // seeded calibration windows of token ids (the fixtures' tokenizer has no corpus worth sampling)
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: 4 }, () => Array.from({ length: 24 }, () => 3 + Math.floor(rand() * (spec.vocabSize - 3))));
    const model = await GpuCausalLM.open(src);
    try {
      await compressModel({ ctx: model.ctx, spec, weights, model, cspec, samples });
    } finally {
      await model.dispose();
    }
    const dir = join(out, p.name);
    const files = await saveModel(dir, { sourceDir: src, spec, weights, dtype: p.dtype, overwrite: true });
    const reread = await loadReferenceModel(dir);
    const ids = JSON.parse(readFileSync(join(src, "reference.json"), "utf8")).prompts[0].ids as number[];
    const lg = await reread.model.forward({ ids: [ids] });
    await reread.opened.weights.close();
    const rows: number[][] = [];
    for (let t = 0; t < lg.length; t++) rows.push(Array.from(lg.data.subarray(t * lg.vocab, (t + 1) * lg.vocab)));
    writeFileSync(join(dir, "kick_logits.json"), JSON.stringify({ ids, logits: rows }));
    const sparsity: Record<string, number> = {};
    for (const [name, w] of weights) if (/\.(q|k|v|o|gate|up|down)\.weight$/.test(name)) sparsity[name] = w.filter((x) => x === 0).length / w.length;
    writeFileSync(join(dir, "kick_sparsity.json"), JSON.stringify(sparsity, null, 1));
    console.log(`${p.name}: sparsegpt 50%, ${p.dtype}, files ${files.join(" ")}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeArchCheckpoints(process.argv[2] ?? "/tmp/arch-written");
}
