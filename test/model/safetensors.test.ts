// safetensors: round trips in F32/F16/BF16, sharding, every kind of bad header, and a seeded header fuzz.
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelFormatError } from "../../loaders/model/errors.js";
import {
  SafetensorsCheckpoint, SafetensorsFile, floatToBf16, floatToHalf, halfToFloat, parseHeader, writeCheckpointTensors, writeSafetensors,
} from "../../loaders/model/safetensors.js";
import { modelDir } from "./fixtures.js";
import { pick, prng } from "./prng.js";

const tmp = () => mkdtempSync(join(tmpdir(), "kick-st-"));

/** A file made by hand: header JSON + data bytes (to write headers the writer never would). */
function handMade(header: unknown, dataBytes: number, headerLenOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLenOverride ?? BigInt(json.length));
  const path = join(tmp(), "model.safetensors");
  writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
  return path;
}

describe("conversions (IEEE 754 facts)", () => {
  it("f16", () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds to infinity
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
  });
  it("bf16", () => {
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(-1.5)).toBe(0xbfc0);
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16(3.3895313892515355e38)).toBe(0x7f7f); // bf16 max
  });
});

describe("round trips", () => {
  const values = Float32Array.from([0, 1, -1, 0.5, 3.140625, -1024, 2 ** -14, 65504, 1.1, -7.3e-3]);
  it.each(["F32", "F16", "BF16"] as const)("%s", async (dtype) => {
    const path = join(tmp(), "t.safetensors");
    await writeSafetensors(path, [
      { name: "a", shape: [2, 5], data: values },
      { name: "empty", shape: [0, 3], data: new Float32Array(0) },
      { name: "lazy", shape: [3], data: async () => Float32Array.from([1, 2, 3]) },
    ], { dtype, metadata: { note: "x" } });
    const f = await SafetensorsFile.open(path);
    expect(f.header.metadata).toEqual({ format: "pt", note: "x" });
    expect(f.tensors.get("a")).toMatchObject({ dtype, shape: [2, 5] });
    const back = await f.read("a");
    const relTol = dtype === "F32" ? 0 : dtype === "F16" ? 2 ** -11 : 2 ** -8;
    values.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * relTol));
    // the first 8 values are exact in f16; the first 7 in bf16 (65504 needs 10 mantissa bits)
    const exact = dtype === "BF16" ? 7 : 8;
    expect(Array.from(back.slice(0, exact))).toEqual(Array.from(values.slice(0, exact)));
    expect(Array.from(await f.read("lazy"))).toEqual([1, 2, 3]);
    expect((await f.read("empty")).length).toBe(0);
    await f.close();
    // data starts 8-byte aligned, like HF's writer
    expect((readFileSync(path).readBigUInt64LE(0) + 8n) % 8n).toBe(0n);
  });

  it.each(["F32", "BF16"] as const)("reads row ranges of the first dimension (%s)", async (dtype) => {
    const path = join(tmp(), "rows.safetensors");
    await writeSafetensors(path, [{ name: "m", shape: [4, 3], data: Float32Array.from([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]) }], { dtype });
    const f = await SafetensorsFile.open(path);
    expect(Array.from(await f.read("m", { start: 1, count: 2 }))).toEqual([10, 11, 12, 20, 21, 22]);
    expect(Array.from(await f.read("m", { start: 3, count: 1 }))).toEqual([30, 31, 32]);
    expect((await f.read("m", { start: 4, count: 0 })).length).toBe(0);
    await expect(f.read("m", { start: 3, count: 2 })).rejects.toThrow(/tensor "m": rows \[3, 5\) outside its 4 rows/);
    await f.close();
  });

  it("sharded checkpoint with index, read back through SafetensorsCheckpoint", async () => {
    const dir = tmp();
    const tensors = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, shape: [10], data: new Float32Array(10).fill(i) }));
    const files = await writeCheckpointTensors(dir, tensors, { maxShardBytes: 100 });
    // 40 bytes each, at most 100 a shard: two, two, one
    expect(files).toEqual([
      "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
      "model.safetensors.index.json",
    ]);
    const index = JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8"));
    expect(index.metadata.total_size).toBe(200);
    const ck = await SafetensorsCheckpoint.open(dir);
    expect(ck.files.length).toBe(3);
    expect(index.weight_map.t2).toBe("model-00002-of-00003.safetensors");
    expect(Array.from(await ck.read("t3"))).toEqual(new Array(10).fill(3));
    await ck.close();
    expect(readdirSync(dir).some((f) => f.includes(".tmp"))).toBe(false);
  });

  it("reads the HF-written fixture checkpoint", async () => {
    const ck = await SafetensorsCheckpoint.open(modelDir("gpt2"));
    expect(ck.tensors.get("transformer.h.0.attn.c_attn.weight")).toMatchObject({ dtype: "F32", shape: [32, 96] });
    expect((await ck.read("transformer.wte.weight")).length).toBe(320 * 32);
    await ck.close();
  });
});

