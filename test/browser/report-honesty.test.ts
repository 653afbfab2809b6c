// The report argues only what its store shows (issue 28), read in Chromium from the built site:
// - each findings page opens with its result, and the numbers in it equal SQL over the store the site
//   was built from (computed here with node DuckDB straight from results.parquet, not through the
//   report's views or findings code);
// - where a dense baseline is at chance the page says "not testable here" instead of a claim;
// - no heading or caption states a result (computed sentences live in .kick-headline / .kick-claim);
// - a series has one colour in every chart of the site (read from the legends' SVG swatches and line-end labels);
// - the playground shows its quantization id, not template text, and frames its model by the store.
// Whatever the store holds (the fixture, the reference sweep, a retrained family), the expectations
// follow it: each check takes the branch the store's numbers call for.
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDuckDB } from "../../loaders/store/parquet.js";
import { FIGURE_NAMES, FIGURES } from "../../src/components/report-figures.js";
import { launchChromium, watchPage, type PageWatch } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

let server: StaticServer;
let browser: Browser;
let results: string;

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium();
  // The store the site was built from (data/results, or the fixture the browser project builds with).
  const status = JSON.parse(await readFile("dist/data/store.json", "utf8")) as { source: string };
  results = `${status.source}/results.parquet`;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Row = Record<string, unknown>;
const sql = (query: string) => withDuckDB(async (run) => run(query.replaceAll("RESULTS", `read_parquet('${results}')`)));
const pct = (v: unknown) => `${Math.round(Number(v) * 100)}%`;
const PAGES = [...new Set(FIGURE_NAMES.map((n) => FIGURES[n].page))];

const watches = new WeakMap<Page, PageWatch>();

async function open(path: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  watches.set(page, await watchPage(page, server.url));
  await page.goto(`${server.url}/${path}`);
  return page;
}

/** Closes a page that logged no error and fetched nothing it could not. */
async function close(page: Page): Promise<void> {
  const watch = watches.get(page)!;
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.failedRequests).toEqual([]);
  await page.close();
}

const headline = async (page: Page, name: string) => {
  const el = page.locator(`[data-headline="${name}"]`);
  await el.locator("li").first().waitFor({ timeout: 120_000 });
  return el.innerText();
};

/** Scrolls to a chart until its claim (computed with the chart's rows) shows. */
async function claim(page: Page, name: string): Promise<string> {
  const end = Date.now() + 120_000;
  for (;;) {
    await page.locator(`[data-figure="${name}"]`).scrollIntoViewIfNeeded();
    if (await page.locator(`[data-figure="${name}"] svg`).count()) return (await page.locator(`[data-figure-claim="${name}"]`).innerText()).trim();
    if (Date.now() > end) throw new Error(`chart ${name} did not render`);
    await page.waitForTimeout(1000);
  }
}

/**
 * One cell of the store, seeds averaged: dense (sparsity 0) or a pruning level, no prompt, 0-shot, the
 * 128-sample calibration; runs on the most items only (a quick run limited to the first items is not a seed).
 */
async function cell(model: string, method: string, sparsity: number, task: string, subset: string, metric: string): Promise<Row | undefined> {
  const rows = await sql(`WITH k AS (SELECT run_id FROM RESULTS WHERE metric = 'k_shot' AND value > 0),
      c AS (SELECT * FROM RESULTS WHERE model = '${model}' AND method = '${method}' AND abs(sparsity - ${sparsity}) < 1e-9
        AND pattern = '${method === "dense" ? "dense" : "unstructured"}' AND bits IS NULL AND prompt = 'none' AND (calib_samples IS NULL OR calib_samples = 128)
        AND task = '${task}' AND subset = '${subset}' AND metric = '${metric}' AND run_id NOT IN (SELECT run_id FROM k) QUALIFY n = max(n) OVER ())
    SELECT avg(value) AS value, avg(ci_low) AS ci_low FROM c HAVING count(*) > 0`);
  return rows[0];
}

const largest = async () => String((await sql(`SELECT model FROM RESULTS ORDER BY model_params DESC LIMIT 1`))[0].model);

