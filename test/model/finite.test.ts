// finiteOutputs (loaders/model/finite.ts): every output path of a CausalLM — full forwards, both KV-cache
// sessions, the GPU's scored targets and perplexity windows — throws on NaN or ±Infinity, passes finite outputs
// through unchanged, and leaves the model's other members (spec, flags, fields) as they are.
import { describe, expect, it } from "vitest";
import type { CausalLM } from "../../loaders/model/causal-lm.js";
import type { ModelSpec } from "../../loaders/model/config.js";
import { finiteOutputs, firstNonFinite, NonFiniteError } from "../../loaders/model/finite.js";

const V = 4;
/** A model whose every output is `x` (a number for scores, a logit value for logits). */
function constantModel(x: number) {
  const logits = (rows: number) => new Float32Array(rows * V).fill(0.5).fill(x, rows * V - 1);
  return {
    spec: { vocabSize: V } as ModelSpec,
    decodePrefix: true,
    ctx: { adapterDescription: "fake" },
    forward: async (b: { ids: number[][] }) => ({ data: logits(b.ids.length * b.ids[0].length), batch: b.ids.length, length: b.ids[0].length, vocab: V }),
    startDecode: (_capacity: number) => ({ feed: async (_tokens: number[]) => logits(1), close: () => {} }),
    startBatchDecode: (rows: number, _capacity: number) => ({ rows, feed: async (_tokens: number[][]) => logits(rows), close: () => {} }),
    scoreTargets: async (_batch: unknown, _picks: unknown) => [{ logProb: -1, isArgmax: true }, { logProb: x, isArgmax: false }],
    windowNll: async (_tokens: number[], _from: number) => x,
  } satisfies CausalLM & Record<string, unknown>;
}

describe("finiteOutputs", () => {
  it("firstNonFinite finds NaN and ±Infinity", () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite([1, NaN, Infinity])).toBe(1);
    expect(firstNonFinite(Float32Array.of(0, -Infinity))).toBe(1);
  });

  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`every output path throws a NonFiniteError on ${bad}`, async () => {
      const m = finiteOutputs(constantModel(bad));
      await expect(m.forward({ ids: [[1, 2]] })).rejects.toThrow(new RegExp(`^forward: logit ${bad} at row 1, token id 3 \\(non-finite logits`));
      await expect(m.startDecode!(8).feed([1])).rejects.toThrow(/^startDecode feed: logit/);
      const batch = m.startBatchDecode!(3, 8);
      expect(batch.rows).toBe(3);
      await expect(batch.feed([[1], [2], [3]])).rejects.toThrow(/^startBatchDecode feed: logit .* at row 2, token id 3/);
      await expect(m.scoreTargets!({ ids: [[1, 2]] }, [])).rejects.toThrow(/^scoreTargets: log-probability of pick 1 is/);
      await expect(m.windowNll!([1, 2, 3], 0)).rejects.toThrow(NonFiniteError);
    });
  }

  it("passes finite outputs and the model's other members through", async () => {
    const inner = constantModel(2);
    const m = finiteOutputs(inner);
    expect((await m.forward({ ids: [[1]] })).data).toEqual(Float32Array.of(0.5, 0.5, 0.5, 2));
    expect(await m.startDecode!(8).feed([1])).toEqual(Float32Array.of(0.5, 0.5, 0.5, 2));
    expect(await m.scoreTargets!({ ids: [[1]] }, [])).toEqual([{ logProb: -1, isArgmax: true }, { logProb: 2, isArgmax: false }]);
    expect(await m.windowNll!([1, 2], 0)).toBe(2);
    expect([m.spec, m.decodePrefix, m.ctx]).toEqual([inner.spec, true, inner.ctx]);
  });
});
