// A results store is a folder: a path that is (or lies under) a file is refused with a message naming it,
// before any work, instead of a raw ENOTDIR from the first write after a whole evaluation.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Throws when `dir` (given as `flag`, e.g. "--store") cannot be a store folder: it or an ancestor is a file. */
export function checkStoreDir(dir: string, flag: string): void {
  let path = resolve(dir);
  while (!existsSync(path)) {
    const parent = dirname(path);
    if (parent === path) return;
    path = parent;
  }
  if (!statSync(path).isDirectory())
    throw new Error(`${flag} ${dir}: ${path} is a file, not a folder (a results store is a folder: pass a new one or an existing store)`);
}
