/**
 * The playground's two ONNX files, built from one checkpoint: the dense f32 export and a 4-bit export whose linear
 * layers are quantized by kick's own quantizer (`compressModel`, GPTQ or RTN on WebGPU) and handed to the exporter
 * in the packed layout (`toPacked4` → MatMulNBits). The token embedding (tied with the LM head in kick's models) is
 * quantized too, with the exporter's RTN (the same asymmetric grid as kick's RTN), so the 4-bit file is ~0.2× the
 * f32 one instead of ~0.6×.
 *
 * Quantization is the slow step (seconds to a minute on lavapipe), so `playgroundArtifacts` keeps its results in a
 * content-addressed folder (checkpoint bytes + recipe + exporter and quantizer sources): the site's loaders (dense,
 * 4-bit, manifest) share one run.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createContext } from "../../kernels/index.js";
import { calibrationStream, sampleWindows } from "../compress/calibration.js";
import { compressModel } from "../compress/driver.js";
import { toPacked4 } from "./packed-quant.js";
import { compressionSpecId, parseCompressionSpec } from "../compress/spec.js";
import type { ModelSpec } from "../model/config.js";
import { GpuCausalLM } from "../model/gpu-forward.js";
import { loadReferenceModel } from "../model/load.js";
import { exportOnnxFromDir } from "./export.js";
import type { Packed4Weight } from "./packed4.js";

export interface QuantRecipe {
  method: "gptq" | "rtn";
  bits: 4;
  groupSize: 32 | 64 | 128;
  /** GPTQ calibration windows from kick's corpus (data/corpus/train-000.txt) */
  samples: number;
  seqLen: number;
  seed: number;
  /** the tied embedding / LM head table: RTN 4-bit with this group (null: keep f32) */
  embeddingGroupSize: 32 | 64 | 128 | null;
}

