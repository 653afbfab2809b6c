/**
 * A CausalLM with a soft prompt in front of every sequence: each row becomes [P prompt embeddings, its tokens]
 * (the prompt at positions 0..P-1, the tokens after it; left padding sits between them and is masked), and
 * the logits of the prompt positions are dropped, so callers see exactly their own T positions. The inner
 * model must honour ForwardOptions.prefixEmbeds (ReferenceModel, GpuCausalLM). Its spec reports P fewer
 * positions, so the evaluators' context truncation leaves room for the prompt. With a GpuCausalLM inside,
 * startDecode prefills the prompt into the KV cache on the first feed; otherwise generation runs full forwards.
 */
import type { CausalLM, DecodeSession, ForwardOptions, Logits, TokenBatch } from "../model/causal-lm.js";
import type { ModelSpec } from "../model/config.js";
import { checkPromptFits, SoftPromptError, type SoftPrompt } from "./prompt-file.js";

export class SoftPromptLM implements CausalLM {
  readonly spec: ModelSpec;
  readonly P: number;
  /** KV-cached decoding with the prompt prefilled, when the inner model supports a decode prefix (GpuCausalLM) */
  readonly startDecode?: (capacity: number) => DecodeSession;

  constructor(
    readonly inner: CausalLM,
    readonly prompt: Pick<SoftPrompt, "embeds" | "length" | "hidden" | "card">,
    modelTokenizerHash: string | null = null,
  ) {
    checkPromptFits(prompt, inner.spec, modelTokenizerHash);
    this.P = prompt.length;
    this.spec = { ...inner.spec, maxPositions: inner.spec.maxPositions - this.P };
    if (inner.startDecode && inner.decodePrefix) {
      const start = inner.startDecode.bind(inner);
      this.startDecode = (capacity: number): DecodeSession => {
        const session = start(capacity + this.P, { prefixEmbeds: this.prompt.embeds });
        let fed = false;
        return {
          feed: (tokens: number[]) => {
            if (fed) return session.feed(tokens);
            fed = true;
            return session.feed([...new Array<number>(this.P).fill(0), ...tokens]);
          },
          close: () => session.close(),
        };
      };
    }
  }

  async forward(batch: TokenBatch, opts: ForwardOptions = {}): Promise<Logits> {
    if (opts.prefixEmbeds) throw new Error("SoftPromptLM: the batch already has a prefix");
    const P = this.P, T = batch.ids[0]?.length ?? 0;
    if (T + P > this.inner.spec.maxPositions)
      throw new SoftPromptError(`soft prompt "${this.prompt.card.id}" (${P} tokens) + ${T} tokens exceed the model's ${this.inner.spec.maxPositions} positions`);
    const pad = new Array<number>(P).fill(0), one = new Array<number>(P).fill(1);
    const ids = batch.ids.map((r) => [...pad, ...r]);
    const attentionMask = batch.attentionMask ? batch.attentionMask.map((r) => [...one, ...r]) : undefined;
    const out = await this.inner.forward({ ids, attentionMask }, { ...opts, prefixEmbeds: this.prompt.embeds });
    const V = out.vocab, TT = T + P, B = out.batch;
    const data = new Float32Array(B * T * V);
    for (let b = 0; b < B; b++) data.set(out.data.subarray((b * TT + P) * V, (b * TT + TT) * V), b * T * V);
    return { data, batch: B, length: T, vocab: V };
  }
}
