// npm run bench:site: how long a reader waits, in Debian's Chromium against the built dist/ (served on
// 127.0.0.1 by the browser tests' static server; KICK_BENCH_DIST serves another build). For the front
// page and every report page: time from navigation to its first result (the first chart's SVG; the
// overview's findings list; the ledger's and the explorer's tables), on a first visit (fresh browser
// profile, nothing cached) and a second one (same profile: HTTP and compiled-wasm caches warm), and
// whether DuckDB-WASM's .wasm was fetched by then. For the explorer: time from changing a filter to the
// table following it, at once and after a reader's 5 s pause. Reported, never asserted: the numbers
// depend on the machine and its load, which the output records. Writes bench/site-timing.txt
// (KICK_BENCH_OUT overrides); KICK_BENCH_ROUNDS repeats the visits (default 2).
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import type { BrowserContext, Page } from "playwright-core";
import { FIGURE_NAMES, FIGURES } from "../src/components/report-figures.js";
import { launchChromium } from "../test/browser/chromium.js";
import { serveStatic } from "../test/browser/static-server.js";

const DIST = process.env.KICK_BENCH_DIST ?? `${process.cwd()}/dist`;
const OUT = process.env.KICK_BENCH_OUT ?? "bench/site-timing.txt";
const ROUNDS = Number(process.env.KICK_BENCH_ROUNDS ?? 2);
const TIMEOUT = 120_000;
const READER_PAUSE = 5_000;

/** What shows a page's first result: its first chart, the overview's findings, the explorer's table. */
function firstResult(path: string): string {
  if (path === "index") return ".kick-chart svg";
  if (path === "overview") return ".kick-findings li";
  if (path === "ledger") return ".kick-ledger tbody tr";
  if (path === "explorer") return ".kick-explorer-table table";
  const first = FIGURE_NAMES.find((n) => FIGURES[n].page === path)!;
  return `[data-figure="${first}"] svg`;
}

const ALL_PAGES = ["index", "overview", ...new Set(FIGURE_NAMES.map((n) => FIGURES[n].page)), "ledger", "explorer"];
/** KICK_BENCH_PAGES="explorer,ledger" times only those. */
const PAGES = process.env.KICK_BENCH_PAGES ? ALL_PAGES.filter((p) => process.env.KICK_BENCH_PAGES!.split(",").includes(p)) : ALL_PAGES;

interface Visit {
  ms: number;
  wasm: boolean;
  /** Statements sent to DuckDB-WASM before the first result (src/components/page-answers.ts); "n/a" on a site without answers files. */
  asked: string;
  page: Page;
}

async function timeFirstResult(context: BrowserContext, base: string, path: string, wasmSeen: () => boolean): Promise<Visit> {
  const page = await context.newPage();
  const start = Date.now();
  await page.goto(`${base}/${path}`);
  await page.locator(firstResult(path)).first().waitFor({ timeout: TIMEOUT });
  const ms = Date.now() - start;
  const asked = await page.evaluate(() => (globalThis as { kickAnswerStats?: { asked: string[] } }).kickAnswerStats?.asked.length);
  return { ms, wasm: wasmSeen(), asked: asked === undefined ? "n/a" : String(asked), page };
}

/** Changes the explorer's first filter to its first value (after "(all)"), and times until the aggregate query's rows are shown (its SQL under the table follows them). */
async function timeExplorerFilter(page: Page): Promise<number> {
  const select = page.locator('[data-controls="explorer"] select').first();
  const sql = await page.locator('[data-figure-sql="explorer"] code').textContent();
  const start = Date.now();
  await select.selectOption({ index: 1 });
  await page.waitForFunction((s) => document.querySelector('[data-figure-sql="explorer"] code')?.textContent !== s, sql, { timeout: TIMEOUT });
  return Date.now() - start;
}

async function main(): Promise<void> {
  if (!existsSync(`${DIST}/index.html`)) throw new Error(`no built site at ${DIST}: run \`npm run build\` first`);
  const server = await serveStatic(DIST);
  const browser = await launchChromium();
  const lines: string[] = [];
  const log = (line: string) => (console.log(line), lines.push(line));
  const status = (await (await fetch(`${server.url}/data/store.json`)).json()) as { source: string; tables: { results: { rows: number } } };
  log(`# npm run bench:site — ${new Date().toISOString()}`);
  log(`# ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average at start ${loadavg().map((l) => l.toFixed(1)).join(" ")}; store ${status.source} (${status.tables.results.rows} result rows)`);
  log(`# first = fresh profile; second = same profile again (caches warm); wasm = DuckDB-WASM's .wasm fetched before the first result; duckdb_statements = SQL statements sent to DuckDB-WASM by then (n/a: the site has no answers files); ${ROUNDS} round(s), each number is one visit`);
  log("page\tfirst_ms\tsecond_ms\twasm_first\tduckdb_statements_first");
  const filterTimes: number[] = [];
  const pausedTimes: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of PAGES) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        let wasm = false;
        context.on("request", (request) => {
          if (request.url().endsWith(".wasm") && request.url().includes("duckdb")) wasm = true;
        });
        const first = await timeFirstResult(context, server.url, path, () => wasm);
        if (path === "explorer") filterTimes.push(await timeExplorerFilter(first.page));
        if (path === "explorer") {
          // A reader looks at the table before picking a filter: the same change after a pause.
          const paused = await timeFirstResult(context, server.url, path, () => wasm);
          await paused.page.waitForTimeout(READER_PAUSE);
          pausedTimes.push(await timeExplorerFilter(paused.page));
          await paused.page.close();
        }
        await first.page.close();
        const second = await timeFirstResult(context, server.url, path, () => wasm);
        if (path === "explorer") filterTimes.push(await timeExplorerFilter(second.page));
        await second.page.close();
        await context.close();
        log(`${path}\t${first.ms}\t${second.ms}\t${first.wasm ? "yes" : "no"}\t${first.asked}`);
      }
    }
    log(`explorer filter → table, changed as soon as the table shows (ms, first/second visit per round): ${filterTimes.join(" ")}`);
    log(`explorer filter → table, changed ${READER_PAUSE / 1000} s after the table shows (ms, per round): ${pausedTimes.join(" ")}`);
    log(`# load average at end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  } finally {
    await browser.close();
    await server.close();
  }
  await writeFile(OUT, `${lines.join("\n")}\n`);
  console.log(`wrote ${OUT}`);
}

await main();
