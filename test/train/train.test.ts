// The training loop on lavapipe with the toy plan: loss falls on a tiny repeated text, the saved HF model
// loads with GpuCausalLM and gives the trainer's logits, a stopped-and-resumed run continues bit for bit,
// and bad plans, foreign checkpoints and a diverging loss fail with clear errors and overwrite nothing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext } from "../../kernels/index.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { learningRate, parsePlan, planHash, readPlan, type TrainPlan } from "../../loaders/train/plan.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { TrainDivergedError, train } from "../../loaders/train/trainer.js";
import { documentStarts, loadData, Windows } from "../../loaders/train/data.js";
import { mkdirSync } from "node:fs";
import { withContext } from "../kernels/helpers.js";

let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-train-test-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

const rawToy = () => JSON.parse(readFileSync("data/plans/toy.json", "utf8"));
function toy(name: string, edit: (p: Record<string, any>) => void = () => {}): TrainPlan {
  const p = rawToy();
  p.output = { runDir: join(tmp, name, "run"), modelDir: join(tmp, name, "model") };
  edit(p);
  return parsePlan(p, name);
}
const quiet = () => {};

describe("plans", () => {
  it("the toy and family plans validate; the family is ~4× apart and at most 25M parameters", () => {
    for (const f of ["toy", "kick-s", "kick-m", "kick-l"]) expect(readPlan(`data/plans/${f}.json`).name).toMatch(/kick/);
    // non-embedding parameters per layer: q,o h·h each, k,v h·(kv·hd) each, 3·h·I, two norms
    const ne = (p: TrainPlan) => { const m = p.model, hd = m.hiddenSize / m.numHeads; return m.numLayers * (2 * m.hiddenSize ** 2 + 2 * m.hiddenSize * m.numKvHeads * hd + 3 * m.hiddenSize * m.intermediateSize + 2 * m.hiddenSize); };
    const [s, m, l] = ["kick-s", "kick-m", "kick-l"].map((f) => readPlan(`data/plans/${f}.json`));
    expect(ne(m) / ne(s)).toBeCloseTo(4, 1);
    expect(ne(l) / ne(m)).toBeCloseTo(4, 1);
    expect(ne(l) + l.model.vocabSize * l.model.hiddenSize + l.model.hiddenSize).toBeLessThanOrEqual(25_000_000);
  });
  it("bad plans name the field", () => {
    const bad = (edit: (p: Record<string, any>) => void) => { const p = rawToy(); edit(p); return () => parsePlan(p, "bad.json"); };
    expect(bad((p) => (p.model.numLayer = 3))).toThrow(/bad\.json: unknown field "model\.numLayer"/);
    expect(bad((p) => (p.extra = 1))).toThrow(/unknown field "extra"/);
    expect(bad((p) => (p.model.numHeads = 5))).toThrow(/field "model\.numHeads": 5 heads do not divide hiddenSize 32/);
    expect(bad((p) => (p.model.numKvHeads = 3))).toThrow(/field "model\.numKvHeads": 3 kv heads do not divide numHeads 4/);
    expect(bad((p) => (p.optim.warmupSteps = 400))).toThrow(/field "optim\.warmupSteps"/);
    expect(bad((p) => (p.train.batchSize = 0))).toThrow(/field "train\.batchSize"/);
    expect(bad((p) => delete p.optim.lr)).toThrow(/field "optim\.lr"/);
  });
  it("schedule: linear warm-up, cosine to minLr; the plan hash ignores output paths", () => {
    const o = { lr: 1, minLr: 0.1, warmupSteps: 10, weightDecay: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, clipNorm: 1 };
    expect(learningRate(o, 110, 5)).toBeCloseTo(0.5, 12);
    expect(learningRate(o, 110, 10)).toBeCloseTo(1, 12);
    expect(learningRate(o, 110, 60)).toBeCloseTo(0.55, 12); // halfway: minLr + (lr − minLr)/2
    expect(learningRate(o, 110, 110)).toBeCloseTo(0.1, 12);
    expect(planHash(toy("a"))).toBe(planHash(toy("b")));
    expect(planHash(toy("a"))).not.toBe(planHash(toy("a", (p) => (p.optim.lr = 0.02))));
  });
  it("missing token shards: a clear error, nothing created", async () => {
    const p = toy("noshards", (q) => (q.data.train = { shards: join(tmp, "nowhere") }));
    await expect(train(p, { ctx, progress: quiet })).rejects.toThrow(/nowhere: token shard folder missing \(field data\.train\.shards\)/);
    expect(existsSync(p.output.runDir)).toBe(false);
  });
});

