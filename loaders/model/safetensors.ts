/**
 * safetensors in and out. Reading validates the whole header up front (so a bad file fails before any GPU
 * work) and then reads one tensor at a time with positional reads, so a multi-GB checkpoint can be streamed
 * layer by layer. Writing streams tensors too, and is atomic (temp file, then rename).
 *
 * Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, __metadata__},
 * then the data; offsets are relative to the end of the header, tensors tile the data exactly.
 */
import { open, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ModelFormatError } from "./errors.js";
import type { ByteReader, FileStore } from "../util/file-store.js";
import { fileReader, nodeFileStore } from "../util/node-file-store.js";
import { firstNonFinite } from "./finite.js";
// IEEE half conversions live with the f16 kernels' reference (round to nearest even, as torch's .half())
import { f16Bits as floatToHalf, f16ToF32 as halfToFloat } from "../../kernels/reference/f16.js";

/** Bytes per element of every dtype the format defines; only F32, F16 and BF16 can be read as numbers. */
export const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
export type FloatDtype = "F32" | "F16" | "BF16";
const READABLE = new Set(["F32", "F16", "BF16"]);
/** One positional read is capped by the OS (2 GiB on Linux): read in chunks. */
const READ_CHUNK = 1 << 30;
/** Largest array one read produces (Node 20's buffers top out at 4 GiB). */
const MAX_READ_BYTES = 2 ** 32 - 1;
/** Headers beyond this are treated as corrupt (real ones are well under 10 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** the file holding it */
  file: string;
  /** absolute byte range in the file */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** bytes of header (8 + N) */
  dataStart: number;
}

/** Validates a header given its JSON bytes and the file's size; throws ModelFormatError naming `file`. */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new ModelFormatError(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ModelFormatError(file, "header is not a JSON object");
  }
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const dataSize = fileSize - dataStart;
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new ModelFormatError(file, `__metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") throw new ModelFormatError(file, `__metadata__.${k} must be a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ModelFormatError(file, `${where}: entry is not an object`);
    }
    const { dtype, shape, data_offsets: offs } = value as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      throw new ModelFormatError(
        file,
        `${where}: unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(DTYPE_BYTES).join(", ")}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFormatError(file, `${where}: shape must be a list of non-negative integers`);
    }
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offs[0] > offs[1]
    ) {
      throw new ModelFormatError(file, `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [b, e] = offs as [number, number];
    const elements = shape.reduce((a: number, d: number) => a * d, 1);
    if (elements * DTYPE_BYTES[dtype] !== e - b) {
      throw new ModelFormatError(
        file,
        `${where}: shape [${shape.join(", ")}] × ${dtype} is ${elements * DTYPE_BYTES[dtype]} bytes but data_offsets span ${e - b}`,
      );
    }
    if (e > dataSize) {
      throw new ModelFormatError(
        file,
        `${where}: data_offsets end ${e} lies past the end of the data (${Math.max(dataSize, 0)} bytes): file truncated or header corrupt`,
      );
    }
    tensors.set(name, { name, dtype, shape: shape as number[], file, begin: dataStart + b, end: dataStart + e });
  }
  // The tensors must tile the data exactly: no overlaps, no holes, nothing after the last one.
  const sorted = [...tensors.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = dataStart;
  for (const t of sorted) {
    if (t.begin < at) throw new ModelFormatError(file, `tensor "${t.name}": data overlaps the previous tensor`);
    if (t.begin > at) throw new ModelFormatError(file, `tensor "${t.name}": ${t.begin - at} unindexed bytes before it`);
    at = t.end;
  }
  if (at !== fileSize) {
    throw new ModelFormatError(file, `${fileSize - at} bytes after the last tensor: header does not cover the file`);
  }
  return { tensors, metadata, dataStart };
}