export interface QuantizedLinears {
  /** by the exporter's names ("layers.3.q") */
  packed: Map<string, Packed4Weight>;
  /** the compression spec id (e.g. gptq-d0.01-b128-w4g128-calib(corpus,32x256,seed0)) */
  id: string;
  seconds: number;
  /** mean relative output error ‖WX − ŴX‖²/‖WX‖² over the linears (GPTQ; null for RTN) */
  meanRelError: number | null;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs kick's quantizer (compressModel on WebGPU, GpuCausalLM as the calibration forward) on a checkpoint. */
export async function quantizeLinears(dir: string, r: QuantRecipe, log: (m: string) => void = () => {}): Promise<QuantizedLinears> {
  const { model: ref, opened } = await loadReferenceModel(dir);
  const spec = opened.spec;
  const cspec = parseCompressionSpec({
    method: r.method,
    bits: r.bits,
    groupSize: r.groupSize,
    ...(r.method === "gptq" ? { calibration: { source: "corpus", samples: r.samples, seqLen: r.seqLen, seed: r.seed } } : {}),
  });
  let samples: number[][] = [];
  if (r.method === "gptq") {
    const { tokens, what } = calibrationStream("corpus", opened.tokenizer, spec.vocabSize, ROOT, Math.max(200_000, r.samples * r.seqLen * 16));
    samples = sampleWindows(tokens, r.samples, r.seqLen, r.seed, what);
  }
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  const ctx = await createContext();
  try {
    const gpu = await GpuCausalLM.open(dir, { ctx });
    try {
      const res = await compressModel({
        ctx, spec, weights: ref.weights, model: gpu, cspec, samples,
        onLayer: (l, done, total) => log(`${done}/${total} ${l.name}${l.relError === null ? "" : ` rel err ${l.relError.toExponential(2)}`}`),
      });
      if (!res.packed) throw new Error(`${compressionSpecId(cspec)}: the quantizer returned no packed weights`);
      const packed = new Map<string, Packed4Weight>();
      for (const [name, p] of res.packed) packed.set(name.replace(/\.weight$/, ""), toPacked4(p, name));
      const errs = res.report.map((l) => l.relError).filter((e): e is number => e !== null);
      return { packed, id: compressionSpecId(cspec), seconds: res.seconds, meanRelError: errs.length ? errs.reduce((a, b) => a + b, 0) / errs.length : null };
    } finally {
      await gpu.dispose();
    }
  } finally {
    await ctx.destroy();
  }
}

export interface PlaygroundArtifacts {
  spec: ModelSpec;
  dense: Uint8Array;
  q4: Uint8Array;
  /** what the 4-bit file says about itself (for the manifest and the docs) */
  q4Info: { id: string; embedding: string; quantizerSeconds: number; meanRelError: number | null; linears: number; weightBytes: { f32: number; packed4: number } };
  denseWeightBytes: { f32: number; packed4: number };
  /** true when read from the cache folder */
  cached: boolean;
}

function cacheKey(dir: string, r: QuantRecipe): string {
  const h = createHash("sha256");
  for (const f of readdirSync(dir).sort()) if (/\.(json|safetensors)$/.test(f)) h.update(f).update(readFileSync(join(dir, f)));
  h.update(JSON.stringify(r));
  for (const src of ["loaders/onnx/export.ts", "loaders/onnx/packed4.ts", "loaders/onnx/playground.ts", "loaders/compress/quant.ts", "loaders/compress/driver.ts", "kernels/ops/gptq.ts", "kernels/ops/quant.ts"]) {
    const p = join(ROOT, src);
    if (existsSync(p)) h.update(src).update(readFileSync(p));
  }
  return h.digest("hex").slice(0, 24);
}

/** The dense and 4-bit ONNX files of `dir` under recipe `r`, from `cacheDir` when already built. */
export async function playgroundArtifacts(dir: string, r: QuantRecipe, cacheDir: string, log: (m: string) => void = () => {}): Promise<PlaygroundArtifacts> {
  const folder = join(cacheDir, cacheKey(dir, r));
  if (existsSync(join(folder, "info.json"))) {
    const info = JSON.parse(readFileSync(join(folder, "info.json"), "utf8"));
    return { ...info, dense: new Uint8Array(readFileSync(join(folder, "dense.onnx"))), q4: new Uint8Array(readFileSync(join(folder, "q4.onnx"))), cached: true };
  }
  const t0 = performance.now();
  const q = await quantizeLinears(dir, r, log);
  log(`${q.id}: ${q.packed.size} linears in ${q.seconds.toFixed(1)} s`);
  const dense = await exportOnnxFromDir(dir, { bits: 32 });
  const q4 = await exportOnnxFromDir(dir, {
    bits: 4,
    groupSize: r.groupSize,
    quantizeEmbedding: r.embeddingGroupSize !== null,
    embeddingGroupSize: r.embeddingGroupSize ?? undefined,
    packed: (name) => {
      if (name === "embed" || name === "lm_head") return undefined; // the exporter's RTN (embedding / untied head)
      const p = q.packed.get(name);
      if (!p) throw new Error(`playground: the quantizer gave no packed weight for ${name}`);
      return p;
    },
  });
  const info = {
    spec: dense.spec,
    q4Info: {
      id: q.id,
      embedding: r.embeddingGroupSize === null ? "f32" : `4-bit RTN group ${r.embeddingGroupSize}`,
      quantizerSeconds: q.seconds,
      meanRelError: q.meanRelError,
      linears: q.packed.size,
      weightBytes: q4.weightBytes,
    },
    denseWeightBytes: dense.weightBytes,
  };
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${folder}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileSync(join(tmp, "dense.onnx"), dense.bytes);
  writeFileSync(join(tmp, "q4.onnx"), q4.bytes);
  writeFileSync(join(tmp, "info.json"), JSON.stringify(info, null, 1));
  try {
    renameSync(tmp, folder);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process finished first
  }
  log(`playground artifacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ...info, dense: dense.bytes, q4: q4.bytes, cached: false };
}
