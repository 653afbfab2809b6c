// What every importer returns: items of kick's suites (loaders/data/tasks/schema.ts), not yet validated or
// marked for CI, and notes on what was left out and why (printed by `kick tasks import`).
import type { TaskItem, TaskName } from "../tasks/schema.js";

export type ImportedSuites = { [T in TaskName]?: TaskItem<T>[] };

export interface Imported {
  suites: ImportedSuites;
  notes: string[];
}

export interface ImportOptions {
  /** which split of a Hugging Face layout (file name prefix) to import as kick's test split */
  split: string;
  /** TriviaQA JSON: the folder with wikipedia/ and web/ evidence files */
  evidenceDir?: string;
  /** open-book passages: at most this many words around the answer */
  passageWords: number;
  /** jsonl format: which kick task the lines are */
  task?: TaskName;
}

/** Distinct non-empty strings, first occurrence first (answer aliases). */
export const distinct = (xs: readonly string[]): string[] => [...new Set(xs.map((x) => x.trim()).filter((x) => x !== ""))];

/** "abstract_algebra" → "abstract algebra" (lm-eval's MMLU prompt header). */
export const subjectName = (key: string): string => key.replace(/_/g, " ");
