// Published LLM-KICK numbers (Table 3, App. A.8: Vicuna-7B, unstructured pruning 0–50%), read from
// the hand-transcribed CSV in data/published/ and validated row by row, so a typo names its line.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { TableSchema } from "../store/parquet.js";

export const TABLE3_CSV = fileURLToPath(new URL("../../data/published/llm-kick-table3.csv", import.meta.url));

const HEADER = ["task", "metric", "method", "sparsity", "value"] as const;

const PublishedRow = z.object({
  task: z.string().regex(/^[a-z0-9_]+$/, "lower_snake_case task name"),
  metric: z.string().regex(/^[a-z0-9_]+$/, "lower_snake_case metric name"),
  method: z.enum(["magnitude", "wanda", "sparsegpt"]),
  sparsity: z.coerce.number().int().min(0).max(100),
  value: z.coerce.number().finite(),
});
export type PublishedRow = z.infer<typeof PublishedRow>;

export const PUBLISHED_SCHEMA: TableSchema = {
  task: "VARCHAR",
  metric: "VARCHAR",
  method: "VARCHAR",
  sparsity: "INTEGER",
  value: "DOUBLE",
  source: "VARCHAR",
};

export const TABLE3_SOURCE = "LLM-KICK (Jaiswal et al., ICLR 2024), Table 3, Vicuna-7B";

/** Parses the CSV text; `file` only names the source in error messages. */
export function parsePublishedCsv(text: string, file: string): (PublishedRow & { source: string })[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines.shift()?.split(",").map((s) => s.trim());
  if (!header || header.join(",") !== HEADER.join(",")) {
    throw new Error(`${file}: header must be "${HEADER.join(",")}", got "${header?.join(",") ?? ""}"`);
  }
  return lines.map((line, i) => {
    const cells = line.split(",").map((s) => s.trim());
    if (cells.length !== HEADER.length) {
      throw new Error(`${file}:${i + 2}: expected ${HEADER.length} fields, got ${cells.length}`);
    }
    const parsed = PublishedRow.safeParse(Object.fromEntries(HEADER.map((h, j) => [h, cells[j]])));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}:${i + 2}: field "${issue.path.join(".")}": ${issue.message}`);
    }
    return { ...parsed.data, source: TABLE3_SOURCE };
  });
}

export async function loadTable3(file = TABLE3_CSV) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read published numbers ${file}: ${(error as Error).message}`);
  }
  return parsePublishedCsv(text, file);
}
