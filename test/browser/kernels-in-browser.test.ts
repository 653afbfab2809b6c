// kick's kernels in the browser: the runtime acquires a device through navigator.gpu (Chromium's
// SwiftShader adapter here) and matmul and attention agree with their plain-TS references.
import { build } from "esbuild";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { expectClean, launchChromium, watchPage } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

let dir: string;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kick-kernels-browser-"));
  await build({
    entryPoints: [fileURLToPath(new URL("./fixtures/kernels-page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    external: ["webgpu"], // the Node-only Dawn binding, never imported in a browser
    outfile: join(dir, "kernels.js"),
    logLevel: "warning",
  });
  await writeFile(join(dir, "index.html"), `<!doctype html><script type="module" src="./kernels.js"></script>`);
  server = await serveStatic(dir);
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

it("runs matmul and attention on navigator.gpu matching the references", async () => {
  const page = await browser.newPage();
  const watch = await watchPage(page, server.url);
  await page.goto(`${server.url}/`);
  const result = (await page.evaluate(() => (window as unknown as { kernelCheck: Promise<unknown> }).kernelCheck)) as {
    adapter?: string;
    matmulDiff?: number;
    attentionDiff?: number;
    error?: string;
  };
  expect(result.error).toBeUndefined();
  expect(result.adapter).toBeTruthy();
  expect(result.matmulDiff).toBeLessThan(1e-5);
  expect(result.attentionDiff).toBeLessThan(1e-5);
  expectClean(watch);
  await page.close();
});
