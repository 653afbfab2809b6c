// The body of the embeddable chart modules (src/embed/[chart].ts): open the store, resolve the
// controls' defaults (overridden by `params`), run the chart's SQL and draw it.
import { resolveParams, type Params } from "./report-controls.js";
import { FIGURES } from "./report-figures.js";
import { openReport, reportNotice, type ReportSources, type ReportStore } from "./report-page.js";

export interface EmbedOptions {
  width?: number;
  height?: number;
  params?: Params;
  legend?: "html" | "inline";
}

const stores = new Map<string, Promise<ReportStore>>();

export async function embedChart(name: string, sources: ReportSources, { width = 640, height, params = {}, legend = "html" }: EmbedOptions = {}): Promise<Element> {
  const spec = FIGURES[name];
  try {
    if (!spec) throw new Error(`unknown chart "${name}"`);
    const key = JSON.stringify(sources, (_k, v) => (v && typeof v === "object" && "href" in v ? v.href : v));
    if (!stores.has(key)) stores.set(key, openReport(sources));
    const store = await stores.get(key)!;
    const resolved = await resolveParams(spec.controls, store.query, params);
    return spec.draw(await store.query(spec.sql(resolved)), { width, height, legend }, resolved);
  } catch (error) {
    return reportNotice(error);
  }
}
