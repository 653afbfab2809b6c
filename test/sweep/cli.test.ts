// The eval / sweep / merge commands: exit codes and messages for bad input, and one small evaluation.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCli as capture } from "./capture-cli.js";
import { main as evalMain } from "../../loaders/cli/eval.js";
import { main as mergeMain } from "../../loaders/cli/merge.js";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { ResultsStore } from "../../loaders/sweep/store.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const LLAMA = join(FIXTURES, "models/llama");


afterEach(() => vi.restoreAllMocks());

describe("kick eval / sweep / merge", () => {
  it("eval prints the metrics and stores the run", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "kick-cli-")), "store");
    const r = await capture(() => evalMain(["--model", LLAMA, "--task", "mcq", "--items", "ci", "--limit", "2", "--scoring", "loglik", "--store", store]));
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe("subset\tmetric\tvalue\tn\tci_low\tci_high");
    expect(lines.some((l) => /^all\tloglik_accuracy\t(0|0\.5|1)\.\d{4}\t2\t/.test(l))).toBe(true);
    const s = await ResultsStore.open(store);
    const [id] = await s.finishedRunIds();
    expect(id).toMatch(/^mcq-[0-9a-f]{20}$/);
    const rows = await readParquet(join(s.runsDir, id, "results.parquet"));
    expect(rows.find((x) => x.metric === "loglik_accuracy" && x.subset === "all")).toMatchObject({ method: "dense", prompt: "none", n: 2, device: "cpu-reference", model: "llama" });
  });

  it("bad input: exit 2 and a message naming the thing", async () => {
    let r = await capture(() => evalMain(["--model", LLAMA, "--task", "trivia"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--task: field "task": unknown task "trivia"/)]);
    r = await capture(() => evalMain(["--model", "/nonexistent", "--task", "mcq"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--model: model directory \/nonexistent does not exist/)]);
    r = await capture(() => evalMain(["--model", LLAMA, "--task", "mcq", "--prompt", "soft:p1"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/soft prompts are not supported yet/)]);
    r = await capture(() => evalMain(["--model", LLAMA, "--task", "mcq", "--compression", '{"method":"awq","bits":5}']));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/bits/)]);
    r = await capture(() => sweepMain(["--plan", join(FIXTURES, "sweep/tiny-plan.json"), "--shard", "4/4"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/shard index 4 is out of range for 4 shards/)]);
    r = await capture(() => sweepMain(["--shard", "0/2"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--plan FILE is required/)]);
    r = await capture(() => sweepMain(["--plan", "x.json", "--bogus"]));
    expect(r.code).toBe(2);
    r = await capture(() => mergeMain(["--out", "/tmp/x"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/at least one source store/)]);
  });

  it("refuses a store of another schema version or a corrupt one, and leaves it untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-cli-"));
    writeFileSync(join(dir, "store.json"), '{"schema_version": 99}');
    let r = await capture(() => sweepMain(["--plan", join(FIXTURES, "sweep/tiny-plan.json"), "--store", dir]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/has schema version 99, but this kick reads version 1/)]);
    writeFileSync(join(dir, "store.json"), "{not json");
    r = await capture(() => mergeMain(["--out", join(dir, "merged"), dir]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/store\.json is corrupt .* left untouched/)]);
  });

  it("--store that is a file, or an unreadable store, is refused before any evaluation, naming the path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kick-cli-"));
    const file = join(dir, "notes.txt");
    writeFileSync(file, "not a store");
    const eval1 = ["--model", LLAMA, "--task", "mcq", "--items", "ci", "--limit", "1"];
    const isFile = new RegExp(`--store ${file}(/sub)?: ${file} is a file, not a folder`);
    for (const store of [file, join(file, "sub")]) {
      const r = await capture(() => evalMain([...eval1, "--store", store]));
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(isFile)]);
      expect(r.err).not.toMatch(/\[eval\]/); // nothing was evaluated
    }
    let r = await capture(() => sweepMain(["--plan", join(FIXTURES, "sweep/tiny-plan.json"), "--store", file]));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(isFile)]);
    const other = join(dir, "v99");
    mkdirSync(other);
    writeFileSync(join(other, "store.json"), '{"schema_version": 99}');
    r = await capture(() => evalMain([...eval1, "--store", other]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/has schema version 99/)]);
    expect(r.err).not.toMatch(/\[eval\]/);
  });
});
