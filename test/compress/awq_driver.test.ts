// The AWQ driver (loaders/compress/awq-driver.ts, GPU) vs the plain-TypeScript CPU reference
// (./awq_ref.ts: ReferenceModel hooks + float64 blocks + kernels/reference/awq.ts) on a tiny random
// Llama with activation outliers, plus the CLI and bad input (nothing written).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GpuContext, awqGroupScaleSearch } from "../../kernels/index.js";
import { awqCompress, AwqError } from "../../loaders/compress/awq-driver.js";
import { awqCompressionMethod } from "../../loaders/compress/awq-method.js";
import { awqSpecId, parseAwqSpec } from "../../loaders/compress/awq-spec.js";
import { dequantizePacked } from "../../loaders/compress/quant.js";
import { main } from "../../loaders/cli/compress.js";
import { parseModelConfig, type ModelSpec } from "../../loaders/model/config.js";
import { randn, withContext } from "../kernels/helpers.js";
import { awqReference } from "./awq_ref.js";

let ctx: GpuContext;
let tmp: string;
beforeAll(async () => { ctx = await withContext(); tmp = mkdtempSync(join(tmpdir(), "kick-awq-")); });
afterAll(async () => { await ctx?.destroy(); rmSync(tmp, { recursive: true, force: true }); });

/** A tiny random Llama (no GQA unless kv < heads) with outlier channels in the embeddings and norms. */
function tinyLlama(kv = 4, seed = 1): { spec: ModelSpec; weights: Map<string, Float32Array> } {
  const spec = parseModelConfig({
    architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: 96, hidden_size: 64, intermediate_size: 128,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: kv, head_dim: 16, max_position_embeddings: 64,
    rms_norm_eps: 1e-6, rope_theta: 10000, hidden_act: "silu", tie_word_embeddings: false,
  });
  const w = new Map<string, Float32Array>();
  const h = 64, F = 128, out = [3, 17, 40, 61];
  const embed = randn(96 * h, seed, 1);
  for (let v = 0; v < 96; v++) for (const c of out) embed[v * h + c] *= 8;
  w.set("embed", embed);
  w.set("lm_head", randn(96 * h, seed + 1, 0.1));
  w.set("final_norm.weight", new Float32Array(h).fill(1));
  for (let l = 0; l < 2; l++) {
    const norm = (s: number) => { const n = Float32Array.from(randn(h, s, 0.2), (x) => 1 + x); for (const c of out) n[c] *= 6; return n; };
    w.set(`layers.${l}.attn_norm.weight`, norm(seed + 10 + l));
    w.set(`layers.${l}.mlp_norm.weight`, norm(seed + 20 + l));
    const lin = (name: string, rows: number, cols: number, s: number) => w.set(`layers.${l}.${name}.weight`, randn(rows * cols, s, 0.15));
    lin("q", 64, h, seed + 30 + l); lin("k", kv * 16, h, seed + 40 + l); lin("v", kv * 16, h, seed + 50 + l); lin("o", h, 64, seed + 60 + l);
    lin("gate", F, h, seed + 70 + l); lin("up", F, h, seed + 80 + l); lin("down", h, F, seed + 90 + l);
    const up = w.get(`layers.${l}.up.weight`)!;
    for (const r of [5, 77]) for (let c = 0; c < h; c++) up[r * h + c] *= 5; // outlier channels into down
  }
  return { spec, weights: w };
}

const windows = (n: number, T: number, seed: number) => Array.from({ length: n }, (_, i) => Array.from({ length: T }, (_, t) => (i * 31 + t * 7 + seed * 13 + ((t * t) % 5)) % 96));
const agree = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) if (a[i] === b[i]) s++; return s / a.length; };

