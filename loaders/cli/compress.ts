// kick compress --model DIR --method M --sparsity S [--pattern 2:4] --out DIR: prune a Hugging Face
// checkpoint layer by layer on the GPU and save it (exact zeros) with a per-layer report.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../kernels/index.js";
import { loadReferenceModel } from "../model/load.js";
import { saveModel, type SaveDtype } from "../model/save.js";
import { compressCheckpoint, writePacked } from "../compress/checkpoint.js";
import { COMPRESSION_METHODS } from "../compress/methods/index.js";
import { parseCompressionSpec, type CompressionSpecInput } from "../compress/spec.js";
import { intOption, modelOption, numOption, parse, UsageError } from "./args.js";
import { awqCompress, checkAwqModel, type AwqLinearReport } from "../compress/awq-driver.js";
import { awqCalibrationSamples } from "../compress/awq-method.js";
import { awqSpecId, parseAwqSpec } from "../compress/awq-spec.js";
import { isMain } from "../util/is-main.js";

export const summary = "prune / quantize a model (magnitude, Wanda, SparseGPT, RIA, N:M, OWL; RTN, GPTQ, AWQ, sparse+quantized) on the GPU";

/** Every --method: the registry's methods (loaders/compress/methods/) and AWQ, which has its own spec (awq-spec.ts). */
const COMPRESS_METHODS: readonly string[] = [...COMPRESSION_METHODS.map((m) => m.id).filter((m) => m !== "dense"), "awq", "dense"];
/** The methods' own options (e.g. RIA's --alpha), as `--flag X` → spec field. */
const METHOD_FLAGS = COMPRESSION_METHODS.flatMap((m) => m.flags ?? []);

export const COMPRESS_HELP = `Usage: kick compress --model DIR --method METHOD --out DIR [options]

Prunes every linear layer of the decoder (embeddings and LM head untouched) layer by layer, as the
official SparseGPT / Wanda pipelines do: each layer is calibrated on the activations of the already
compressed layers before it. Writes a Hugging Face checkpoint with exact zeros plus compression.json
(the spec, its id, per-layer achieved sparsity, reconstruction error ‖WX − ŴX‖² / ‖WX‖², time).
Nothing is written when anything fails. Progress per layer on stderr.

Options:
  --model DIR          source checkpoint (config.json, *.safetensors, tokenizer.json)
  --out DIR            output checkpoint directory (must not exist)
  --method M           ${COMPRESS_METHODS.join(" | ")}
  --sparsity S         fraction of weights set to zero, in [0, 1) (N:M patterns imply N/M)
  --pattern P          unstructured (default) or N:M, e.g. 2:4, 4:8
  --calib SRC          calibration text: "corpus" (kick's corpus, default) or a text file
  --samples N          calibration sequences (default 128)
  --seq-len N          tokens per sequence (default min(2048, the model's max positions))
  --seed N             calibration sampling seed (default 0; the run's calibration seed, part of the spec's
                       id; refused for methods without calibration: magnitude, rtn)
  --damping D          SparseGPT damping, fraction of mean(diag H) (default 0.01)
  --block-size N       SparseGPT lazy-update block (default 128)
  --true-sequential    calibrate q/k/v, o, gate/up, down one after another inside a layer
  --owl                OWL layer-wise sparsity (Wanda or SparseGPT); --owl-lambda (0.08), --owl-m (5)
${METHOD_FLAGS.map((f) => `  --${f.flag} X`.padEnd(23) + f.help).join("\n")}
  --bits B             quantize (rtn, gptq; with sparsegpt: joint sparse + quantized): 2 | 3 | 4 | 8
  --group G            quantization group size along the input: -1 (per row, default) | 32 | 64 | 128
  --sym                symmetric grid (default asymmetric, as the GPTQ reference)
  --act-order          GPTQ: process columns by decreasing diag(H)
  --static-groups      GPTQ: group params fixed on the original weights (act-order without g_idx)
                       Quantized runs also write quantized.json + quantized.bin (packed levels,
                       scales, zero points, g_idx; layout in docs/compress.md) and report bits/weight.
                       awq: activation-aware scales + clipping (llm-awq), then 4-bit g128 asymmetric by
                       default (--bits 2|3|4|8, --group 32|64|128); calibration 128 x 512 tokens by default.
  --dtype T            float32 | float16 | bfloat16 | keep (default keep)
  --backend cpu|gpu    calibration forward: cpu = the f64 reference forward (default; small models), gpu = the
                       WebGPU forward, as sweeps compress (fast on a real GPU; not for --method awq)
  --json               print the report as JSON on stdout
  -h, --help           this help`;