/** One open .safetensors file: header validated, tensors read on demand. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    private reader: ByteReader,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let reader: ByteReader;
    try {
      reader = await fileReader(path);
    } catch (e) {
      throw new ModelFormatError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    return SafetensorsFile.fromReader(reader, path);
  }

  /** The file behind `reader` (closed by close(), or here if the header is bad); `path` names it in errors. */
  static async fromReader(reader: ByteReader, path: string): Promise<SafetensorsFile> {
    try {
      const size = reader.size;
      if (size < 8) throw new ModelFormatError(path, `${size} bytes: too short for a safetensors header`);
      const lenBuf = new Uint8Array(8);
      await reader.read(lenBuf, 0, 8, 0);
      const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
      if (n > BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) {
        throw new ModelFormatError(path, `header length ${n} exceeds the file (${size} bytes): truncated or not safetensors`);
      }
      const headerBytes = new Uint8Array(Number(n));
      await reader.read(headerBytes, 0, headerBytes.length, 8);
      return new SafetensorsFile(path, parseHeader(headerBytes, size, path), reader);
    } catch (e) {
      await reader.close();
      throw e;
    }
  }

  get tensors(): Map<string, TensorInfo> {
    return this.header.tensors;
  }

  /** Raw little-endian bytes of one tensor, or of rows [rowStart, rowStart + rowCount) of its first dimension. */
  async readBytes(name: string, rows?: { start: number; count: number }): Promise<Uint8Array> {
    const t = this.info(name);
    let begin = t.begin;
    let end = t.end;
    if (rows) {
      const rowBytes = t.shape.length ? (t.end - t.begin) / Math.max(t.shape[0], 1) : 0;
      if (!Number.isInteger(rows.start) || !Number.isInteger(rows.count) || rows.start < 0 || rows.count < 0 || rows.start + rows.count > (t.shape[0] ?? 0)) {
        throw new ModelFormatError(this.path, `tensor "${name}": rows [${rows.start}, ${rows.start + rows.count}) outside its ${t.shape[0] ?? 0} rows`);
      }
      begin = t.begin + rows.start * rowBytes;
      end = begin + rows.count * rowBytes;
    }
    if (end - begin > MAX_READ_BYTES) {
      throw new ModelFormatError(this.path, `tensor "${name}": ${end - begin} bytes is more than one read can hold (${MAX_READ_BYTES}); read it in row ranges`);
    }
    const buf = new Uint8Array(end - begin);
    let done = 0;
    while (done < buf.length) {
      const want = Math.min(buf.length - done, READ_CHUNK);
      const bytesRead = await this.reader.read(buf, done, want, begin + done);
      if (bytesRead === 0) throw new ModelFormatError(this.path, `tensor "${name}": file ended early (changed while open?)`);
      done += bytesRead;
    }
    return buf;
  }

  /**
   * One tensor as f32 (F16 and BF16 widened exactly); with `rows`, only those rows of its first dimension
   * (for tensors too large for one buffer, e.g. a 128k-vocabulary embedding split across bindings).
   */
  async read(name: string, rows?: { start: number; count: number }): Promise<Float32Array> {
    const t = this.info(name);
    if (!READABLE.has(t.dtype)) {
      throw new ModelFormatError(this.path, `tensor "${name}": dtype ${t.dtype} cannot be read as floats; supported: F32, F16, BF16`);
    }
    const n = (rows ? rows.count * (t.shape.length ? numel(t.shape.slice(1)) : 1) : numel(t.shape));
    if (n * 4 > MAX_READ_BYTES) {
      throw new ModelFormatError(this.path, `tensor "${name}": ${n * 4} bytes as f32 is more than one array can hold (${MAX_READ_BYTES}); read it in row ranges`);
    }
    const data = toFloat32(await this.readBytes(name, rows), t.dtype as FloatDtype);
    // a NaN or infinite weight would otherwise flow through softmax and argmax into plausible-looking results
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      const cols = t.shape.length > 1 ? numel(t.shape.slice(1)) : 1;
      const at = t.shape.length > 1 ? `row ${(rows?.start ?? 0) + Math.floor(bad / cols)}, column ${bad % cols}` : `index ${bad}`;
      throw new ModelFormatError(this.path, `tensor "${name}": non-finite value ${data[bad]} at ${at}; refusing to load NaN or infinite weights`);
    }
    return data;
  }

  private info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new ModelFormatError(this.path, `no tensor "${name}"`);
    return t;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}

