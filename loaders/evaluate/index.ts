// The evaluator registry: one function per task, all taking any CausalLM + tokenizer.
import type { EvalContext, Evaluator, TaskResult } from "./common.js";
import { evaluateFactoidQa } from "./factoid-qa.js";
import { evaluateIcrQa } from "./icr-qa.js";
import { evaluateInstruction } from "./instruction.js";
import { evaluateLongContext } from "./long-context.js";
import { evaluateMcq } from "./mcq.js";
import { evaluatePerplexity } from "./perplexity.js";
import { evaluateSummarization } from "./summarization.js";
import { hardPromptPrefix, type TaskName, type TaskSpec } from "./task-spec.js";

export const EVALUATORS: Record<TaskName, Evaluator> = {
  perplexity: evaluatePerplexity,
  factoid_qa: evaluateFactoidQa,
  mcq: evaluateMcq,
  icr_qa: evaluateIcrQa,
  summarization: evaluateSummarization,
  long_context: evaluateLongContext,
  instruction: evaluateInstruction,
};

/** Runs one task spec on a model. Unsupported requests (a soft prompt) fail before any work. */
export async function evaluateTask(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  hardPromptPrefix(spec); // throws for soft prompts, before anything runs
  const evaluator = EVALUATORS[spec.task];
  if (!evaluator) throw new Error(`unknown task "${spec.task}"`);
  return evaluator(spec, ctx);
}

export type { EvalContext, EvalTokenizer, ExampleOut, MetricRow, TaskResult } from "./common.js";
export { parseTaskSpec, taskSpecHash, taskSpecId, taskSpecJson, TASK_NAMES, type TaskSpec } from "./task-spec.js";
