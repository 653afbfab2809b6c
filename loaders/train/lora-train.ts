/**
 * The LoRA baseline of Compress-Then-Prompt's cost comparison (issue 11): rank-r adapters on chosen linears
 * of a frozen (possibly compressed) model, trained exactly like the soft prompt of loaders/prompt/train.ts —
 * the same windows of text in the same seeded order, next-token loss (token mean), AdamW, HF's linear
 * schedule with warm-up, global-norm clipping, validation perplexity on the same first windows with the best
 * adapter kept — so trainable parameters, time and recovered perplexity can be compared side by side.
 * The base weights are never written (pruned weights stay exactly zero); the adapter is saved separately.
 */
import { join } from "node:path";
import { z } from "zod";
import { createContext, type GpuContext } from "../../kernels/index.js";
import { writeSafetensors } from "../model/safetensors.js";
import { TrainableLlama } from "./model.js";
import { AdamW } from "./optim.js";
import { initLora, LORA_TARGETS, LoraAdapter, loraShapes, type LoraConfig } from "./lora.js";
import { loadFrozen, runRecord, runSettings, runSteps, type RunOptions, type RunState, type TrainProgress } from "../prompt/loop.js";
import { promptBatch, validNll } from "../prompt/train.js";
import { cardModelShape, cardRunShape, modelFields, modelHash, promptDir, writeCardDir } from "../prompt/prompt-file.js";

export const LoraCardSchema = z
  .object({
    format: z.literal("kick-lora"),
    version: z.literal(1),
    id: z.string(),
    rank: z.number().int().positive(),
    alpha: z.number().positive(),
    targets: z.array(z.enum(LORA_TARGETS)),
    hidden: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    ...cardModelShape,
    ...cardRunShape,
    validation: z.array(z.object({ step: z.number().int(), ppl: z.number(), loss: z.number() }).strict()),
    tokensPerS: z.number(),
    /** wall seconds of the optimiser steps (validation excluded, as the soft prompt's tokensPerS) */
    seconds: z.number(),
    trainableParameters: z.number().int().positive(),
    created: z.string(),
  })
  .strict();
export type LoraCard = z.infer<typeof LoraCardSchema>;

export interface LoraTrainOptions extends RunOptions {
  modelDir: string;
  id: string;
  lora: LoraConfig;
  /** text tokens per window (default min(1024, context)) */
  seqLen?: number;
  /** where <id>/adapter.safetensors + card.json go (optional) */
  outDir?: string;
  ctx?: GpuContext;
  onProgress?: (p: TrainProgress) => void;
}

export interface LoraTrainResult { best: Map<string, Float32Array>; last: Map<string, Float32Array>; card: LoraCard; losses: number[] }

export async function trainLora(o: LoraTrainOptions): Promise<LoraTrainResult> {
  const { spec, weights } = await loadFrozen(o.modelDir);
  const cfg: LoraConfig = { rank: o.lora.rank, alpha: o.lora.alpha ?? o.lora.rank, targets: o.lora.targets ?? ["q", "v"] };
  const n = o.seqLen ?? Math.min(1024, spec.maxPositions);
  if (n > spec.maxPositions) throw new Error(`LoRA: window ${n} exceeds the model's ${spec.maxPositions} positions`);
  const s = runSettings(o, n, Error);
  const { B, validWins } = s;

  const ctx = o.ctx ?? (await createContext());
  const model = await TrainableLlama.create(spec, weights, ctx);
  const adapter = LoraAdapter.upload(ctx, spec, cfg, initLora(spec, cfg, s.seed));
  const adam = new AdamW(ctx, adapter.params, s.adam);
  const losses: number[] = [];
  try {
    const baseline = await validNll(model, null, validWins, B);
    model.adapter = adapter;
    const l0 = await validNll(model, null, validWins, B);
    const st: RunState<Map<string, Float32Array>> = { step: 0, tokensSeen: 0, elapsed: 0, bestStep: 0, best: await adapter.read(), curve: [{ step: 0, ppl: Math.exp(l0), loss: l0 }] };
    await runSteps(s, o.train, st, s.steps, {
      adam, params: adapter.params, what: "LoRA training", Err: Error,
      grads: async (rows) => {
        const batches = rows.map((ws) => promptBatch(ws, 0, false));
        const total = batches.reduce((sum, b) => sum + b.count, 0);
        adapter.grads = adapter.zeroGrads(); // the adapter accumulates its gradients during forwardBackward
        let lossSum = 0, count = 0;
        for (const b of batches) {
          const r = await model.forwardBackward({ B: b.B, T: b.T, ids: b.ids, targets: b.targets }, { lossScale: 1 / total, grads: null });
          lossSum += r.lossSum; count += r.count;
        }
        const grads = adapter.grads;
        adapter.grads = null;
        return { loss: lossSum / count, grads };
      },
      validNll: () => validNll(model, null, validWins, B),
      snapshot: () => adapter.read(),
      onStep: (p) => { losses.push(p.loss); o.onProgress?.(p); },
    });
    const last = await adapter.read();
    const card: LoraCard = LoraCardSchema.parse({
      format: "kick-lora", version: 1, id: o.id, rank: cfg.rank, alpha: cfg.alpha, targets: cfg.targets, hidden: spec.hiddenSize, vocabSize: spec.vocabSize,
      ...modelFields(o.modelDir, await modelHash(o.modelDir)), ...runRecord(o, s, st, baseline),
      seconds: st.elapsed, trainableParameters: adapter.parameterCount, created: new Date().toISOString(),
    });
    if (o.outDir) await saveLora(o.outDir, spec, cfg, st.best, card);
    return { best: st.best, last, card, losses };
  } finally {
    model.adapter = null;
    adapter.release();
    adam.release();
    await model.dispose();
    if (!o.ctx) await ctx.destroy();
  }
}

/** <outDir>/<id>/adapter.safetensors (PEFT-like names) + card.json, written to a temporary folder and renamed. */
export async function saveLora(outDir: string, spec: Parameters<typeof loraShapes>[0], cfg: LoraConfig, w: Map<string, Float32Array>, card: LoraCard): Promise<string> {
  const tensors = loraShapes(spec, cfg).map(({ name, shape }) => ({ name, shape, data: w.get(name)! }));
  return writeCardDir(promptDir(outDir, card.id), card, (tmp) =>
    writeSafetensors(join(tmp, "adapter.safetensors"), tensors, { metadata: { kick: "lora", id: card.id, rank: String(cfg.rank), alpha: String(cfg.alpha ?? cfg.rank), model_hash: card.modelHash } }),
  );
}
