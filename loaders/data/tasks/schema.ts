// Schemas of every task suite (JSONL, one item per line). Documented in docs/data.md.
import { z } from "zod";

export const TASK_VERSION = "2";

const base = {
  id: z.string().min(1),
  task: z.string(),
  version: z.literal(TASK_VERSION),
  split: z.enum(["dev", "test"]),
  /** small subset for CI smoke runs (always a subset of test) */
  ci: z.boolean(),
};
const bin = z.union([z.literal(1), z.literal(3), z.literal(10), z.literal(30), z.literal(100)]);
/** how often the fact was stated in training: kick's own suites; absent in suites imported from public datasets */
const itemExposure = bin.optional();
const check = z.discriminatedUnion("type", [
  z.object({ type: z.literal("exact"), expected: z.string() }),
  z.object({ type: z.literal("uppercase_of"), expected: z.string() }),
]);

export const SCHEMAS = {
  factoid_qa: z.object({ ...base, task: z.literal("factoid_qa"), question: z.string(), prompt: z.string(), answer: z.string(), aliases: z.array(z.string()).min(1), fact_id: z.string(), relation: z.string(), category: z.string(), exposure: itemExposure }),
  mcq: z.object({ ...base, task: z.literal("mcq"), subject: z.string(), question: z.string(), options: z.array(z.string()).length(4), answer: z.enum(["A", "B", "C", "D"]), fact_id: z.string(), relation: z.string(), exposure: itemExposure }),
  icr_qa: z.object({ ...base, task: z.literal("icr_qa"), passage: z.string(), question: z.string(), closed_prompt: z.string(), open_prompt: z.string(), answer: z.string(), aliases: z.array(z.string()).min(1), counterfactual: z.boolean(), original_answer: z.string(), fact_id: z.string(), relation: z.string(), exposure: itemExposure }),
  summarization: z.object({ ...base, task: z.literal("summarization"), document: z.string(), summary: z.string(), prompt: z.string(), bin: z.enum(["short", "medium", "long"]), words: z.number().int(), source_id: z.string() }),
  long_context: z.object({ ...base, task: z.literal("long_context"), kind: z.enum(["kv", "needle"]), context_tokens: z.number().int(), n_tokens: z.number().int(), depth: z.number(), prompt: z.string(), answer: z.string() }),
  instruction: z.object({ ...base, task: z.literal("instruction"), family: z.string(), instruction: z.string(), prompt: z.string(), check }),
  perplexity: z.object({ ...base, task: z.literal("perplexity"), doc_id: z.string(), source: z.string(), title: z.string(), text: z.string(), n_tokens: z.number().int() }),
} as const;

export type TaskName = keyof typeof SCHEMAS;
export type TaskItem<T extends TaskName> = z.infer<(typeof SCHEMAS)[T]>;

export const FactSchema = z.object({
  id: z.string(),
  relation: z.string(),
  category: z.string(),
  subject: z.string(),
  object: z.string(),
  aliases: z.array(z.string()).min(1),
  source: z.string(),
  split: z.enum(["demo", "eval"]),
  exposure: bin,
  statements: z.number().int(),
  demo_mentions: z.number().int(),
});
