// --prompts-dir for kick eval and kick sweep, the sweep plan's prompt axis, and kick prompt --lora: a soft
// prompt (saved by saveSoftPrompt) changes the evaluation result against none, and equals the perplexity
// computed through the independent float64 path of the prompt tests (loaders/train/reference.ts with the
// prefix embeddings); bad inputs are refused before any work, naming the thing.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { captureCli as capture } from "../sweep/capture-cli.js";
import { main as evalMain } from "../../loaders/cli/eval.js";
import { main as promptMain } from "../../loaders/cli/prompt.js";
import { main as sweepMain } from "../../loaders/cli/sweep.js";
import { loadReferenceModel } from "../../loaders/model/load.js";
import { ModelTokenizer } from "../../loaders/model/tokenizer.js";
import { selectItems } from "../../loaders/evaluate/suite.js";
import { parseTaskSpec, type TaskSpec } from "../../loaders/evaluate/task-spec.js";
import { PAPER_B_HARD_PROMPT, saveSoftPrompt, tokenizerHash, type SoftPromptCard } from "../../loaders/prompt/prompt-file.js";
import { loraParameters } from "../../loaders/prompt/cost.js";
import { expandPlan, SweepPlanSchema } from "../../loaders/sweep/plan.js";
import { readParquet } from "../../loaders/store/parquet.js";
import { ResultsStore } from "../../loaders/sweep/store.js";
import { referenceForward } from "../../loaders/train/reference.js";
import { rng } from "../kernels/helpers.js";

const LLAMA = resolve("test/fixtures/models/llama");
const GPT2 = resolve("test/fixtures/models/gpt2");
const tmp = mkdtempSync(join(tmpdir(), "kick-prompts-dir-"));
const prompts = join(tmp, "prompts");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());


function card(id: string, P: number, h: number, vocab: number, tok: string | null = null): SoftPromptCard {
  return {
    format: "kick-soft-prompt", version: 1, id, length: P, hidden: h, vocabSize: vocab, modelHash: "x", tokenizerHash: tok, modelDir: LLAMA, compression: null,
    init: "vocab:first-rows", data: { train: "t", valid: "v", trainTokens: 1, validTokens: 1, sha256: "s" }, optim: {}, steps: 0, tokensSeen: 0, bestStep: 0,
    bestValidPpl: 1, baselineValidPpl: 1, validation: [], tokensPerS: 0, trainableParameters: P * h, created: "now",
  };
}

const P = 4;
let embeds: Float32Array;
beforeAll(async () => {
  const r = rng(3);
  embeds = Float32Array.from({ length: P * 32 }, () => (r() - 0.5) * 0.6);
  await saveSoftPrompt(prompts, embeds, card("p4", P, 32, 320, tokenizerHash(LLAMA)));
  await saveSoftPrompt(prompts, new Float32Array(2 * 64), card("wide", 2, 64, 320));
  await saveSoftPrompt(prompts, new Float32Array(126 * 32), card("long", 126, 32, 320));
  cpSync(join(prompts, "p4"), join(prompts, "broken"), { recursive: true });
  writeFileSync(join(prompts, "broken", "card.json"), "{oops");
});

const ppl = (out: string) => Number(out.split("\n").find((l) => l.startsWith("all\tperplexity\t"))!.split("\t")[2]);

