// The --export DIR [--allow-shrink] of kick sweep and kick merge: the store's tables into DIR, saying what it wrote
// and, with --allow-shrink, which runs the earlier export there had that the new one lacks.
import type { ResultsStore } from "../sweep/store.js";

export async function exportStore(store: ResultsStore, dir: string, { allowShrink, tag }: { allowShrink: boolean; tag: string }): Promise<void> {
  const counts = await store.exportTables(dir, {
    allowShrink,
    onRemoved: (ids) => process.stderr.write(`[${tag}] --allow-shrink: the export in ${dir} no longer has ${ids.length} run(s): ${ids.join(", ")}\n`),
  });
  process.stderr.write(`[${tag}] exported ${Object.entries(counts).map(([t, n]) => `${t}: ${n} rows`).join(", ")} to ${dir}\n`);
}
