// What an author takes away from a chart, on the site built from the synthetic fixture store
// (global-setup.ts): "this view" as SVG/PNG/PDF is the chart on screen (same size, same controls)
// with its title and source line, the PDF as vector drawing and text (pdf-drawing.ts reads it); its CSV holds the rows of the SQL shown under the chart, checked
// by running that SQL again with node DuckDB on the same store; the controls live in the address,
// so a copied URL restores the view, and a value the store lacks is named and falls back.
import { readFile } from "node:fs/promises";
import { csvParse } from "d3";
import { JSDOM } from "jsdom";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { withStore } from "../../loaders/figures/results-store.js";
import { FIGURES } from "../../src/components/report-figures.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { watchPage, type PageWatch } from "./chromium.js";
import { pdfDrawing } from "./pdf-drawing.js";
import { FIXTURE_STORE } from "./global-setup.js";
import { servedSite } from "./served-site.js";

const NAME = "perplexity-gap";
const CHART = `[data-figure="${NAME}"]`;
const SQL = `[data-figure-sql="${NAME}"] code`;
const site = servedSite();

async function openChart(search = ""): Promise<{ page: Page; watch: PageWatch }> {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const watch = await watchPage(page, site.server.url);
  await page.goto(`${site.server.url}/${FIGURES[NAME].page}${search}`);
  await page.locator(CHART).scrollIntoViewIfNeeded();
  await page.locator(`${CHART} svg`).first().waitFor({ timeout: 60_000 });
  await page.locator(SQL).waitFor({ state: "attached", timeout: 60_000 });
  return { page, watch };
}

/** Each control as the page shows it: "Label: chosen option". */
const controlsShown = (page: Page) =>
  page.locator(`[data-controls="${NAME}"] label`).evaluateAll((labels) =>
    labels.map((l) => `${l.querySelector("span")!.textContent}: ${(l.querySelector("select") as HTMLSelectElement).selectedOptions[0]?.textContent}`),
  );

/** Width and height of the chart's main <svg> on screen (Plot's HTML legend adds small swatch <svg>s). */
const chartSize = (page: Page) =>
  page.locator(`${CHART} svg`).evaluateAll((svgs) =>
    svgs.map((s) => [Number(s.getAttribute("width")), Number(s.getAttribute("height"))]).sort((a, b) => b[0] * b[1] - a[0] * a[1])[0],
  );

async function download(page: Page, format: string): Promise<{ bytes: Buffer; filename: string }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.locator(`.kick-download[data-format="${format}"]`).first().click()]);
  return { bytes: await readFile((await file.path())!), filename: file.suggestedFilename() };
}

/** Picks another option of the task control and waits for the chart's SQL to follow. */
async function changeTask(page: Page): Promise<void> {
  const before = await page.locator(SQL).textContent();
  const select = page.locator(`[data-controls="${NAME}"] select[name="task"]`);
  const options = await select.locator("option").count();
  expect(options).toBeGreaterThan(1);
  await select.selectOption({ index: options - 1 });
  await page.waitForFunction(([sel, sql]) => document.querySelector(sel)?.textContent !== sql, [SQL, before] as const);
}

function clean(watch: PageWatch): void {
  expect(watch.outsideRequests).toEqual([]);
  expect(watch.failedRequests).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
}

