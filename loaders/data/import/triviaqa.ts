// TriviaQA (Joshi et al. 2017; LLM-KICK's in-context retrieval QA) → kick's factoid_qa (closed book, every
// question) and icr_qa (closed and open book, the questions whose evidence mentions an answer) suites, from
// either public layout:
// - the release's JSON (qa/wikipedia-dev.json, qa/web-dev.json, unfiltered-web-dev.json): {"Data": [{"Question",
//   "QuestionId", "Answer": {"Value", "Aliases"}, "EntityPages": [{"Filename"}], "SearchResults": [{"Filename"}]}]},
//   evidence files under <evidence>/wikipedia/ and <evidence>/web/ (default: the qa folder's ../evidence);
// - Hugging Face trivia_qa Parquet (<config>/<split>-….parquet): question, question_id, answer {value, aliases},
//   entity_pages {wiki_context: [...]}, search_results {search_context: [...]}.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { qaPrompt, readPrompt } from "../formats.js";
import { head } from "../tasks/build-tasks.js";
import type { TaskItem } from "../tasks/schema.js";
import { distinct, type Imported, type ImportOptions } from "./imported.js";
import { answerPassage } from "./passage.js";
import { child, hfSplitOf, inputFiles, readJson, readParquetRecords, records, str, strList, type SourceRecord } from "./source.js";

interface Question {
  id: string;
  question: string;
  aliases: string[];
  /** evidence texts, in the dataset's order (entity pages, then search results) */
  evidence: () => string[];
}

/** The questions of one JSON file; `missing()` counts evidence files not found, once their evidence was read. */
function fromJson(file: string, evidenceDir: string | undefined): { questions: Question[]; missing: () => number } {
  const dir = evidenceDir ?? join(dirname(file), "..", "evidence");
  let missing = 0;
  const read = (sub: string, name: string) => {
    const p = join(dir, sub, name);
    if (existsSync(p)) return [readFileSync(p, "utf8")];
    missing++;
    return [];
  };
  const questions = records(readJson(file), "Data").map((q): Question => {
    const answer = child(q, "Answer");
    return {
      id: str(q, "QuestionId"),
      question: str(q, "Question"),
      aliases: distinct([str(answer, "Value"), ...strList(answer, "Aliases", { optional: true })]),
      evidence: () => [
        ...records(q, "EntityPages", { optional: true }).flatMap((p) => read("wikipedia", str(p, "Filename"))),
        ...records(q, "SearchResults", { optional: true }).flatMap((p) => read("web", str(p, "Filename"))),
      ],
    };
  });
  return { questions, missing: () => missing };
}

function fromParquetRow(r: SourceRecord): Question {
  const answer = child(r, "answer");
  const texts = (field: string, list: string) => {
    const v = (r.value as Record<string, unknown>)[field];
    return v === null || v === undefined ? [] : strList(child(r, field), list, { optional: true });
  };
  return {
    id: str(r, "question_id"),
    question: str(r, "question"),
    aliases: distinct([str(answer, "value", { nonEmpty: false }), ...strList(answer, "aliases", { optional: true })]),
    evidence: () => [...texts("entity_pages", "wiki_context"), ...texts("search_results", "search_context")],
  };
}

export async function importTriviaQa(src: string, opts: ImportOptions): Promise<Imported> {
  const notes: string[] = [];
  const questions: Question[] = [];
  const missing: (() => string | null)[] = [];
  for (const file of inputFiles(src, [".json", ".parquet"])) {
    if (file.endsWith(".json")) {
      const got = fromJson(file, opts.evidenceDir);
      questions.push(...got.questions);
      const dir = opts.evidenceDir ?? join(dirname(file), "..", "evidence");
      missing.push(() => (got.missing() ? `${file}: ${got.missing()} evidence file(s) not found under ${dir} (--evidence DIR)` : null));
    } else if (src !== file && hfSplitOf(file) !== opts.split) {
      notes.push(`${file}: split "${hfSplitOf(file)}" is not imported (--split ${opts.split})`);
    } else {
      questions.push(...(await readParquetRecords(file)).map(fromParquetRow));
    }
  }
  const factoid: TaskItem<"factoid_qa">[] = [];
  const icr: TaskItem<"icr_qa">[] = [];
  let unanswered = 0;
  let noEvidence = 0;
  for (const q of questions) {
    const aliases = q.aliases.filter((a) => a !== "<unk>"); // HF's test split hides its answers this way
    if (aliases.length === 0) {
      unanswered++;
      continue;
    }
    const base = { question: q.question, answer: aliases[0], aliases, fact_id: q.id, relation: "triviaqa" };
    factoid.push({ ...head("factoid_qa", `triviaqa/${q.id}`), ...base, prompt: qaPrompt(q.question), category: "TriviaQA" });
    const passage = answerPassage(q.evidence(), aliases, opts.passageWords);
    if (passage === null) {
      noEvidence++;
      continue;
    }
    icr.push({ ...head("icr_qa", `triviaqa/${q.id}`), ...base, passage, closed_prompt: qaPrompt(q.question), open_prompt: readPrompt(passage, q.question), counterfactual: false, original_answer: aliases[0] });
  }
  for (const note of missing) {
    const text = note();
    if (text) notes.push(text);
  }
  if (unanswered) notes.push(`${unanswered} question(s) without an answer left out (Hugging Face's test split has none)`);
  if (noEvidence) notes.push(`${noEvidence} question(s) have no evidence mentioning an answer: in factoid_qa (closed book) only, not in icr_qa`);
  return { suites: { factoid_qa: factoid, icr_qa: icr }, notes };
}
