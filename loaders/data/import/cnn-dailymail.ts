// CNN/DailyMail (See et al. 2017, version 3.0.0; LLM-KICK's summarization) → kick's summarization suite, from
// Hugging Face's Parquet (3.0.0/<split>-….parquet) or the same columns as CSV with a header: article,
// highlights, id. The reference summary is the highlights, one sentence a line, joined with spaces.
import { summaryPrompt } from "../formats.js";
import { head, summaryBin } from "../tasks/build-tasks.js";
import type { TaskItem } from "../tasks/schema.js";
import { words } from "../util.js";
import type { Imported, ImportOptions } from "./imported.js";
import { hfSplitOf, inputFiles, readCsvRecords, readParquetRecords, str } from "./source.js";

export async function importCnnDailyMail(src: string, opts: ImportOptions): Promise<Imported> {
  const items: TaskItem<"summarization">[] = [];
  const notes: string[] = [];
  for (const file of inputFiles(src, [".parquet", ".csv"])) {
    if (src !== file && hfSplitOf(file) !== opts.split) {
      notes.push(`${file}: split "${hfSplitOf(file)}" is not imported (--split ${opts.split})`);
      continue;
    }
    for (const r of file.endsWith(".csv") ? await readCsvRecords(file) : await readParquetRecords(file)) {
      const document = str(r, "article");
      const id = str(r, "id");
      const n = words(document);
      // kick's own bins end at 800 words; news articles run longer, and count as long
      items.push({ ...head("summarization", `cnn_dailymail/${id}`), document, summary: str(r, "highlights").split(/\s*\n\s*/).join(" ").trim(), prompt: summaryPrompt(document), bin: summaryBin(n) ?? "long", words: n, source_id: id });
    }
  }
  return { suites: { summarization: items }, notes };
}