/**
 * A checkpoint's tensors across one `model.safetensors` or the shards named by
 * `model.safetensors.index.json`. All headers are validated when it opens.
 */
export class SafetensorsCheckpoint {
  private constructor(
    readonly files: SafetensorsFile[],
    readonly tensors: Map<string, TensorInfo>,
    private byFile: Map<string, SafetensorsFile>,
  ) {}

  static open(dir: string): Promise<SafetensorsCheckpoint> {
    return SafetensorsCheckpoint.openStore(nodeFileStore(dir));
  }

  /** The checkpoint's files read through `store` (a folder on disk, or files fetched by a page). */
  static async openStore(store: FileStore): Promise<SafetensorsCheckpoint> {
    const indexPath = store.where("model.safetensors.index.json");
    let shardNames: string[];
    let weightMap: Record<string, string> | null = null;
    let indexText: string | null = null;
    if (await store.has("model.safetensors.index.json")) {
      try {
        indexText = await store.readText("model.safetensors.index.json");
      } catch {
        indexText = null;
      }
    }
    if (indexText !== null) {
      weightMap = parseIndex(indexText, indexPath);
      shardNames = [...new Set(Object.values(weightMap))].sort();
    } else {
      shardNames = ["model.safetensors"];
    }
    if (indexText === null && !(await store.has("model.safetensors"))) {
      throw new ModelFormatError(store.where("model.safetensors"), "missing (and no model.safetensors.index.json)");
    }
    const files: SafetensorsFile[] = [];
    try {
      for (const s of shardNames) files.push(await openShard(store, s));
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    const tensors = new Map<string, TensorInfo>();
    const byFile = new Map(files.map((f) => [f.path, f]));
    for (const f of files) {
      for (const [name, info] of f.tensors) {
        if (tensors.has(name)) {
          await Promise.all(files.map((x) => x.close()));
          throw new ModelFormatError(f.path, `tensor "${name}" also appears in ${tensors.get(name)!.file}`);
        }
        if (weightMap && weightMap[name] !== basename(f.path)) {
          await Promise.all(files.map((x) => x.close()));
          throw new ModelFormatError(indexPath, `tensor "${name}" is in ${basename(f.path)} but the index says ${weightMap[name] ?? "nothing"}`);
        }
        tensors.set(name, info);
      }
    }
    if (weightMap) {
      for (const name of Object.keys(weightMap)) {
        if (!tensors.has(name)) {
          await Promise.all(files.map((x) => x.close()));
          throw new ModelFormatError(indexPath, `tensor "${name}" is listed in weight_map but not in ${weightMap[name]}`);
        }
      }
    }
    return new SafetensorsCheckpoint(files, tensors, byFile);
  }

  private fileOf(name: string): SafetensorsFile {
    const t = this.tensors.get(name);
    if (!t) throw new ModelFormatError(dirname(this.files[0]?.path ?? "."), `no tensor "${name}" in the checkpoint`);
    return this.byFile.get(t.file)!;
  }

  read(name: string, rows?: { start: number; count: number }): Promise<Float32Array> {
    return this.fileOf(name).read(name, rows);
  }

  readBytes(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readBytes(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

async function openShard(store: FileStore, name: string): Promise<SafetensorsFile> {
  let reader: ByteReader;
  try {
    reader = await store.openBytes(name);
  } catch (e) {
    throw new ModelFormatError(store.where(name), `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message ?? e})`);
  }
  return SafetensorsFile.fromReader(reader, store.where(name));
}

function parseIndex(text: string, file: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  const wm = (json as { weight_map?: unknown })?.weight_map;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
    throw new ModelFormatError(file, `field "weight_map": expected an object of tensor name → shard file`);
  }
  for (const [k, v] of Object.entries(wm)) {
    if (typeof v !== "string" || v.includes("/") || v.includes("\\") || !v.endsWith(".safetensors")) {
      throw new ModelFormatError(file, `field "weight_map.${k}": expected a .safetensors file name in this folder`);
    }
  }
  return wm as Record<string, string>;
}

// ---------------------------------------------------------------- dtype conversion

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function toFloat32(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") {
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const n = bytes.length / 2;
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  if (dtype === "BF16") {
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

export { floatToHalf, halfToFloat };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → bf16 bits, round to nearest even. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromFloat32(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === "F32") {
    const out = new Uint8Array(data.length * 4);
    const v = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) v.setFloat32(4 * i, data[i], true);
    return out;
  }
  const out = new Uint8Array(data.length * 2);
  const v = new DataView(out.buffer);
  const conv = dtype === "F16" ? floatToHalf : floatToBf16;
  for (let i = 0; i < data.length; i++) v.setUint16(2 * i, conv(data[i]), true);
  return out;
}

// ---------------------------------------------------------------- writing

/** A tensor to write: its shape up front, its data when asked (so writing can stream from disk). */
export interface TensorSource {
  name: string;
  shape: number[];
  data: Float32Array | (() => Promise<Float32Array> | Float32Array);
}

export interface WriteOptions {
  dtype?: FloatDtype;
  metadata?: Record<string, string>;
}

function numel(shape: number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** Writes one .safetensors file atomically. Tensors are laid out in the given order. */
export async function writeSafetensors(path: string, tensors: TensorSource[], opts: WriteOptions = {}): Promise<void> {
  const dtype = opts.dtype ?? "F32";
  const width = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...(opts.metadata ?? {}) } };
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new ModelFormatError(path, `tensor "${t.name}" given twice`);
    seen.add(t.name);
    const bytes = numel(t.shape) * width;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keep the data 8-byte aligned, as HF does
  const headerBytes = Buffer.from(json, "utf8");
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  const fh = await open(tmp, "w");
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    await fh.write(len);
    await fh.write(headerBytes);
    for (const t of tensors) {
      const data = typeof t.data === "function" ? await t.data() : t.data;
      if (data.length !== numel(t.shape)) {
        throw new ModelFormatError(path, `tensor "${t.name}": ${data.length} values for shape [${t.shape.join(", ")}]`);
      }
      await fh.write(fromFloat32(data, dtype));
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `model.safetensors`, or, when the tensors exceed `maxShardBytes`, shards
 * `model-0000i-of-0000n.safetensors` plus `model.safetensors.index.json` (the layout save_pretrained writes).
 * Returns the file names written.
 */
export async function writeCheckpointTensors(
  dir: string,
  tensors: TensorSource[],
  opts: WriteOptions & { maxShardBytes?: number } = {},
): Promise<string[]> {
  const dtype = opts.dtype ?? "F32";
  const width = DTYPE_BYTES[dtype];
  const max = opts.maxShardBytes ?? 5 * 1024 ** 3;
  const shards: TensorSource[][] = [[]];
  let size = 0;
  let total = 0;
  for (const t of tensors) {
    const bytes = numel(t.shape) * width;
    if (size > 0 && size + bytes > max) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += bytes;
    total += bytes;
  }
  if (shards.length === 1) {
    await writeSafetensors(join(dir, "model.safetensors"), tensors, opts);
    return ["model.safetensors"];
  }
  const pad = (i: number) => String(i).padStart(5, "0");
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < shards.length; i++) {
    await writeSafetensors(join(dir, names[i]), shards[i], opts);
    for (const t of shards[i]) weightMap[t.name] = names[i];
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  const indexPath = join(dir, "model.safetensors.index.json");
  await writeFile(`${indexPath}.tmp`, JSON.stringify(index, null, 2) + "\n");
  await rename(`${indexPath}.tmp`, indexPath);
  return [...names, "model.safetensors.index.json"];
}
