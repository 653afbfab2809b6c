// Summarization by length bin (LLM-KICK's CNN/DailyMail bins; here man-page DESCRIPTION → NAME line):
// one sentence generated (first line kept), scored against the reference summary with ROUGE-1, ROUGE-2
// and ROUGE-L F-measures (rouge-score's definitions, ./rouge.ts) and seeded bootstrap intervals. No paid
// judge. The suites carry no list of checkable facts per document, so no fact-coverage score is computed.
import { type EvalContext, type ExampleOut, firstLine, infoRow, meanRow, type MetricRow, runPrompts, subSeed, type TaskResult } from "./common.js";
import { rouge } from "./rouge.js";
import { selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

export async function evaluateSummarization(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "summarization" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const run = await runPrompts(spec, ctx, items.map((x) => ({ key: x.id, text: x.prompt })), prefix, { stopAtLineBreak: true });
  const scored = items.map((x, i) => {
    const summary = firstLine(run.texts[i]);
    return { x, summary, r: rouge(summary, x.summary) };
  });
  const results: MetricRow[] = [];
  const bins = ["short", "medium", "long"].filter((b) => items.some((x) => x.bin === b));
  for (const subset of ["all", ...bins]) {
    const list = subset === "all" ? scored : scored.filter((s) => s.x.bin === subset);
    for (const metric of ["rouge1", "rouge2", "rougeL"] as const) {
      results.push(meanRow(subset === "all" ? "all" : `bin/${subset}`, metric, list.map((s) => s.r[metric].fmeasure), subSeed(ctx.seed, `summarization/${subset}/${metric}`), spec.bootstrap));
    }
  }
  results.push(infoRow("all", "truncated_prompts", run.truncated, items.length));
  const examples: ExampleOut[] = scored.map((s) => ({ example_id: s.x.id, prediction: s.summary, reference: s.x.summary, correct: null, logprob: s.r.rougeL.fmeasure }));
  return { task: "summarization", results, examples, tokens: run.tokens };
}