describe("kick eval --prompts-dir", () => {
  it("soft:<id> changes perplexity against none and equals the float64 prefixed forward; the run is keyed on the prompt's content", async () => {
    const args = ["--model", LLAMA, "--task", "perplexity", "--items", "ci", "--limit", "1", "--seq-len", "16"];
    const none = await capture(() => evalMain(args));
    expect(none.code, none.err).toBe(0);
    const store = join(tmp, "store-eval");
    const soft = await capture(() => evalMain([...args, "--prompt", "soft:p4", "--prompts-dir", prompts, "--store", store]));
    expect(soft.code, soft.err).toBe(0);
    expect(ppl(soft.out)).not.toBeCloseTo(ppl(none.out), 3);
    // independent: the same windows through the float64 reference with the prompt embeddings in front
    const { model: ref, opened } = await loadReferenceModel(LLAMA);
    const w = ref.weights as Map<string, Float32Array>, h = 32, tok = ModelTokenizer.load(LLAMA);
    // the perplexity recipe re-done by hand: per source, the joined documents as one stream, windows of 16,
    // mean NLL of tokens 1..15 of each window, exp of the mean over all windows
    const items = selectItems(parseTaskSpec({ task: "perplexity", items: "ci", limit: 1, seq_len: 16 }) as TaskSpec & { task: "perplexity" });
    const n = 16, E = w.get("embed")!, T = P + n;
    const nlls: number[] = [];
    for (const src of [...new Set(items.map((x) => x.source))]) {
      const stream = tok.encode(items.filter((x) => x.source === src).map((x) => x.text).join("\n\n"));
      for (let s0 = 0; s0 + n <= stream.length; s0 += n) {
        const win = stream.slice(s0, s0 + n);
        const x = new Float64Array(T * h);
        x.set(embeds);
        win.forEach((id, t) => { for (let i = 0; i < h; i++) x[(P + t) * h + i] = E[id * h + i]; });
        const targets = new Array(T).fill(0xffffffff);
        for (let t = 0; t < n - 1; t++) targets[P + t] = win[t + 1];
        nlls.push(referenceForward(opened.spec, w, { B: 1, T, inputEmbeds: x, targets }).loss);
      }
    }
    expect(nlls.length).toBeGreaterThan(0);
    const want = Math.exp(nlls.reduce((a, b) => a + b, 0) / nlls.length);
    console.log(`soft:p4 perplexity ${ppl(soft.out)} (none ${ppl(none.out)}); float64 prefixed forward ${want.toFixed(4)}`);
    expect(Math.abs(want - ppl(soft.out)) / want).toBeLessThan(2e-4);
    const s = await ResultsStore.open(store);
    const [id] = await s.finishedRunIds();
    const rows = await readParquet(join(s.runsDir, id, "results.parquet"));
    expect(rows.find((x) => x.metric === "perplexity" && x.subset === "all")).toMatchObject({ prompt: "soft:p4" });
    // a retrained prompt (other content, same id) is another run
    const again = await capture(() => evalMain([...args, "--prompt", "soft:p4", "--prompts-dir", prompts, "--json"]));
    await saveSoftPrompt(prompts, embeds.map((v) => v * 0.5), card("p4", P, 32, 320, tokenizerHash(LLAMA)));
    const changed = await capture(() => evalMain([...args, "--prompt", "soft:p4", "--prompts-dir", prompts, "--json"]));
    await saveSoftPrompt(prompts, embeds, card("p4", P, 32, 320, tokenizerHash(LLAMA)));
    expect(JSON.parse(again.out.split("\n")[0]).run_id).toBe(id);
    expect(JSON.parse(changed.out.split("\n")[0]).run_id).not.toBe(id);
  });

  it("paper-b is the reference hard prompt", async () => {
    const args = ["--model", LLAMA, "--task", "perplexity", "--items", "ci", "--limit", "1", "--seq-len", "16", "--json"];
    const a = await capture(() => evalMain([...args, "--prompt", "paper-b"]));
    const b = await capture(() => evalMain([...args, "--prompt", `hard:${PAPER_B_HARD_PROMPT}`]));
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const [ra, rb] = [a, b].map((x) => JSON.parse(x.out.split("\n")[0]));
    expect(ra.run_id).toBe(rb.run_id);
    expect(ra.value).toBe(rb.value);
  });

  it("bad prompts: unknown id (listing the folder), other width, corrupt file, longer than the context, no folder", async () => {
    const base = ["--model", LLAMA, "--task", "perplexity", "--items", "ci", "--limit", "1", "--seq-len", "16", "--prompts-dir", prompts];
    let r = await capture(() => evalMain([...base, "--prompt", "soft:nope"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/unknown soft prompt "nope" in .*prompts \(it has: broken, long, p4, wide\)/)]);
    r = await capture(() => evalMain([...base, "--prompt", "soft:wide"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/soft prompt "wide" has width 64, but the model's hidden size is 32/)]);
    r = await capture(() => evalMain([...base, "--prompt", "soft:broken"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/broken\/card.json: not valid JSON/)]);
    r = await capture(() => evalMain([...base, "--prompt", "soft:long"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/"long" has 126 tokens.*longer than the context/)]);
    r = await capture(() => evalMain(["--model", GPT2, "--task", "mcq", "--prompt", "soft:p4", "--prompts-dir", prompts]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/soft prompt "p4" was trained with another tokenizer/)]);
    r = await capture(() => evalMain([...base, "--prompt", "soft:p4", "--prompts-dir", join(tmp, "none")]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/prompts folder .*none does not exist/)]);
    r = await capture(() => evalMain(["--model", LLAMA, "--task", "mcq", "--prompt", "soft:p4"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/pass --prompts-dir DIR/)]);
  });
});

describe("kick sweep: prompts axis and prompts_dir", () => {
  const planFile = join(tmp, "plan.json");
  const plan = (extra: Record<string, unknown>) => ({
    name: "ctp-tiny", backend: "cpu", batch_size: 4,
    models: [{ name: "llama-fixture", path: LLAMA }, { name: "gpt2-fixture", path: GPT2 }],
    tasks: [{ task: "perplexity", items: "ci", limit: 1, seq_len: 16 }],
    prompts_dir: "prompts", ...extra,
  });

  it("expands none / paper-b / soft globs per model (misfits skipped), runs them and records the prompt", async () => {
    rmSync(join(prompts, "broken"), { recursive: true });
    try {
      writeFileSync(planFile, JSON.stringify(plan({ prompts: ["none", "paper-b", "soft:p*"] })));
      const store = join(tmp, "store-sweep");
      const r = await capture(() => sweepMain(["--plan", planFile, "--store", store]));
      expect(r.code, r.err).toBe(0);
      const s = await ResultsStore.open(store);
      const rows: Record<string, unknown>[] = [];
      for (const id of await s.finishedRunIds()) rows.push(...(await readParquet(join(s.runsDir, id, "results.parquet"))).filter((x) => x.metric === "perplexity" && x.subset === "all"));
      const got = rows.map((x) => `${x.model} ${x.prompt}`).sort();
      // gpt2 gets none and hard (p4 was trained with llama's tokenizer: gpt2's tokenizer.json differs); llama gets p4 too
      expect(got).toEqual(["gpt2-fixture hard", "gpt2-fixture none", "llama-fixture hard", "llama-fixture none", "llama-fixture soft:p4"]);
      // the sweep's soft value equals kick eval's (same run key: model, task, prompt content)
      const e = await capture(() => evalMain(["--model", LLAMA, "--task", "perplexity", "--items", "ci", "--limit", "1", "--seq-len", "16", "--prompt", "soft:p4", "--prompts-dir", prompts]));
      const soft = rows.find((x) => x.prompt === "soft:p4")!, none = rows.find((x) => x.prompt === "none" && x.model === "llama-fixture")!;
      expect(Number(soft.value)).toBeCloseTo(ppl(e.out), 3);
      expect(soft.value).not.toBe(none.value);
    } finally {
      cpSync(join(prompts, "p4"), join(prompts, "broken"), { recursive: true });
      writeFileSync(join(prompts, "broken", "card.json"), "{oops");
    }
  });

  it("bad plans exit 2 naming the entry", async () => {
    const run = async (extra: Record<string, unknown>, args: string[] = []) => {
      writeFileSync(planFile, JSON.stringify(plan(extra)));
      return capture(() => sweepMain(["--plan", planFile, "--dry-run", "--store", join(tmp, "store-dry"), ...args]));
    };
    let r = await run({ prompts: ["soft:nope"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/prompts\[0\] "soft:nope", model "llama-fixture": unknown soft prompt "nope" .*it has: broken, long, p4, wide/)]);
    r = await run({ models: [{ name: "llama-fixture", path: LLAMA }], prompts: ["soft:wide"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/"wide" has width 64, but the model's hidden size is 32/)]);
    r = await run({ models: [{ name: "llama-fixture", path: LLAMA }], prompts: ["soft:broken"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/broken\/card.json: not valid JSON/)]);
    r = await run({ models: [{ name: "llama-fixture", path: LLAMA }], prompts: ["soft:long"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/longer than the context/)]);
    r = await run({ prompts: ["soft:zz*"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/prompts\[1\]|prompts\[0\] "soft:zz\*" matches no prompt/)]);
    r = await run({ prompts_dir: undefined, prompts: ["soft:p4"] });
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/needs a prompts folder/)]);
    // --prompts-dir overrides the plan's folder
    r = await run({ prompts_dir: "elsewhere", models: [{ name: "llama-fixture", path: LLAMA }], prompts: ["none", "soft:{model}"] }, ["--prompts-dir", prompts]);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/unknown soft prompt "llama-fixture"/)]);
    r = await run({ models: [{ name: "llama-fixture", path: LLAMA }], prompts: ["none", "soft:p4"] }, ["--prompts-dir", prompts]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split("\n").length).toBe(2);
  });

  it("the Compress-Then-Prompt plan files are valid plans over ctp.sh's levels", async () => {
    const levels = JSON.parse(readFileSync("data/plans/ctp-levels.json", "utf8"));
    const plan = (name: string) => JSON.parse(readFileSync(`data/plans/ctp-${name}.json`, "utf8"));
    for (const name of ["transfer", "datasets", "recovery-dense", ...Object.keys(levels).map((l) => `recovery-${l}`)])
      expect(SweepPlanSchema.safeParse(plan(name)).success, name).toBe(true);
    // each recovery plan is one level with its own prompt; ctp.sh's compress options name the same specs
    for (const [level, spec] of Object.entries(levels)) {
      expect(plan(`recovery-${level}`).compression).toEqual([spec]);
      expect(plan(`recovery-${level}`).prompts).toEqual(["none", "paper-b", `soft:{model}-${level}-corpus`]);
    }
    const script = readFileSync("scripts/gpu-host/ctp.sh", "utf8");
    expect(script).toContain("sgpt62) echo \"--method sparsegpt --sparsity 0.625\"");
    expect(levels.sgpt62).toMatchObject({ method: "sparsegpt", sparsity: 0.625 });
    // the transfer plan expands over stand-in models (the llama fixture under every name): per model and level,
    // every fitting corpus prompt of that model (the stand-ins share one width, so all of them)
    const json = plan("transfer");
    const models = join(tmp, "models");
    mkdirSync(models);
    const names = json.models.map((m: { name: string }) => m.name);
    for (const n of names) {
      cpSync(LLAMA, join(models, n), { recursive: true });
      const cfg = JSON.parse(readFileSync(join(LLAMA, "config.json"), "utf8"));
      writeFileSync(join(models, n, "config.json"), JSON.stringify({ ...cfg, _name_or_path: n })); // distinct model hashes
    }
    const ids = names.flatMap((n: string) => [`${n}-corpus`, ...Object.keys(levels).map((l) => `${n}-${l}-corpus`)]);
    for (const id of ids) await saveSoftPrompt(join(tmp, "ctp-prompts"), embeds, card(id, P, 32, 320));
    const small = { ...json, models: json.models.map((m: { name: string }) => ({ name: m.name, path: join(models, m.name) })), tasks: [{ task: "perplexity", items: "ci", limit: 1, seq_len: 16 }] };
    const p = await expandPlan(small, join(tmp, "x.json"), { promptsDir: join(tmp, "ctp-prompts") });
    expect(names.length).toBe(3);
    expect(p.runs.length).toBe(names.length * json.compression.length * ids.length);
    await saveSoftPrompt(join(tmp, "ctp-prompts"), embeds, card(`${names[1]}-4b50-src-sotu`, P, 32, 320));
    const datasets = await expandPlan({ ...plan("datasets"), models: small.models, tasks: small.tasks }, join(tmp, "y.json"), { promptsDir: join(tmp, "ctp-prompts") });
    expect(datasets.runs.map((r) => r.task.prompt).filter((q) => q.startsWith("soft:")).sort()).toEqual([...names.map((n: string) => `soft:${n}-4b50-corpus`), `soft:${names[1]}-4b50-src-sotu`].sort());
  });
});

