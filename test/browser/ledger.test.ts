// The claim ledger page (src/ledger.md) and the flips chart (src/perplexity.md), read in Chromium from the
// built site: every verdict the page shows must equal the ledger's rules applied to SQL run here with node
// DuckDB over the store the site was built from (its store.json names it) and the published CSV; the
// flips sentence must equal the one computed from the flips SQL over the same store.
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withStore } from "../../loaders/figures/results-store.js";
import { FLIPS_SQL } from "../../src/components/flips-sql.js";
import { flipsClaim } from "../../src/components/flips-chart.js";
import { CLAIMS, ledgerRows, type LedgerRow } from "../../src/components/ledger.js";
import { choosePrompts, readPromptCards } from "../../loaders/prompt/selection.js";
import { REPORT_VIEWS } from "../../src/components/report-sql.js";
import { launchChromium, watchPage, type PageWatch } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";
import { pageHref } from "../../src/components/page-href.js";

let server: StaticServer;
let browser: Browser;
let expected: LedgerRow[];
let flips: Record<string, unknown>[];

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium();
  const status = JSON.parse(await readFile("dist/data/store.json", "utf8")) as { source: string };
  process.env.KICK_RESULTS_DIR = status.source;
  expected = await withStore(REPORT_VIEWS, async (q) => {
    await q(`CREATE TABLE table3 AS SELECT * FROM read_csv('data/published/llm-kick-table3.csv')`);
    return ledgerRows(q, q, choosePrompts(readPromptCards("data/prompts")) as unknown as Record<string, unknown>[]);
  });
  flips = await withStore([], (q) => q(FLIPS_SQL));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watch = await watchPage(page, server.url);
  await page.goto(`${server.url}/${path}`);
  return { page, watch };
}

describe("claim ledger page", () => {
  it("shows a row per claim whose verdict and numbers equal the rules applied to SQL over the built store", async () => {
    const { page, watch } = await open("ledger");
    await page.locator("table.kick-ledger tbody tr").first().waitFor({ timeout: 120_000 });
    const shown = await page.locator("table.kick-ledger tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({ id: (tr as HTMLElement).dataset.claim, verdict: (tr as HTMLElement).dataset.verdict, cells: [...tr.querySelectorAll("td")].map((td) => td.textContent) })),
    );
    expect(shown.map((r) => r.id)).toEqual(CLAIMS.map((c) => c.id));
    expect(shown.map((r) => [r.id, r.verdict])).toEqual(expected.map((r) => [r.id, r.verdict]));
    for (const [i, r] of expected.entries()) expect(shown[i].cells.slice(2)).toEqual([r.published, r.kick, r.verdict, r.why]);
    // The fixture (or any store) decides at least one claim from its numbers, and every verdict is one of the five.
    expect(shown.some((r) => ["reproduced", "partly", "not reproduced"].includes(String(r.verdict)))).toBe(true);
    // The paper's own number comes from data/published/ (LLM-KICK Table 3, SparseGPT at 50%: 65.44 → 42.86).
    expect(shown.find((r) => r.id === "perplexity-masks")?.cells[2]).toContain("65.44% dense → 42.86% at 50%");
    // Each claim links to the page of its chart, and the ledger is in the sidebar.
    for (const c of CLAIMS) expect(await page.locator(`tr[data-claim="${c.id}"] a`).getAttribute("href")).toBe(pageHref(c.chart));
    expect(await page.locator(`#observablehq-sidebar a[href$="${pageHref("ledger", "/")}"], #observablehq-sidebar a[href="${pageHref("ledger")}"]`).count()).toBeGreaterThan(0);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.failedRequests).toEqual([]);
    await page.close();
  }, 300_000);
});

describe("flips chart", () => {
  it("says what the flips SQL over the built store says, for the default model and task", async () => {
    const { page, watch } = await open("perplexity");
    const chart = page.locator("[data-flips-chart]");
    await chart.scrollIntoViewIfNeeded();
    await chart.locator("svg").first().waitFor({ timeout: 120_000 });
    // The default choice: the largest model, factoid QA first; 0-shot at the most common calibration count.
    const top = [...flips].sort((a, b) => Number(b.model_params) - Number(a.model_params) || Number(b.task === "factoid_qa") - Number(a.task === "factoid_qa") || String(a.model).localeCompare(String(b.model)) || String(a.task).localeCompare(String(b.task)))[0];
    const counts = new Map<unknown, number>();
    for (const r of flips) counts.set(r.calib_samples, (counts.get(r.calib_samples) ?? 0) + 1);
    const calib = [...counts.entries()].filter(([k]) => k !== null).sort((a, b) => b[1] - a[1])[0]?.[0];
    const rows = flips.filter((r) => r.model === top.model && r.task === top.task && r.k_shot === 0 && (r.calib_samples === null || r.calib_samples === calib));
    expect(rows.length).toBeGreaterThan(0);
    expect((await page.locator("[data-flips-claim]").innerText()).trim()).toBe(flipsClaim(rows));
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.failedRequests).toEqual([]);
    await page.close();
  }, 300_000);
});
