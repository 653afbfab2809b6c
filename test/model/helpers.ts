/** Test helpers: copy a fixture checkpoint to a temp dir and rewrite its tensors or config. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SafetensorsFile } from "../../loaders/model/safetensors.js";
import { modelDir } from "./fixtures.js";

export function tempDir(prefix = "kick-model-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function copyFixture(name: string): string {
  const dir = join(tempDir(), name);
  cpSync(modelDir(name), dir, { recursive: true });
  return dir;
}

export function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(dir, "config.json");
  const c = JSON.parse(readFileSync(p, "utf8"));
  edit(c);
  writeFileSync(p, JSON.stringify(c));
}

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

export async function readRawTensors(path: string): Promise<RawTensor[]> {
  const f = await SafetensorsFile.open(path);
  const out: RawTensor[] = [];
  for (const t of f.tensors.values()) out.push({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: await f.readBytes(t.name) });
  await f.close();
  return out;
}

/** Writes a safetensors file from raw entries (any dtype, any names) — for files kick's writer would not make. */
export function writeRawTensors(path: string, tensors: RawTensor[]): void {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, ...tensors.map((t) => Buffer.from(t.bytes))]));
}
