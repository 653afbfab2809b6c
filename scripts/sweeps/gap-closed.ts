// Share of the perplexity gap a prompt closes, with a paired percentile-bootstrap interval over the windows:
// (ppl(compressed) − ppl(compressed + prompt)) / (ppl(compressed) − ppl(dense)), the three runs scored on the same
// windows (examples.parquet keeps each window's mean token log-probability). Resampling windows together keeps the
// three perplexities paired, so the interval reflects the text, not three independent samples.
//   npx tsx scripts/sweeps/gap-closed.ts DENSE_RUN COMPRESSED_RUN PROMPTED_RUN [--export data/results] [--resamples 10000]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sqlString, withDuckDB } from "../../loaders/store/parquet.js";
import { mulberry32 } from "../../loaders/util/random.js";

const { values, positionals } = parseArgs({ options: { export: { type: "string", default: "data/results" }, resamples: { type: "string", default: "10000" } }, allowPositionals: true });
if (positionals.length !== 3) throw new Error("usage: gap-closed.ts DENSE_RUN COMPRESSED_RUN PROMPTED_RUN [--export DIR] [--resamples N]");
const file = join(values.export!, "examples.parquet");

const windows = await withDuckDB(async (run) => {
  // the same task and window length, or the windows only share their names
  const specs = await run(`SELECT run_id, json_extract_string(task_spec, '$.task') AS task, json_extract_string(task_spec, '$.seq_len') AS seq_len FROM read_parquet(${sqlString(join(values.export!, "runs.parquet"))})
    WHERE run_id IN (${positionals.map(sqlString).join(", ")})`);
  const spec = (id: string) => {
    const r = specs.find((x) => x.run_id === id);
    if (!r) throw new Error(`run ${id}: not in ${values.export}/runs.parquet`);
    if (r.task !== "perplexity") throw new Error(`run ${id}: task ${r.task}, not perplexity`);
    return r;
  };
  const first = spec(positionals[0]);
  for (const id of positionals.slice(1))
    if (spec(id).seq_len !== first.seq_len) throw new Error(`run ${id}: windows of ${spec(id).seq_len} tokens, run ${positionals[0]} of ${first.seq_len}`);
  const out: Map<string, number>[] = [];
  for (const id of positionals) {
    const rows = await run(`SELECT example_id, logprob FROM read_parquet(${sqlString(file)}) WHERE run_id = ${sqlString(id)}`);
    if (!rows.length) throw new Error(`run ${id}: no examples in ${file}`);
    out.push(new Map(rows.map((r) => [String(r.example_id), Number(r.logprob)])));
  }
  return out;
});
const ids = [...windows[0].keys()].sort();
for (const [i, w] of windows.entries())
  if (w.size !== ids.length || ids.some((k) => !w.has(k))) throw new Error(`run ${positionals[i]} was not scored on the same windows as ${positionals[0]}`);
const lp = windows.map((w) => ids.map((k) => w.get(k)!));

// Every window has the same length, so a perplexity is exp of minus the mean over windows.
const ppl = (v: number[], pick: Int32Array | null) => {
  let s = 0;
  const n = pick ? pick.length : v.length;
  for (let i = 0; i < n; i++) s += v[pick ? pick[i] : i];
  return Math.exp(-s / n);
};
const share = (pick: Int32Array | null) => {
  const [d, c, p] = lp.map((v) => ppl(v, pick));
  return { d, c, p, share: (c - p) / (c - d) };
};

const rand = mulberry32(12345);
const B = Number(values.resamples);
const draws: number[] = [];
for (let b = 0; b < B; b++) {
  const pick = Int32Array.from({ length: ids.length }, () => Math.floor(rand() * ids.length));
  draws.push(share(pick).share);
}
draws.sort((a, b) => a - b);
const at = (q: number) => draws[Math.min(B - 1, Math.floor(q * B))];
const r = share(null);
console.log(`windows ${ids.length}: dense ${r.d.toFixed(2)}, compressed ${r.c.toFixed(2)}, prompted ${r.p.toFixed(2)}`);
console.log(`gap closed ${(100 * r.share).toFixed(1)}% [${(100 * at(0.025)).toFixed(1)}, ${(100 * at(0.975)).toFixed(1)}] (paired bootstrap, ${B} resamples)`);
