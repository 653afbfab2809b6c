// kick's AWQ driver vs the OFFICIAL llm-awq code (mit-han-lab/llm-awq@d6e797a auto_scale / auto_clip /
// pseudo_quantize_tensor) on a tiny random Llama with outlier channels, from the fixture that
// test/reference/awq_fixtures.py writes on the GPU host into test/fixtures/compress/awq/. Skipped, naming
// the missing file, until that fixture is committed.
//
// Clip choices are compared through a float64 CPU reference built here from the fixture alone (the
// linears' inputs from ReferenceModel hooks on the FP model and the fixture's calibration tokens, the
// scales of the OFFICIAL ratios, apply_scale, the cached inputs divided by s), because exact equality
// with the official indices is not attainable: whenever a shrink candidate clamps BOTH extremes of a
// group (max = mx, min = −mx), pseudo_quantize_tensor's zero point is −round(−mx / (2mx/15)) =
// −round(−7.5), an exact rounding tie. Its outcome (zero 8: −mx → −8s, +mx → +7s; or zero 7: ±mx →
// ±7s, a 14-step grid) is decided by the last bit of the f32 scale, i.e. by the ulps of the scaled
// weights and of the division (PyTorch on CUDA computes (max−min)/15 as (max−min)·f32(1/15), which is
// slightly above 1/15 and so mostly gives zero 7; kick's WGSL division mostly gives zero 8), and the
// two outcomes differ in loss by a lot (median 14%), so the tie changes the chosen shrink index.
// Measured on this fixture (3072 clipped (row, group)s): kick = official in 90.9%; every one of the
// 280 mismatches has a tie candidate at kick's or the official's index; an f64 emulation of PyTorch's
// CUDA arithmetic (scale = range·f32(1/15)) agrees with the official choice in 97.6% but with kick's in
// 91.0%, while a correctly rounded division agrees with kick's in 98.5% (official 90.6%). So the
// check below is tie-aware: at a tie candidate both outcomes' losses are computed, and an index is
// admissible when its lower loss is ≤ (1 + CLIP_TOL) × every other candidate's higher loss (it is the
// argmin under SOME resolution of the ties). All kick and official indices are admissible (margin ≥
// 4.6e-6 relative); shifting kick's indices by +1 / −1 leaves only 4% / 42% admissible.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actMeanRef, awqCandidateScales, awqParamsRef, awqQuantRef } from "../../kernels/reference/awq.js";
import { roundEven } from "../../kernels/reference/quant.js";
import { type GpuContext } from "../../kernels/index.js";
import { awqCompress, awqInFeatures, awqOutFeatures } from "../../loaders/compress/awq-driver.js";
import { parseAwqSpec } from "../../loaders/compress/awq-spec.js";
import type { ModelSpec } from "../../loaders/model/config.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { SafetensorsFile } from "../../loaders/model/safetensors.js";
import type { LinearName } from "../../loaders/model/weights.js";
import { withContext } from "../kernels/helpers.js";

const DIR = fileURLToPath(new URL("../fixtures/compress/awq/", import.meta.url));
const FILES = ["awq_ref.json", "awq_ref.safetensors", "model/config.json", "model/model.safetensors"].map((f) => DIR + f);
const missing = FILES.filter((f) => !existsSync(f));
if (missing.length)
  console.warn(`[awq-official] skipped: fixture file(s) missing: ${missing.join(", ")} — run on the GPU host: python3 test/reference/awq_fixtures.py --awq-repo <llm-awq checkout> --out test/fixtures/compress/awq`);

interface Fixture {
  bits: number; groupSize: number; nGrid: number; tokens: number[][]; evalTokens: number[][];
  groups: { layer: number; group: string; best: number; losses: number[] }[];
  clips: Record<string, number[]>; relError: Record<string, number>; logitMse: number; nllQuant: number; nllFp: number;
}

/**
 * Relative slack of the admissibility test. The clip losses are float32 sums in both implementations
 * (the official one even subtracts two f32 sums, Σx·q − Σx·w): re-computing every candidate loss that
 * way (sequential f32) moves it by at most 3e-6 relative from the float64 value (median 1.4e-7), so
 * 1e-4 is > 30× the f32 noise, yet far below the gaps between distinct candidates (median 24%).
 */
const CLIP_TOL = 1e-4;
const LIN: LinearName[] = ["q", "k", "v", "o", "gate", "up", "down"];
const GROUP_OF: Record<LinearName, string> = { q: "qkv", k: "qkv", v: "qkv", o: "o", gate: "gate_up", up: "gate_up", down: "down" };
const FIRST_OF: Record<string, LinearName> = { qkv: "q", o: "o", gate_up: "gate", down: "down" };

