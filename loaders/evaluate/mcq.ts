// Multiple choice (LLM-KICK's MMLU setting) in the Hendrycks format, 0-shot or k-shot (the first k
// dev items of the same subject, as lm-eval's MMLU), scored two ways:
// - "generate" (LLM-KICK): greedy decoding of max_new_tokens (default 1) after "Answer:"; correct when
//   the generated text, trimmed (a trailing period dropped), is exactly the gold letter;
// - "loglik" (lm-eval): the letter among " A" … " D" with the highest log-likelihood after the prompt
//   (ties to the earlier letter);
// - "cloze" (OLMES's cloze formulation, lm-eval's mmlu_continuation): no options in the prompt; the
//   question in the suite's QA format ("Q: …\nA:", k solved dev questions first) and each option text as
//   the continuation. `cloze_accuracy` takes the highest summed log-likelihood, `cloze_norm_accuracy`
//   the highest per character (OLMES's MMLU normalisation). Small models that know a fact often cannot
//   yet bind it to a letter (Robinson & Wingate 2023); cloze separates the knowledge from that skill.
// Reported for all items, per subject and per exposure bin.
import { LETTERS, mcqBody, mcqHeader, qaPrompt } from "../data/formats.js";
import type { TaskItem } from "../data/tasks/schema.js";
import { accuracyRow, type EvalContext, type ExampleOut, firstLine, infoRow, logLikelihoods, type MetricRow, runPrompts, type TaskResult, truncateLeft } from "./common.js";
import { exposureBins, readSuite, selectItems } from "./suite.js";
import { hardPromptPrefix, type TaskSpec } from "./task-spec.js";

type Item = TaskItem<"mcq">;

/** The Hendrycks prompt: header, k solved examples, the question with its options, "Answer:". */
export function mcqPrompt(item: Item, shots: readonly Item[]): string {
  const solved = shots.map((s) => `${mcqBody(s.question, s.options)} ${s.answer}\n\n`).join("");
  return `${mcqHeader(item.subject)}${solved}${mcqBody(item.question, item.options)}`;
}

/** The cloze prompt: k solved questions and the question in the QA format, no options. */
export function mcqClozePrompt(item: Item, shots: readonly Item[]): string {
  const solved = shots.map((s) => `${qaPrompt(s.question)} ${s.options[LETTERS.indexOf(s.answer)]}\n\n`).join("");
  return `${solved}${qaPrompt(item.question)}`;
}

