// Every evaluator on the WebGPU model (llama fixture, lavapipe) gives the same metric rows and per-example
// rows whether its sequences are generated and scored one at a time (batch size 1) or several together
// (batched KV cache with left padding, shared log-likelihood rows): a small slice of each suite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateTask } from "../../loaders/evaluate/index.js";
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
});
