// Every evaluator on the WebGPU model (llama fixture, lavapipe) gives the same metric rows and per-example
// rows whether its sequences are generated and scored one at a time (batch size 1) or several together
// (batched KV cache with left padding, shared log-likelihood rows): a small slice of each suite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateTask } from "../../loaders/evaluate/index.js";
import { generateBatch } from "../../loaders/model/generate.js";
import { parseTaskSpec } from "../../loaders/evaluate/task-spec.js";
import { GpuCausalLM } from "../../loaders/model/gpu-forward.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { LLAMA_DIR } from "./oracle.js";

const SPECS = [
  { task: "factoid_qa", items: "ci", limit: 6 },
  { task: "mcq", items: "ci", limit: 4, k_shot: 1 },
  { task: "icr_qa", items: "ci", limit: 4 },
  { task: "summarization", items: "ci", limit: 3, max_new_tokens: 12 },
  { task: "long_context", items: "ci", limit: 3 },
  { task: "instruction", items: "ci", limit: 6 },
  { task: "perplexity", items: "ci", limit: 2, seq_len: 32 },
];

describe("evaluators batched vs one at a time on the GPU", () => {
  let model: GpuCausalLM;
  let tokenizer: ModelTokenizer;
  beforeAll(async () => {
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    model = await GpuCausalLM.open(LLAMA_DIR);
    tokenizer = ModelTokenizer.load(LLAMA_DIR);
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it.each(SPECS)("$task: identical metrics and examples at batch size 1 and 5", async (raw) => {
    const spec = parseTaskSpec(raw);
    const run = (batchSize: number) => evaluateTask(spec, { model, tokenizer, seed: 0, batchSize });
    const [one, five] = [await run(1), await run(5)];
    expect(five.results).toEqual(one.results);
    expect(five.examples).toEqual(one.examples);
    expect(one.examples.length).toBeGreaterThan(0);
  });

  // kick-s's default batch on long_context / summarization (64–128 rows of up to 2048 tokens) prefills more
  // than 130,000 tokens at once: the position ids must not be spread into a call (Math.max(...)), which
  // overflows Node's stack ("Maximum call stack size exceeded") past about 125,000 arguments.
  it("generates for a batch whose prefill holds 200,000 tokens (no stack overflow) as for a small batch", async () => {
    const rows = 1600, len = 125, V = model.spec.vocabSize;
    const prompts = Array.from({ length: rows }, (_, b) => Array.from({ length: len - (b % 3) }, (_, t) => 3 + ((b * 31 + t * 7) % (V - 3))));
    const big = await generateBatch(model, prompts, { maxNewTokens: 2, batchSize: rows });
    expect(big).toHaveLength(rows);
    const some = [0, 1, 2, rows - 1];
    const small = await generateBatch(model, some.map((i) => prompts[i]), { maxNewTokens: 2, batchSize: some.length });
    expect(some.map((i) => big[i].tokens)).toEqual(small.map((g) => g.tokens));
  });
});
