// The model card (README.md) of a trained model: recipe, parameter counts, data hashes, the training curve's
// end points, and a quality section left for `kick eval` to fill (no number is written that was not measured).
import { existsSync, readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parameterCount, type ModelSpec } from "../model/config.js";
import type { Row } from "../store/parquet.js";
import type { TrainData } from "./data.js";
import type { TrainPlan } from "./plan.js";

export function nonEmbeddingParams(spec: ModelSpec): number {
  return parameterCount(spec) - spec.vocabSize * spec.hiddenSize * (spec.tiedEmbeddings ? 1 : 2);
}

export async function writeModelCard(plan: TrainPlan, spec: ModelSpec, data: TrainData, log: Row[], hash: string): Promise<void> {
  const last = log[log.length - 1];
  const held = [...log].reverse().find((r) => r.heldout_loss !== null);
  const manifest = plan.data.manifest && existsSync(plan.data.manifest) ? JSON.parse(readFileSync(plan.data.manifest, "utf8")) : null;
  const hashes = data.files.map((f) => `| \`${relative(process.cwd(), f.path) || f.path}\` | ${f.bytes} | \`${f.sha256}\` |`);
  const lines = [
    `# ${plan.name}`,
    "",
    plan.description || "A small Llama-architecture model trained by kick (`kick train`) on kick's own corpus.",
    "",
    "## Architecture",
    "",
    "| field | value |",
    "| --- | --- |",
    `| architecture | LlamaForCausalLM (RMSNorm, rope θ=${plan.model.ropeTheta}, GQA, SwiGLU, no biases${spec.tiedEmbeddings ? ", tied embeddings" : ""}) |`,
    `| hidden / layers / heads / kv heads / head dim | ${spec.hiddenSize} / ${spec.numLayers} / ${spec.numHeads} / ${spec.numKvHeads} / ${spec.headDim} |`,
    `| intermediate | ${spec.intermediateSize} |`,
    `| vocabulary | ${spec.vocabSize} (byte-level BPE, \`<|endoftext|>\` = ${data.eosId} as BOS/EOS/pad) |`,
    `| context | ${plan.model.context} (max positions ${spec.maxPositions}) |`,
    `| parameters | ${parameterCount(spec).toLocaleString("en")} total, ${nonEmbeddingParams(spec).toLocaleString("en")} non-embedding |`,
    "",
    "## Recipe",
    "",
    `AdamW (β1 ${plan.optim.beta1}, β2 ${plan.optim.beta2}, eps ${plan.optim.eps}, decoupled weight decay ${plan.optim.weightDecay} on matrices), lr ${plan.optim.lr} with ${plan.optim.warmupSteps} warm-up steps then cosine to ${plan.optim.minLr}, global-norm clipping at ${plan.optim.clipNorm}, ${plan.train.batchSize} × ${plan.train.gradAccum} sequences of ${plan.model.context} tokens per step, ${plan.train.steps} steps, seed ${plan.train.seed}, f32 on WebGPU, saved as ${plan.output.dtype}. Plan hash \`${hash}\`. The full plan:`,
    "",
    "```json",
    JSON.stringify({ ...plan, output: undefined }, null, 2),
    "```",
    "",
    "## Data",
    "",
    "| file | bytes | sha256 |",
    "| --- | --- | --- |",
    ...hashes,
    manifest ? `\nData manifest: \`${plan.data.manifest}\` (${manifest.name} v${manifest.version}, seed ${JSON.stringify(manifest.seed)}); its tokenizer and token-shard hashes are the ones above.` : "",
    "",
    "## Training",
    "",
    last ? `${last.step} steps, ${Number(last.tokens).toLocaleString("en")} tokens; last training loss ${Number(last.loss).toFixed(4)}${held ? `, held-out loss ${Number(held.heldout_loss).toFixed(4)} at step ${held.step} (perplexity ${Math.exp(Number(held.heldout_loss)).toFixed(2)})` : ""}. Per-step log: \`train_log.parquet\` in the run folder.` : "",
    "",
    "## Measured quality",
    "",
    "Not yet evaluated: filled in by `kick eval` (factoid accuracy by exposure, multiple choice, held-out perplexity, HF transformers logit agreement).",
    "",
  ];
  const out = join(plan.output.modelDir, "README.md");
  await writeFile(`${out}.tmp`, lines.join("\n"));
  await rename(`${out}.tmp`, out);
}
