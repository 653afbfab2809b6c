// kick generate --model DIR "prompt": greedy (default) or sampled continuation on the GPU with a KV cache.
import { generate } from "../model/generate.js";
import { GpuCausalLM } from "../model/gpu-forward.js";
import type { ModelSpec } from "../model/config.js";
import { openModel } from "../model/load.js";
import { intOption, modelOption, numOption, parse, UsageError } from "./args.js";
import { Progress } from "./progress.js";

export const GENERATE_HELP = `Usage: kick generate --model DIR [options] "prompt"

Continues the prompt with the model in DIR (a Hugging Face checkpoint) on the GPU and prints the
continuation on stdout; progress (tokens/s) goes to stderr.

Options:
  --model DIR            checkpoint directory (config.json, *.safetensors, tokenizer.json)
  --max-new-tokens N     tokens to generate at most (default 64)
  --temperature T        sample with this temperature (> 0); default: greedy
  --top-k K              sample only from the K most likely tokens
  --top-p P              sample from the smallest set of tokens whose probability reaches P (0 < P ≤ 1)
  --seed S               sampling seed (default 0)
  --stop STR             stop when the continuation contains STR (repeatable); STR is cut off
  --chat                 wrap the prompt in the tokenizer's chat template as a user message
  --stream               stream layers from disk (models larger than GPU memory)
  -h, --help             this help`;

export interface GenerateArgs {
  model: string;
  prompt: string;
  maxNewTokens: number;
  sampling?: { temperature: number; topK?: number; topP?: number; seed: number };
  stop: string[];
  chat: boolean;
  stream: boolean;
}

export function parseGenerate(argv: string[]): GenerateArgs | "help" {
  const c = "generate";
  const { values: v, positionals } = parse(c, argv, {
    model: { type: "string" },
    "max-new-tokens": { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    "top-p": { type: "string" },
    seed: { type: "string" },
    stop: { type: "string", multiple: true },
    chat: { type: "boolean" },
    stream: { type: "boolean" },
  });
  if (v.help) return "help";
  if (positionals.length !== 1) throw new UsageError(c, positionals.length ? `expected one prompt, got ${positionals.length} arguments (quote the prompt)` : "the prompt is missing");
  const temperature = numOption(c, "temperature", v.temperature as string | undefined, (n) => n > 0, "a number > 0");
  const topK = intOption(c, "top-k", v["top-k"] as string | undefined, 1);
  const topP = numOption(c, "top-p", v["top-p"] as string | undefined, (n) => n > 0 && n <= 1, "in (0, 1]");
  const seed = intOption(c, "seed", v.seed as string | undefined, 0) ?? 0;
  const sampled = temperature !== undefined || topK !== undefined || topP !== undefined || v.seed !== undefined;
  return {
    model: modelOption(c, v.model as string | undefined),
    prompt: positionals[0],
    maxNewTokens: intOption(c, "max-new-tokens", v["max-new-tokens"] as string | undefined, 1) ?? 64,
    sampling: sampled ? { temperature: temperature ?? 1, topK, topP, seed } : undefined,
    stop: (v.stop as string[] | undefined) ?? [],
    chat: !!v.chat,
    stream: !!v.stream,
  };
}

/**
 * Whether prompt + new tokens can pass the model's position limit: an error for learned positions (there is no
 * embedding past them), a warning for rotary ones (it runs, on positions the model never saw in training).
 */
export function positionLimitNote(spec: ModelSpec, promptTokens: number, maxNewTokens: number, model: string): { fatal: boolean; message: string } | null {
  const total = promptTokens + maxNewTokens;
  if (total <= spec.maxPositions) return null;
  const what = `the prompt's ${promptTokens} tokens + --max-new-tokens ${maxNewTokens} = ${total} positions`;
  if (spec.positions.type === "learned")
    return { fatal: true, message: `${what} exceed the ${spec.maxPositions} learned positions of ${model} (config.json); shorten the prompt or lower --max-new-tokens` };
  return { fatal: false, message: `${what} may run past ${model}'s max_position_embeddings ${spec.maxPositions} (config.json): positions beyond it were never trained, expect degraded text` };
}

export async function runGenerate(a: GenerateArgs): Promise<void> {
  const opened = await openModel(a.model); // validates config, weights and tokenizer before any GPU work
  const tok = opened.tokenizer;
  await opened.weights.close();
  if (!tok) throw new UsageError("generate", `--model ${a.model}: no tokenizer.json (needed to encode the prompt)`);
  if (a.chat && !tok.chatTemplate) throw new UsageError("generate", `--chat: ${a.model} has no chat template`);
  const text = a.chat ? tok.applyChatTemplate([{ role: "user", content: a.prompt }], { addGenerationPrompt: true }) : a.prompt;
  const ids = tok.encode(text, a.chat ? { addSpecialTokens: false } : {});
  if (ids.length === 0) throw new UsageError("generate", "the prompt encodes to no tokens");
  const past = positionLimitNote(opened.spec, ids.length, a.maxNewTokens, a.model);
  if (past?.fatal) throw new UsageError("generate", past.message);
  if (past) process.stderr.write(`[kick] warning: ${past.message}\n`);
  const model = await GpuCausalLM.open(a.model, { stream: a.stream, maxTokens: ids.length + a.maxNewTokens });
  try {
    process.stderr.write(`[kick] ${model.ctx.adapterDescription}; prompt ${ids.length} tokens\n`);
    const progress = new Progress("[kick] generated", "tokens");
    const out = await generate(model, ids, {
      maxNewTokens: a.maxNewTokens,
      eosTokenIds: tok.eosTokenIds.length ? tok.eosTokenIds : opened.spec.eosTokenIds,
      sampling: a.sampling,
      stopStrings: a.stop.length ? a.stop : undefined,
      decode: (t) => tok.decode(t, { skipSpecialTokens: true }),
      onToken: (_, n) => progress.update(n, a.maxNewTokens),
    });
    if (out.tokens.length < a.maxNewTokens) progress.update(out.tokens.length, out.tokens.length, 1, true);
    process.stderr.write(`[kick] stopped by ${out.stoppedBy} after ${out.tokens.length} tokens\n`);
    process.stdout.write(`${out.text ?? ""}\n`);
  } finally {
    await model.dispose();
  }
}
