// The playground in Debian's Chromium: both ONNX models load from the built site (lazily, nothing from outside),
// onnxruntime-web's greedy answers equal kick's own generation (CPU reference forward on the same checkpoint; on
// the dequantized weights for the 4-bit variant), timings are reported, no console error.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { generate } from "../../loaders/model/generate.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ReferenceModel } from "../../loaders/model/reference-forward.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { exportOnnxFromDir } from "../../loaders/onnx/export.js";
import { dequantize4 } from "../../loaders/onnx/packed4.js";
import { PLAYGROUND_MAX_NEW_TOKENS, PLAYGROUND_MODEL_DIR, PLAYGROUND_VARIANTS } from "../../src/data/playground-model.js";
import { launchChromium, watchPage } from "./chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

let server: StaticServer;
let browser: Browser;
let kick: Record<string, ReferenceModel>;
let tokenizer: ModelTokenizer;
const questions: { question: string; prompt: string; answer: string }[] = readFileSync("data/tasks/factoid_qa.jsonl", "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
  .filter((q: { ci: boolean }) => q.ci);

beforeAll(async () => {
  server = await serveStatic(`${process.cwd()}/dist`);
  browser = await launchChromium();
  const { model } = await loadReferenceModel(PLAYGROUND_MODEL_DIR);
  tokenizer = ModelTokenizer.load(PLAYGROUND_MODEL_DIR);
  const q4 = PLAYGROUND_VARIANTS.find((v) => v.id === "q4g32")!;
  const { packed } = await exportOnnxFromDir(PLAYGROUND_MODEL_DIR, q4.options);
  const deq = new Map(model.weights);
  for (const [name, p] of packed) deq.set(name === "lm_head" ? name : `${name}.weight`, dequantize4(p));
  kick = { dense: model, q4g32: new ReferenceModel(model.spec, deq) };
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function kickGreedy(variant: string, prompt: string): Promise<number[]> {
  const g = await generate(kick[variant], tokenizer.encode(prompt), { maxNewTokens: PLAYGROUND_MAX_NEW_TOKENS, eosTokenIds: tokenizer.eosTokenIds });
  return g.tokens;
}

async function answer(page: Page): Promise<Record<string, { tokens: number[]; tps: number; timing: string }>> {
  await page.locator(".kick-pg-run:not([disabled])").click();
  await page.locator(".kick-playground[data-state]").waitFor({ timeout: 90_000 });
  expect(await page.locator(".kick-pg-error").innerText()).toBe("");
  expect(await page.locator(".kick-playground").getAttribute("data-state")).toBe("done");
  const out: Record<string, { tokens: number[]; tps: number; timing: string }> = {};
  for (const box of await page.locator(".kick-pg-result").all()) {
    const variant = (await box.getAttribute("data-variant"))!;
    out[variant] = {
      tokens: (await box.getAttribute("data-tokens"))!.split(",").map(Number),
      tps: Number(await box.getAttribute("data-tokens-per-second")),
      timing: await box.locator(".kick-pg-timing").innerText(),
    };
  }
  return out;
}

describe("playground page", () => {
  it("answers task-suite questions with both models, as kick's own greedy generation, offline and lazily", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    const onnxRequests: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith(".onnx")) onnxRequests.push(r.url());
    });
    await page.goto(`${server.url}/playground`);
    const backend = page.locator(".kick-pg-backend[data-backend]");
    await backend.waitFor({ timeout: 60_000 });
    const note = await backend.innerText();
    const which = await backend.getAttribute("data-backend");
    console.log(`playground backend: ${which} — ${note}`);
    expect(note).toMatch(which === "webgpu" ? /WebGPU/ : /WebAssembly/);
    expect(onnxRequests).toEqual([]); // nothing fetched before a question is asked
    for (const index of [0, 1]) {
      await page.locator(".kick-pg-question").selectOption(String(index));
      const got = await answer(page);
      expect(await page.locator(".kick-pg-reference").innerText()).toBe(`Reference answer: ${questions[index].answer}`);
      for (const variant of ["dense", "q4g32"]) {
        const want = await kickGreedy(variant, questions[index].prompt);
        expect(got[variant].tokens, `${variant}, question ${index}`).toEqual(want);
        expect(got[variant].tps).toBeGreaterThan(0);
        expect(got[variant].timing).toMatch(/tokens\/s/);
        console.log(`playground q${index} ${variant}: ${got[variant].timing}`);
      }
      // the two variants' per-token probabilities are shown
      expect(await page.locator(".kick-pg-result[data-variant=dense] .kick-pg-token").count()).toBe(got.dense.tokens.length);
    }
    expect(onnxRequests.filter((u) => u.includes("playground-dense")).length).toBe(1); // fetched once, then reused
    expect(watch.outsideRequests).toEqual([]);
    expect(watch.failedRequests).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await page.close();
  });

  it("answers a typed question on the wasm backend when WebGPU is off, and says so", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page, server.url);
    await page.goto(`${server.url}/playground?backend=wasm`);
    const backend = page.locator(".kick-pg-backend[data-backend]");
    await backend.waitFor({ timeout: 60_000 });
    expect(await backend.getAttribute("data-backend")).toBe("wasm");
    expect(await backend.innerText()).toMatch(/WebAssembly/);
    const question = "What is the capital of France?";
    await page.locator(".kick-pg-custom").fill(question);
    const got = await answer(page);
    expect(got.dense.tokens).toEqual(await kickGreedy("dense", `Q: ${question}\nA:`));
    expect(got.q4g32.tokens).toEqual(await kickGreedy("q4g32", `Q: ${question}\nA:`));
    expect(watch.outsideRequests).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await page.close();
  });

  it("runs on onnxruntime-web's WebGPU execution provider when the browser has WebGPU (SwiftShader here)", async () => {
    // Chromium exposes its built-in SwiftShader WebGPU adapter with --enable-unsafe-webgpu (no GPU needed).
    const gpuBrowser = await launchChromium({ webgpu: true });
    try {
      const page = await gpuBrowser.newPage();
      const watch = await watchPage(page, server.url);
      await page.goto(`${server.url}/playground`);
      const backend = page.locator(".kick-pg-backend[data-backend]");
      await backend.waitFor({ timeout: 60_000 });
      expect(await backend.getAttribute("data-backend")).toBe("webgpu");
      expect(await backend.innerText()).toMatch(/running on WebGPU/);
      const got = await answer(page);
      for (const variant of ["dense", "q4g32"]) {
        expect(got[variant].tokens, variant).toEqual(await kickGreedy(variant, questions[0].prompt));
        expect(got[variant].timing).toMatch(/tokens\/s .* webgpu$/);
        console.log(`playground (WebGPU) q0 ${variant}: ${got[variant].timing}`);
      }
      expect(watch.outsideRequests).toEqual([]);
      expect(watch.consoleErrors).toEqual([]);
      await page.close();
    } finally {
      await gpuBrowser.close();
    }
  });
});
