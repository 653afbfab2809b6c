// kick tasks import --format NAME SRC --out DIR: converts a public benchmark's files into a tasks folder that
// kick eval / kick sweep read with --tasks-dir. Standalone meanwhile: npx tsx loaders/cli/tasks.ts import ...
import { IMPORT_FORMATS } from "../data/import/formats.js";
import { JSONL_TASKS } from "../data/import/jsonl.js";
import { inputFiles } from "../data/import/source.js";
import { writeSuites } from "../data/import/write-suites.js";
import type { TaskName } from "../data/tasks/schema.js";
import { intOption, parseCommand, UsageError } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "import a public benchmark (FreebaseQA, MMLU, TriviaQA, CNN/DailyMail, JSONL) as a tasks folder for --tasks-dir";

const HELP = `Usage: kick tasks import --format NAME SRC --out DIR [options]

Converts a dataset you have on disk into kick's task suites (DIR/<task>.jsonl, the schema of data/tasks, plus
DIR/import.json: format, source hashes, counts, the folder's hash). Evaluate on it with
kick eval --tasks-dir DIR or kick sweep --tasks-dir DIR; runs are keyed on the folder's content.
SRC is a file, or a folder searched for the format's files.

Formats:
${Object.entries(IMPORT_FORMATS).map(([n, f]) => `  ${n.padEnd(15)} ${f.describe}`).join("\n")}

Options:
  --format NAME       one of ${Object.keys(IMPORT_FORMATS).join(", ")}
  --out DIR           the tasks folder to write (refused if it exists, unless --force)
  --split NAME        Hugging Face layouts: which split's files become the test split (default test;
                      MMLU's dev files always become the dev split for k-shot examples)
  --evidence DIR      TriviaQA JSON: the evidence folder (wikipedia/, web/; default: SRC's ../evidence)
  --passage-words N   open-book passages: words around the answer's first mention (default 256)
  --task TASK         jsonl: which suite the lines are (${JSONL_TASKS.join(", ")})
  --force             replace an existing --out folder
  -h, --help          this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("tasks", argv, {
    format: { type: "string" },
    out: { type: "string" },
    split: { type: "string" },
    evidence: { type: "string" },
    "passage-words": { type: "string" },
    task: { type: "string" },
    force: { type: "boolean" },
  }, HELP);
  if (typeof parsed === "number") return parsed;
  const { values: v, positionals } = parsed;
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  let job;
  try {
    if (positionals[0] !== "import" || positionals.length !== 2)
      throw new Error(`expected import SRC, got ${positionals.length ? `"${positionals.join(" ")}"` : "nothing"}`);
    const name = str("format");
    const format = name ? IMPORT_FORMATS[name] : undefined;
    if (!format) throw new Error(`--format ${name ?? "(missing)"}: expected one of ${Object.keys(IMPORT_FORMATS).join(", ")}`);
    const out = str("out");
    if (!out) throw new Error("--out DIR is required");
    const task = str("task");
    if (task !== undefined && !(JSONL_TASKS as readonly string[]).includes(task)) throw new Error(`--task ${task}: expected one of ${JSONL_TASKS.join(", ")}`);
    const passageWords = intOption("tasks", "passage-words", str("passage-words"), 16) ?? 256;
    job = { name: name!, format, src: positionals[1], out, opts: { split: str("split") ?? "test", evidenceDir: str("evidence"), passageWords, task: task as TaskName | undefined } };
  } catch (e) {
    process.stderr.write(e instanceof UsageError ? `${e.message}\n` : `kick tasks: ${(e as Error).message} (see kick tasks --help)\n`);
    return 2;
  }
  try {
    const sources = inputFiles(job.src, job.format.exts);
    process.stderr.write(`[tasks import] ${job.name}: reading ${sources.length} file(s) under ${job.src}\n`);
    const imported = await job.format.run(job.src, job.opts);
    for (const note of imported.notes) process.stderr.write(`[tasks import] note: ${note}\n`);
    const written = writeSuites(imported, job.out, { format: job.name, sources }, { force: v.force === true });
    for (const [task, c] of Object.entries(written.counts)) process.stdout.write(`${task}\t${c.items} items (test ${c.test}, dev ${c.dev}, ci ${c.ci})\n`);
    process.stderr.write(`[tasks import] wrote ${written.dir} (tasks_sha256 ${written.tasks_sha256}); evaluate with --tasks-dir ${job.out}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`kick tasks import: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/tasks.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