describe("downloads of this view", () => {
  it("SVG and PNG are the chart on screen, with its title, controls and source line; the CSV holds the chart's rows", async () => {
    const { page, watch } = await openChart();
    await changeTask(page); // a view other than the default, as an author would download it
    const [width, height] = await chartSize(page);
    const shown = await controlsShown(page);

    const svg = await download(page, "svg");
    expect(svg.filename).toBe(`report-${NAME}-view.svg`);
    const doc = new JSDOM(svg.bytes.toString("utf8"), { contentType: "image/svg+xml" }).window.document;
    const root = doc.documentElement;
    const chart = root.querySelector("svg")!;
    expect([Number(chart.getAttribute("width")), Number(chart.getAttribute("height"))]).toEqual([width, height]);
    expect(Number(root.getAttribute("width"))).toBe(width);
    expect(root.querySelector("title")!.textContent).toBe(FIGURES[NAME].title);
    expect(root.querySelector('[data-frame="title"]')!.textContent).toBe(FIGURES[NAME].title);
    expect(root.querySelector('[data-frame="view"]')!.textContent).toBe(shown.join(" · "));
    const source = root.querySelector('[data-frame="source"]')!.textContent!;
    expect(source).toContain(`${site.server.url}/${FIGURES[NAME].page}?`);
    expect(source).toContain(`${NAME}.task=`);
    expect(source).toMatch(/results sha256 [0-9a-f]{12}/);

    const framedHeight = Number(root.getAttribute("height"));
    const png = await download(page, "png");
    expect(png.bytes.subarray(0, 4).toString("latin1")).toBe("\x89PNG");
    expect([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)]).toEqual([width * 3, framedHeight * 3]);

    const csv = csvParse((await download(page, "csv")).bytes.toString("utf8"));
    const sql = (await page.locator(SQL).textContent())!;
    const summary = await page.locator(`[data-figure-sql="${NAME}"] summary`).textContent();
    process.env.KICK_RESULTS_DIR = FIXTURE_STORE;
    const expected = await withStore(REPORT_VIEWS, (query) => query(sql));
    expect(summary).toBe(`SQL (${expected.length} rows)`);
    expect(csv.length).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(0);
    expect([...csv.columns].sort()).toEqual(Object.keys(expected[0]).sort());
    csv.forEach((row, i) => {
      for (const [key, value] of Object.entries(expected[i])) {
        if (typeof value === "number") expect(Number(row[key]), `${i}.${key}`).toBeCloseTo(value, 9);
        else expect(row[key], `${i}.${key}`).toBe(value === null ? "" : String(value));
      }
    });
    clean(watch);
    await page.close();
  });

  it("PDF is the same figure as vector drawing: a page of its size, every text of the SVG as PDF text, no raster", async () => {
    const { page, watch } = await openChart();
    await changeTask(page);
    const svg = await download(page, "svg");
    const root = new JSDOM(svg.bytes.toString("utf8"), { contentType: "image/svg+xml" }).window.document.documentElement;
    const [width, height] = [Number(root.getAttribute("width")), Number(root.getAttribute("height"))];

    const pdf = await download(page, "pdf");
    expect(pdf.filename).toBe(`report-${NAME}-view.pdf`);
    const drawing = pdfDrawing(pdf.bytes);
    expect(drawing.pages).toBe(1);
    // 1 CSS px = 0.75 pt: the page is the SVG's size, so its aspect too
    const [x0, y0, x1, y1] = drawing.mediaBox;
    expect([x0, y0]).toEqual([0, 0]);
    expect(x1).toBeCloseTo(width * 0.75, 1);
    expect(y1).toBeCloseTo(height * 0.75, 1);
    expect(drawing.images).toBe(0);
    expect(drawing.xobjectsPainted).toBe(0);
    expect(drawing.paints).toBeGreaterThan(10); // axes, ticks, grid and the lines themselves, as paths

    // Each <text> of the SVG (title, view line, source line, axis labels with Plot's ↑/→ arrows, ticks
    // with its − minus) is text in the PDF, in the SVG's order; whitespace may differ (svg2pdf trims it).
    const squash = (t: string) => t.replace(/\s+/g, "");
    const shownText = squash(drawing.texts.join(""));
    const svgTexts = [...root.querySelectorAll("text")].map((t) => t.textContent!).filter((t) => t.trim());
    const axisLabels = [...root.querySelectorAll('[aria-label$="axis label"] text')].map((t) => t.textContent!);
    expect(axisLabels.length).toBeGreaterThan(0);
    let at = 0;
    for (const text of [FIGURES[NAME].title, ...axisLabels, ...svgTexts]) expect(shownText, text).toContain(squash(text));
    for (const text of svgTexts) {
      const found = shownText.indexOf(squash(text), at);
      expect(found, `"${text}" in the SVG's order`).toBeGreaterThanOrEqual(0);
      at = found + squash(text).length;
    }
    expect(shownText).not.toContain("\uFFFD");
    clean(watch);
    await page.close();
  });
});

describe("the view in the address", () => {
  it("a copied URL restores the controls, the SQL and the chart", async () => {
    const first = await openChart();
    await changeTask(first.page);
    const url = new URL(first.page.url());
    expect(url.searchParams.has(`${NAME}.task`)).toBe(true);
    const shown = await controlsShown(first.page);
    const sql = await first.page.locator(SQL).textContent();

    const second = await openChart(url.search);
    expect(await controlsShown(second.page)).toEqual(shown);
    expect(await second.page.locator(SQL).textContent()).toBe(sql);
    expect(await second.page.locator(".kick-url-error").count()).toBe(0);
    for (const { page, watch } of [first, second]) (clean(watch), await page.close());
  });

  it("a value the store does not offer is named, and the page shows the default view", async () => {
    const plain = await openChart();
    const defaults = await controlsShown(plain.page);
    const sql = await plain.page.locator(SQL).textContent();

    const bad = await openChart(`?${NAME}.model=no-such-model&${NAME}.colour=red`);
    const message = await bad.page.locator(`[data-controls="${NAME}"] .kick-url-error`).textContent();
    expect(message).toContain(`${NAME}.model="no-such-model" is not an option of Model`);
    expect(message).toContain(`showing ${defaults[0].replace(/^Model: /, "")}`);
    expect(message).toContain(`${NAME}.colour is not a control of this chart`);
    expect(await controlsShown(bad.page)).toEqual(defaults);
    expect(await bad.page.locator(SQL).textContent()).toBe(sql);
    for (const { page, watch } of [plain, bad]) (clean(watch), await page.close());
  });
});

describe("citing the site", () => {
  it("/methods gives BibTeX for the site as built and for both papers (authors as on arXiv), and the licence", async () => {
    const page = await site.browser.newPage();
    const watch = await watchPage(page, site.server.url);
    await page.goto(`${site.server.url}/methods`);
    const bibtex = page.locator('[data-bibtex="site"]');
    await bibtex.scrollIntoViewIfNeeded();
    await bibtex.waitFor({ timeout: 60_000 });
    const own = (await bibtex.textContent())!;
    expect(own).toContain(`howpublished = {\\url{${site.server.url}/}}`);
    expect(own).toMatch(/note {9}= {Results store test\/fixtures\/results, results sha256 [0-9a-f]{12}, commit [0-9a-f]{12}}/);
    const papers = (await page.locator('[data-bibtex="papers"]').textContent())!;
    // arXiv 2310.01382 and 2305.11186, author lists as listed there
    expect(papers).toContain("author    = {Jaiswal, Ajay and Gan, Zhe and Du, Xianzhi and Zhang, Bowen and Wang, Zhangyang and Yang, Yinfei}");
    expect(papers).toContain("author        = {Xu, Zhaozhuo and Liu, Zirui and Chen, Beidi and Tang, Yuxin and Wang, Jue and Zhou, Kaixiong and Hu, Xia and Shrivastava, Anshumali}");
    expect(papers).toContain("eprint        = {2305.11186}");
    expect(await page.locator(".kick-licence").textContent()).toMatch(/no LICENSE file.*NOTICE/s);
    clean(watch);
    await page.close();
  });
});
