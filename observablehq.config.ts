// Observable Framework configuration for the kick report.
// Offline by design: no web fonts (the default globalStylesheets pull Google Fonts) and every
// library is imported from node_modules by bare specifier, never through `npm:`.

/** The report's charts (src/components/report-figures.ts FIGURES; test/browser/report.test.ts checks they match). */
const REPORT_FIGURES = [
  "perplexity-gap",
  "bits-vs-score",
  "nm-retention",
  "retrieval",
  "summarization-length",
  "long-context-length",
  "large-vs-small",
  "calibration",
  "k-shot",
  "knowledge-retention",
  "mcq-format",
  "soft-prompt-recovery",
  "soft-prompt-transfer",
];

export default {
  root: "src",
  // `kick study --out DIR` builds a site elsewhere (loaders/study/site.ts); npm run build writes dist/
  output: process.env.KICK_SITE_DIR || "dist",
  title: "kick — what compression really does to LLMs",
  globalStylesheets: [],
  style: "style.css",
  // Links end in .html (`./perplexity.html`), so every static server serves them, including the README's
  // `python3 -m http.server -d dist`, which maps no clean URL (`./perplexity`) to its file.
  preserveExtension: true,
  // Browsers ask every page for an icon; without one they request /favicon.ico, which the site lacks.
  head: '<link rel="icon" href="favicon.svg" type="image/svg+xml">',
  pages: [
    { name: "Findings overview", path: "/overview" },
    {
      name: "Findings",
      open: true,
      pages: [
        { name: "Perplexity vs task scores", path: "/perplexity" },
        { name: "Quantization vs pruning", path: "/quantization-vs-pruning" },
        { name: "N:M sparsity on knowledge tasks", path: "/nm-sparsity" },
        { name: "Closed vs open book", path: "/retrieval" },
        { name: "Summarization & long context", path: "/long-context" },
        { name: "Large compressed vs small dense", path: "/large-vs-small" },
        { name: "Calibration & k-shot", path: "/calibration" },
        { name: "Knowledge vs exposure", path: "/knowledge" },
        { name: "Soft prompts", path: "/soft-prompts" },
      ],
    },
    { name: "Claim ledger", path: "/ledger" },
    { name: "Explorer", path: "/explorer" },
    { name: "Methods & reproducibility", path: "/methods" },
    { name: "Playground", path: "/playground" },
    { name: "Compress it yourself", path: "/compress-yourself" },
  ],
  // Figure files at stable, unhashed URLs, for papers to link and download; embeddable chart modules.
  dynamicPaths: [
    ...["factoid_qa", "mmlu", "summarization_large_coherence", "instruction_following"].flatMap((task) => [
      `/figures/table3-${task}.svg`,
      `/figures/table3-${task}.png`,
    ]),
    // The results table and its description at stable URLs: for downloads and for the embeds.
    "/data/results.parquet",
    "/data/store.json",
    ...REPORT_FIGURES.flatMap((name) => [`/figures/report-${name}.svg`, `/figures/report-${name}.png`, `/embed/${name}.js`]),
  ],
  footer: "kick · numbers from WebGPU kernels, stored as Parquet, queried with DuckDB-WASM",
};