interface Scaled { X: Float64Array; T: number; W: Float64Array; rows: number; cols: number }

/**
 * The official clip-search inputs, in float64 from the fixture only: every linear's input on the FP
 * model (ReferenceModel hooks; AWQ propagates FP activations), the scales of the official ratios from
 * those inputs' |x| means, then apply_scale: W' = W·s_in (÷ s_out on the rows of v / up, the folds of
 * v→o and up→down), X' = X / s_in.
 */
async function officialScaledInputs(spec: ModelSpec, model: ReferenceModel, fx: Fixture): Promise<Map<string, Scaled>> {
  const feats = new Map<string, Float32Array>();
  await model.forward({ ids: fx.tokens }, { onLinearInput: (site, input, rows) => { feats.set(`${site.layer}.${site.linear}`, input.slice(0, rows * site.inFeatures)); } });
  const T = fx.tokens.length * fx.tokens[0]!.length;
  const out = new Map<string, Scaled>();
  for (let l = 0; l < spec.numLayers; l++) {
    const s = new Map<string, Float64Array>();
    for (const g of fx.groups.filter((g) => g.layer === l)) {
      const lin = FIRST_OF[g.group]!, cols = awqInFeatures(spec, lin);
      s.set(g.group, awqCandidateScales(actMeanRef(feats.get(`${l}.${lin}`)!, T, cols), g.best / fx.nGrid));
    }
    for (const x of LIN) {
      const rows = awqOutFeatures(spec, x), cols = awqInFeatures(spec, x);
      const sIn = s.get(GROUP_OF[x]), sOut = x === "v" ? s.get("o") : x === "up" ? s.get("down") : undefined;
      const w0 = model.weights.get(`layers.${l}.${x}.weight`)!, x0 = feats.get(`${l}.${x}`)!;
      const W = Float64Array.from(w0, (v, i) => Math.fround((v * (sIn ? sIn[i % cols]! : 1)) / (sOut ? sOut[Math.floor(i / cols)]! : 1)));
      const X = Float64Array.from(x0, (v, i) => v / (sIn ? sIn[i % cols]! : 1));
      out.set(`layers.${l}.${x}.weight`, { X, T, W, rows, cols });
    }
  }
  return out;
}

/**
 * auto_clip_layer's candidate losses in float64, tie-aware: per (row, group) and shrink index i <
 * maxShrink·nGrid, mx = absmax·(1 − i/nGrid) (as torch: f32 × f32 scalar), W clamped to ±mx,
 * loss = mean over the sampled tokens (stride ⌊T/512⌋) of (Σ_G x·(q − w))². When both extremes are
 * clamped (tie), lo/hi are the losses of the two outcomes of the zero-point tie (−mx → −2^(b−1)·s or
 * −(2^(b−1)−1)·s; everything else is the same); otherwise lo = hi.
 */
