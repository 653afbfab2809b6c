// In-context retrieval QA (LLM-KICK's ICRA-QA, TriviaQA closed vs open book) on knowledge-base facts:
// - closed: the question alone, on factual items;
// - open_factual: a passage stating the fact, then the question;
// - open_counterfactual: a passage stating another object of the same relation (never seen in
//   training) whose answer is that object: reading must override memory.
// Up to 32 new tokens, first line kept (LLM-KICK). Scores, max over aliases: strict normalised exact match,
// LLM-KICK's containment match (normalised containment either way), token F1 (SQuAD). For the
// counterfactual setting also the share of answers that give the original (memorised) object instead.
import { accuracyRow, type EvalContext, type ExampleOut, firstLine, infoRow, meanRow, type MetricRow, runPrompts, subSeed, type TaskResult } from "./common.js";
import { fluencyRows } from "./fluency.js";
import { containmentMatch, exactMatch, maxTokenF1 } from "./scoring.js";
import { selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

export async function evaluateIcrQa(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "icr_qa" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const settings = spec.settings ?? ["closed", "open_counterfactual", "open_factual"];
  const jobs = settings.map((setting) => {
    const list = items.filter((x) => x.counterfactual === (setting === "open_counterfactual"));
    return { setting, list, prompts: list.map((x) => ({ key: `${x.id}#${setting}`, text: setting === "closed" ? x.closed_prompt : x.open_prompt })) };
  });
  const total = jobs.reduce((a, j) => a + j.list.length, 0);
  const results: MetricRow[] = [];
  const examples: ExampleOut[] = [];
  let tokens = 0;
  let offset = 0;
  for (const { setting, list, prompts } of jobs) {
    if (list.length === 0) {
      results.push(infoRow(setting, "items", 0, 0));
      continue;
    }
    const run = await runPrompts(spec, ctx, prompts, prefix, { stopAtLineBreak: true, progressOffset: offset, progressTotal: total });
    offset += list.length;
    tokens += run.tokens;
    const answers = run.texts.map(firstLine);
    const em = list.map((x, i) => exactMatch(answers[i], x.aliases));
    results.push(
      accuracyRow(setting, "exact_match", em),
      accuracyRow(setting, "containment", list.map((x, i) => containmentMatch(answers[i], x.aliases))),
      meanRow(setting, "f1", list.map((x, i) => maxTokenF1(answers[i], x.aliases)), subSeed(ctx.seed, `icr_qa/${setting}/f1`), spec.bootstrap),
      infoRow(setting, "truncated_prompts", run.truncated, list.length),
      ...(await fluencyRows(ctx, setting, answers, run, spec.bootstrap)),
    );
    if (setting === "open_counterfactual") {
      results.push(accuracyRow(setting, "original_answer", list.map((x, i) => containmentMatch(answers[i], [x.original_answer]))));
    }
    list.forEach((x, i) => examples.push({ example_id: `${x.id}#${setting}`, prediction: answers[i], reference: x.aliases.join(" | "), correct: em[i], logprob: null }));
  }
  return { task: "icr_qa", results, examples, tokens };
}
