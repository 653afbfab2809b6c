// The on-disk cache of the dense model's top-k log-probs on a perplexity window set (kl-divergence.ts), keyed by the
// dense weights hash and a hash of the windows' token ids, so a change of weights, tokenizer, items or seq_len misses.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DenseTopK } from "./kl-divergence.js";

/** sha256 (16 hex) of a window set: its windows' token ids in order, and their lengths. */
export function windowSetHash(windows: readonly number[][]): string {
  const h = createHash("sha256");
  for (const w of windows) {
    h.update(`${w.length}:`);
    h.update(Buffer.from(Uint32Array.from(w).buffer));
  }
  return h.digest("hex").slice(0, 16);
}

const FORMAT = "kick-dense-logprobs";

/** `<dir>/<modelHash>/<windowsHash>-k<k>.bin`: a JSON header line, then ids (u32), log-probs (f32), tail (f64). */
export function denseCachePath(dir: string, modelHash: string, windowsHash: string, k: number): string {
  return join(dir, modelHash, `${windowsHash}-k${k}.bin`);
}

export function writeDenseTopK(path: string, d: DenseTopK, meta: { modelHash: string; windowsHash: string }): void {
  const header = Buffer.from(`${JSON.stringify({ format: FORMAT, version: 1, ...meta, k: d.k, vocab: d.vocab, positions: d.positions })}\n`);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([header, Buffer.from(d.ids.buffer, d.ids.byteOffset, d.ids.byteLength), Buffer.from(d.logp.buffer, d.logp.byteOffset, d.logp.byteLength), Buffer.from(d.tail.buffer, d.tail.byteOffset, d.tail.byteLength)]));
  renameSync(tmp, path); // readers never see half a file
}

/** Reads a cache file; null when it is absent or was written for other weights, windows or k. A damaged file throws, naming it. */
export function readDenseTopK(path: string, expect: { modelHash: string; windowsHash: string; k: number; vocab: number }): DenseTopK | null {
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  const nl = bytes.indexOf(10);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(0, nl).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new Error(`${path}: not a ${FORMAT} file (its first line is not a JSON header); delete it to recompute`);
  }
  const k = Math.min(expect.k, expect.vocab);
  if (header.format !== FORMAT || header.modelHash !== expect.modelHash || header.windowsHash !== expect.windowsHash || header.k !== k || header.vocab !== expect.vocab) return null;
  const positions = header.positions as number;
  const body = bytes.subarray(nl + 1);
  const want = positions * k * 8 + positions * 8;
  if (body.length !== want) throw new Error(`${path}: ${body.length} bytes after the header, expected ${want} for ${positions} positions at k = ${k}: truncated or damaged; delete it to recompute`);
  const copy = new Uint8Array(body).buffer; // aligned
  return {
    k,
    vocab: expect.vocab,
    positions,
    ids: new Uint32Array(copy, 0, positions * k),
    logp: new Float32Array(copy, positions * k * 4, positions * k),
    tail: new Float64Array(copy, positions * k * 8, positions),
  };
}