function clipLosses(c: Scaled, bits: number, G: number, nGrid: number, maxShrink = 0.5, clipTokens = 512) {
  const { X, T, W, rows, cols } = c;
  const step = Math.max(1, Math.floor(T / clipTokens)), toks: number[] = [];
  for (let t = 0; t < T; t += step) toks.push(t);
  const nS = Math.floor(maxShrink * nGrid), ng = cols / G, maxq = 2 ** bits - 1, half = 2 ** (bits - 1);
  const lo = new Float64Array(rows * ng * nS), hi = new Float64Array(rows * ng * nS), tie = new Uint8Array(rows * ng * nS);
  const d = new Float64Array(G), neg = new Uint8Array(G), cl = new Float64Array(G);
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < ng; g++) {
      const w = W.subarray(r * cols + g * G, r * cols + (g + 1) * G);
      let amax = 0;
      for (const v of w) amax = Math.max(amax, Math.abs(v));
      for (let i = 0; i < nS; i++) {
        const mx = Math.fround(amax * Math.fround(1 - i / nGrid));
        let mn = Infinity, mxv = -Infinity;
        for (let k = 0; k < G; k++) { cl[k] = Math.min(Math.max(w[k]!, -mx), mx); mn = Math.min(mn, cl[k]!); mxv = Math.max(mxv, cl[k]!); }
        const isTie = mn === -mx && mxv === mx;
        const s = isTie ? Math.fround((2 * mx) / maxq) : 0;
        if (isTie)
          for (let k = 0; k < G; k++) {
            const v = cl[k]!;
            neg[k] = v === -mx ? 1 : 0;
            d[k] = (v === mx ? half - 1 : v === -mx ? -half : roundEven(Math.fround(v / s))) * s - w[k]!;
          }
        else {
          const p = awqParamsRef(cl, bits);
          for (let k = 0; k < G; k++) d[k] = awqQuantRef(cl[k]!, p, bits) - w[k]!;
        }
        let eA = 0, eB = 0;
        for (const t of toks) {
          const o = t * cols + g * G;
          let a = 0, b = 0;
          for (let k = 0; k < G; k++) { a += X[o + k]! * d[k]!; if (isTie && neg[k]) b += X[o + k]!; }
          eA += a * a;
          if (isTie) eB += (a + s * b) ** 2;
        }
        eA /= toks.length;
        eB = isTie ? eB / toks.length : eA;
        const j = (r * ng + g) * nS + i;
        lo[j] = Math.min(eA, eB); hi[j] = Math.max(eA, eB); tie[j] = isTie ? 1 : 0;
      }
    }
  /** index `idx` of (row, group) `rg` is the argmin under some resolution of the ties (within CLIP_TOL) */
  const admissible = (rg: number, idx: number) => {
    if (!(idx >= 0 && idx < nS)) return false;
    let m = Infinity;
    for (let i = 0; i < nS; i++) if (i !== idx) m = Math.min(m, hi[rg * nS + i]!);
    return lo[rg * nS + idx]! <= m * (1 + CLIP_TOL);
  };
  return { admissible, isTie: (rg: number, idx: number) => tie[rg * nS + idx] === 1 };
}

let ctx: GpuContext;
beforeAll(async () => { if (!missing.length) ctx = await withContext(); });
afterAll(async () => { await ctx?.destroy(); });

