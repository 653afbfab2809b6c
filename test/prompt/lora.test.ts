// LoRA baseline (loaders/train/lora.ts, lora-train.ts) on the llama fixture: GPU gradients of A and B against
// central finite differences of the float64 loss of loaders/train/reference.ts with the merged weights
// W + s·B·A (an independent path: no adapter code), a pruned base whose zeros stay exactly zero, a short run
// that lowers held-out perplexity (re-computed in float64), the cost count, and bad configurations.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { SafetensorsFile } from "../../loaders/model/safetensors.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { loraParameters } from "../../loaders/prompt/cost.js";
import { promptBatch } from "../../loaders/prompt/train.js";
import { IGNORE, TrainableLlama } from "../../loaders/train/model.js";
import { LoraAdapter, loraShapes, mergeLora, type LoraConfig } from "../../loaders/train/lora.js";
import { trainLora } from "../../loaders/train/lora-train.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { rng, withContext } from "../kernels/helpers.js";

const LLAMA = "test/fixtures/models/llama";
let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-lora-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

/** float64 W + s·B·A for the adapted linears (the reference path: plain loops, no adapter code). */
function merged64(spec: Parameters<typeof loraShapes>[0], base: Map<string, Float32Array>, cfg: LoraConfig, lora: Map<string, Float64Array>): Map<string, Float64Array | Float32Array> {
  const out = new Map<string, Float64Array | Float32Array>(base);
  const s = (cfg.alpha ?? cfg.rank) / cfg.rank, r = cfg.rank;
  for (const { name, shape } of loraShapes(spec, cfg)) {
    if (!name.endsWith("lora_A")) continue;
    const lin = name.slice(0, -".lora_A".length), A = lora.get(name)!, B = lora.get(`${lin}.lora_B`)!, W = base.get(`${lin}.weight`)!;
    const I = shape[1], O = W.length / I, M = new Float64Array(O * I);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += B[o * r + k] * A[k * I + i];
      M[o * I + i] = W[o * I + i] + s * d;
    }
    out.set(`${lin}.weight`, M);
  }
  return out;
}

describe("LoRA gradients (llama fixture, pruned base)", () => {
  it("GPU dA, dB equal central differences of the float64 loss with merged weights; the pruned base stays exactly zero", async () => {
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const spec = opened.spec;
    const w = new Map(ref.weights as Map<string, Float32Array>);
    // prune half of every q and down weight (every other entry): the mask the adapter must not touch
    for (const [n, a] of w) if (/\.(q|down)\.weight$/.test(n)) { const c = Float32Array.from(a); for (let i = 0; i < c.length; i += 2) c[i] = 0; w.set(n, c); }
    const cfg: LoraConfig = { rank: 3, alpha: 6, targets: ["q", "v", "down"] };
    const r = rng(5);
    const lora = new Map<string, Float64Array>();
    for (const { name, shape } of loraShapes(spec, cfg)) lora.set(name, Float64Array.from({ length: shape[0] * shape[1] }, () => (r() - 0.5) * 0.4));
    const B = 2, T = 6;
    const ids = Uint32Array.from({ length: B * T }, () => 3 + Math.floor(r() * 300));
    const targets = Uint32Array.from({ length: B * T }, (_, i) => (i % 5 === 2 ? IGNORE : 3 + Math.floor(r() * 300)));
    const count = targets.filter((t) => t !== IGNORE).length;

    const model = await TrainableLlama.create(spec, w, ctx);
    const adapter = LoraAdapter.upload(ctx, spec, cfg, new Map([...lora].map(([n, a]) => [n, Float32Array.from(a)])));
    model.adapter = adapter;
    adapter.grads = adapter.zeroGrads();
    const res = await model.forwardBackward({ B, T, ids, targets }, { lossScale: 1 / count, grads: null });
    const grads = new Map<string, Float32Array>();
    for (const [n, g] of adapter.grads) grads.set(n, await ctx.readF32(g));
    const loss64 = (l: Map<string, Float64Array>) => referenceForward(spec, merged64(spec, w, cfg, l), { B, T, ids, targets }).loss;
    expect(Math.abs(res.lossSum / res.count - loss64(lora))).toBeLessThan(1e-5);
    let worst = 0, checked = 0;
    for (const [name, a] of lora) {
      const g = grads.get(name)!, scale = Math.max(...Array.from(g, Math.abs));
      expect(scale).toBeGreaterThan(1e-5);
      for (let j = 0; j < 6; j++) {
        const i = Math.floor(r() * a.length), x0 = a[i], h = 1e-5;
        a[i] = x0 + h; const lp = loss64(lora);
        a[i] = x0 - h; const lm = loss64(lora);
        a[i] = x0;
        const fd = (lp - lm) / (2 * h);
        worst = Math.max(worst, Math.abs(g[i] - fd) / (Math.abs(fd) + 0.01 * scale));
        checked++;
      }
    }
    console.log(`LoRA gradient check: ${checked} entries of ${lora.size} tensors, worst relative error ${worst.toExponential(3)}`);
    expect(worst).toBeLessThan(1e-3);
    // the base weights are untouched: bit for bit, zeros included
    model.adapter = null;
    const after = await model.readWeights();
    for (const [n, a] of w) expect(Buffer.from(after.get(n)!.buffer).equals(Buffer.from(a.buffer)), n).toBe(true);
    // merging only when asked; keepMask keeps the zeros
    const m32 = mergeLora(spec, w, cfg, new Map([...lora].map(([n, a]) => [n, Float32Array.from(a)])), { keepMask: true });
    const q0 = m32.get("layers.0.q.weight")!;
    expect(q0.filter((_, i) => i % 2 === 0).every((v) => v === 0)).toBe(true);
    expect(q0[1]).not.toBe(w.get("layers.0.q.weight")![1]);
    adapter.release();
    await model.dispose();
  });
});

