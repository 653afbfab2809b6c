/**
 * Checkpoints: `<runDir>/checkpoint/` holds state.json (plan hash, step, tokens, log so far) and the
 * parameters and AdamW moments as raw little-endian f32 in canonical parameter order. Written into a
 * temporary folder and swapped in by rename, so a crash leaves the previous checkpoint intact.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Row } from "../store/parquet.js";

export interface CheckpointState {
  version: 1;
  plan: string;
  planHash: string;
  step: number;
  tokens: number;
  elapsedS: number;
  params: { name: string; shape: number[] }[];
  log: Row[];
  /** the files the run read (token shards, tokenizer, held-out), so a resume on rebuilt data is refused */
  data?: { path: string; sha256: string }[];
}

export const checkpointDir = (runDir: string) => join(runDir, "checkpoint");

const FILES = ["params.bin", "adam_m.bin", "adam_v.bin"] as const;

function pack(tensors: Float32Array[]): Buffer {
  const n = tensors.reduce((a, t) => a + t.length, 0);
  const out = new Float32Array(n);
  let at = 0;
  for (const t of tensors) { out.set(t, at); at += t.length; }
  return Buffer.from(out.buffer);
}

export async function writeCheckpoint(runDir: string, state: CheckpointState, data: { params: Float32Array[]; m: Float32Array[]; v: Float32Array[] }): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const dir = checkpointDir(runDir);
  const tmp = join(runDir, `.checkpoint.tmp-${process.pid}`);
  const old = join(runDir, `.checkpoint.old-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await writeFile(join(tmp, "params.bin"), pack(data.params));
  await writeFile(join(tmp, "adam_m.bin"), pack(data.m));
  await writeFile(join(tmp, "adam_v.bin"), pack(data.v));
  await writeFile(join(tmp, "state.json"), JSON.stringify(state));
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
  return dir;
}

export interface LoadedCheckpoint { state: CheckpointState; params: Float32Array[]; m: Float32Array[]; v: Float32Array[] }

/** Reads and checks a checkpoint against the plan hash and parameter shapes; errors name the file and the field. */
export async function readCheckpoint(runDir: string, planHash: string, shapes: { name: string; shape: number[] }[], data?: { path: string; sha256: string }[]): Promise<LoadedCheckpoint> {
  const dir = checkpointDir(runDir);
  const sf = join(dir, "state.json");
  if (!existsSync(sf)) throw new Error(`${sf}: no checkpoint to resume from`);
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(sf, "utf8"));
  } catch (e) {
    throw new Error(`${sf}: not valid JSON (${(e as Error).message})`);
  }
  if (state.version !== 1) throw new Error(`${sf}: field "version": ${state.version}, expected 1`);
  if (state.planHash !== planHash) throw new Error(`${sf}: field "planHash": the checkpoint is from a different plan ("${state.plan}", hash ${state.planHash.slice(0, 12)}…; this plan hashes to ${planHash.slice(0, 12)}…). Use a fresh output.runDir for this plan.`);
  if (state.data && data) {
    const now = new Map(data.map((f) => [f.path, f.sha256]));
    for (const f of state.data) {
      const cur = now.get(f.path);
      if (cur !== f.sha256)
        throw new Error(`${sf}: field "data": ${f.path} ${cur === undefined ? "is no longer read" : `changed since the checkpoint (sha256 ${f.sha256.slice(0, 12)}… then, ${cur.slice(0, 12)}… now)`}; rebuild the data the run started on, or use a fresh output.runDir`);
    }
    const extra = data.find((f) => !state.data!.some((g) => g.path === f.path));
    if (extra) throw new Error(`${sf}: field "data": ${extra.path} was not read when the checkpoint was written; rebuild the data the run started on, or use a fresh output.runDir`);
  }
  const want = JSON.stringify(shapes);
  if (JSON.stringify(state.params) !== want) throw new Error(`${sf}: field "params": parameter shapes differ from the plan's model`);
  const sizes = shapes.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const split = async (f: string): Promise<Float32Array[]> => {
    const p = join(dir, f);
    const b = await readFile(p);
    if (b.length !== total * 4) throw new Error(`${p}: ${b.length} bytes, expected ${total * 4} (truncated or from another model)`);
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    const out: Float32Array[] = [];
    let at = 0;
    for (const n of sizes) { out.push(all.slice(at, at + n)); at += n; }
    return out;
  };
  const [params, m, v] = await Promise.all(FILES.map(split));
  return { state, params, m, v };
}