describe("data", () => {
  it("token shards are read in name order; windows: each once per epoch, in a seeded order", () => {
    const dir = join(tmp, "shards");
    mkdirSync(dir, { recursive: true });
    // two shards of uint16 LE ids 0..99 and 100..199, written out of order
    writeFileSync(join(dir, "train-001.bin"), Buffer.from(Uint16Array.from({ length: 100 }, (_, i) => 100 + i).buffer));
    writeFileSync(join(dir, "train-000.bin"), Buffer.from(Uint16Array.from({ length: 100 }, (_, i) => i).buffer));
    writeFileSync(join(dir, "other.bin"), Buffer.from([1, 2]));
    const d = loadData(toy("shards", (q) => { q.data.train = { shards: dir }; q.model.context = 8; }));
    expect(Array.from(d.train)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(d.files.map((f) => f.path.split("/").pop())).toEqual(["train-000.bin", "train-001.bin", "toy-heldout.txt"]);
    const w = new Windows(d.train, 8, 5);
    expect(w.count).toBe(24); // floor(199 / 8)
    const epoch = (e: number) => Array.from({ length: 24 }, (_, i) => w.windowOf(e * 24 + i));
    expect([...epoch(0)].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(epoch(1)).not.toEqual(epoch(0));
    expect(new Windows(d.train, 8, 5).batch(30, 3)).toEqual(w.batch(30, 3));
    const b = w.batch(0, 1);
    expect(Array.from(b.targets)).toEqual(Array.from(b.ids, (x) => x + 1)); // next-token targets
  });
  it("document-aligned windows start at each document's first token, then every T tokens within it", () => {
    // documents (9 = end of text): [1 2 3 9] [4 5 6 7 8 1 2 9] [3 9] and a tail; T = 3
    const toks = Uint16Array.from([1, 2, 3, 9, 4, 5, 6, 7, 8, 1, 2, 9, 3, 9, 5, 6]);
    // doc 0 at 0; doc 1 at 4, 7, 10; doc 2 at 12; the tail at 14 has no room for T + 1 tokens
    expect(Array.from(documentStarts(toks, 3, 9))).toEqual([0, 4, 7, 10, 12]);
    const w = new Windows(toks, 3, 1, documentStarts(toks, 3, 9));
    const firsts = Array.from({ length: w.count }, (_, g) => w.batch(g, 1).ids[0]).sort();
    expect(firsts).toEqual([1, 2, 3, 4, 7].sort()); // tokens at 0, 4, 7, 10, 12, once per epoch
  });
  it("a missing held-out file and a truncated shard are named", () => {
    expect(() => loadData(toy("noheld", (q) => (q.data.heldout = { jsonl: join(tmp, "none.jsonl") })))).toThrow(/none\.jsonl: held-out file missing \(field data\.heldout\.jsonl\)/);
    const dir = join(tmp, "bad-shards");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "train-000.bin"), Buffer.from([1, 2, 3]));
    expect(() => loadData(toy("badshard", (q) => (q.data.train = { shards: dir })))).toThrow(/train-000\.bin: odd byte count 3/);
  });
});

