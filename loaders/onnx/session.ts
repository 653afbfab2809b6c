/**
 * An exported ONNX decoder run by onnxruntime-web (wasm execution provider) in Node, behind kick's `CausalLM`
 * interface, so `generate.ts` (greedy, sampling, stop strings) and the logit comparisons run on it unchanged.
 * `startDecode` feeds the KV cache (present.* → past_key_values.*) as a browser would.
 */
import * as ort from "onnxruntime-web";
import type { ModelSpec } from "../model/config.js";
import { checkBatch, positionIds } from "../model/causal-lm.js";
import type { CausalLM, DecodeSession, Logits, TokenBatch } from "../model/causal-lm.js";

/** Single-threaded, as on a static host without cross-origin isolation (and deterministic). */
ort.env.wasm.numThreads = 1;

const i64 = (values: number[], dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

export class OnnxCausalLM implements CausalLM {
  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
  ) {}

  /** `spec` must be the exported model's (it gives layer and head counts for the empty cache). */
  static async create(model: Uint8Array, spec: ModelSpec): Promise<OnnxCausalLM> {
    const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    return new OnnxCausalLM(spec, session);
  }

  private emptyPast(batch: number): Record<string, ort.Tensor> {
    const s = this.spec;
    const feeds: Record<string, ort.Tensor> = {};
    for (let l = 0; l < s.numLayers; l++) {
      for (const kind of ["key", "value"]) {
        feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [batch, s.numKvHeads, 0, s.headDim]);
      }
    }
    return feeds;
  }

  /** One run: ids/positions [B, S], mask [B, past + S], past tensors (empty when absent). */
  async run(ids: number[][], mask: number[][], positions: number[][], past?: Record<string, ort.Tensor>): Promise<{ logits: ort.Tensor; present: Record<string, ort.Tensor> }> {
    const B = ids.length;
    const S = ids[0].length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(ids.flat(), [B, S]),
      attention_mask: i64(mask.flat(), [B, mask[0].length]),
      position_ids: i64(positions.flat(), [B, S]),
      ...(past ?? this.emptyPast(B)),
    };
    const out = await this.session.run(feeds);
    const present: Record<string, ort.Tensor> = {};
    for (let l = 0; l < this.spec.numLayers; l++) {
      for (const kind of ["key", "value"]) present[`past_key_values.${l}.${kind}`] = out[`present.${l}.${kind}`];
    }
    return { logits: out.logits, present };
  }

  async forward(batch: TokenBatch): Promise<Logits> {
    const { B, T, mask } = checkBatch(batch, this.spec.vocabSize);
    const { logits } = await this.run(batch.ids, mask, mask.map(positionIds));
    return { data: logits.data as Float32Array, batch: B, length: T, vocab: this.spec.vocabSize };
  }

  startDecode(): DecodeSession {
    let past: Record<string, ort.Tensor> | undefined;
    let length = 0;
    const V = this.spec.vocabSize;
    return {
      feed: async (tokens: number[]) => {
        const positions = tokens.map((_, i) => length + i);
        length += tokens.length;
        const { logits, present } = await this.run([tokens], [new Array(length).fill(1)], [positions], past);
        past = present;
        const data = logits.data as Float32Array;
        return data.slice((tokens.length - 1) * V, tokens.length * V);
      },
      close: () => {
        past = undefined;
      },
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