describe("the report states only what the store shows", () => {
  it("every findings page opens with its result computed from the store", async () => {
    for (const path of PAGES) {
      const page = await open(path);
      const text = await headline(page, path);
      expect(text, path).not.toMatch(/Could not compute/);
      expect(text.length, path).toBeGreaterThan(20);
      await close(page);
    }
  }, 600_000);

  it("perplexity: the headline's factoid-QA numbers equal the store's, or it says not testable", async () => {
    const model = await largest();
    const dense = await cell(model, "dense", 0, "factoid_qa", "all", "alias_hit");
    const pruned = await cell(model, "sparsegpt", 0.5, "factoid_qa", "all", "alias_hit");
    const page = await open("perplexity");
    const text = await headline(page, "perplexity");
    if (dense && pruned && text.includes("(sparsegpt, " + model + ")")) {
      if (Number(dense.value) < 0.05 || Number(dense.ci_low) <= 0) expect(text).toContain("not testable here");
      else expect(text).toContain(`(${pct(dense.value)} → ${pct(pruned.value)})`);
    } else {
      expect.fail(`expected the headline to be about sparsegpt 50% on ${model}; it reads: ${text}`);
    }
    await close(page);
  }, 300_000);

  it("long context: not testable where the dense models are at chance, in the headline and over the chart", async () => {
    const [dense] = await sql(`SELECT max(value) AS best, max(ci_low) AS lo FROM RESULTS WHERE task = 'long_context' AND metric = 'accuracy' AND subset LIKE 'length/%' AND method = 'dense'`);
    const page = await open("long-context");
    const text = await headline(page, "long-context");
    const chart = await claim(page, "long-context-length");
    if (Number(dense.best) < 0.05) {
      expect(text).toContain("not testable here");
      expect(text).toContain(`at most ${pct(dense.best)}`);
      expect(chart).toMatch(/^Not testable here: the dense model scores/);
      expect(`${text} ${chart}`).not.toMatch(/degrades|holds|keeps/);
    } else {
      expect(text).not.toContain("not testable here");
      expect(text).toMatch(/keeps \d+%/);
    }
    await close(page);
  }, 300_000);

  it("large vs small: defaults to factoid QA, and the headline's scores equal the store's", async () => {
    const models = await sql(`SELECT model, max(model_params) AS params FROM RESULTS GROUP BY model ORDER BY params DESC`);
    const page = await open("large-vs-small");
    const text = await headline(page, "large-vs-small");
    const task = page.locator('[data-controls="large-vs-small"] select[name="task"]');
    await task.waitFor({ timeout: 120_000 });
    expect(await task.locator("option:checked").innerText()).toBe("Factoid QA (closed book)");
    const small = text.match(/dense (\S+) \(/)?.[1];
    expect(models.map((m) => m.model)).toContain(small);
    if (text.includes("closed-book factoid QA")) {
      const dense = await cell(String(small), "dense", 0, "factoid_qa", "all", "alias_hit");
      if (text.includes("not testable here")) expect(Number(dense?.value) < 0.05 || Number(dense?.ci_low) <= 0).toBe(true);
      else expect(text).toContain(`against the small model's ${pct(dense?.value)}`);
    }
    await close(page);
  }, 300_000);

  it("no heading or caption states a result: claims are only in the computed headline and chart sentences", async () => {
    const CLAIM = /\b(degrades?|holds|fails?|beats|recovers?|lost first|masks)\b/i;
    for (const path of ["overview", ...PAGES]) {
      const page = await open(path);
      await page.locator("h1").first().waitFor();
      const texts = await page.locator("h1, h2, .kick-caption, title").allInnerTexts();
      for (const t of [...texts, await page.title()]) expect(t, `${path}: "${t}"`).not.toMatch(CLAIM);
      await close(page);
    }
  }, 300_000);

  it("a series has one colour in every chart (legend swatches and line-end labels read from the SVGs)", async () => {
    const seen = new Map<string, Set<string>>();
    for (const path of ["perplexity", "quantization-vs-pruning", "calibration", "knowledge", "retrieval", "large-vs-small"]) {
      const page = await open(path);
      for (const name of FIGURE_NAMES.filter((n) => FIGURES[n].page === path)) await claim(page, name);
      // Plot's HTML legend: one <span> per series holding an <svg> swatch and the series' name; a chart
      // with many series names them at the lines' ends instead (.kick-line-label), each in its colour.
      const swatches = await page.evaluate(() => [
        ...[...document.querySelectorAll(".kick-chart span[class$='-swatch']")].flatMap((span) => {
          const fill = span.querySelector(":scope > svg")?.getAttribute("fill");
          return fill && fill.startsWith("#") ? [[span.textContent!.trim(), fill.toLowerCase()] as const] : [];
        }),
        ...[...document.querySelectorAll(".kick-chart .kick-line-label text")].flatMap((text) => {
          const fill = text.getAttribute("fill");
          return fill && fill.startsWith("#") ? [[text.textContent!.trim(), fill.toLowerCase()] as const] : [];
        }),
      ]);
      expect(swatches.length, path).toBeGreaterThan(0);
      for (const [label, fill] of swatches) seen.set(label, (seen.get(label) ?? new Set()).add(fill));
      await close(page);
    }
    const clashes = [...seen].filter(([, fills]) => fills.size > 1).map(([label, fills]) => `${label}: ${[...fills].join(", ")}`);
    expect(clashes).toEqual([]);
    // and different methods never share a colour
    const methods = [...seen].filter(([label]) => /^(magnitude|wanda|sparsegpt|rtn|gptq|awq)$/.test(label));
    expect(new Set(methods.map(([, f]) => [...f][0])).size).toBe(methods.length);
  }, 600_000);

  it("playground: prints the quantization id, and what the model can do comes from the store", async () => {
    const page = await open("playground", 390);
    await page.locator(".kick-playground").waitFor({ timeout: 120_000 });
    const body = await page.locator("main").innerText();
    expect(body).not.toContain("${");
    const abilities = page.locator(".kick-abilities");
    await page.locator(".kick-abilities-box").scrollIntoViewIfNeeded();
    await abilities.waitFor({ timeout: 120_000 });
    const dense = await cell("kick-s", "dense", 0, "factoid_qa", "all", "alias_hit");
    expect(await abilities.innerText()).not.toContain("n/a");
    expect(await abilities.innerText()).toContain(dense ? `Factoid QA ${pct(dense.value)}` : "The results store has no dense runs of kick-s");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await close(page);
  }, 300_000);
});
