// Shared readers for the data tests: everything is read from the files `npm run data` wrote.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DATA = join(ROOT, "data");

export function readJsonl<T = Record<string, unknown>>(rel: string): T[] {
  const p = join(DATA, rel);
  if (!existsSync(p)) throw new Error(`${p} missing: run npm run data`);
  return readFileSync(p, "utf8").trim().split("\n").map((l) => JSON.parse(l) as T);
}

export const manifest = () => JSON.parse(readFileSync(join(DATA, "manifest.json"), "utf8"));

/** Training corpus documents, from the gitignored shards (built by npm run data). */
export function corpusDocs(): string[] {
  const m = manifest();
  const shards = (m.outputs as { path: string }[]).filter((o) => /^corpus\/train-\d+\.txt$/.test(o.path));
  if (!shards.length || !existsSync(join(DATA, shards[0].path))) throw new Error("corpus shards missing: run npm run data");
  return shards.flatMap((s) => readFileSync(join(DATA, s.path), "utf8").split("<|endoftext|>"));
}
