// Writes the reference sweep plans (data/sweeps/) and the Compress-Then-Prompt plans (data/plans/ctp-*.json)
// from one list, so the model, method and task axes cannot drift apart between files. Which methods take
// calibration windows comes from the compression method registry, and every entry is validated by it.
//   npx tsx scripts/sweeps/write-plans.mjs        (then commit the JSON it wrote)
import { writeFileSync } from "node:fs";
import { compressionMethod, parseCompression } from "../../loaders/sweep/compression.ts";

const FAMILY = ["kick-l", "kick-m", "kick-s"];
const calib = { samples: 128, seqLen: 512 }; // the family's context; 64 Ki calibration tokens
/** A compression entry, with the family's calibration when its method is calibrated (AWQ's own default is the same). */
const spec = (entry) => {
  const out = entry.method !== "awq" && compressionMethod(entry).calibrated(entry) ? { ...entry, calibration: calib } : entry;
  parseCompression(out, `write-plans ${JSON.stringify(out)}`); // fails on a method or field the registry does not know
  return out;
};
const SPARSITY = [0.1, 0.3, 0.5, 0.7];
const pruning = [
  ...SPARSITY.map((sparsity) => spec({ method: "magnitude", sparsity })),
  ...["wanda", "sparsegpt"].flatMap((method) => SPARSITY.map((sparsity) => spec({ method, sparsity }))),
  // OWL's outlier-weighted layer-wise sparsity (λ 0.08, M 5) at the levels where it matters
  ...["wanda", "sparsegpt"].flatMap((method) => [0.5, 0.7].map((sparsity) => spec({ method, sparsity, owl: { lambda: 0.08, m: 5 } }))),
  ...["2:4", "4:8"].flatMap((pattern) => [
    spec({ method: "magnitude", pattern }),
    spec({ method: "wanda", pattern }),
    spec({ method: "sparsegpt", pattern }),
  ]),
];
const quantization = [
  ...[[8, -1], [4, 128], [4, -1], [3, 128], [2, 64]].map(([bits, groupSize]) => spec({ method: "rtn", bits, groupSize })),
  ...[[8, -1], [4, 128], [4, -1], [3, 128], [3, -1], [2, 64]].map(([bits, groupSize]) => spec({ method: "gptq", bits, groupSize })),
  spec({ method: "gptq", bits: 3, groupSize: 128, actOrder: true }),
  spec({ method: "awq", bits: 4, groupSize: 128 }),
  spec({ method: "awq", bits: 3, groupSize: 128 }),
  spec({ method: "sparsegpt+gptq", sparsity: 0.5, bits: 4 }), // the reference code's wbits path: 4-bit + 50%
];
const TASKS = [
  { task: "perplexity", seq_len: 512 },
  { task: "factoid_qa" },
  { task: "mcq", scoring: ["loglik", "generate"] },
  { task: "icr_qa" },
  { task: "summarization" },
  { task: "long_context" },
  { task: "instruction" },
];
const models = FAMILY.map((name) => ({ name, path: `../models/${name}` }));
const write = (file, json) => writeFileSync(file, JSON.stringify(json, null, 2) + "\n");

write("data/sweeps/reference.json", {
  name: "reference",
  backend: "gpu",
  models,
  compression: ["dense", ...pruning, ...quantization],
  tasks: TASKS,
  seeds: [0],
});
// ablations: calibration-sample count for the calibrated methods at one level each, k-shot MCQ
write("data/sweeps/reference-ablations.json", {
  name: "reference-ablations",
  backend: "gpu",
  models,
  compression: [
    "dense",
    spec({ method: "magnitude", sparsity: 0.5 }),
    spec({ method: "wanda", sparsity: 0.5 }),
    spec({ method: "sparsegpt", sparsity: 0.5 }),
    spec({ method: "gptq", bits: 3, groupSize: 128 }),
  ],
  tasks: [{ task: "perplexity", seq_len: 512 }, { task: "factoid_qa" }, { task: "mcq", scoring: ["loglik", "generate"] }],
  seeds: [0],
  ablations: { k_shot: [0, 1, 3, 5], calib_samples: [8, 32, 128, 512] },
});
// multiple choice in the cloze formulation (option texts scored, no letters) on a subset of the reference variants:
// what compression does to the knowledge itself, next to the letter format of reference.json (docs/evaluate.md)
const CLOZE_VARIANTS = (c) =>
  c === "dense" ||
  (!c.owl && !c.pattern && (c.method === "sparsegpt+gptq" ||
    (c.bits === undefined && ((c.method === "sparsegpt" && c.sparsity >= 0.3) || ([0.5, 0.7].includes(c.sparsity)))) ||
    (c.groupSize === 128 && [3, 4].includes(c.bits) && !c.actOrder)));
write("data/sweeps/mcq-cloze.json", {
  name: "mcq-cloze",
  backend: "gpu",
  models,
  compression: ["dense", ...pruning, ...quantization].filter(CLOZE_VARIANTS),
  seeds: [0],
  tasks: [{ task: "mcq", scoring: ["cloze"] }],
});