describe("bad files fail with the file and tensor named", () => {
  const F32 = (shape: number[], b: number, e: number) => ({ dtype: "F32", shape, data_offsets: [b, e] });
  it("truncated file", async () => {
    const dir = tmp();
    const path = join(dir, "model.safetensors");
    await writeSafetensors(path, [{ name: "w", shape: [100], data: new Float32Array(100) }]);
    truncateSync(path, readFileSync(path).length - 10);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/model\.safetensors: tensor "w": data_offsets end 400 lies past the end of the data \(390 bytes\): file truncated/);
    truncateSync(path, 5);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/5 bytes: too short/);
    truncateSync(path, 20);
    await expect(SafetensorsFile.open(path)).rejects.toThrow(/header length \d+ exceeds the file \(20 bytes\)/);
  });
  it("offsets past the end", async () => {
    await expect(SafetensorsFile.open(handMade({ w: F32([4], 0, 16) }, 8))).rejects.toThrow(/tensor "w": data_offsets end 16 lies past the end/);
  });
  it("overlapping tensors", async () => {
    await expect(SafetensorsFile.open(handMade({ a: F32([4], 0, 16), b: F32([4], 8, 24) }, 24))).rejects.toThrow(/tensor "b": data overlaps/);
  });
  it("holes and trailing bytes", async () => {
    await expect(SafetensorsFile.open(handMade({ a: F32([2], 8, 16) }, 16))).rejects.toThrow(/tensor "a": 8 unindexed bytes/);
    await expect(SafetensorsFile.open(handMade({ a: F32([2], 0, 8) }, 16))).rejects.toThrow(/8 bytes after the last tensor/);
  });
  it("unknown dtype, and a known dtype that is not a float", async () => {
    await expect(SafetensorsFile.open(handMade({ w: { dtype: "F12", shape: [2], data_offsets: [0, 4] } }, 4))).rejects.toThrow(/tensor "w": unknown dtype "F12"/);
    const f = await SafetensorsFile.open(handMade({ w: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, 16));
    await expect(f.read("w")).rejects.toThrow(/tensor "w": dtype I64 cannot be read as floats; supported: F32, F16, BF16/);
    await f.close();
  });
  it("shape × dtype size differs from the offsets", async () => {
    await expect(SafetensorsFile.open(handMade({ w: F32([3, 3], 0, 32) }, 32))).rejects.toThrow(/tensor "w": shape \[3, 3\] × F32 is 36 bytes but data_offsets span 32/);
  });
  it("malformed entries and metadata", async () => {
    await expect(SafetensorsFile.open(handMade({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0))).rejects.toThrow(/tensor "w": shape must be/);
    await expect(SafetensorsFile.open(handMade({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4))).rejects.toThrow(/tensor "w": data_offsets must be/);
    await expect(SafetensorsFile.open(handMade({ __metadata__: { a: 1 } }, 0))).rejects.toThrow(/__metadata__\.a must be a string/);
    await expect(SafetensorsFile.open(handMade([1, 2], 0))).rejects.toThrow(/header is not a JSON object/);
    await expect(SafetensorsFile.open(handMade({}, 0, 2n ** 63n))).rejects.toThrow(/header length \d+ exceeds the file/);
  });
  it("missing file, bad index, index naming a missing shard", async () => {
    const dir = tmp();
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/model\.safetensors: missing \(and no model\.safetensors\.index\.json\)/);
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { w: "model-00001-of-00002.safetensors" } }));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/model-00001-of-00002\.safetensors: cannot open \(ENOENT\)/);
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { w: "../../etc/passwd" } }));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/model\.safetensors\.index\.json: field "weight_map\.w"/);
  });
  it("index disagreeing with the shards", async () => {
    const dir = tmp();
    await writeCheckpointTensors(dir, [{ name: "a", shape: [8], data: new Float32Array(8) }, { name: "b", shape: [8], data: new Float32Array(8) }], { maxShardBytes: 32 });
    const ip = join(dir, "model.safetensors.index.json");
    const index = JSON.parse(readFileSync(ip, "utf8"));
    index.weight_map.c = index.weight_map.a;
    writeFileSync(ip, JSON.stringify(index));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/index\.json: tensor "c" is listed in weight_map but not in model-00001/);
    const [s1, s2] = [index.weight_map.a, index.weight_map.b];
    index.weight_map = { a: s2, b: s1 };
    writeFileSync(ip, JSON.stringify(index));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/tensor "a" is in model-00001-of-00002\.safetensors but the index says model-00002/);
    index.weight_map = { a: s2, b: s2 };
    writeFileSync(ip, JSON.stringify(index));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/tensor "a" is listed in weight_map but not in model-00002-of-00002/);
  });
  it("a failed write leaves nothing behind", async () => {
    const dir = tmp();
    const path = join(dir, "model.safetensors");
    await expect(writeSafetensors(path, [{ name: "a", shape: [4], data: new Float32Array(3) }])).rejects.toThrow(/tensor "a": 3 values for shape \[4\]/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("fuzz: mutated headers only ever throw ModelFormatError", () => {
  it("20000 seeded mutations of real headers (parser) and 300 of real files (reader)", async () => {
    const raw = readFileSync(join(modelDir("qwen2"), "model.safetensors"));
    const n = Number(raw.readBigUInt64LE(0));
    const header = raw.subarray(8, 8 + n);
    const text = header.toString("utf8");
    const rand = prng(2024);
    const tokens = ['"F32"', '"F16"', '"I8"', '"X"', "-1", "0", "1e999", "99999999999", "[]", "{}", "null", '"', ",", "]", "}", "[0,0]"];
    const mutate = (): Uint8Array => {
      const r = rand();
      if (r < 0.4) {
        const b = Buffer.from(header);
        for (let k = 0; k < 1 + Math.floor(rand() * 5); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        return b;
      }
      if (r < 0.8) {
        const at = Math.floor(rand() * text.length);
        return Buffer.from(text.slice(0, at) + pick(rand, tokens) + text.slice(at + Math.floor(rand() * 6)));
      }
      return header.subarray(0, Math.floor(rand() * header.length));
    };
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const h = mutate();
      const size = rand() < 0.8 ? raw.length - n + h.length : Math.floor(rand() * raw.length);
      try {
        parseHeader(h, size, "fuzz.safetensors");
        accepted++;
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
      }
    }
    expect(accepted).toBeGreaterThan(0);
    const dir = tmp();
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(raw);
      const at = Math.floor(rand() * Math.min(b.length, n + 16));
      b[at] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? Math.floor(rand() * b.length) : b.length;
      const path = join(dir, `f${i}.safetensors`);
      writeFileSync(path, b.subarray(0, cut));
      try {
        const f = await SafetensorsFile.open(path);
        for (const name of f.tensors.keys()) await f.read(name).catch((e) => { if (!(e instanceof ModelFormatError)) throw e; });
        await f.close();
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
      }
    }
  });
});
