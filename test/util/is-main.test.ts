// CLI guards in esbuild bundles: every bundled module shares the bundle's import.meta.url, so only the module
// the bundle names as its entry may run its main (before this, `kick compress` ran twice in GPU-host bundles).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const IS_MAIN = resolve("loaders/util/is-main.ts");
const guarded = (self: string) => `import { isMain } from ${JSON.stringify(IS_MAIN)};\nif (isMain(import.meta.url, ${JSON.stringify(self)})) console.log("main: ${self}");\n`;

describe("isMain", () => {
  it("runs only the entry's guard in a bundle, and the started file's guard without one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-is-main-"));
    writeFileSync(join(dir, "sub.ts"), `${guarded("sub.ts")}export const x = 1;\n`);
    writeFileSync(join(dir, "entry.ts"), `import { x } from "./sub.ts";\n${guarded("entry.ts")}console.log(x);\n`);
    const outfile = join(dir, "bundle.mjs");
    await build({ entryPoints: [join(dir, "entry.ts")], bundle: true, platform: "node", format: "esm", outfile, logLevel: "silent", banner: { js: "globalThis.__KICK_BUNDLE_ENTRY = 'entry.ts';" } });
    expect(execFileSync(process.execPath, [outfile], { encoding: "utf8" }).trim()).toBe("main: entry.ts\n1");
    // the same bundle without the banner is the bug: both guards see the bundle's own URL
    await build({ entryPoints: [join(dir, "entry.ts")], bundle: true, platform: "node", format: "esm", outfile, logLevel: "silent" });
    expect(execFileSync(process.execPath, [outfile], { encoding: "utf8" }).trim().split("\n").sort()).toEqual(["1", "main: entry.ts", "main: sub.ts"]);
    // unbundled (tsx): only the file node was started with
    const tsx = resolve("node_modules/.bin/tsx");
    expect(execFileSync(tsx, [join(dir, "entry.ts")], { encoding: "utf8" }).trim()).toBe("main: entry.ts\n1");
  });
});