// Compress-Then-Prompt (issue 11). scripts/gpu-host/ctp.sh compresses each model to these levels with kick compress
// (the same specs, so the same weights) and learns the prompt <model>-<level>-corpus on each checkpoint; the
// sweeps compress on the fly like every other run, so results carry the method columns the report filters on.
const CTP_LEVELS = {
  sgpt50: spec({ method: "sparsegpt", sparsity: 0.5 }),
  sgpt62: spec({ method: "sparsegpt", sparsity: 0.625 }),
  sgpt75: spec({ method: "sparsegpt", sparsity: 0.75 }),
  gptq4: spec({ method: "gptq", bits: 4, groupSize: -1, actOrder: true, trueSequential: true }),
  gptq3: spec({ method: "gptq", bits: 3, groupSize: -1, actOrder: true, trueSequential: true }),
  "4b50": spec({ method: "sparsegpt+gptq", sparsity: 0.5, bits: 4 }),
};
write("data/plans/ctp-levels.json", CTP_LEVELS); // read by scripts/gpu-host/ctp.sh
const ctp = (name, compression, prompts, tasks) => ({ name, backend: "gpu", models, compression, prompts_dir: "../prompts", prompts, tasks, seeds: [0] });
const PPL = { task: "perplexity", seq_len: 412 }; // the 512-token context less the 100 prompt positions
// recovery: each level (and dense) without a prompt, with Paper B's hard prompt and with its own soft prompt, every task family
for (const [level, spec] of [["dense", "dense"], ...Object.entries(CTP_LEVELS)]) {
  const own = level === "dense" ? "soft:{model}-corpus" : `soft:{model}-${level}-corpus`;
  write(`data/plans/ctp-recovery-${level}.json`, ctp(`ctp-recovery-${level}`, [spec], ["none", "paper-b", own], [PPL, ...TASKS.slice(1)]));
}
// transfer across compression levels: every prompt of a model on every level of that model (the matrix)
write("data/plans/ctp-transfer.json", ctp("ctp-transfer", ["dense", ...Object.values(CTP_LEVELS)], ["soft:*-corpus"], [PPL, { task: "factoid_qa" }]));
// transfer across datasets: prompts learned on one kind of training text (facts, sotu, brown, wordnet), perplexity per held-out source
write("data/plans/ctp-datasets.json", ctp("ctp-datasets", [CTP_LEVELS["4b50"]], ["none", "soft:{model}-4b50-corpus", "soft:{model}-4b50-src-*"], [PPL, { task: "factoid_qa" }]));
// tuning the recipe (ctp.sh tune): kick-l's 4b50 and dense prompts under other learning rates and batch sizes,
// each scored on the perplexity task's held-out test documents (never used to select a prompt) and factoid QA
const kickL = models.filter((m) => m.name === "kick-l");
const TUNED = ["lr1e-3-b8", "lr3e-3-b8", "lr1e-2-b8", "lr3e-2-b8", "lr1e-2-b16", "lr3e-2-b16"]; // not the -pN prompts: other window lengths
write("data/plans/ctp-tune-4b50.json", { ...ctp("ctp-tune-4b50", [CTP_LEVELS["4b50"]], ["none", ...TUNED.map((t) => `soft:{model}-4b50-${t}`)], [PPL, { task: "factoid_qa" }]), models: kickL });
// prompts learned on in-domain prose (ctp.sh tune with SOURCE=prose), next to the best corpus recipe; MCQ in the cloze formulation
const PROSE = ["lr1e-2-b16-prose", "lr1e-2-b32-prose", "lr3e-3-b16-prose"];
write("data/plans/ctp-prose-4b50.json", { ...ctp("ctp-prose-4b50", [CTP_LEVELS["4b50"]], ["none", "soft:kick-l-4b50-lr1e-2-b16", ...PROSE.map((t) => `soft:kick-l-4b50-${t}`)], [PPL, { task: "factoid_qa" }, { task: "mcq", scoring: ["cloze"] }]), models: kickL });
// the recovery prompts at 4-bit + 50% on MCQ in the cloze formulation
write("data/plans/ctp-cloze-4b50.json", ctp("ctp-cloze-4b50", [CTP_LEVELS["4b50"]], ["none", "paper-b", "soft:{model}-4b50-corpus"], [{ task: "mcq", scoring: ["cloze"] }]));
write("data/plans/ctp-tune-dense.json", { ...ctp("ctp-tune-dense", ["dense"], ["none", "soft:{model}-dense-lr*"], [PPL, { task: "factoid_qa" }]), models: kickL });

// calibration seeds (issue 20 item 2): the key comparisons — each method at 50%, 2:4 and 4-bit on every model — with
// calibration seeds 0, 1, 2, so intervals can include calibration variance. Seed 0 is the default spec: those runs are
// the reference sweep's own (same keys), and magnitude and RTN, which read no calibration, run once.
write("data/plans/calibration-seeds.json", {
  name: "calibration-seeds",
  backend: "gpu",
  models,
  compression: [
    "dense",
    ...["magnitude", "wanda", "sparsegpt"].flatMap((method) => [spec({ method, sparsity: 0.5 }), spec({ method, pattern: "2:4" })]),
    ...["rtn", "gptq", "awq"].map((method) => spec({ method, bits: 4, groupSize: 128 })),
  ],
  tasks: TASKS,
  seeds: [0],
  ablations: { calib_seeds: [0, 1, 2] },
});
