// kick tasks import on small fixtures written in each public layout (test/fixtures/tasks-import/, Parquet made by
// make-parquet.ts): the expected items are read off the fixture files by hand, not taken from the importer's
// output; malformed inputs fail naming file, row/line and field, and leave no folder behind.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../loaders/cli/tasks.js";
import { answerPassage } from "../../loaders/data/import/passage.js";
import { withDuckDB, sqlString } from "../../loaders/store/parquet.js";
import { readSuite } from "../../loaders/evaluate/suite.js";
import { captureCli } from "../sweep/capture-cli.js";

const FIX = fileURLToPath(new URL("../fixtures/tasks-import/", import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), "kick-import-"));
const lines = (dir: string, task: string) => readFileSync(join(dir, `${task}.jsonl`), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const run = (...argv: string[]) => captureCli(() => main(["import", ...argv]));

afterEach(() => vi.restoreAllMocks());

async function imported(format: string, src: string, ...extra: string[]): Promise<string> {
  const out = join(tmp(), "tasks");
  const r = await run("--format", format, join(FIX, src), "--out", out, ...extra);
  expect(r.code, r.err).toBe(0);
  return out;
}

describe("kick tasks import", () => {
  it("MMLU CSVs: headerless question,A,B,C,D,answer rows; dev → dev, test → test, val left out", async () => {
    const out = await imported("mmlu", "mmlu-csv/data");
    const items = readSuite("mcq", out); // read back through kick's own suite reader (schema-validated)
    expect(items.filter((x) => x.split === "test").map((x) => [x.subject, x.answer])).toEqual([
      ["astronomy", "A"], ["astronomy", "B"], ["astronomy", "C"], ["high school geography", "C"], ["high school geography", "B"],
    ]);
    expect(items.filter((x) => x.split === "dev").map((x) => x.subject)).toEqual(["astronomy", "astronomy", "high school geography", "high school geography"]);
    const multiLine = items.find((x) => x.id === "mcq/mmlu/astronomy/test/0001")!;
    expect(multiLine.question).toBe("Which of these is a dwarf planet?\n(Choose one.)");
    expect(multiLine.options).toEqual(["Mercury", "Pluto", "Venus", "Mars"]);
    expect(items.find((x) => x.id === "mcq/mmlu/astronomy/dev/0001")!.question).toBe("Which planet has the most moons, as of 2023?");
    expect(items.some((x) => x.question.startsWith("How long does light"))).toBe(false); // val
    expect(items.every((x) => x.exposure === undefined)).toBe(true);
  });

  it("MMLU Parquet (cais/mmlu): question, subject, choices, answer int; validation left out", async () => {
    const out = await imported("mmlu", "mmlu-parquet");
    const items = readSuite("mcq", out);
    expect(items.map((x) => [x.split, x.subject, x.options[["A", "B", "C", "D"].indexOf(x.answer)]])).toEqual([
      ["dev", "astronomy", "The Sun"], ["dev", "high school geography", "Nile"],
      ["test", "astronomy", "Iron oxide on its surface"], ["test", "high school geography", "Canberra"], ["test", "high school geography", "Indian"],
    ]);
  });

  it("FreebaseQA JSON: raw question, answer names of every parse as aliases", async () => {
    const items = readSuite("factoid_qa", await imported("freebaseqa", "freebaseqa"));
    expect(items.map((x) => [x.id, x.question, x.answer, x.aliases])).toEqual([
      ["factoid_qa/freebaseqa/FreebaseQA-eval-0", "Who is the female presenter of the Channel 4 quiz show '1001 things you should know'?", "sandi toksvig", ["sandi toksvig"]],
      ["factoid_qa/freebaseqa/FreebaseQA-eval-1", "Which city is the capital of Kenya?", "nairobi", ["nairobi", "nairobi city"]],
    ]);
    expect(items[1].prompt).toBe("Q: Which city is the capital of Kenya?\nA:");
  });

  it("TriviaQA JSON + evidence: every question closed book; open book where the evidence mentions an answer", async () => {
    const r = await captureCli(() => main(["import", "--format", "triviaqa", join(FIX, "triviaqa-rc/qa"), "--out", join(tmp(), "t")]));
    expect(r.err).toMatch(/wikipedia-dev\.json: 1 evidence file\(s\) not found/);
    const out = await imported("triviaqa", "triviaqa-rc/qa");
    expect(readSuite("factoid_qa", out).map((x) => [x.fact_id, x.aliases])).toEqual([
      ["tc_1", ["Sinclair Lewis", "Harry Sinclair Lewis"]], ["tc_2", ["Kiwi", "Kiwis"]], ["tc_3", ["Mount Everest"]],
    ]);
    const icr = readSuite("icr_qa", out);
    expect(icr.map((x) => x.fact_id)).toEqual(["tc_1", "tc_2"]); // tc_3's page is missing
    expect(icr[0].passage).toBe(readFileSync(join(FIX, "triviaqa-rc/evidence/wikipedia/Babbitt_(novel).txt"), "utf8").trim());
    expect(icr[0].open_prompt).toBe(`Read the text and answer the question.\n\nText: ${icr[0].passage}\n\nQuestion: ${icr[0].question}\nAnswer:`);
    expect(icr[0].closed_prompt).toBe("Q: Which American-born Sinclair won the Nobel Prize for Literature in 1930?\nA:");
    expect(icr.every((x) => !x.counterfactual && x.original_answer === x.answer)).toBe(true);
  });

  it("TriviaQA Parquet (trivia_qa rc): nested answer / entity_pages / search_results, --split picks the files", async () => {
    const out = await imported("triviaqa", "triviaqa-parquet", "--split", "validation");
    expect(readSuite("factoid_qa", out).map((x) => x.fact_id)).toEqual(["tc_1", "tc_3"]);
    const icr = readSuite("icr_qa", out);
    expect(icr.map((x) => [x.fact_id, x.passage.startsWith("Babbitt is a satirical novel")])).toEqual([["tc_1", true]]);
    const r = await run("--format", "triviaqa", join(FIX, "triviaqa-parquet"), "--out", join(tmp(), "t")); // test split: answers hidden
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/no items imported .*1 question\(s\) without an answer/)]);
  });

  it("CNN/DailyMail Parquet and CSV: article → document, highlights → summary, train left out", async () => {
    for (const src of ["cnn-dailymail", "cnn-dailymail-csv"]) {
      const items = readSuite("summarization", await imported("cnn-dailymail", src));
      expect(items[0]).toMatchObject({
        source_id: "0001d1afc246a7964130f43ae940af6bc6c57f01",
        summary: "Small Ohio town opens its first public library . The former bank holds 12,000 donated books .",
        bin: "short",
      });
      expect(items[0].document.startsWith("(CNN) -- A small town in Ohio")).toBe(true);
      expect(items.some((x) => x.document === "Not imported.")).toBe(false);
    }
  });

  it("JSONL (lm-eval style) as mcq and factoid_qa", async () => {
    const mcq = readSuite("mcq", await imported("jsonl", "jsonl/arc-like.jsonl", "--task", "mcq"));
    expect(mcq.map((x) => [x.id, x.split, x.answer])).toEqual([["mcq/q1", "test", "B"], ["mcq/q2", "test", "B"], ["mcq/d1", "dev", "C"]]);
    const qa = readSuite("factoid_qa", await imported("jsonl", "jsonl/nq-like.jsonl", "--task", "factoid_qa"));
    expect(qa.map((x) => x.aliases)).toEqual([["Herman Melville", "Melville"], ["Jupiter"]]);
  });

  it("import.json records the format, the sources' hashes and the counts", async () => {
    const out = await imported("mmlu", "mmlu-csv/data");
    const meta = JSON.parse(readFileSync(join(out, "import.json"), "utf8"));
    expect(meta.format).toBe("mmlu");
    expect(meta.suites.mcq).toEqual({ items: 9, test: 5, dev: 4, ci: 5 });
    expect(meta.sources).toHaveLength(5);
    expect(meta.tasks_sha256).toMatch(/^[0-9a-f]{16}$/);
  });

  it("open-book passages: the window around the answer's first mention", () => {
    const doc = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
    expect(answerPassage(["no answer here", doc], ["W50"], 4)).toBe("w48 w49 w50 w51");
    expect(answerPassage([doc], ["w99"], 4)).toBe("w96 w97 w98 w99");
    expect(answerPassage([doc], ["absent"], 4)).toBeNull();
  });
});