describe("kick prompt --lora", () => {
  it("trains a LoRA baseline from the command line and reports its size and time", async () => {
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    const data = join(tmp, "d.txt");
    writeFileSync(data, "the cat sat on the mat and the dog ran to the park. ".repeat(30));
    const r = await capture(() => promptMain(["--model", LLAMA, "--data", data, "--out", join(tmp, "lora"), "--lora", "2", "--lora-targets", "q,v,down", "--steps", "4", "--seq-len", "16", "--eval-every", "2", "--warmup", "1", "--json"]));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/LoRA r 2 \(q,v,down\), \d+ trainable parameters/);
    const c = JSON.parse(readFileSync(join(tmp, "lora", "llama-lora2", "card.json"), "utf8"));
    const { opened } = await loadReferenceModel(LLAMA);
    expect(c.trainableParameters).toBe(loraParameters(opened.spec, 2, ["q", "v", "down"]));
    expect([c.format, c.steps, c.seconds > 0]).toEqual(["kick-lora", 4, true]);
    let e = await capture(() => promptMain(["--model", LLAMA, "--data", data, "--out", tmp, "--lora", "2", "--lora-targets", "q,x"]));
    expect([e.code, e.err]).toEqual([2, expect.stringMatching(/--lora-targets: "x" is not one of q, k, v/)]);
    e = await capture(() => promptMain(["--model", LLAMA, "--data", data, "--out", tmp, "--lora", "0"]));
    expect(e.code).toBe(2);
    e = await capture(() => promptMain(["--model", LLAMA, "--data", data, "--out", tmp, "--lora", "2", "--length", "5"]));
    expect([e.code, e.err]).toEqual([2, expect.stringMatching(/--length does not apply to --lora/)]);
  });
});
