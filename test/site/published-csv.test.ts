// The hand-transcribed LLM-KICK Table 3 and its validation.
import { describe, expect, it } from "vitest";
import { loadTable3, parsePublishedCsv } from "../../loaders/published/llm-kick-table3.js";

describe("LLM-KICK Table 3 CSV", () => {
  it("holds 4 tasks × 3 methods × 6 sparsities, with the paper's shared dense values", async () => {
    const rows = await loadTable3();
    expect(rows).toHaveLength(72);
    const dense = (task: string) => new Set(rows.filter((r) => r.task === task && r.sparsity === 0).map((r) => r.value));
    // Table 3 repeats one dense score per task across the three methods.
    expect([...dense("factoid_qa")]).toEqual([65.44]);
    expect([...dense("mmlu")]).toEqual([0.471]);
    expect([...dense("summarization_large_coherence")]).toEqual([5.883]);
    expect([...dense("instruction_following")]).toEqual([7.763]);
  });

  it("names the file, line and field of a bad value", () => {
    const header = "task,metric,method,sparsity,value\n";
    expect(() => parsePublishedCsv(`${header}mmlu,accuracy,obs,10,0.5\n`, "t.csv")).toThrow(/t\.csv:2: field "method"/);
    expect(() => parsePublishedCsv(`${header}mmlu,accuracy,wanda,10,abc\n`, "t.csv")).toThrow(/t\.csv:2: field "value"/);
    expect(() => parsePublishedCsv(`${header}mmlu,accuracy,wanda,10\n`, "t.csv")).toThrow(/t\.csv:2: expected 5 fields, got 4/);
    expect(() => parsePublishedCsv("task,method\n", "t.csv")).toThrow(/t\.csv: header must be/);
  });

  it("reports an unreadable file by path", async () => {
    await expect(loadTable3("/nonexistent/table3.csv")).rejects.toThrow(/cannot read published numbers \/nonexistent\/table3\.csv/);
  });
});