describe("kick tasks import: bad input", () => {
  const write = (dir: string, name: string, text: string) => {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const fails = async (format: string, src: string, pattern: RegExp, ...extra: string[]) => {
    const out = join(tmp(), "out");
    const r = await run("--format", format, src, "--out", out, ...extra);
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(pattern)]);
    expect(existsSync(out)).toBe(false); // nothing half-written
  };

  it("names file, row or line, and field", async () => {
    const d = tmp();
    let f = write(d, "a/astronomy_test.csv", "Q1,a,b,c,d,A\nQ2,a,b,c,d,E\n");
    await fails("mmlu", f, new RegExp(`${f}: row 2: field "answer" \\(column 6\\): expected A, B, C or D, got "E"`));
    f = write(d, "b/astronomy_test.csv", "Q1,a,b,c,d\n");
    await fails("mmlu", f, new RegExp(`${f}: \\(file\\): not a readable CSV file`));
    f = write(d, "c/astronomy.csv", "Q1,a,b,c,d,A\n");
    await fails("mmlu", f, /astronomy\.csv: \(file name\): expected <subject>_<dev\|val\|test>\.csv/);
    f = join(d, "test-00000-of-00001.parquet");
    await withDuckDB((q) => q(`COPY (SELECT 'Q' AS question, 'astronomy' AS subject, ['a','b','c','d'] AS choices, 4::BIGINT AS answer) TO ${sqlString(f)} (FORMAT parquet)`));
    await fails("mmlu", f, new RegExp(`${f}: row 1: field "answer": 4 does not name one of the 4 options`));
    f = write(d, "fb.json", JSON.stringify({ Questions: [{ "Question-ID": "x", RawQuestion: "Q?", Parses: [{ Answers: [{ AnswersName: ["a"] }] }] }, { RawQuestion: "Q2?", Parses: [] }] }));
    await fails("freebaseqa", f, new RegExp(`${f}: \\(file\\)\\.Questions\\[1\\]: field "Parses": empty`));
    f = write(d, "fb2.json", JSON.stringify({ Questions: [{ RawQuestion: "Q?", Parses: [{ Answers: [{ AnswersName: ["a"] }] }] }] }));
    await fails("freebaseqa", f, /Questions\[0\]: field "Question-ID": expected a string, got undefined/);
    f = write(d, "tq.json", JSON.stringify({ Data: [{ Question: "Q?", QuestionId: "q" }] }));
    await fails("triviaqa", f, /tq\.json: \(file\)\.Data\[0\]: field "Answer": expected an object/);
    f = join(d, "cnn.parquet");
    await withDuckDB((q) => q(`COPY (SELECT 'text' AS article, 'id1' AS id) TO ${sqlString(f)} (FORMAT parquet)`));
    await fails("cnn-dailymail", f, new RegExp(`${f}: row 1: field "highlights": expected a string, got undefined`));
    f = write(d, "x.jsonl", '{"question":"q","choices":["a","b","c","d"],"answer":1}\n{"question":\n');
    await fails("jsonl", f, /x\.jsonl: line 2: not valid JSON/, "--task", "mcq");
    f = write(d, "y.jsonl", '{"question":"q","choices":["a","b","c","d"],"answer":7}\n');
    await fails("jsonl", f, /y\.jsonl: line 1: field "answer": 7 does not name one of the 4 choices/, "--task", "mcq");
    f = write(d, "z.jsonl", '{"question":"q","choices":["a","b","c"],"answer":0}\n');
    await fails("jsonl", f, /z\.jsonl: line 1: field "choices": expected 4 choices/, "--task", "mcq");
  });

  it("duplicate ids are refused; an existing --out is kept unless --force", async () => {
    const d = tmp();
    const f = write(d, "dup.jsonl", '{"id":"a","question":"q","answer":"x"}\n{"id":"a","question":"r","answer":"y"}\n');
    await fails("jsonl", f, /factoid_qa: duplicate item id "factoid_qa\/a"/, "--task", "factoid_qa");
    const out = join(d, "existing");
    mkdirSync(out);
    let r = await run("--format", "freebaseqa", join(FIX, "freebaseqa"), "--out", out);
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/--out .*existing: already exists \(pass --force/)]);
    r = await run("--format", "freebaseqa", join(FIX, "freebaseqa"), "--out", out, "--force");
    expect(r.code, r.err).toBe(0);
    expect(lines(out, "factoid_qa")).toHaveLength(2);
  });

  it("usage errors: exit 2", async () => {
    let r = await run("--format", "squad", FIX, "--out", tmp());
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--format squad: expected one of freebaseqa, mmlu, triviaqa, cnn-dailymail, jsonl/)]);
    r = await run("--format", "jsonl", join(FIX, "jsonl"), "--out", join(tmp(), "o"));
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/--format jsonl needs --task/)]);
    r = await captureCli(() => main(["export", "x"]));
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/expected import SRC/)]);
  });
});
