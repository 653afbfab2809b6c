// kick merge --out DIR SRC...: combines shard stores into one (a run stored twice must agree).
// Standalone meanwhile: npx tsx loaders/cli/merge.ts --out DIR SRC...
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ResultsStore } from "../sweep/store.js";
import { parseCommand } from "./args.js";
import { isMain } from "../util/is-main.js";

export const summary = "combine shard results stores into one and export its Parquet tables";

const HELP = `Usage: kick merge --out DIR [--export DIR] SRC [SRC ...]

Copies the finished runs of every source store (e.g. the --store of each shard) into the store at
--out (created if missing). A source may also be an export of a store (a folder with results.parquet,
examples.parquet and runs.parquet, such as the committed data/results/): its runs become run folders.
The model cards (models table) of the sources come along; an export without models.parquet has none.
A run present in several stores must have identical results (timing columns aside); otherwise the
merge stops and names the run. Corrupt or incompatible stores are refused,
never overwritten.

Options:
  --out DIR       the combined store
  --export DIR    then write results.parquet, examples.parquet, runs.parquet, models.parquet of the
                  combined store to DIR
  -h, --help      this help`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand("merge", argv, { out: { type: "string" }, export: { type: "string" } }, HELP);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (typeof values.out !== "string") {
    process.stderr.write("kick merge: --out DIR is required (see kick merge --help)\n");
    return 2;
  }
  if (positionals.length === 0) {
    process.stderr.write("kick merge: give at least one source store (see kick merge --help)\n");
    return 2;
  }
  try {
    const sources = [];
    const exports = [];
    for (const dir of positionals) {
      if (existsSync(join(dir, "store.json"))) sources.push(await ResultsStore.open(dir));
      else exports.push(dir);
    }
    const out = await ResultsStore.open(values.out, { create: true });
    let { added, skipped } = await out.mergeFrom(sources);
    for (const dir of exports) {
      const r = await out.importExport(dir);
      added += r.added;
      skipped += r.skipped;
    }
    process.stderr.write(`[merge] ${added} run(s) added, ${skipped} already present, from ${sources.length} store(s)${exports.length ? ` and ${exports.length} export(s)` : ""} into ${values.out}\n`);
    if (typeof values.export === "string") {
      const counts = await out.exportTables(values.export);
      process.stderr.write(`[merge] exported ${Object.entries(counts).map(([t, n]) => `${t}: ${n} rows`).join(", ")} to ${values.export}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`kick merge: ${(e as Error).message}\n`);
    return 1;
  }
}

if (isMain(import.meta.url, "loaders/cli/merge.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
