// Whether a module is the script node was started with (its CLI guard should run). In an esbuild bundle every
// module shares the bundle's import.meta.url, so a plain URL comparison fires every guard at once (the
// dispatcher and each subcommand ran the same command twice); bundles therefore name their entry in
// globalThis.__KICK_BUNDLE_ENTRY (scripts/gpu-host/bundle.sh, sweep-kit.sh) and each module names itself.
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** `self`: the module's path from the project root, e.g. "loaders/cli/compress.ts". */
export function isMain(moduleUrl: string, self: string): boolean {
  const entry = (globalThis as { __KICK_BUNDLE_ENTRY?: string }).__KICK_BUNDLE_ENTRY;
  if (entry !== undefined) return entry === self;
  if (!process.argv[1]) return false;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(process.argv[1]) === real(fileURLToPath(moduleUrl));
}
