// Test helper: a copy of a fixture checkpoint with some of its F32 tensors edited in place (NaN weights,
// overflowing ones, retrained ones under the same name), written byte for byte as the original otherwise.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Copies checkpoint `from` to `to`, applying `edits` (tensor name → in-place edit of its f32 values). */
export function editedCheckpoint(from: string, to: string, edits: Record<string, (values: Float32Array) => void>): string {
  cpSync(from, to, { recursive: true });
  const file = join(to, "model.safetensors");
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  for (const [name, edit] of Object.entries(edits)) {
    const t = header[name];
    if (!t || t.dtype !== "F32") throw new Error(`${file}: no F32 tensor "${name}"`);
    const [begin, end] = t.data_offsets.map((o) => 8 + headerLength + o);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + begin, bytes.byteOffset + end));
    edit(values);
    Buffer.from(values.buffer).copy(bytes, begin);
  }
  writeFileSync(file, bytes);
  return to;
}
