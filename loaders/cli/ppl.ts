// kick ppl --model DIR --text FILE: perplexity by the reference recipe (non-overlapping windows) or strided.
import { readFileSync } from "node:fs";
import { perplexity } from "../model/generate.js";
import { GpuCausalLM } from "../model/gpu-forward.js";
import { openModel } from "../model/load.js";
import { fileOption, intOption, modelOption, parse, UsageError } from "./args.js";
import { Progress } from "./progress.js";

export const PPL_HELP = `Usage: kick ppl --model DIR --text FILE [options]

Perplexity of the model in DIR on the text of FILE, on the GPU: the text is tokenized as one stream and
cut into non-overlapping windows of --seq-len tokens (the remainder shorter than a window is dropped);
perplexity = exp(mean over windows of the window's mean token NLL), as SparseGPT / LLM-KICK compute it.
With --stride, windows start every STRIDE tokens and each scores only tokens no earlier window scored
(Hugging Face's sliding-window recipe). Prints the perplexity on stdout, progress (tokens/s, ETA) on stderr.

Options:
  --model DIR       checkpoint directory (config.json, *.safetensors, tokenizer.json)
  --text FILE       UTF-8 text file
  --seq-len N       tokens per window (default: the model's max positions, at most 2048)
  --stride N        sliding windows every N tokens (1 ≤ N ≤ seq-len)
  --json            print {"perplexity", "windows", "tokens", "seq_len", "stride", "window_nlls"} instead
  --stream          stream layers from disk (models larger than GPU memory)
  -h, --help        this help`;

export interface PplArgs {
  model: string;
  text: string;
  seqLen?: number;
  stride?: number;
  json: boolean;
  stream: boolean;
}

export function parsePpl(argv: string[]): PplArgs | "help" {
  const c = "ppl";
  const { values: v, positionals } = parse(c, argv, {
    model: { type: "string" },
    text: { type: "string" },
    "seq-len": { type: "string" },
    stride: { type: "string" },
    json: { type: "boolean" },
    stream: { type: "boolean" },
  });
  if (v.help) return "help";
  if (positionals.length) throw new UsageError(c, `unexpected argument "${positionals[0]}"`);
  const seqLen = intOption(c, "seq-len", v["seq-len"] as string | undefined, 2);
  const stride = intOption(c, "stride", v.stride as string | undefined, 1);
  if (stride !== undefined && seqLen !== undefined && stride > seqLen) throw new UsageError(c, `--stride ${stride} is larger than --seq-len ${seqLen}`);
  return {
    model: modelOption(c, v.model as string | undefined),
    text: fileOption(c, "text", v.text as string | undefined),
    seqLen,
    stride,
    json: !!v.json,
    stream: !!v.stream,
  };
}

export async function runPpl(a: PplArgs): Promise<void> {
  const opened = await openModel(a.model);
  const tok = opened.tokenizer;
  await opened.weights.close();
  if (!tok) throw new UsageError("ppl", `--model ${a.model}: no tokenizer.json (needed to tokenize --text)`);
  const seqLen = a.seqLen ?? Math.min(opened.spec.maxPositions, 2048);
  if (opened.spec.positions.type === "learned" && seqLen > opened.spec.maxPositions)
    throw new UsageError("ppl", `--seq-len ${seqLen} exceeds the model's ${opened.spec.maxPositions} positions`);
  if (a.stride !== undefined && a.stride > seqLen) throw new UsageError("ppl", `--stride ${a.stride} is larger than the window of ${seqLen}`);
  const stream = tok.encode(readFileSync(a.text, "utf8"));
  if (stream.length < seqLen) throw new UsageError("ppl", `--text ${a.text}: ${stream.length} tokens, fewer than one window of ${seqLen} (lower --seq-len)`);
  const model = await GpuCausalLM.open(a.model, { stream: a.stream, maxTokens: seqLen });
  try {
    process.stderr.write(`[kick] ${model.ctx.adapterDescription}; ${stream.length} tokens, windows of ${seqLen}${a.stride ? `, stride ${a.stride}` : ""}\n`);
    const progress = new Progress("[kick] windows", "tokens");
    const res = await perplexity(model, stream, { window: seqLen, stride: a.stride, onProgress: (d, n) => progress.update(d, n, seqLen, d === n) });
    if (a.json)
      process.stdout.write(`${JSON.stringify({ perplexity: res.perplexity, windows: res.windowNlls.length, tokens: stream.length, seq_len: seqLen, stride: a.stride ?? null, window_nlls: res.windowNlls })}\n`);
    else process.stdout.write(`perplexity ${res.perplexity.toFixed(4)} (${res.windowNlls.length} windows of ${seqLen} tokens)\n`);
  } finally {
    await model.dispose();
  }
}