describe("training the toy plan on the GPU", () => {
  it("loss falls on a tiny repeated text; the saved model loads with GpuCausalLM and gives the same logits", async () => {
    const p = toy("fit", (q) => (q.train.steps = 30));
    const r = await train(p, { ctx, progress: quiet });
    expect(r.done).toBe(true);
    const losses = r.log.map((x) => Number(x.loss));
    // an untrained model with small random weights predicts ~uniformly over 8192 tokens: ln 8192 = 9.01
    expect(Math.abs(losses[0] - Math.log(8192))).toBeLessThan(0.1);
    expect(losses.at(-1)!).toBeLessThan(0.4 * losses[0]);
    const held = r.log.filter((x) => x.heldout_loss !== null).map((x) => Number(x.heldout_loss));
    expect(held.length).toBe(3); // steps 10, 20, 30
    expect(held.at(-1)!).toBeLessThan(held[0]);
    // the Parquet log
    const rows = await readParquet(join(p.output.runDir, "train_log.parquet"));
    expect(rows.length).toBe(30);
    expect(Object.keys(rows[0]).sort()).toEqual(["grad_norm", "heldout_loss", "loss", "lr", "step", "tokens", "tokens_per_s"]);
    expect(Number(rows[29].tokens)).toBe(30 * 4 * 2 * 32);
    // the HF directory: GpuCausalLM logits vs the float64 reference on the trainer's final weights
    const ids = [8191, 464, 2068, 7586, 21, 100, 5, 8191, 42];
    const model = await GpuCausalLM.open(p.output.modelDir, { ctx });
    const got = await model.forward({ ids: [ids] });
    await model.dispose();
    const want = referenceForward(r.spec, r.weights, { B: 1, T: ids.length, ids, targets: ids.map(() => 0) }).logits;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
    const card = readFileSync(join(p.output.modelDir, "README.md"), "utf8");
    expect(card).toContain("## Measured quality");
    expect(card).toContain(readFileSync("data/plans/toy-train.txt").length.toString());
    // a second run into the same folders is refused: nothing is overwritten
    await expect(train(p, { ctx, progress: quiet })).rejects.toThrow(/a checkpoint exists; pass --resume/);
  });

  it("stop + resume continues bit for bit; a checkpoint of another plan is refused", async () => {
    const edit = (q: Record<string, any>) => { q.train.steps = 8; q.checkpoint.every = 3; q.eval.every = 4; };
    const a = await train(toy("straight", edit), { ctx, progress: quiet });
    const pb = toy("resumed", edit);
    const first = await train(pb, { ctx, progress: quiet, stopAfter: 5 });
    expect(first.done).toBe(false);
    expect(existsSync(pb.output.modelDir)).toBe(false);
    const other = toy("resumed", (q) => { edit(q); q.optim.lr = 0.02; });
    await expect(train(other, { ctx, progress: quiet, resume: true })).rejects.toThrow(/checkpoint is from a different plan/);
    const b = await train(pb, { ctx, progress: quiet, resume: true });
    expect(b.done).toBe(true);
    for (const [name, w] of a.weights) expect(Buffer.from(b.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    expect(b.log.map((x) => x.loss)).toEqual(a.log.map((x) => x.loss));
    expect(b.log.map((x) => x.heldout_loss)).toEqual(a.log.map((x) => x.heldout_loss));
  });

  it("a resume on changed training data is refused, naming the file", async () => {
    const text = join(tmp, "changing-train.txt");
    writeFileSync(text, readFileSync("data/plans/toy-train.txt"));
    const edit = (q: Record<string, any>) => { q.train.steps = 6; q.checkpoint.every = 2; q.eval.every = 3; q.data.train = { text }; };
    const pb = toy("data-changed", edit);
    expect((await train(pb, { ctx, progress: quiet, stopAfter: 3 })).done).toBe(false);
    writeFileSync(text, readFileSync("data/plans/toy-train.txt", "utf8") + " one more sentence.");
    await expect(train(pb, { ctx, progress: quiet, resume: true })).rejects.toThrow(/state\.json: field "data": .*changing-train\.txt changed since the checkpoint/);
  });

  it("a long stage: the last steps read longer windows, their tokens counted; stop + resume inside it is bit for bit", async () => {
    const edit = (q: Record<string, any>) => {
      q.train.steps = 8; q.checkpoint.every = 3; q.eval.every = 4;
      q.model.maxPositions = 64; q.train.longStage = { steps: 3, context: 64, batchSize: 2 };
    };
    const a = await train(toy("long-straight", edit), { ctx, progress: quiet });
    const perStep = a.log.map((x, i) => Number(x.tokens) - (i ? Number(a.log[i - 1].tokens) : 0));
    const p = toy("long-straight", edit);
    const base = p.train.batchSize * p.train.gradAccum * p.model.context;
    expect(perStep).toEqual([...Array(5).fill(base), ...Array(3).fill(2 * p.train.gradAccum * 64)]);
    const pb = toy("long-resumed", edit);
    expect((await train(pb, { ctx, progress: quiet, stopAfter: 6 })).done).toBe(false);
    const b = await train(pb, { ctx, progress: quiet, resume: true });
    for (const [name, w] of a.weights) expect(Buffer.from(b.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    expect(b.log.map((x) => x.loss)).toEqual(a.log.map((x) => x.loss));
    // the long stage changes what is learned: without it the same 8 steps end elsewhere
    const c = await train(toy("long-none", (q) => { q.train.steps = 8; q.checkpoint.every = 3; q.eval.every = 4; }), { ctx, progress: quiet });
    expect(c.log.slice(5).map((x) => x.loss)).not.toEqual(a.log.slice(5).map((x) => x.loss));
  });
  it("a long stage that does not fit the plan names the field", () => {
    const bad = (edit: (p: Record<string, any>) => void) => { const p = rawToy(); edit(p); return () => parsePlan(p, "bad.json"); };
    expect(bad((p) => { p.model.maxPositions = 64; p.train.longStage = { steps: 999, context: 64, batchSize: 2 }; })).toThrow(/field "train\.longStage\.steps": 999 exceeds train\.steps/);
    expect(bad((p) => { p.model.maxPositions = 64; p.train.longStage = { steps: 3, context: 16, batchSize: 2 }; })).toThrow(/field "train\.longStage\.context": 16 is not longer than model\.context 32/);
    expect(bad((p) => { delete p.model.maxPositions; p.train.longStage = { steps: 3, context: 64, batchSize: 2 }; })).toThrow(/field "model\.maxPositions": \(unset\) is below train\.longStage\.context 64/);
    expect(bad((p) => { p.train.longStage = { steps: 3, context: 64 }; })).toThrow(/field "train\.longStage\.batchSize"/);
  });

  it("bfloat16 output in small shards loads and matches the float64 forward of the bf16-rounded weights", async () => {
    const p = toy("bf16", (q) => { q.train.steps = 2; q.optim.warmupSteps = 1; q.output.dtype = "bfloat16"; q.output.maxShardMiB = 0.25; });
    const r = await train(p, { ctx, progress: quiet });
    const index = JSON.parse(readFileSync(join(p.output.modelDir, "model.safetensors.index.json"), "utf8"));
    const shards = [...new Set(Object.values(index.weight_map) as string[])];
    expect(shards.length).toBeGreaterThan(1);
    for (const f of shards) {
      const buf = readFileSync(join(p.output.modelDir, f));
      const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString("utf8"));
      // a shard stays under the limit unless it holds one tensor that is larger by itself (the embedding)
      const names = Object.keys(header).filter((k) => k !== "__metadata__");
      if (names.length > 1) expect(buf.length, f).toBeLessThanOrEqual(0.25 * 2 ** 20 + 4096);
      for (const [k, v] of Object.entries(header)) if (k !== "__metadata__") expect((v as { dtype: string }).dtype, k).toBe("BF16");
    }
    // round to nearest even at 16 bits, computed here independently of the writer
    const bf16 = (a: Float32Array) => { const u = new Uint32Array(Float32Array.from(a).buffer); for (let i = 0; i < u.length; i++) u[i] = ((u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16) << 16; return new Float32Array(u.buffer); };
    const rounded = new Map([...r.weights].map(([n, w]) => [n, bf16(w)]));
    const ids = [8191, 464, 2068, 7586, 21];
    const model = await GpuCausalLM.open(p.output.modelDir, { ctx });
    const got = await model.forward({ ids: [ids] });
    await model.dispose();
    const want = referenceForward(r.spec, rounded, { B: 1, T: ids.length, ids, targets: ids.map(() => 0) }).logits;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  it("a non-finite loss stops the run, naming the step and the last good checkpoint", async () => {
    const p = toy("diverge", (q) => { q.optim.lr = 1e30; q.optim.minLr = 1e30; q.optim.warmupSteps = 0; q.checkpoint.every = 1; q.train.steps = 10; });
    const err = await train(p, { ctx, progress: quiet }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainDivergedError);
    expect(err.step).toBeGreaterThan(1);
    expect(err.message).toMatch(new RegExp(`training stopped at step ${err.step}: the (loss|gradient norm) .* is not finite; last good checkpoint: .*diverge/run/checkpoint`));
    const state = JSON.parse(readFileSync(join(p.output.runDir, "checkpoint", "state.json"), "utf8"));
    expect(state.step).toBe(err.step - 1);
    expect(existsSync(p.output.modelDir)).toBe(false);
  });
});

describe("kick train CLI", () => {
  it("a bad plan exits 2 naming the field; --help exits 0", () => {
    const f = join(tmp, "bad-plan.json");
    const p = rawToy();
    p.model.numHeads = 3;
    writeFileSync(f, JSON.stringify(p));
    const r = spawnSync("npx", ["tsx", "loaders/cli/train.ts", "--plan", f], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: field "model.numHeads": 3 heads do not divide hiddenSize 32`);
    const h = spawnSync("npx", ["tsx", "loaders/cli/train.ts", "--help"], { encoding: "utf8" });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain("--resume");
  });
});
