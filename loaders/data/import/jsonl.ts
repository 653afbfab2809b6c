// Any other benchmark, as JSON lines in the shape lm-eval's local-file tasks use (one example per line);
// `--task` says which kick suite the lines are:
//   mcq            {"question", "choices": [4 strings], "answer": 0–3 or "A"–"D", "subject"?, "split"?: "dev"|"test"}
//   factoid_qa     {"question", "answer": "…" or "answers": [...]}
//   icr_qa         {"question", "passage" (or "context"), "answer" or "answers"}
//   summarization  {"document", "summary"}
// Every line may carry "id" (default: the file name and line number).
import { basename } from "node:path";
import { LETTERS, qaPrompt, readPrompt, summaryPrompt } from "../formats.js";
import { head, summaryBin } from "../tasks/build-tasks.js";
import type { TaskItem, TaskName } from "../tasks/schema.js";
import { words } from "../util.js";
import { distinct, type Imported, type ImportOptions } from "./imported.js";
import { has, ImportError, inputFiles, int, readJsonl, str, strList, type SourceRecord } from "./source.js";

export const JSONL_TASKS = ["mcq", "factoid_qa", "icr_qa", "summarization"] as const satisfies readonly TaskName[];

const answersOf = (r: SourceRecord): string[] => {
  const a = distinct(has(r, "answers") ? strList(r, "answers") : [str(r, "answer")]);
  if (a.length === 0) throw new ImportError(r.file, r.where, 'field "answers": no non-empty answer');
  return a;
};

function mcqAnswer(r: SourceRecord, n: number): number {
  const v = (r.value as Record<string, unknown>).answer;
  const i = typeof v === "string" ? (LETTERS as readonly string[]).indexOf(v.trim()) : int(r, "answer");
  if (!(i >= 0 && i < n)) throw new ImportError(r.file, r.where, `field "answer": ${JSON.stringify(v)} does not name one of the ${n} choices (0–${n - 1} or A–${LETTERS[n - 1] ?? "D"})`);
  return i;
}

export async function importJsonl(src: string, opts: ImportOptions): Promise<Imported> {
  const task = opts.task;
  if (!task || !(JSONL_TASKS as readonly string[]).includes(task)) throw new Error(`--format jsonl needs --task, one of ${JSONL_TASKS.join(", ")}`);
  const mcq: TaskItem<"mcq">[] = [];
  const factoid: TaskItem<"factoid_qa">[] = [];
  const icr: TaskItem<"icr_qa">[] = [];
  const summ: TaskItem<"summarization">[] = [];
  for (const file of inputFiles(src, [".jsonl"])) {
    for (const r of readJsonl(file)) {
      const key = `${has(r, "id") ? String((r.value as Record<string, unknown>).id) : `${basename(file, ".jsonl")}/${r.where.replace(" ", "")}`}`;
      if (task === "mcq") {
        const options = strList(r, "choices");
        if (options.length !== 4) throw new ImportError(file, r.where, `field "choices": expected 4 choices (kick's mcq is A–D), got ${options.length}`);
        const split = has(r, "split") ? str(r, "split") : "test";
        if (split !== "dev" && split !== "test") throw new ImportError(file, r.where, `field "split": expected "dev" or "test", got ${JSON.stringify(split)}`);
        const subject = has(r, "subject") ? str(r, "subject") : "general knowledge";
        mcq.push({ ...head("mcq", key, split), subject, question: str(r, "question"), options, answer: LETTERS[mcqAnswer(r, 4)], fact_id: key, relation: subject });
      } else if (task === "summarization") {
        const document = str(r, "document");
        const n = words(document);
        summ.push({ ...head("summarization", key), document, summary: str(r, "summary"), prompt: summaryPrompt(document), bin: summaryBin(n) ?? "long", words: n, source_id: key });
      } else {
        const question = str(r, "question");
        const aliases = answersOf(r);
        const base = { question, answer: aliases[0], aliases, fact_id: key, relation: basename(file, ".jsonl") };
        if (task === "factoid_qa") factoid.push({ ...head("factoid_qa", key), ...base, prompt: qaPrompt(question), category: basename(file, ".jsonl") });
        else {
          const passage = str(r, has(r, "passage") ? "passage" : "context");
          icr.push({ ...head("icr_qa", key), ...base, passage, closed_prompt: qaPrompt(question), open_prompt: readPrompt(passage, question), counterfactual: false, original_answer: aliases[0] });
        }
      }
    }
  }
  const suites = { mcq: { mcq }, factoid_qa: { factoid_qa: factoid }, icr_qa: { icr_qa: icr }, summarization: { summarization: summ } }[task as (typeof JSONL_TASKS)[number]];
  return { suites, notes: [] };
}
