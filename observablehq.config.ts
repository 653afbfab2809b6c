// Observable Framework configuration for the kick report.
// Offline by design: no web fonts (the default globalStylesheets pull Google Fonts) and every
// library is imported from node_modules by bare specifier, never through `npm:`.
export default {
  root: "src",
  title: "kick — what compression really does to LLMs",
  globalStylesheets: [],
  style: "style.css",
  pages: [],
  footer: "kick · numbers from WebGPU kernels, stored as Parquet, queried with DuckDB-WASM",
};
