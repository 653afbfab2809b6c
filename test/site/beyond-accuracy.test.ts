// The beyond-accuracy section (src/components/beyond-accuracy.ts) on a hand-made results table: KL and answer
// fluency beside factoid accuracy per variant, the "fluent but wrong" verdict by its written rule, and the
// "not measured" notice when no run has the metrics (the v2 store).
import { describe, expect, it } from "vitest";
import { BEYOND_ACCURACY_SQL, beyondAccuracyClaim, NOT_MEASURED } from "../../src/components/beyond-accuracy.js";
import { CLAIMS } from "../../src/components/ledger.js";
import { withHandMadeStore } from "./hand-made-store.js";

// run, method, sparsity, task, metric, value, ci_low, ci_high
type Cell = [string, string, number, string, string, number, number, number];
const DENSE: Cell[] = [
  ["d-f", "dense", 0, "factoid_qa", "alias_hit", 0.46, 0.44, 0.48],
  ["d-f", "dense", 0, "factoid_qa", "dense_answer_ppl", 3.0, 2.8, 3.2],
  ["d-p", "dense", 0, "perplexity", "perplexity", 50, 48, 52],
];
const MEASURED: Cell[] = [
  // magnitude 50%: accuracy falls beyond both intervals, answers as fluent as dense's (2.7–3.3 reaches 3.0): fluent but wrong
  ["m-f", "magnitude", 0.5, "factoid_qa", "alias_hit", 0.3, 0.28, 0.32],
  ["m-f", "magnitude", 0.5, "factoid_qa", "dense_answer_ppl", 3.0, 2.7, 3.3],
  ["m-p", "magnitude", 0.5, "perplexity", "kl_dense", 0.25, 0.24, 0.26],
  // magnitude 70%: accuracy falls, answers far less fluent: wrong, not fluent
  ["n-f", "magnitude", 0.7, "factoid_qa", "alias_hit", 0.05, 0.04, 0.06],
  ["n-f", "magnitude", 0.7, "factoid_qa", "dense_answer_ppl", 9.0, 8.0, 10.0],
  ["n-p", "magnitude", 0.7, "perplexity", "kl_dense", 1.5, 1.4, 1.6],
  // rtn 4-bit: accuracy inside the dense interval: not wrong
  ["r-f", "rtn", 0, "factoid_qa", "alias_hit", 0.45, 0.43, 0.47],
  ["r-f", "rtn", 0, "factoid_qa", "dense_answer_ppl", 3.0, 2.9, 3.1],
  ["r-p", "rtn", 0, "perplexity", "kl_dense", 0.02, 0.019, 0.021],
];

const row = ([run, method, sparsity, task, metric, value, lo, hi]: Cell) =>
  `('${run}', 'm', 'h1', 1e6, '${method}', '${method === "dense" ? "dense" : "unstructured"}', ${sparsity}, ${method === "rtn" ? 4 : "NULL::INTEGER"}, ${method === "rtn" ? 128 : "NULL::INTEGER"}, NULL::INTEGER, 'none', 0, '${task}', 'all', '${metric}', ${value}, 100, ${lo}, ${hi})`;
// every perplexity run records its window length, as the evaluator does
const seqLen = (cells: Cell[]) => [...new Map(cells.filter((c) => c[3] === "perplexity").map((c) => [c[0], c])).values()].map(([run, method, sparsity]) => row([run, method, sparsity, "perplexity", "seq_len", 512, 512, 512]));

const query = (cells: Cell[], sql = BEYOND_ACCURACY_SQL) => withHandMadeStore([...cells.map(row), ...seqLen(cells)], (q) => q(sql));

const fluentClaim = CLAIMS.find((c) => c.id === "fluent-but-wrong")!;

describe("beyond accuracy", () => {
  it("puts KL and answer fluency beside accuracy per variant, and names the fluent-but-wrong ones by the rule", async () => {
    const rows = await query([...DENSE, ...MEASURED]);
    expect(rows.map((r) => [r.variant, r.accuracy, r.kl, r.answer_ppl])).toEqual([
      ["dense", 0.46, null, 3.0],
      ["rtn 4-bit g128", 0.45, 0.02, 3.0],
      ["magnitude 50%", 0.3, 0.25, 3.0],
      ["magnitude 70%", 0.05, 1.5, 9.0],
    ]);
    expect(beyondAccuracyClaim(rows)).toBe(
      "m: KL from the dense model 0.020 nats/token (rtn 4-bit g128) to 1.500 (magnitude 70%) over 3 variants; fluent but wrong (factoid accuracy below dense beyond both intervals, answers no less fluent to the dense model than its own): magnitude 50% — 1 of 3.",
    );
  });

  it("says 'not measured' when no run has the metrics", async () => {
    const rows = await query([...DENSE, ...MEASURED].filter((c) => c[4] === "alias_hit" || c[4] === "perplexity"));
    expect(rows).toEqual([]);
    expect(beyondAccuracyClaim(rows)).toBe(NOT_MEASURED);
  });
});

describe("the ledger's fluent-but-wrong claim", () => {
  it("decides on the pruned cell nearest 50% with answer fluency stored", async () => {
    const got = fluentClaim.decide(await query([...DENSE, ...MEASURED], fluentClaim.sql!))!;
    expect(got.kick).toBe("m, magnitude 50%: factoid QA 30% [28%–32%] (dense 46% [44%–48%]); dense model's perplexity of the answers 3.00 [2.70–3.30] (of its own 3.00 [2.80–3.20])");
    expect(got.decision.verdict).toBe("reproduced");
  });

  it("is partly when the answers are less fluent, and not measured without the metric", async () => {
    const lessFluent = MEASURED.map((c): Cell => (c[0] === "m-f" && c[4] === "dense_answer_ppl" ? [...c.slice(0, 5), 5, 4.5, 5.5] as Cell : c));
    expect(fluentClaim.decide(await query([...DENSE, ...lessFluent], fluentClaim.sql!))!.decision.verdict).toBe("partly");
    expect(fluentClaim.decide(await query([...DENSE, ...MEASURED].filter((c) => c[4] !== "dense_answer_ppl"), fluentClaim.sql!))).toBeNull();
  });
});
