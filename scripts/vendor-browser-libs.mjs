// Bundles the parts of browser libraries that pages import from node_modules whose published
// bundles carry CDN addresses in dead code (DuckDB-WASM's getJsDelivrBundles) or optional heavy
// dependencies the site never calls (jsPDF's html2canvas, canvg and DOMPurify), tree-shaken with
// esbuild, into src/components/vendor/ (gitignored). Runs before `observable build` and `preview`.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}src/components/vendor`;
await mkdir(outdir, { recursive: true });

/** Bundles `contents` (an entry module's source) into vendor/<name>.js, minified, for the browser. */
const bundle = (name, contents, options = {}) =>
  build({
    stdin: { contents, resolveDir: root, sourcefile: `${name}-entry.js` },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    outfile: `${outdir}/${name}.js`,
    logLevel: "warning",
    ...options,
  });

await bundle("duckdb-wasm", 'export { AsyncDuckDB, VoidLogger, ConsoleLogger, LogLevel } from "@duckdb/duckdb-wasm";');

// The vector PDF of a figure (figure-pdf.ts): jsPDF draws, svg2pdf.js translates the SVG. jsPDF loads
// html2canvas, canvg and DOMPurify only for doc.html() and addSvgAsImage(), which kick never calls; they
// become a module that says so instead of ~1 MB (canvg pulls core-js) in the site. PDF's own standard
// fonts encode only Latin-1-like text (Plot's "↑" axis arrows and "−" minus would turn into garbage),
// so the bundle carries DejaVu Sans (fonts-dejavu-core, installed by npm run setup; free licence) as
// base64, and jsPDF embeds the glyphs a figure uses.
const UNUSED_BY_KICK = /^(html2canvas|canvg|dompurify)$/;
// jsPDF's output("pdfobjectnewwindow"), which kick never calls, loads PDFObject from cdnjs; the site
// must name no CDN (test/browser/offline-dist.test.ts), so that address is emptied.
const PDFOBJECT_CDN = '"https://cdnjs.cloudflare.com/ajax/libs/pdfobject/2.1.1/pdfobject.min.js"';
const DEJAVU = "/usr/share/fonts/truetype/dejavu";
for (const file of ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]) {
  if (!existsSync(`${DEJAVU}/${file}`)) throw new Error(`vendor-browser-libs: ${DEJAVU}/${file} is missing; the figure PDFs embed it. Install fonts-dejavu-core (npm run setup).`);
}
await bundle(
  "pdf",
  `export { jsPDF } from "jspdf"; export { svg2pdf } from "svg2pdf.js";
   export { default as dejaVuSans } from "${DEJAVU}/DejaVuSans.ttf"; export { default as dejaVuSansBold } from "${DEJAVU}/DejaVuSans-Bold.ttf";`,
  {
    loader: { ".ttf": "base64" },
    plugins: [
      {
        name: "trim-for-kick",
        setup(b) {
          b.onResolve({ filter: UNUSED_BY_KICK }, (args) => ({ path: args.path, namespace: "unused-by-kick" }));
          b.onLoad({ filter: /.*/, namespace: "unused-by-kick" }, (args) => ({
            contents: `throw new Error("${args.path} is not part of kick's PDF bundle (scripts/vendor-browser-libs.mjs)");`,
          }));
          b.onLoad({ filter: /[\\/]jspdf[\\/]dist[\\/]jspdf\.es\.min\.js$/ }, async (args) => {
            const code = await readFile(args.path, "utf8");
            if (!code.includes(PDFOBJECT_CDN)) throw new Error(`vendor-browser-libs: ${args.path} no longer holds ${PDFOBJECT_CDN}; check it for CDN addresses again`);
            return { contents: code.replaceAll(PDFOBJECT_CDN, '""'), loader: "js" };
          });
        },
      },
    ],
  },
);
