// The built site in Debian's Chromium: the SQL result and the chart appear, the page makes no
// request beyond its own origin, logs no console error, and explains a missing data file.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectClean, launchChromium, watchPage } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";
import { withoutAnswers } from "./without-answers.js";

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("index page", () => {
  it("queries Parquet with DuckDB-WASM, renders the chart and the marked summary, offline", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    await page.goto(`${server.url}/`);
    const svg = page.locator(".kick-chart svg");
    await svg.first().waitFor({ timeout: 60_000 });
    // Three methods → three line paths, each through six sparsity levels.
    expect(await page.locator(".kick-chart svg [aria-label='line'] path").count()).toBe(3);
    // The SQL result table shows the 18 factoid-QA rows of Table 3 (12 visible + scrolling).
    const tableText = await page.locator("form table, table").first().innerText();
    expect(tableText).toContain("sparsegpt");
    // The paragraph generated from the data: magnitude keeps 13.99/65.44 = 21% at 50% (paper's Table 3).
    const summary = await page.locator(".kick-summary").innerText();
    expect(summary).toMatch(/magnitude keeps 21%/);
    expect(await page.locator(".kick-summary strong").count()).toBeGreaterThan(0);
    expectClean(watch);
    await page.close();
  });

  it("changing the task control changes the SQL result and the chart", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    await page.goto(`${server.url}/`);
    await page.locator(".kick-chart svg").first().waitFor({ timeout: 60_000 });
    const before = await page.locator(".kick-chart").innerHTML();
    await page.locator("select").first().selectOption({ label: "MMLU — accuracy" });
    await page.waitForFunction((old) => document.querySelector(".kick-chart")?.innerHTML !== old, before);
    const table = await page.locator("table").first().innerText();
    expect(table).toContain("0.386"); // Wanda at 50% on MMLU, Table 3
    expectClean(watch);
    await page.close();
  });

  it("offers the chart as SVG and PNG downloads that are valid files", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    await page.goto(`${server.url}/`);
    const links = page.locator(".kick-figure-links a");
    await links.first().waitFor({ timeout: 60_000 });
    for (const [i, signature] of [[0, "<?xml"], [1, "\x89PNG"]] as const) {
      const [download] = await Promise.all([page.waitForEvent("download"), links.nth(i).click()]);
      const bytes = await (await import("node:fs/promises")).readFile((await download.path())!);
      expect(bytes.subarray(0, signature.length).toString("latin1")).toBe(signature);
      expect(download.suggestedFilename()).toBe(`table3-factoid_qa.${i === 0 ? "svg" : "png"}`);
    }
    expectClean(watch);
    await page.close();
  });

  it("shows a message, not a blank chart, when the Parquet file is missing", async () => {
    const page = await browser.newPage();
    await watchPage(page, server.url);
    await page.route("**/_file/data/*.parquet", (route) => route.fulfill({ status: 404, body: "not found" }));
    await withoutAnswers(page);
    await page.goto(`${server.url}/`);
    const notice = page.locator(".kick-data-error");
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.innerText()).toMatch(/table "table3" could not be loaded .*HTTP 404.*npm run build/s);
    expect(await page.locator(".kick-chart svg").count()).toBe(0);
    await page.close();
  });
});
