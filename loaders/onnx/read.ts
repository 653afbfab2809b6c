/**
 * Reads back what an exported file stores: the packed 4-bit weights of every MatMulNBits node (linears, an untied
 * LM head, a packed tied embedding), by the exporter's names ("layers.0.q", "lm_head", "embed"). For cross-checks
 * that dequantize exactly the weights a served file holds.
 */
import onnxProto from "onnx-proto";
import type { Packed4Weight } from "./packed4.js";

export function packedFromOnnx(bytes: Uint8Array): Map<string, Packed4Weight> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const init = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? "", t]));
  const raw = (name: string): Uint8Array => {
    const r = init.get(name)?.rawData;
    if (!r) throw new Error(`ONNX file: no initializer ${name}`);
    return new Uint8Array(r.buffer.slice(r.byteOffset, r.byteOffset + r.byteLength));
  };
  const out = new Map<string, Packed4Weight>();
  for (const node of model.graph?.node ?? []) {
    if (node.opType !== "MatMulNBits") continue;
    const base = (node.input?.[1] ?? "").replace(/\.q4$/, "");
    const attr = (n: string) => Number(node.attribute?.find((a) => a.name === n)?.i ?? NaN);
    out.set(base, { N: attr("N"), K: attr("K"), groupSize: attr("block_size"), q: raw(`${base}.q4`), scales: new Float32Array(raw(`${base}.scales`).buffer), zeroPoints: raw(`${base}.zero_points`) });
  }
  return out;
}

/** The file's metadata_props (kick.bits, kick.group_size, kick.embedding, kick.spec …). */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
}
