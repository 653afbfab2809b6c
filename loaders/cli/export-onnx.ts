// kick export-onnx --model DIR --out FILE [--bits 4 --group 128]: an HF checkpoint as an ONNX decoder with a KV cache.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ModelFormatError } from "../model/errors.js";
import { OnnxExportError, SUPPORTED_EXPORT_ARCHITECTURES, exportOnnxFromDir } from "../onnx/export.js";
import { intOption, modelOption, parse, UsageError } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "export a Llama/Mistral/Qwen2 checkpoint as an ONNX decoder with KV cache (f32, or 4-bit MatMulNBits)";

export const EXPORT_ONNX_HELP = `Usage: kick export-onnx --model DIR --out FILE [--bits 4 [--group 128]]

Writes the checkpoint in DIR as one ONNX file for onnxruntime / onnxruntime-web: inputs input_ids,
attention_mask, position_ids, past_key_values.{i}.{key,value}; outputs logits, present.{i}.{key,value}.
Supported: ${SUPPORTED_EXPORT_ARCHITECTURES.join(", ")} (dense or pruned). With --bits 4 every linear layer (and an
untied LM head) is quantized to 4 bits per group of --group input features (asymmetric round-to-nearest, a
stand-in until kick's quantizers feed their own packed weights) and stored as com.microsoft MatMulNBits; the
embedding stays f32. See docs/onnx.md.

Options:
  --model DIR   checkpoint directory (config.json, *.safetensors)
  --out FILE    the .onnx file to write
  --bits N      32 (default, f32 weights) or 4
  --group N     4-bit group size: a power of two ≥ 16 (default 128)
  -h, --help    this help`;

export async function main(argv: string[]): Promise<number> {
  const c = "export-onnx";
  try {
    const { values: v, positionals } = parse(c, argv, {
      model: { type: "string" },
      out: { type: "string" },
      bits: { type: "string" },
      group: { type: "string" },
    });
    if (v.help) {
      console.log(EXPORT_ONNX_HELP);
      return 0;
    }
    if (positionals.length) throw new UsageError(c, `unexpected argument "${positionals[0]}"`);
    const model = modelOption(c, v.model as string | undefined);
    const out = v.out as string | undefined;
    if (!out) throw new UsageError(c, "--out FILE is required");
    const bits = intOption(c, "bits", v.bits as string | undefined, 1) ?? 32;
    if (bits !== 4 && bits !== 32) throw new UsageError(c, `--bits must be 32 or 4, got "${bits}"`);
    const group = intOption(c, "group", v.group as string | undefined, 1);
    if (group !== undefined && bits !== 4) throw new UsageError(c, "--group needs --bits 4");
    if (group !== undefined && !(group >= 16 && (group & (group - 1)) === 0)) throw new UsageError(c, `--group must be a power of two ≥ 16, got "${group}"`);
    const t0 = performance.now();
    const r = await exportOnnxFromDir(model, { bits, groupSize: group ?? 128 });
    mkdirSync(dirname(out) || ".", { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, r.bytes);
    renameSync(tmp, out);
    const secs = (performance.now() - t0) / 1000;
    console.error(
      `kick export-onnx: ${r.spec.architecture}, ${r.spec.numLayers} layers, ${bits === 4 ? `4-bit group ${group ?? 128} (${r.packed.size} MatMulNBits)` : "f32"}, ` +
        `${r.bytes.byteLength} bytes in ${secs.toFixed(2)} s`,
    );
    console.log(out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof OnnxExportError || e instanceof ModelFormatError) {
      console.error(`kick export-onnx: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (isMain(import.meta.url, "loaders/cli/export-onnx.ts")) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
