// Instruction following with program-checked answers: the share of constraints satisfied (each item
// has one `check`), and LLM-KICK's repetition measure, the number of distinct tokens in a generation.
// The response is the first line of the generation, trimmed, white space runs folded to one space,
// one pair of surrounding double quotes and a trailing period removed. Checks:
// - exact: the response equals `expected` (case-sensitive);
// - uppercase_of: the response has no lower-case letter and equals `expected` (the capitalised text).
import type { TaskItem } from "../data/tasks/schema.js";
import { accuracyRow, type EvalContext, type ExampleOut, firstLine, infoRow, meanRow, type MetricRow, runPrompts, subSeed, type TaskResult } from "./common.js";
import { uniqueTokenCount } from "./scoring.js";
import { selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

export function cleanResponse(text: string): string {
  let r = firstLine(text).replace(/\s+/g, " ").replace(/\.$/, "");
  if (r.length >= 2 && r.startsWith('"') && r.endsWith('"')) r = r.slice(1, -1).trim();
  return r.replace(/\.$/, "").trim();
}

export function checkSatisfied(check: TaskItem<"instruction">["check"], response: string): boolean {
  switch (check.type) {
    case "exact":
      return response === check.expected;
    case "uppercase_of":
      return response === check.expected && response === response.toUpperCase();
  }
}

export async function evaluateInstruction(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "instruction" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const run = await runPrompts(spec, ctx, items.map((x) => ({ key: x.id, text: x.prompt })), prefix, { stopAtLineBreak: true });
  const scored = items.map((x, i) => {
    const response = cleanResponse(run.texts[i]);
    return { x, response, ok: checkSatisfied(x.check, response), unique: uniqueTokenCount(run.tokenIds[i]) };
  });
  const results: MetricRow[] = [];
  const families = [...new Set(items.map((x) => x.family))].sort();
  for (const subset of ["all", ...families]) {
    const list = subset === "all" ? scored : scored.filter((s) => s.x.family === subset);
    const name = subset === "all" ? "all" : `family/${subset}`;
    results.push(
      accuracyRow(name, "constraints_satisfied", list.map((s) => s.ok)),
      meanRow(name, "unique_tokens", list.map((s) => s.unique), subSeed(ctx.seed, `instruction/${subset}/unique`), spec.bootstrap),
    );
  }
  results.push(infoRow("all", "truncated_prompts", run.truncated, items.length));
  const examples: ExampleOut[] = scored.map((s) => ({ example_id: s.x.id, prediction: s.response, reference: s.x.check.expected, correct: s.ok, logprob: null }));
  return { task: "instruction", results, examples, tokens: run.tokens };
}