describe("AWQ driver vs the CPU reference (tiny Llama, outlier channels)", () => {
  it.each([[4, 4, "MHA: q/k/v, o, gate/up, down"], [3, 2, "GQA: o not scaled"]] as const)("%i-bit, kv heads %i (%s)", async (bits, kv, _what) => {
    const m = tinyLlama(kv);
    const samples = windows(4, 16, bits);
    const a = parseAwqSpec({ method: "awq", bits, groupSize: 32, calibration: { samples: 4, seqLen: 16 } });
    const lines: string[] = [];
    const res = await awqCompress(m, a, { ctx, samples, chunkSequences: 3, onProgress: (s) => lines.push(s) });
    const ref = await awqReference(m.spec, m.weights, samples, bits, 32);
    // groups
    const groups = res.groups.map((g) => `${g.layer}.${g.group}`);
    expect(groups).toEqual([...ref.best.keys()]);
    expect(groups.some((g) => g.endsWith(".o"))).toBe(kv === 4);
    const same = res.groups.filter((g) => g.best === ref.best.get(`${g.layer}.${g.group}`)).length;
    console.log(`[awq-driver] ${bits}-bit kv${kv}: ratios kick ${res.groups.map((g) => g.best).join(",")} ref ${[...ref.best.values()].join(",")}; ${lines.join(" | ")}`);
    expect(same / res.groups.length).toBeGreaterThanOrEqual(0.95);
    for (const g of res.groups) {
      const rl = ref.losses.get(`${g.layer}.${g.group}`)!;
      for (let i = 0; i < rl.length; i++) expect(Math.abs(g.losses[i]! / rl[i]! - 1), `${g.layer}.${g.group} loss ${i}`).toBeLessThan(0.02);
      expect(g.losses[g.best]!).toBeLessThanOrEqual(g.losses[0]!);
    }
    expect(res.groups.some((g) => g.best > 0)).toBe(true); // outliers: scaling helps somewhere
    // clips (≥ 95% identical over the model, ≥ 90% per linear: f32 vs f64 near-ties), final weights, errors, packing
    let cSame = 0, cAll = 0;
    for (const r of res.report) {
      const want = ref.weights.get(r.name)!, got = res.weights.get(r.name)!;
      if (r.linear === "q" || r.linear === "k") expect(res.clips.has(r.name)).toBe(false);
      else {
        const c = res.clips.get(r.name)!, ag = agree(c, ref.clips.get(r.name)!);
        cSame += ag * c.length; cAll += c.length;
        expect(ag, `${r.name} clips`).toBeGreaterThanOrEqual(0.9);
      }
      let close = 0;
      for (let i = 0; i < got.length; i++) if (Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!))) close++;
      expect(close / got.length, `${r.name} weights`).toBeGreaterThanOrEqual(0.9); // a differing clip choice changes a whole group
      expect(Math.abs(r.relError! / ref.relError.get(r.name)! - 1), `${r.name} rel err`).toBeLessThan(0.02);
      expect(Array.from(dequantizePacked(res.packed.get(r.name)!))).toEqual(Array.from(got));
      expect(r.bitsPerWeight).toBeCloseTo(bits + 40 / 32, 9);
    }
    console.log(`[awq-driver] ${bits}-bit kv${kv}: clip choices identical ${(cSame / cAll).toFixed(4)}`);
    expect(cSame / cAll).toBeGreaterThanOrEqual(0.95);
    // scales are folded into the norms (the caller's map is untouched)
    expect(res.weights.get("layers.0.attn_norm.weight")).not.toBe(m.weights.get("layers.0.attn_norm.weight"));
    expect(Array.from(m.weights.get("layers.0.q.weight")!)).toEqual(Array.from(tinyLlama(kv).weights.get("layers.0.q.weight")!));
    for (const [n, w] of ref.weights) if (n.includes("norm")) for (let i = 0; i < w.length; i++) expect(res.weights.get(n)![i]).toBeCloseTo(w[i]!, 5);
  });
});

