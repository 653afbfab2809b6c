// A scripted CausalLM for evaluator tests: it answers registered prompts with registered text, so the
// expected scores are known by construction (not taken from the evaluators' own output).
import { fileURLToPath } from "node:url";
import type { CausalLM, Logits, TokenBatch } from "../../loaders/model/causal-lm.js";
import { readModelSpec, type ModelSpec } from "../../loaders/model/config.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";

export const LLAMA_DIR = fileURLToPath(new URL("../fixtures/models/llama", import.meta.url));
export const GPT2_DIR = fileURLToPath(new URL("../fixtures/models/gpt2", import.meta.url));

/**
 * After a registered prompt, puts logit 10 (others 0) on the next token of `answer + "\n"` (text-level
 * matching of what was generated so far), then on EOS. Everywhere else the logits are flat.
 * Its context is large, so no prompt is truncated. Uses the GPT-2 fixture's byte-level tokenizer, where a
 * piece of text encodes the same alone as at the end of a longer text (the SentencePiece-style Llama fixture
 * prepends "▁" to every encoded piece).
 */
export class OracleModel implements CausalLM {
  readonly spec: ModelSpec;
  readonly tokenizer: ModelTokenizer;
  private readonly scripts: { ids: number[]; answer: string }[] = [];
  forwards = 0;

  constructor(dir = GPT2_DIR) {
    const spec = readModelSpec(dir);
    this.spec = { ...spec, maxPositions: 1 << 20 };
    this.tokenizer = ModelTokenizer.load(dir);
  }

  /** Registers the exact prompt text the evaluator will encode (hard prefix included). */
  answer(prompt: string, answer: string): this {
    this.scripts.push({ ids: this.tokenizer.encode(prompt), answer });
    return this;
  }

  private next(row: number[]): number | null {
    const eos = this.spec.eosTokenIds[0] ?? this.tokenizer.eosTokenIds[0];
    for (const s of this.scripts) {
      if (row.length < s.ids.length || s.ids.some((id, i) => row[i] !== id)) continue;
      const sofar = this.tokenizer.decode(row.slice(s.ids.length), { skipSpecialTokens: true });
      const target = `${s.answer}\n`;
      if (!target.startsWith(sofar)) return eos;
      if (sofar.length === target.length) return eos;
      return this.tokenizer.encode(target.slice(sofar.length), { addSpecialTokens: false })[0];
    }
    return null;
  }

  async forward(batch: TokenBatch): Promise<Logits> {
    this.forwards += 1;
    const B = batch.ids.length;
    const T = batch.ids[0].length;
    const V = this.spec.vocabSize;
    const data = new Float32Array(B * T * V);
    for (let b = 0; b < B; b++) {
      const mask = batch.attentionMask?.[b] ?? batch.ids[b].map(() => 1);
      const real: number[] = [];
      for (let t = 0; t < T; t++) {
        if (!mask[t]) continue;
        real.push(batch.ids[b][t]);
        const next = this.next(real);
        if (next !== null) data[(b * T + t) * V + next] = 10;
      }
    }
    return { data, batch: B, length: T, vocab: V };
  }
}
