// The evaluator registry: one function per task, all taking any CausalLM + tokenizer.
import type { EvalContext, Evaluator, TaskResult } from "./common.js";
import { finiteOutputs } from "../model/finite.js";
import { evaluateFactoidQa } from "./factoid-qa.js";
import { evaluateIcrQa } from "./icr-qa.js";
import { evaluateInstruction } from "./instruction.js";
import { evaluateLongContext } from "./long-context.js";
import { evaluateMcq } from "./mcq.js";
import { evaluatePerplexity } from "./perplexity.js";
import { evaluateSummarization } from "./summarization.js";
import { loadSoftPrompt } from "../prompt/prompt-file.js";
import { SoftPromptLM } from "../prompt/soft-lm.js";
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

/**
 * Runs one task spec on a model. `soft:<id>` loads the prompt from ctx.promptsDir, checks that it fits the
 * model (width, vocabulary, tokenizer, context) and runs the evaluator on the model with the prompt in front
 * of every sequence (SoftPromptLM); without ctx.promptsDir a soft prompt fails before any work. Every output of
 * the model must be finite (model/finite.ts): NaN or infinite logits throw a NonFiniteError.
 */
export async function evaluateTask(spec: TaskSpec, evalCtx: EvalContext): Promise<TaskResult> {
  const evaluator = EVALUATORS[spec.task];
  if (!evaluator) throw new Error(`unknown task "${spec.task}"`);
  // a NaN or infinite output fails the evaluation (NonFiniteError) instead of scoring as a wrong answer
  const ctx = { ...evalCtx, model: finiteOutputs(evalCtx.model) };
  if (spec.prompt.startsWith("soft:") && ctx.promptsDir) {
    const prompt = await loadSoftPrompt(ctx.promptsDir, spec.prompt.slice("soft:".length));
    const model = new SoftPromptLM(ctx.model, prompt, ctx.modelTokenizerHash ?? null);
    return evaluator({ ...spec, prompt: "none" }, { ...ctx, model });
  }
  hardPromptPrefix(spec); // throws for soft prompts without a prompts folder, before anything runs
  return evaluator(spec, ctx);
}

export type { EvalContext, EvalTokenizer, ExampleOut, MetricRow, TaskResult } from "./common.js";
export { parseTaskSpec, taskSpecHash, taskSpecId, taskSpecJson, TASK_NAMES, type TaskSpec } from "./task-spec.js";
