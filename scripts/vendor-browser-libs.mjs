// Bundles the parts of browser libraries that pages import from node_modules whose published
// bundles carry CDN addresses in dead code (DuckDB-WASM's getJsDelivrBundles), tree-shaken with
// esbuild, into src/components/vendor/ (gitignored). Runs before `observable build` and `preview`.
import { build } from "esbuild";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}src/components/vendor`;
await mkdir(outdir, { recursive: true });

await build({
  stdin: {
    contents: 'export { AsyncDuckDB, VoidLogger, ConsoleLogger, LogLevel } from "@duckdb/duckdb-wasm";',
    resolveDir: root,
    sourcefile: "duckdb-wasm-entry.js",
  },
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  outfile: `${outdir}/duckdb-wasm.js`,
  logLevel: "warning",
});