export async function evaluateMcq(spec: TaskSpec, ctx: EvalContext): Promise<TaskResult> {
  const items = selectItems({ ...spec, task: "mcq" }, ctx.tasksDir);
  const prefix = hardPromptPrefix(spec);
  const dev = readSuite("mcq", ctx.tasksDir).filter((x) => x.split === "dev");
  const shotsFor = (item: Item) => {
    const shots = dev.filter((d) => d.subject === item.subject).slice(0, spec.k_shot);
    if (shots.length < spec.k_shot) throw new Error(`mcq: subject "${item.subject}" has ${shots.length} dev items, fewer than k_shot ${spec.k_shot}`);
    return shots;
  };
  const prompts = items.map((x) => ({ key: x.id, text: mcqPrompt(x, shotsFor(x)) }));
  const scoring = spec.scoring ?? ["generate", "loglik"];
  const results: MetricRow[] = [];
  const examples: ExampleOut[] = [];
  let tokens = 0;
  let truncated = 0;
  const total = items.length * scoring.length;
  const subjects = [...new Set(items.map((x) => x.subject))].sort();
  const exposures = exposureBins(items);
  const report = (metric: string, hits: boolean[]) => {
    results.push(accuracyRow("all", metric, hits));
    for (const s of subjects) results.push(accuracyRow(`subject/${s}`, metric, hits.filter((_, i) => items[i].subject === s)));
    for (const e of exposures) results.push(accuracyRow(`exposure/${e}`, metric, hits.filter((_, i) => items[i].exposure === e)));
  };

  // as lm-eval: continuation tokens = encode(context + " " + choice) minus the length of encode(context), so
  // tokenizers that mark word starts (SentencePiece "▁") get the same tokens as in running text; four requests per item
  const choiceRequests = (rows: { id: string; text: string; choices: readonly string[]; what: string }[]) => {
    let truncatedRows = 0;
    const requests = rows.flatMap(({ id, text, choices, what }) => {
      const full = ctx.tokenizer.encode(text);
      const continuations = choices.map((c) => ctx.tokenizer.encode(`${text} ${c}`).slice(full.length));
      if (continuations.some((c) => c.length === 0)) throw new Error(`mcq ${id}: ${what} encodes to no tokens after the prompt`);
      const enc = truncateLeft(ctx, full, Math.max(...continuations.map((c) => c.length)));
      if (enc.truncated) truncatedRows += 1;
      return continuations.map((continuation) => ({ context: enc.ids, continuation }));
    });
    return { requests, truncated: truncatedRows };
  };

  let offset = 0;
  if (scoring.includes("generate")) {
    const run = await runPrompts(spec, ctx, prompts, prefix, { stopAtLineBreak: true, progressTotal: total });
    const preds = run.texts.map((t) => firstLine(t).replace(/\.$/, ""));
    const hits = preds.map((p, i) => p === items[i].answer);
    report("generate_accuracy", hits);
    items.forEach((x, i) => examples.push({ example_id: `${x.id}#generate`, prediction: preds[i], reference: x.answer, correct: hits[i], logprob: null }));
    tokens += run.tokens;
    truncated = Math.max(truncated, run.truncated);
    offset = items.length;
  }
  if (scoring.includes("loglik")) {
    const { requests, truncated: t } = choiceRequests(items.map((x, i) => ({ id: x.id, text: prefix + prompts[i].text, choices: LETTERS, what: "an answer letter" })));
    // all items in one batched call: the four letters of an item share its row when each is one token
    const lls = await logLikelihoods(ctx, requests, (done, all) => ctx.onProgress?.(offset + Math.floor((done / all) * items.length), total));
    const hits = items.map((x, i) => {
      const ll = lls.scores.slice(i * LETTERS.length, (i + 1) * LETTERS.length);
      let best = 0;
      for (let k = 1; k < ll.length; k++) if (ll[k].logLikelihood > ll[best].logLikelihood) best = k;
      const gold = LETTERS.indexOf(x.answer);
      examples.push({ example_id: `${x.id}#loglik`, prediction: LETTERS[best], reference: x.answer, correct: best === gold, logprob: ll[gold].logLikelihood });
      return best === gold;
    });
    tokens += lls.tokens;
    report("loglik_accuracy", hits);
    truncated = Math.max(truncated, t);
    offset += items.length;
  }
  if (scoring.includes("cloze")) {
    const { requests, truncated: t } = choiceRequests(items.map((x) => ({ id: x.id, text: prefix + mcqClozePrompt(x, shotsFor(x)), choices: x.options, what: "an option" })));
    const lls = await logLikelihoods(ctx, requests, (done, all) => ctx.onProgress?.(offset + Math.floor((done / all) * items.length), total));
    const argmax = (v: number[]) => v.reduce((best, x, k) => (x > v[best] ? k : best), 0);
    const raw: boolean[] = [], norm: boolean[] = [];
    items.forEach((x, i) => {
      const ll = lls.scores.slice(i * 4, i * 4 + 4).map((s) => s.logLikelihood);
      const gold = LETTERS.indexOf(x.answer);
      const byChar = argmax(ll.map((l, k) => l / (x.options[k].length + 1))); // the continuation is " " + option
      const bySum = argmax(ll);
      raw.push(bySum === gold);
      norm.push(byChar === gold);
      // #cloze: the per-character choice (cloze_norm_accuracy); #cloze_sum: the summed one (cloze_accuracy)
      examples.push({ example_id: `${x.id}#cloze`, prediction: LETTERS[byChar], reference: x.answer, correct: byChar === gold, logprob: ll[gold] });
      examples.push({ example_id: `${x.id}#cloze_sum`, prediction: LETTERS[bySum], reference: x.answer, correct: bySum === gold, logprob: ll[gold] });
    });
    tokens += lls.tokens;
    report("cloze_accuracy", raw);
    report("cloze_norm_accuracy", norm);
    truncated = Math.max(truncated, t);
  }
  results.push(infoRow("all", "k_shot", spec.k_shot, items.length), infoRow("all", "truncated_prompts", truncated, items.length));
  return { task: "mcq", results, examples, tokens };
}
