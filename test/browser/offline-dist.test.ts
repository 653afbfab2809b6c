// dist/ must not point at any CDN: every library and asset is self-hosted from node_modules.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CDN_HOSTS = /cdn\.jsdelivr\.net|unpkg\.com|esm\.sh|cdnjs\.cloudflare\.com|fonts\.googleapis\.com|fonts\.gstatic\.com|cdn\.skypack\.dev|ga\.jspm\.io/;
// Text assets only: DuckDB's wasm binary embeds its own EXPLAIN-to-HTML template (with a unpkg
// stylesheet) and extension-repository URLs that the site never requests; the browser test
// proves no request leaves the site.
const TEXT = /\.(html|js|mjs|css|json|svg)$/;

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

describe("dist/", () => {
  it("self-hosts DuckDB-WASM's worker and wasm", async () => {
    const all: string[] = [];
    for await (const file of files("dist")) all.push(file);
    expect(all.some((f) => /_node\/@duckdb\/duckdb-wasm@[^/]+\/dist\/duckdb-eh\.wasm$/.test(f))).toBe(true);
    expect(all.some((f) => /duckdb-browser-eh\.worker\.[0-9a-f]+\.js$/.test(f))).toBe(true);
  });

  it("references no CDN host in any text asset", async () => {
    const offenders: string[] = [];
    for await (const file of files("dist")) {
      if (!TEXT.test(file)) continue;
      const match = (await readFile(file, "utf8")).match(CDN_HOSTS);
      if (match) offenders.push(`${file}: ${match[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
