// MMLU (Hendrycks et al. 2021) → kick's mcq suite, from either public layout:
// - the original tarball's per-subject CSVs, data/{dev,val,test}/<subject>_<split>.csv, headerless rows
//   question,A,B,C,D,answer (answer a letter);
// - Hugging Face cais/mmlu Parquet, <config>/<split>-0000x-of-0000y.parquet with columns
//   question, subject, choices (list of 4), answer (int 0–3).
// dev (the 5 solved examples per subject) becomes kick's dev split, which k-shot prompts draw from; test the test
// split; val/validation and auxiliary_train are left out (noted).
import { basename } from "node:path";
import { LETTERS } from "../formats.js";
import { head } from "../tasks/build-tasks.js";
import type { TaskItem } from "../tasks/schema.js";
import { type Imported, type ImportOptions, subjectName } from "./imported.js";
import { ImportError, inputFiles, int, readCsvRecords, readParquetRecords, str, strList, type SourceRecord } from "./source.js";

const CSV_COLUMNS = ["question", "A", "B", "C", "D", "answer"] as const;

function item(r: SourceRecord, subjectKey: string, split: "dev" | "test", n: number, question: string, options: string[], answer: number): TaskItem<"mcq"> {
  if (options.length !== 4) throw new ImportError(r.file, r.where, `field "choices": expected 4 options, got ${options.length}`);
  if (!(answer >= 0 && answer < 4)) throw new ImportError(r.file, r.where, `field "answer": ${answer} does not name one of the 4 options (0–3)`);
  const key = `mmlu/${subjectKey}/${split}/${String(n).padStart(4, "0")}`;
  return { ...head("mcq", key, split), subject: subjectName(subjectKey), question, options, answer: LETTERS[answer], fact_id: key, relation: `mmlu/${subjectKey}` };
}

export async function importMmlu(src: string, opts: ImportOptions): Promise<Imported> {
  const files = inputFiles(src, [".csv", ".parquet"]);
  const items: TaskItem<"mcq">[] = [];
  const notes: string[] = [];
  const counters = new Map<string, number>();
  const next = (subject: string, split: string) => {
    const k = `${subject}/${split}`;
    const n = counters.get(k) ?? 0;
    counters.set(k, n + 1);
    return n;
  };
  for (const file of files) {
    if (file.endsWith(".csv")) {
      const m = /^(.+)_(dev|val|test)\.csv$/.exec(basename(file));
      if (!m) throw new ImportError(file, "(file name)", 'expected <subject>_<dev|val|test>.csv, as in MMLU\'s data/ folder');
      const [, subjectKey, srcSplit] = m;
      if (srcSplit === "val") {
        notes.push(`${file}: the val split is not imported (kick's mcq has dev for k-shot examples and test)`);
        continue;
      }
      for (const r of await readCsvRecords(file, CSV_COLUMNS)) {
        const letter = str(r, "answer").trim();
        const answer = (LETTERS as readonly string[]).indexOf(letter);
        if (answer < 0) throw new ImportError(file, r.where, `field "answer" (column 6): expected A, B, C or D, got ${JSON.stringify(letter)}`);
        const options = (["A", "B", "C", "D"] as const).map((c) => str(r, c, { nonEmpty: false }));
        items.push(item(r, subjectKey, srcSplit as "dev" | "test", next(subjectKey, srcSplit), str(r, "question"), options, answer));
      }
    } else {
      const hfSplit = basename(file).replace(/-\d+-of-\d+\.parquet$|\.parquet$/, "");
      if (hfSplit !== "dev" && hfSplit !== opts.split) {
        notes.push(`${file}: split "${hfSplit}" is not imported (dev and ${opts.split} are; --split picks the test split)`);
        continue;
      }
      const split = hfSplit === "dev" ? "dev" : "test";
      for (const r of await readParquetRecords(file)) {
        const subjectKey = str(r, "subject");
        items.push(item(r, subjectKey, split, next(subjectKey, split), str(r, "question"), strList(r, "choices"), int(r, "answer")));
      }
    }
  }
  return { suites: { mcq: items }, notes };
}
