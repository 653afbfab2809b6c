/**
 * Trainable-parameter counts for the cost comparison of issue 11: a soft prompt (P · hidden) against a LoRA
 * adapter of rank r on chosen linears of every layer (r · (in + out) each, as PEFT; Paper B's
 * lora_learning.py: r 32, α 32 on query/value — q and v in the canonical layout). The LoRA training itself is
 * not built (docs/prompt.md).
 */
import type { ModelSpec } from "../model/config.js";

export type LoraTarget = "q" | "k" | "v" | "o" | "gate" | "up" | "down";

export const softPromptParameters = (spec: Pick<ModelSpec, "hiddenSize">, length: number): number => length * spec.hiddenSize;

/** in/out features of a canonical linear. */
export function linearShape(spec: ModelSpec, t: LoraTarget): { in: number; out: number } {
  const h = spec.hiddenSize, q = spec.numHeads * spec.headDim, kv = spec.numKvHeads * spec.headDim, I = spec.intermediateSize;
  switch (t) {
    case "q": return { in: h, out: q };
    case "k": case "v": return { in: h, out: kv };
    case "o": return { in: q, out: h };
    case "gate": case "up":
      if (t === "gate" && spec.mlp !== "gated") throw new Error("LoRA target gate: the model's MLP has no gate");
      return { in: h, out: I };
    case "down": return { in: I, out: h };
  }
}

export function loraParameters(spec: ModelSpec, rank = 32, targets: LoraTarget[] = ["q", "v"]): number {
  return spec.numLayers * targets.reduce((a, t) => { const s = linearShape(spec, t); return a + rank * (s.in + s.out); }, 0);
}
