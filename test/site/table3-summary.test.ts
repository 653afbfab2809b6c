// The generated paragraph against retention ratios worked out by hand from the paper's Table 3.
import { describe, expect, it } from "vitest";
import { loadTable3 } from "../../loaders/published/llm-kick-table3.js";
import { retention, table3Html, table3Markdown } from "../../src/components/table3-summary.js";

describe("Table 3 summary", () => {
  it("computes retention at 50% as dense-relative ratios", async () => {
    const rows = await loadTable3();
    const factoid = retention(rows, "factoid_qa", 50);
    expect(factoid.get("magnitude")).toBeCloseTo(13.99 / 65.44, 12); // 0.2138
    expect(factoid.get("wanda")).toBeCloseTo(44.66 / 65.44, 12); // 0.6825
    expect(retention(rows, "mmlu", 50).get("sparsegpt")).toBeCloseTo(0.308 / 0.471, 12); // 0.6539
  });

  it("states the rounded percentages in Markdown and renders them with marked", async () => {
    const rows = await loadTable3();
    const md = table3Markdown(rows);
    expect(md).toContain("magnitude keeps **21%**"); // 13.99 / 65.44
    expect(md).toContain("Wanda keeps **82%**"); // MMLU 0.386 / 0.471
    expect(table3Html(rows)).toContain("<strong>21%</strong>");
  });

  it("says so when there is nothing to summarise", () => {
    expect(table3Markdown([])).toMatch(/No published rows/);
  });
});
