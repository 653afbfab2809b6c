// Long-context retrieval (needle in a haystack, key–value lookup) by context length: greedy answer,
// first line kept; "accuracy" is strict normalised exact match with the answer (a 4-digit value or
// code), "contains" LLM-KICK's looser hit (the answer appears in the generated line). Reported per
// context length (all kinds) and per kind × length. Prompts longer than the model's context are cut from
// the left (so the needle may be lost): the count is recorded as truncated_prompts per length.
import { accuracyRow, type EvalContext, type ExampleOut, firstLine, groupBy, infoRow, type MetricRow, runPrompts, type TaskResult } from "./common.js";
import { aliasInAnswer, exactMatch } from "./scoring.js";
import { selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

export async function evaluateLongContext(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "long_context" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const results: MetricRow[] = [];
  const examples: ExampleOut[] = [];
  let tokens = 0;
  let offset = 0;
  const byLength = [...groupBy(items, (x) => String(x.context_tokens))].sort((a, b) => Number(a[0]) - Number(b[0]));
  for (const [length, list] of byLength) {
    const run = await runPrompts(spec, ctx, list.map((x) => ({ key: x.id, text: x.prompt })), prefix, {
      stopAtLineBreak: true,
      progressOffset: offset,
      progressTotal: items.length,
    });
    offset += list.length;
    tokens += run.tokens;
    const answers = run.texts.map(firstLine);
    const em = list.map((x, i) => exactMatch(answers[i], [x.answer]));
    const hit = list.map((x, i) => aliasInAnswer(answers[i], [x.answer]));
    results.push(accuracyRow(`length/${length}`, "accuracy", em), accuracyRow(`length/${length}`, "contains", hit));
    for (const kind of ["kv", "needle"] as const) {
      const idx = list.map((x, i) => (x.kind === kind ? i : -1)).filter((i) => i >= 0);
      if (idx.length) results.push(accuracyRow(`${kind}/${length}`, "accuracy", idx.map((i) => em[i])));
    }
    results.push(infoRow(`length/${length}`, "truncated_prompts", run.truncated, list.length));
    list.forEach((x, i) => examples.push({ example_id: x.id, prediction: answers[i], reference: x.answer, correct: em[i], logprob: null }));
  }
  results.unshift(accuracyRow("all", "accuracy", examples.map((e) => e.correct === true)));
  return { task: "long_context", results, examples, tokens };
}