export async function main(argv: string[]): Promise<number> {
  const c = "compress";
  let v: Record<string, string | boolean | string[] | undefined>;
  try {
    v = parse(c, argv, {
      model: { type: "string" }, out: { type: "string" }, method: { type: "string" }, sparsity: { type: "string" },
      pattern: { type: "string" }, calib: { type: "string" }, samples: { type: "string" }, "seq-len": { type: "string" },
      seed: { type: "string" }, damping: { type: "string" }, "block-size": { type: "string" }, "true-sequential": { type: "boolean" },
      owl: { type: "boolean" }, "owl-lambda": { type: "string" }, "owl-m": { type: "string" },
      bits: { type: "string" }, group: { type: "string" }, sym: { type: "boolean" }, "act-order": { type: "boolean" }, "static-groups": { type: "boolean" }, dtype: { type: "string" }, json: { type: "boolean" },
      backend: { type: "string" },
      ...Object.fromEntries(METHOD_FLAGS.map((f) => [f.flag, { type: "string" as const }])),
    }).values;
    if (v.help) {
      console.log(COMPRESS_HELP);
      return 0;
    }
    return await run(v);
  } catch (e) {
    const err = e as Error;
    console.error(err instanceof UsageError ? err.message : `kick compress: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

async function run(v: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  const c = "compress";
  const model = modelOption(c, v.model as string | undefined);
  const out = v.out as string | undefined;
  if (!out) throw new UsageError(c, "--out DIR is required");
  if (existsSync(out)) throw new UsageError(c, `--out ${out} already exists (choose a new directory)`);
  const dtype = (v.dtype as string | undefined) ?? "keep";
  if (!["float32", "float16", "bfloat16", "keep"].includes(dtype)) throw new UsageError(c, `--dtype must be float32, float16, bfloat16 or keep, got "${dtype}"`);
  if (!v.method) throw new UsageError(c, `--method is required (${COMPRESS_METHODS.join(" | ")})`);
  if (!COMPRESS_METHODS.includes(v.method as string)) throw new UsageError(c, `--method: unknown method "${v.method}"; one of ${COMPRESS_METHODS.join(", ")}`);
  const backend = (v.backend as string | undefined) ?? "cpu";
  if (backend !== "cpu" && backend !== "gpu") throw new UsageError(c, `--backend must be cpu or gpu, got "${backend}"`);
  if (v.method === "awq") {
    if (v.backend !== undefined) throw new UsageError(c, "--backend does not apply to --method awq (its searches run on the GPU, its forward on the CPU reference)");
    return await runAwq(v, model, out, dtype);
  }
  if (COMPRESSION_METHODS.find((m) => m.id === v.method)?.stats === "none")
    for (const k of ["calib", "samples", "seq-len", "seed"])
      if (v[k] !== undefined) throw new UsageError(c, `--${k} does not apply to --method ${v.method}: it uses no calibration samples`);
  const num = (n: string) => numOption(c, n, v[n] as string | undefined, () => true, "a number");
  const input: CompressionSpecInput = {
    method: v.method as CompressionSpecInput["method"],
    pattern: (v.pattern as string | undefined) ?? "unstructured",
    sparsity: num("sparsity"),
    damping: num("damping"),
    blockSize: intOption(c, "block-size", v["block-size"] as string | undefined, 1),
    trueSequential: !!v["true-sequential"],
    owl: v.owl ? { lambda: num("owl-lambda") ?? 0.08, m: num("owl-m") ?? 5 } : undefined,
    bits: num("bits"),
    groupSize: num("group"),
    sym: v.sym ? true : undefined,
    actOrder: v["act-order"] ? true : undefined,
    staticGroups: v["static-groups"] ? true : undefined,
    ...Object.fromEntries(METHOD_FLAGS.map((f) => [f.field, num(f.flag)])),
  };
  for (const k of Object.keys(input) as (keyof CompressionSpecInput)[]) if (input[k] === undefined) delete input[k];
  const { model: ref, opened } = await loadReferenceModel(model);
  const spec = opened.spec;
  const seqLen = intOption(c, "seq-len", v["seq-len"] as string | undefined, 1) ?? Math.min(2048, spec.maxPositions);
  if (seqLen > spec.maxPositions) throw new UsageError(c, `--seq-len ${seqLen} exceeds the model's ${spec.maxPositions} positions`);
  input.calibration = {
    source: (v.calib as string | undefined) ?? "corpus",
    samples: intOption(c, "samples", v.samples as string | undefined, 1) ?? 128,
    seqLen,
    seed: intOption(c, "seed", v.seed as string | undefined, 0) ?? 0,
  };
  const doc = await compressCheckpoint(model, out, parseCompressionSpec(input), { backend, dtype: dtype as SaveDtype | "keep" }, { model: ref, opened });
  if (v.json) console.log(JSON.stringify(doc));
  return 0;
}

/** kick compress --method awq: the AWQ driver (loaders/compress/awq-driver.ts); nothing is written on failure. */
async function runAwq(v: Record<string, string | boolean | string[] | undefined>, model: string, out: string, dtype: string): Promise<number> {
  const c = "compress";
  for (const k of ["sparsity", "pattern", "damping", "block-size", "true-sequential", "owl", "sym", "act-order", "static-groups", ...METHOD_FLAGS.map((f) => f.flag)])
    if (v[k] !== undefined && v[k] !== false) throw new UsageError(c, `--${k} does not apply to --method awq (AWQ takes --bits, --group and the calibration options)`);
  const num = (n: string) => numOption(c, n, v[n] as string | undefined, () => true, "a number");
  const { model: ref, opened } = await loadReferenceModel(model);
  const spec = opened.spec;
  const seqLen = intOption(c, "seq-len", v["seq-len"] as string | undefined, 1) ?? Math.min(512, spec.maxPositions);
  if (seqLen > spec.maxPositions) throw new UsageError(c, `--seq-len ${seqLen} exceeds the model's ${spec.maxPositions} positions`);
  const a = parseAwqSpec({
    method: "awq", ...(v.bits !== undefined ? { bits: num("bits") } : {}), ...(v.group !== undefined ? { groupSize: num("group") } : {}),
    calibration: { source: (v.calib as string | undefined) ?? "corpus", samples: intOption(c, "samples", v.samples as string | undefined, 1) ?? 128, seqLen, seed: intOption(c, "seed", v.seed as string | undefined, 0) ?? 0 },
  });
  checkAwqModel(spec, a);
  const samples = awqCalibrationSamples(a, model, spec);
  const id = awqSpecId(a);
  console.error(`[compress] ${id} on ${model} (${spec.numLayers} layers, ${samples.length}×${a.calibration.seqLen} calibration tokens)`);
  const ctx = await createContext();
  try {
    const res = await awqCompress({ spec, weights: ref.weights }, a, {
      ctx, samples,
      onProgress: (m) => console.error(`[compress] ${m}`),
      onLayer: (r: AwqLinearReport, done, total) =>
        console.error(`[compress] ${done}/${total} ${r.name} ${r.rows}×${r.cols}: ${r.bits}-bit g${r.groupSize} (${r.bitsPerWeight.toFixed(3)} bits/weight), scale ratio ${r.scaleRatio === null ? "—" : r.scaleRatio.toFixed(2)}, ${r.clippedFraction === null ? "not clipped" : `clipped ${(100 * r.clippedFraction).toFixed(1)}% of groups`}, rel err ${r.relError!.toExponential(3)}, ${(r.seconds * 1000).toFixed(0)} ms`),
    });
    const written = await saveModel(out, { sourceDir: model, spec, weights: res.weights, dtype: dtype as SaveDtype | "keep", metadata: { kick_compression: id } });
    const q = writePacked(out, res.packed);
    const doc = { spec: a, id, source: model, seconds: res.seconds, groups: res.groups, layers: res.report, quantized: { file: "quantized.json", bitsPerWeight: q.bitsPerWeight, bytes: q.bytes } };
    writeFileSync(join(out, "compression.json"), JSON.stringify(doc, null, 1) + "\n");
    console.error(`[compress] packed ${res.packed.size} linears: ${q.bitsPerWeight.toFixed(4)} bits/weight incl. scales and zeros (${q.bytes} bytes)`);
    console.error(`[compress] wrote ${out} (${written.length + 3} files) in ${res.seconds.toFixed(1)} s`);
    if (v.json) console.log(JSON.stringify(doc));
    return 0;
  } finally {
    await ctx.destroy();
  }
}

if (isMain(import.meta.url, "loaders/cli/compress.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
