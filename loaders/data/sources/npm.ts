// Read files of pinned npm devDependencies, checking the installed version against the pin.
import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SourceError } from "../util.js";
import type { NpmPin } from "./pins.js";

// Packages such as countries-list do not export package.json, so look in the repo's node_modules.
const NODE_MODULES = fileURLToPath(new URL("../../../node_modules/", import.meta.url));
const roots = new Map<string, string>();

export function npmRoot(pin: NpmPin): string {
  const cached = roots.get(pin.name);
  if (cached) return cached;
  const pj = join(NODE_MODULES, pin.name, "package.json");
  if (!existsSync(pj)) throw new SourceError(`${pin.name}@${pin.version}`, "package.json", "not installed (run npm install)");
  const version = JSON.parse(readFileSync(pj, "utf8")).version;
  if (version !== pin.version) throw new SourceError(`${pin.name}@${pin.version}`, pj, `installed version ${version} differs from pin`);
  roots.set(pin.name, dirname(pj));
  return dirname(pj);
}

export function npmFile(pin: NpmPin, rel: string): string {
  const p = join(npmRoot(pin), rel);
  if (!existsSync(p)) throw new SourceError(`${pin.name}@${pin.version}`, rel, "file missing from package");
  return readFileSync(p, "utf8");
}