describe("AWQ spec, registry entry and bad input", () => {
  it("spec defaults, id, unsupported bits / group named", () => {
    const a = parseAwqSpec({ method: "awq" });
    expect([a.bits, a.groupSize, a.nGrid, a.maxShrink, a.clipTokens, a.calibration.samples, a.calibration.seqLen]).toEqual([4, 128, 20, 0.5, 512, 128, 512]);
    expect(awqSpecId(a)).toBe("awq-w4g128-calib(corpus,128x512,seed0)");
    expect(() => parseAwqSpec({ method: "awq", bits: 5 })).toThrow(/bits: bits must be one of 2, 3, 4, 8 \(got 5\)/);
    expect(() => parseAwqSpec({ method: "awq", groupSize: 100 })).toThrow(/groupSize: .*\(got 100\)/);
    expect(awqCompressionMethod.columns({ method: "awq", bits: 3 })).toEqual({ method: "awq", pattern: "dense", sparsity: 0, bits: 3, group_size: 128, calib_samples: 128, calib_seed: 0 });
    expect(() => awqCompressionMethod.parse({ method: "awq", bits: 16 }, "plan.compression[2]")).toThrow(/plan\.compression\[2\]: .*bits/);
  });
  it("group not dividing a width names the layer and option; NaN weights / NaN scales name the layer", async () => {
    const m = tinyLlama();
    await expect(awqCompress(m, parseAwqSpec({ method: "awq", groupSize: 128 }), { ctx, samples: windows(2, 8, 0) }))
      .rejects.toThrow(/layers\.0\.q\.weight: groupSize \(--group\) 128 does not divide the input width 64/);
    const bad = new Map(m.weights);
    const d = Float32Array.from(bad.get("layers.1.down.weight")!); d[70] = NaN; bad.set("layers.1.down.weight", d);
    await expect(awqCompress({ spec: m.spec, weights: bad }, parseAwqSpec({ method: "awq", groupSize: 32 }), { ctx, samples: windows(2, 8, 0) }))
      .rejects.toThrow(/layers\.1\.down\.weight: value \[0, 70\] is NaN/);
    // NaN activations → NaN scales: refused naming the group
    const X = ctx.upload(Float32Array.from({ length: 4 * 32 }, (_, i) => (i === 5 ? NaN : 1)), [4, 32]), W = ctx.upload(new Float32Array(8 * 32).fill(0.1), [8, 32]);
    await expect(awqGroupScaleSearch(ctx, { xMean: Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? NaN : 1)), weights: [W], org: [X], block: () => X }, { bits: 4, groupSize: 32, layer: "layers.3 down" }))
      .rejects.toThrow(/layers\.3 down: activation mean of input 5 is NaN, so the AWQ scales would be NaN/);
    X.release(); W.release();
    expect(AwqError).toBeDefined();
  });
});

describe("kick compress --method awq (llama fixture: GQA, hidden 32)", () => {
  const MODEL = "test/fixtures/models/llama";
  it("writes the checkpoint, compression.json with per-layer report and the packed weights", async () => {
    const out = join(tmp, "awq");
    const code = await main(["--model", MODEL, "--out", out, "--method", "awq", "--bits", "4", "--group", "32", "--samples", "4", "--seq-len", "32", "--calib", "test/fixtures/models/generation-log.txt", "--dtype", "float32"]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, "compression.json"), "utf8"));
    expect(doc.id).toBe("awq-w4g32-calib(test/fixtures/models/generation-log.txt,4x32,seed0)");
    expect(doc.layers).toHaveLength(2 * 7);
    expect(doc.groups.map((g: { group: string }) => g.group)).toEqual(["qkv", "gate_up", "down", "qkv", "gate_up", "down"]); // GQA: no v→o
    expect(doc.quantized.bitsPerWeight).toBeCloseTo(4 + 40 / 32, 6);
    expect(existsSync(join(out, "quantized.bin"))).toBe(true);
  });
  it.each([
    [["--bits", "5"], /bits/],
    [["--group", "64"], /layers\.0\.q\.weight: groupSize \(--group\) 64 does not divide the input width 32/],
    [["--sparsity", "0.5"], /--sparsity does not apply to --method awq/],
  ])("bad option %j: clear error, nothing written", async (extra, msg) => {
    const out = join(tmp, `bad-${extra.join("")}`);
    const errs: string[] = [];
    const orig = console.error;
    console.error = (s: string) => { errs.push(String(s)); };
    try {
      const code = await main(["--model", MODEL, "--out", out, "--method", "awq", "--samples", "2", "--seq-len", "16", "--calib", "test/fixtures/models/generation-log.txt", ...extra]);
      expect(code).not.toBe(0);
    } finally {
      console.error = orig;
    }
    expect(errs.join("\n")).toMatch(msg);
    expect(existsSync(out)).toBe(false);
  });
});
