// The body of the embeddable chart modules (src/embed/[chart].ts): open the store, resolve the
// controls' defaults (overridden by `params`), run the chart's SQL and draw it, with an attribution caption.
import { resolveParams, type Params } from "./report-controls.js";
import { FIGURES } from "./report-figures.js";
import { openReport, reportNotice, type ReportSources, type ReportStore } from "./report-page.js";
import { sourceLine } from "./figure-frame.js";
import { writeView } from "./url-state.js";

export interface EmbedOptions {
  width?: number;
  height?: number;
  params?: Params;
  legend?: "html" | "inline";
}

const stores = new Map<string, Promise<ReportStore>>();

/**
 * The chart in a <figure> whose caption carries the attribution: the figure's title linking to this
 * view on the site (controls in the address, url-state.ts) and the source line (site, data version).
 */
function attributed(chart: Element, name: string, params: Params, store: ReportStore, site: string): HTMLElement {
  const spec = FIGURES[name];
  const figure = document.createElement("figure");
  figure.className = "kick-embed";
  const caption = document.createElement("figcaption");
  caption.style.font = "12px system-ui, sans-serif";
  const link = document.createElement("a");
  link.href = new URL(`${spec.page}${writeView(name, params, "")}`, site).href;
  link.textContent = spec.title;
  caption.append(link, ` — ${sourceLine(store.status, site)}`);
  figure.append(chart, caption);
  return figure;
}

/** `site`: the site's root URL, for the attribution caption (none without it). */
export async function embedChart(name: string, sources: ReportSources, { width = 640, height, params = {}, legend = "html" }: EmbedOptions = {}, site?: string): Promise<Element> {
  const spec = FIGURES[name];
  try {
    if (!spec) throw new Error(`unknown chart "${name}"`);
    const key = JSON.stringify(sources, (_k, v) => (v && typeof v === "object" && "href" in v ? v.href : v));
    if (!stores.has(key)) stores.set(key, openReport(sources));
    const store = await stores.get(key)!;
    const resolved = await resolveParams(spec.controls, store.query, params);
    const chart = spec.draw(await store.query(spec.sql(resolved)), { width, height, legend }, resolved);
    return site ? attributed(chart, name, resolved, store, site) : chart;
  } catch (error) {
    return reportNotice(error);
  }
}
