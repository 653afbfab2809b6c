// dist/ served exactly as the README says (`python3 -m http.server -d dist`, a server that maps no clean
// URL to its .html file): starting from the home page, every link to a page of the site is followed, and
// each page answers 200, has its own <title> and the site's icon, and makes no request the site cannot
// answer (no 404, not even /favicon.ico) and none beyond it.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectClean, launchChromium, watchPage } from "./chromium.js";

const README_COMMAND = "python3 -m http.server -d dist";

let server: ChildProcess;
let origin: string;
let browser: Browser;

/** Starts the README's command on a free loopback port; resolves with its origin once it listens. */
function startReadmeServer(): Promise<string> {
  const [command, ...args] = README_COMMAND.split(" ");
  server = spawn(command, [...args, "--bind", "127.0.0.1", "0"], { env: { ...process.env, PYTHONUNBUFFERED: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    server.on("error", (error) => reject(new Error(`${README_COMMAND}: ${error.message}`)));
    server.on("exit", (code) => reject(new Error(`${README_COMMAND} exited (${code}) before serving:\n${output}`)));
    // Read both streams to the end: the server logs every request to stderr, and a full pipe would stall it.
    const read = (chunk: Buffer) => {
      output = (output + chunk).slice(-4000);
      const port = /Serving HTTP on \S+ port (\d+)/.exec(output)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    };
    server.stdout!.on("data", read);
    server.stderr!.on("data", read);
  });
}

beforeAll(async () => {
  origin = await startReadmeServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.kill();
});

describe(`dist/ served as the README says (${README_COMMAND})`, () => {
  it("the README documents this command", () => {
    expect(readFileSync("README.md", "utf8")).toContain(`\`${README_COMMAND}\``);
  });

  it("every page linked from the site answers 200, with its own title and icon, and every request is answered", async () => {
    const queue = [`${origin}/`];
    const visited = new Map<string, string>(); // page URL → title
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (visited.has(url)) continue;
      const page = await browser.newPage();
      const watch = await watchPage(page, origin);
      const response = await page.goto(url);
      expect(response?.status(), `GET ${url}`).toBe(200);
      // Charts load their data after the page: wait for it (generously: a loaded 2-core machine is slow).
      await page.waitForLoadState("networkidle", { timeout: 120_000 }).catch((error: Error) => {
        throw new Error(`${url}: ${error.message}`);
      });
      const title = await page.title();
      visited.set(url, title);
      const icons = await page.locator('link[rel="icon"]').evaluateAll((links) => links.map((link) => (link as HTMLLinkElement).href));
      expect(icons, `${url}: <link rel="icon">`).toHaveLength(1);
      expect((await page.request.get(icons[0])).status(), `${url}: icon ${icons[0]}`).toBe(200);
      // Links to the site's pages: same origin, not a file (figures and data files are downloads).
      const links = await page.locator("a[href]").evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
      for (const link of links) {
        const target = new URL(link);
        target.hash = "";
        if (target.origin === origin && !/\.(?!html$)[a-z0-9]+$/i.test(target.pathname)) queue.push(target.href);
      }
      expectClean(watch);
      await page.close();
    }
    // Every page of observablehq.config.ts's navigation was reached, each with a title of its own.
    const config = (await import("../../observablehq.config.js")).default;
    const paths = ["/", ...(config.pages as { path?: string; pages?: { path: string }[] }[]).flatMap((p) => (p.pages ? p.pages.map((q) => q.path) : [p.path!]))];
    for (const path of paths) expect([...visited.keys()], path).toContain(`${origin}${path === "/" ? "/" : `${path}.html`}`);
    const titles = [...visited.values()];
    expect(titles.every((title) => title.length > 0)).toBe(true);
    expect(new Set(titles).size, titles.join("\n")).toBe(titles.length);
  });
});
