// Observable Framework configuration for the kick report.
// Offline by design: no web fonts (the default globalStylesheets pull Google Fonts) and every
// library is imported from node_modules by bare specifier, never through `npm:`.
export default {
  root: "src",
  title: "kick — what compression really does to LLMs",
  globalStylesheets: [],
  style: "style.css",
  pages: [{name: "Playground", path: "/playground"}],
  // Figure files at stable, unhashed URLs, for papers to link and download.
  dynamicPaths: ["factoid_qa", "mmlu", "summarization_large_coherence", "instruction_following"].flatMap((task) => [
    `/figures/table3-${task}.svg`,
    `/figures/table3-${task}.png`,
  ]),
  footer: "kick · numbers from WebGPU kernels, stored as Parquet, queried with DuckDB-WASM",
};
