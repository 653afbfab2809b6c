// FileStore: a checkpoint fetched over HTTP (fetchFileStore, as "Compress it yourself" reads kick-s) opens to the same
// spec, tokenizer and weights as the folder on disk; a missing file or an HTTP error names the URL; the page's bundle
// imports no Node built-in (each becomes a stand-in that throws, naming it, when called).
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel, openModelStore } from "../../loaders/model/load.js";
import { bytesReader, fetchFileStore } from "../../loaders/util/file-store.js";
import { bundleBrowserRuntime } from "../../loaders/browser/bundle.js";
import { loadSuites, readSuite } from "../../loaders/evaluate/suite.js";
import { modelDir } from "../model/fixtures.js";

const DIR = modelDir("llama");
const FILES = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = req.url!.slice(1);
    if (name === "broken") return void res.writeHead(500).end();
    try {
      res.writeHead(200).end(readFileSync(join(name.startsWith("tasks/") ? "data" : DIR, name)));
    } catch {
      res.writeHead(404).end();
    }
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const urls = (names: string[]) => Object.fromEntries(names.map((n) => [n, `${base}/${n}`]));

describe("fetchFileStore", () => {
  it("opens a checkpoint to the same spec, tokenizer and weights as openModel on its folder", async () => {
    const disk = await openModel(DIR);
    const fetched = await openModelStore(fetchFileStore(urls(FILES)));
    try {
      expect(fetched.spec).toEqual(disk.spec);
      expect(fetched.tokenizer?.encode("The capital of France is")).toEqual(disk.tokenizer?.encode("The capital of France is"));
      expect(fetched.weights.names()).toEqual(disk.weights.names());
      for (const name of disk.weights.names()) expect(await fetched.weights.get(name)).toEqual(await disk.weights.get(name));
    } finally {
      await disk.weights.close();
      await fetched.weights.close();
    }
  });

  it("names the URL of an HTTP error and the files it has for a name it lacks", async () => {
    const store = fetchFileStore({ ...urls(["config.json"]), broken: `${base}/broken` });
    await expect(store.readText("broken")).rejects.toThrow(`${base}/broken: HTTP 500`);
    await expect(store.readText("model.safetensors")).rejects.toThrow("model.safetensors: not among the files this page ships (config.json, broken)");
    await expect(openModelStore(store)).rejects.toThrow(/model\.safetensors: missing \(and no model\.safetensors\.index\.json\)/);
  });

  it("registers task suites read through a store under a folder name", async () => {
    await loadSuites(fetchFileStore({ "perplexity.jsonl": `${base}/tasks/perplexity.jsonl` }), "test:fetched", ["perplexity"]);
    expect(readSuite("perplexity", "test:fetched")).toEqual(readSuite("perplexity"));
  });
});

it("bytesReader reads ranges and stops at the end", async () => {
  const r = bytesReader(new Uint8Array([1, 2, 3, 4, 5]));
  const into = new Uint8Array(4);
  expect(await r.read(into, 1, 3, 3)).toBe(2);
  expect([...into]).toEqual([0, 4, 5, 0]);
});

it("the page's bundle imports no Node built-in: each is a stand-in that says it is not available in the browser", async () => {
  const js = await bundleBrowserRuntime();
  expect(js).not.toMatch(/from\s*"(node:)?(fs|path|url|os|crypto|child_process)(\/promises)?"/);
  expect(js).not.toMatch(/require\(\s*"(node:)?fs/);
  expect(js).toContain("is not available in the browser");
}, 120_000);
