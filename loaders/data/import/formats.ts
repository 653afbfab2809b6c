// The dataset formats `kick tasks import --format NAME` reads, each with the files it takes.
import { importCnnDailyMail } from "./cnn-dailymail.js";
import { importFreebaseQa } from "./freebaseqa.js";
import type { Imported, ImportOptions } from "./imported.js";
import { importJsonl } from "./jsonl.js";
import { importMmlu } from "./mmlu.js";
import { importTriviaQa } from "./triviaqa.js";

export interface ImportFormat {
  /** source file extensions, when SRC is a folder */
  exts: readonly string[];
  describe: string;
  run(src: string, opts: ImportOptions): Promise<Imported>;
}

export const IMPORT_FORMATS: Record<string, ImportFormat> = {
  freebaseqa: { exts: [".json"], describe: "FreebaseQA JSON (FreebaseQA-eval.json …) → factoid_qa", run: importFreebaseQa },
  mmlu: { exts: [".csv", ".parquet"], describe: "MMLU: the original data/{dev,test}/<subject>_<split>.csv, or cais/mmlu Parquet → mcq", run: importMmlu },
  triviaqa: { exts: [".json", ".parquet"], describe: "TriviaQA rc/unfiltered JSON (+ evidence/), or trivia_qa Parquet → factoid_qa, icr_qa", run: importTriviaQa },
  "cnn-dailymail": { exts: [".parquet", ".csv"], describe: "CNN/DailyMail 3.0.0 Parquet or CSV (article, highlights, id) → summarization", run: importCnnDailyMail },
  jsonl: { exts: [".jsonl"], describe: "lm-eval-style JSON lines, one example a line (--task says which suite)", run: importJsonl },
};
