// kick prompt --compressed SPEC: the checkpoint a prompt learns on, compressed here from the dense model with a
// compression spec written as kick eval's --compression and sweep plans write it ({"method":"sparsegpt","sparsity":0.5},
// "sparsegpt+gptq" with bits for the joint 4-bit + 50%). The checkpoint is kept (runs/compressed/ by default) and
// reused by later prompts of the same model and spec, so a spec is compressed once.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { compressCheckpoint } from "../compress/checkpoint.js";
import { UsageError } from "../util/usage-error.js";
import { canonicalJson, readModelSpec } from "../model/config.js";
import { parseCompression } from "../sweep/compression.js";
import { toCompressionSpec } from "../sweep/compression-methods.js";
import type { CompressionSpec } from "../compress/spec.js";

/** The compression spec of a --compressed value that is not a folder; null for "dense". */
export function compressionForPrompt(text: string, denseDir: string): CompressionSpec | null {
  let input: unknown = text;
  if (text.trim().startsWith("{")) {
    try {
      input = JSON.parse(text);
    } catch (e) {
      throw new UsageError("prompt", `--compressed ${text}: not valid JSON (${(e as Error).message})`);
    }
  } else if (!/^[a-z+]+$/.test(text)) {
    throw new UsageError("prompt", `--compressed ${text}: neither a checkpoint directory nor a compression spec (JSON as kick eval's --compression takes it, e.g. '{"method":"sparsegpt","sparsity":0.5}')`);
  }
  let entry;
  try {
    entry = parseCompression(input, "--compressed");
  } catch (e) {
    throw new UsageError("prompt", (e as Error).message);
  }
  if (entry.method === "dense") return null;
  if (entry.method === "awq") throw new UsageError("prompt", `--compressed: AWQ is not compressed here; run kick compress --model ${denseDir} --method awq ... --out DIR, then --compressed DIR`);
  const cspec = toCompressionSpec(entry, "--compressed");
  // as kick compress: calibration windows as long as the model allows (up to 2048) unless the spec says otherwise
  const given = (entry.calibration as { seqLen?: number } | undefined)?.seqLen;
  const maxPositions = readModelSpec(denseDir).maxPositions;
  if (given === undefined) cspec.calibration.seqLen = Math.min(2048, maxPositions);
  else if (given > maxPositions) throw new UsageError("prompt", `--compressed: field "calibration.seqLen": ${given} exceeds the ${maxPositions} positions of ${denseDir}`);
  return cspec;
}

/** The folder of DENSE compressed per CSPEC: reused when it holds that compression, else compressed now (GPU, f32). */
export async function compressedCheckpoint(denseDir: string, cspec: CompressionSpec, outDir?: string): Promise<string> {
  const key = createHash("sha256").update(canonicalJson({ source: resolve(denseDir), spec: cspec })).digest("hex").slice(0, 12);
  const dir = outDir ?? join("runs", "compressed", `${basename(resolve(denseDir))}-${key}`);
  const doc = join(dir, "compression.json");
  if (existsSync(dir)) {
    const held = existsSync(doc) ? (JSON.parse(readFileSync(doc, "utf8")) as { spec?: unknown }).spec : undefined;
    if (canonicalJson(held) !== canonicalJson(JSON.parse(JSON.stringify(cspec))))
      throw new UsageError("prompt", `--compressed-out ${dir} already holds another checkpoint (its compression.json differs from the spec); remove it or choose another folder`);
    process.stderr.write(`[prompt] reusing ${dir} (compressed earlier with the same spec)\n`);
    return dir;
  }
  // compressed into a temporary sibling and renamed, so an interrupted run leaves no half-written checkpoint to reuse
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await compressCheckpoint(denseDir, tmp, cspec, { backend: "gpu", dtype: "float32" });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stderr.write(`[prompt] compressed checkpoint: ${dir}\n`);
  return dir;
}
