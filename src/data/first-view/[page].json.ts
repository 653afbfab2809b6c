// /data/first-view/<page>.json: the rows of every statement the page issues before a control is touched
// (src/components/first-view.ts), computed with node DuckDB over the same tables and views the page opens
// in DuckDB-WASM, so the page draws its first view from these kilobytes and starts DuckDB only for other
// SQL (src/components/page-answers.ts). Without a results store: no answers (the page explains why).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { storeStatus, withStore } from "../../../loaders/figures/results-store.js";
import { loadTable3, PUBLISHED_SCHEMA } from "../../../loaders/published/llm-kick-table3.js";
import { choosePrompts, PROMPT_CHOICE_SCHEMA, readPromptCards } from "../../../loaders/prompt/selection.js";
import { sqlString, writeParquet, type Row, type TableSchema } from "../../../loaders/store/parquet.js";
import { FIRST_VIEWS } from "../../components/first-view.js";
import { PROMPT_CHOICE_SQL } from "../../components/ledger.js";
import { FLIPS_SCHEMA, FLIPS_SQL } from "../../components/flips-sql.js";
import { encodeValue, type AnswersFile } from "../../components/answers-file.js";
import { REPORT_VIEWS } from "../../components/report-sql.js";

const { values } = parseArgs({ options: { page: { type: "string" } } });
const page = values.page ?? "";
const firstView = FIRST_VIEWS[page];
if (!firstView) throw new Error(`first-view: no first view for page "${page}"; pages: ${Object.keys(FIRST_VIEWS).join(", ")}`);

const status = await storeStatus();
const file: AnswersFile = { data: status.version?.data ?? null, answers: {} };
const dir = await mkdtemp(join(tmpdir(), "kick-first-view-"));
try {
  // The page's other tables as the browser gets them: the Parquet their loaders write, with the same schema.
  const asParquet = async (name: string, rows: readonly Row[], schema: TableSchema) => {
    const path = join(dir, `${name}.parquet`);
    await writeParquet(rows, schema, path);
    return `CREATE VIEW ${name} AS SELECT * FROM read_parquet(${sqlString(path)})`;
  };
  const flips = page === "perplexity" ? [await asParquet("flips", (await withStore([], (q) => q(FLIPS_SQL))) as Row[], FLIPS_SCHEMA)] : [];
  const table3 = await asParquet("table3", await loadTable3(), PUBLISHED_SCHEMA);
  // The validation-chosen prompts live in their own DuckDB on the page (the store's copies them into a table).
  const presets = new Map<string, Row[]>();
  if (page === "ledger" || page === "soft-prompts") {
    const choices = await asParquet("prompt_choice", choosePrompts(readPromptCards("data/prompts")) as unknown as Row[], PROMPT_CHOICE_SCHEMA);
    await withStore([choices], async (query) => void presets.set(PROMPT_CHOICE_SQL, (await query(PROMPT_CHOICE_SQL)) as Row[]));
  }
  await withStore([...REPORT_VIEWS, ...flips, table3], async (query) => {
    await firstView(async (sql) => {
      const rows = presets.get(sql) ?? (await query(sql));
      file.answers[sql] = rows;
      return rows;
    });
  });
} catch (error) {
  // The page runs the statement itself and shows what went wrong (an empty store: how to produce it).
  process.stderr.write(`[first-view] ${page}: stopped at ${(error as Error).message.split("\n")[0]}; the page asks DuckDB-WASM for the rest\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.stderr.write(`[first-view] ${page}: ${Object.keys(file.answers).length} statements answered\n`);
process.stdout.write(JSON.stringify(file, encodeValue));
