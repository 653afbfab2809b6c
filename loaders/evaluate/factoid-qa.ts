// Factoid QA, closed book (LLM-KICK's FreebaseQA setting) on the knowledge-base facts: greedy answer,
// first line kept, scored two ways: LLM-KICK's hit (an alias, case and spaces ignored, is a substring of
// the generated answer only, not of the echoed prompt) and strict normalised exact match (lm-eval /
// SQuAD). Reported for all items and per exposure bin (how often the fact was stated in training); the answers'
// fluency (fluency.ts) for all items.
import { accuracyRow, type EvalContext, type ExampleOut, firstLine, infoRow, type MetricRow, runPrompts, type TaskResult } from "./common.js";
import { fluencyRows } from "./fluency.js";
import { aliasInAnswer, exactMatch } from "./scoring.js";
import { exposureBins, selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

export async function evaluateFactoidQa(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "factoid_qa" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const run = await runPrompts(spec, ctx, items.map((x) => ({ key: x.id, text: x.prompt })), prefix, { stopAtLineBreak: true });
  const scored = items.map((x, i) => {
    const answer = firstLine(run.texts[i]);
    return { x, answer, hit: aliasInAnswer(answer, x.aliases), em: exactMatch(answer, x.aliases) };
  });
  const results: MetricRow[] = [];
  const subsets: [string, typeof scored][] = [["all", scored]];
  for (const bin of exposureBins(items)) {
    subsets.push([`exposure/${bin}`, scored.filter((s) => s.x.exposure === bin)]);
  }
  for (const [subset, list] of subsets) {
    results.push(accuracyRow(subset, "alias_hit", list.map((s) => s.hit)), accuracyRow(subset, "exact_match", list.map((s) => s.em)));
  }
  results.push(infoRow("all", "truncated_prompts", run.truncated, items.length));
  results.push(...(await fluencyRows(ctx, "all", scored.map((s) => s.answer), run, spec.bootstrap)));
  const examples: ExampleOut[] = scored.flatMap((s) => [
    { example_id: `${s.x.id}#alias_hit`, prediction: s.answer, reference: s.x.aliases.join(" | "), correct: s.hit, logprob: null },
    { example_id: `${s.x.id}#exact_match`, prediction: s.answer, reference: s.x.aliases.join(" | "), correct: s.em, logprob: null },
  ]);
  return { task: "factoid_qa", results, examples, tokens: run.tokens };
}
