// /embed/<chart>.js — one report chart as an embeddable module (listed in dynamicPaths):
//   import {chart} from "https://SITE/embed/bits-vs-score.js";
//   document.body.append(await chart({width: 640, params: {task: "mcq"}}));
// It loads DuckDB-WASM and the store's results table from the site (/data/results.parquet and
// /data/store.json, stable URLs listed in dynamicPaths), picks the same defaults as the page, and returns the chart's DOM node.
// A named export: Framework serves /embed/<chart>.js as `export * from …`, which drops a default export.
// (The chart code is imported dynamically: Framework 1.13 cannot render an exported module that
// statically imports node_modules packages with dependencies of their own.)
import type { EmbedOptions } from "../components/report-embed.js";

declare const observable: { params: { chart: string } };

export async function chart(options: EmbedOptions = {}): Promise<Element> {
  const { embedChart } = await import("../components/report-embed.js");
  // The store's files at their stable URLs (dynamicPaths), relative to this module, wherever it is imported from.
  // (Framework serves /embed/<chart>.js as a re-export of /_import/embed/<chart>.<hash>.js, which is this module.)
  const root = new URL(import.meta.url.includes("/_import/") ? "../../" : "../", import.meta.url);
  const at = (path: string) => new URL(path, root).href;
  return embedChart(observable.params.chart, { status: at("data/store.json"), results: at("data/results.parquet") }, options, root.href);
}