describe.skipIf(missing.length > 0)(`AWQ vs the official llm-awq code (fixture ${DIR})`, () => {
  it("same scale ratios (≥ 95% of groups), clips equal up to zero-point ties, levels, errors within 2%", async () => {
    const fx = JSON.parse(readFileSync(DIR + "awq_ref.json", "utf8")) as Fixture;
    const { model, opened } = await loadReferenceModel(DIR + "model");
    const spec = opened.spec;
    const a = parseAwqSpec({ method: "awq", bits: fx.bits, groupSize: fx.groupSize, nGrid: fx.nGrid, calibration: { samples: fx.tokens.length, seqLen: fx.tokens[0]!.length } });
    const res = await awqCompress({ spec, weights: model.weights }, a, { ctx, samples: fx.tokens });
    // scale ratios
    const official = new Map(fx.groups.map((g) => [`${g.layer}.${g.group}`, g]));
    expect(res.groups.map((g) => `${g.layer}.${g.group}`).sort()).toEqual([...official.keys()].sort());
    const same = res.groups.filter((g) => g.best === official.get(`${g.layer}.${g.group}`)!.best).length;
    console.log(`[awq-official] ratios kick ${res.groups.map((g) => g.best).join(",")} official ${fx.groups.map((g) => g.best).join(",")}`);
    expect(same / res.groups.length).toBeGreaterThanOrEqual(0.95);
    for (const g of res.groups) {
      const o = official.get(`${g.layer}.${g.group}`)!;
      const i = o.best;
      expect(Math.abs(g.losses[i]! / o.losses[i]! - 1), `${g.layer}.${g.group} loss at the official ratio`).toBeLessThan(0.02);
    }
    // the float64 reference of the official clip inputs
    const scaled = await officialScaledInputs(spec, model, fx);
    const ref = await SafetensorsFile.open(DIR + "awq_ref.safetensors");
    const G = fx.groupSize;
    let cSame = 0, cAll = 0, kBad = 0, oBad = 0, untied = 0, ties = 0, lSame = 0, lAll = 0, lcSame = 0, lcAll = 0, eK = 0, eO = 0;
    for (const r of res.report) {
      const sc = scaled.get(r.name)!, ng = sc.cols / G;
      const lv = await ref.readBytes(`${r.name}.levels`);
      const p = res.packed.get(r.name)!;
      const rb = Math.ceil((p.K * p.bits) / 8);
      const level = (n: number, k: number) => { let v = 0, bit = k * p.bits; for (let b = 0; b < p.bits; b++, bit++) v |= ((p.q[n * rb + (bit >> 3)]! >> (bit & 7)) & 1) << b; return v; };
      // levels are compared where they are defined alike: groups with the same clip, not at a tie
      const comparable = new Uint8Array(p.N * ng).fill(1);
      const oc = fx.clips[r.name];
      if (oc) {
        const kc = res.clips.get(r.name)!;
        const cr = clipLosses(sc, fx.bits, G, fx.nGrid);
        for (let i = 0; i < oc.length; i++) {
          if (!cr.admissible(i, kc[i]!)) kBad++;
          if (!cr.admissible(i, oc[i]!)) oBad++;
          if (kc[i] === oc[i]) cSame++;
          else if (!cr.isTie(i, kc[i]!) && !cr.isTie(i, oc[i]!)) untied++;
          if (kc[i] !== oc[i] || cr.isTie(i, oc[i]!)) comparable[i] = 0;
          if (cr.isTie(i, oc[i]!)) ties++;
        }
        cAll += oc.length;
      } else {
        // unclipped (q, k): the fixture's levels/scales/zeros dequantize to the official weights exactly,
        // so ‖X'Q̂ᵀ − X'W'ᵀ‖²/‖X'W'ᵀ‖² from them and the reference's X', W' must be the fixture's number:
        // this anchors the float64 reference inputs to the official ones
        const scs = new Float32Array((await ref.readBytes(`${r.name}.scales`)).slice().buffer), zrs = new Float32Array((await ref.readBytes(`${r.name}.zeros`)).slice().buffer);
        let num = 0, den = 0;
        const Q = Float64Array.from(lv, (v, i) => { const rg = Math.floor(i / sc.cols) * ng + Math.floor((i % sc.cols) / G); return Math.fround((v - zrs[rg]!) * scs[rg]!); });
        for (let t = 0; t < sc.T; t++)
          for (let n = 0; n < sc.rows; n++) {
            let yw = 0, yq = 0;
            for (let c = 0; c < sc.cols; c++) { const x = sc.X[t * sc.cols + c]!; yw += x * sc.W[n * sc.cols + c]!; yq += x * Q[n * sc.cols + c]!; }
            num += (yq - yw) ** 2; den += yw * yw;
          }
        expect(Math.abs(num / den / fx.relError[r.name]! - 1), `${r.name}: float64 reference inputs vs the official ones`).toBeLessThan(1e-4);
      }
      for (let n = 0; n < p.N; n++) for (let k = 0; k < p.K; k++) {
        const eq = level(n, k) === lv[n * p.K + k] ? 1 : 0;
        lSame += eq; lAll++;
        if (comparable[n * ng + Math.floor(k / G)]) { lcSame += eq; lcAll++; }
      }
      eK += r.relError!; eO += fx.relError[r.name]!;
      expect(Math.abs(r.relError! / fx.relError[r.name]! - 1), `${r.name} rel err`).toBeLessThan(0.1);
    }
    await ref.close();
    // the whole quantized model: logits vs the FP model on held-out tokens
    const fp = await model.forward({ ids: fx.evalTokens });
    const q = await new ReferenceModel(spec, res.weights).forward({ ids: fx.evalTokens });
    let mse = 0;
    for (let i = 0; i < fp.data.length; i++) mse += (q.data[i]! - fp.data[i]!) ** 2;
    mse /= fp.data.length;
    console.log(`[awq-official] clips ${(cSame / cAll).toFixed(4)} identical (${cAll - cSame} of ${cAll} differ, ${untied} of them without a zero-point tie at either index; ${ties} official choices at a tie); not admissible (tie-aware f64 argmin, tol ${CLIP_TOL}): kick ${kBad}, official ${oBad}`);
    console.log(`[awq-official] levels ${(lSame / lAll).toFixed(4)} (${(lcSame / lcAll).toFixed(6)} of ${lcAll} in groups with the same clip and no tie), Σ rel err kick ${eK.toExponential(4)} vs official ${eO.toExponential(4)}, logit MSE kick ${mse.toExponential(4)} vs official ${fx.logitMse.toExponential(4)}`);
    expect(oBad, "official clip indices that are no tie-aware argmin (the reference itself is off)").toBe(0);
    expect(kBad, "kick clip indices that are no tie-aware argmin").toBe(0);
    expect(untied, "clip differences not explained by a zero-point tie").toBe(0);
    expect(lcSame / lcAll).toBeGreaterThanOrEqual(0.999);
    expect(lcAll / lAll, "share of weights whose levels are comparable (82% on this fixture)").toBeGreaterThanOrEqual(0.5);
    expect(Math.abs(eK / eO - 1)).toBeLessThan(0.02);
    expect(Math.abs(mse / fx.logitMse - 1)).toBeLessThan(0.02);
  });
});