describe("LoRA training", () => {
  it("lowers held-out perplexity of a repeated text; the saved adapter's perplexity re-computed in float64", async () => {
    const tok = ModelTokenizer.load(LLAMA);
    const text = "the cat sat on the mat and the dog ran to the park. ".repeat(40);
    const all = Uint32Array.from(tok.encode(text, { addSpecialTokens: false }));
    const cut = Math.floor(all.length * 0.75);
    const cfg: LoraConfig = { rank: 4, alpha: 8, targets: ["q", "v", "o"] };
    const valid = all.slice(cut);
    const r = await trainLora({ modelDir: LLAMA, train: all.slice(0, cut), valid, data: { train: "repeat", valid: "tail", sha256: "0" }, id: "lora-rep", lora: cfg, seqLen: 24, batchSize: 2, lr: 0.02, warmup: 2, steps: 40, evalEvery: 10, evalWindows: 4, outDir: tmp, ctx });
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const spec = opened.spec;
    console.log(`LoRA tuning: baseline ppl ${r.card.baselineValidPpl.toFixed(3)} → best ${r.card.bestValidPpl.toFixed(3)} at step ${r.card.bestStep}; ${r.card.trainableParameters} parameters (soft prompt of 8: ${8 * spec.hiddenSize}); ${r.card.seconds.toFixed(2)} s, ${r.card.tokensPerS.toFixed(0)} tokens/s`);
    expect(r.card.validation[0].ppl).toBeCloseTo(r.card.baselineValidPpl, 4); // B = 0 at init: the base model
    expect(r.card.bestValidPpl).toBeLessThan(0.8 * r.card.baselineValidPpl);
    expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0]);
    expect(r.card.trainableParameters).toBe(loraParameters(spec, 4, ["q", "v", "o"]));
    // the saved adapter, read back, gives the card's best perplexity through the float64 merged forward
    const f = await SafetensorsFile.open(join(tmp, "lora-rep", "adapter.safetensors"));
    const saved = new Map<string, Float64Array>();
    for (const n of f.tensors.keys()) saved.set(n, Float64Array.from(await f.read(n)));
    await f.close();
    const w = ref.weights as Map<string, Float32Array>;
    const m = merged64(spec, w, cfg, saved);
    let nll = 0, cnt = 0;
    for (let i = 0; i < 4; i++) {
      const b = promptBatch([valid.slice(i * 24, i * 24 + 25)], 0, false);
      nll += referenceForward(spec, m, { B: 1, T: b.T, ids: b.ids, targets: b.targets }).loss * b.count;
      cnt += b.count;
    }
    expect(Math.abs(Math.exp(nll / cnt) - r.card.bestValidPpl) / r.card.bestValidPpl).toBeLessThan(1e-3);
  });

  it("refuses bad configurations", async () => {
    const { opened } = await loadReferenceModel(LLAMA);
    expect(() => LoraAdapter.upload(ctx, opened.spec, { rank: 0 }, new Map())).toThrow(/LoRA rank 0: must be a positive integer/);
    expect(() => LoraAdapter.upload(ctx, opened.spec, { rank: 2, targets: ["q", "x" as "q"] }, new Map())).toThrow(/LoRA target "x": expected one of q, k, v/);
    expect(() => LoraAdapter.upload(ctx, opened.spec, { rank: 2 }, new Map())).toThrow(/weight "layers.0.q.lora_A" missing/);
  });
});
