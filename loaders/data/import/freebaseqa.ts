// FreebaseQA (Jiang et al. 2019; LLM-KICK's factoid QA) → kick's factoid_qa suite. Its JSON files
// (FreebaseQA-train/dev/eval.json): {"Questions": [{"Question-ID", "RawQuestion", "ProcessedQuestion",
// "Parses": [{"InferentialChain", "Answers": [{"AnswersMid", "AnswersName": [...]}]}]}]}. The question is the raw
// (cased, punctuated) text; the answer the first name of the first parse; the aliases every name of every parse.
import { qaPrompt } from "../formats.js";
import { head } from "../tasks/build-tasks.js";
import type { TaskItem } from "../tasks/schema.js";
import { distinct, type Imported } from "./imported.js";
import { ImportError, has, inputFiles, readJson, records, str, strList } from "./source.js";

export async function importFreebaseQa(src: string): Promise<Imported> {
  const items: TaskItem<"factoid_qa">[] = [];
  for (const file of inputFiles(src, [".json"])) {
    for (const q of records(readJson(file), "Questions")) {
      const question = has(q, "RawQuestion") ? str(q, "RawQuestion") : str(q, "ProcessedQuestion");
      const parses = records(q, "Parses");
      if (parses.length === 0) throw new ImportError(file, q.where, 'field "Parses": empty, so the question has no answer');
      const names = distinct(parses.flatMap((p) => records(p, "Answers").flatMap((a) => strList(a, "AnswersName"))));
      if (names.length === 0) throw new ImportError(file, q.where, 'field "Parses[].Answers[].AnswersName": no answer name');
      const id = str(q, "Question-ID");
      const chain = has(parses[0], "InferentialChain") ? str(parses[0], "InferentialChain") : "freebaseqa";
      items.push({ ...head("factoid_qa", `freebaseqa/${id}`), question, prompt: qaPrompt(question), answer: names[0], aliases: names, fact_id: id, relation: chain, category: "FreebaseQA" });
    }
  }
  return { suites: { factoid_qa: items }, notes: [] };
}
