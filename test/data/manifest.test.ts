// The manifest: hashes of every output, counts per task / category / exposure bin, and NOTICE.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEBS, NPMS } from "../../loaders/data/sources/pins.js";
import { sha256 } from "../../loaders/data/util.js";
import { DATA, manifest, readJsonl, ROOT } from "./helpers.js";

const m = manifest();

describe("manifest", () => {
  it("hashes match every committed output on disk", () => {
    for (const o of m.outputs.filter((o: { committed: boolean }) => o.committed)) {
      const p = join(DATA, o.path);
      expect(existsSync(p), o.path).toBe(true);
      const buf = readFileSync(p);
      expect(sha256(buf), o.path).toBe(o.sha256);
      expect(buf.length, o.path).toBe(o.bytes);
    }
  });
  it("hashes match the rebuilt (uncommitted) corpus and token shards when present", () => {
    const big = m.outputs.filter((o: { committed: boolean; path: string }) => !o.committed && existsSync(join(DATA, o.path)));
    for (const o of big) expect(sha256(readFileSync(join(DATA, o.path))), o.path).toBe(o.sha256);
  });
  it("keeps the committed part under 8.5 MB", () => {
    const bytes = m.outputs.filter((o: { committed: boolean }) => o.committed).reduce((n: number, o: { bytes: number }) => n + o.bytes, 0);
    expect(bytes).toBeLessThan(8.5e6);
  });
  it("counts items per task, split, exposure bin and category as in the files", () => {
    for (const [task, c] of Object.entries(m.tasks) as [string, { items: number; split: Record<string, number>; exposure?: Record<string, number> }][]) {
      const items = readJsonl<{ split: string; exposure?: number }>(`tasks/${task}.jsonl`);
      expect(items.length, task).toBe(c.items);
      for (const [s, n] of Object.entries(c.split)) expect(items.filter((x) => x.split === s).length, `${task} ${s}`).toBe(n);
      if (c.exposure) for (const [b, n] of Object.entries(c.exposure)) expect(items.filter((x) => String(x.exposure) === b).length, `${task} bin ${b}`).toBe(n);
    }
    const facts = readJsonl<{ exposure: number; category: string }>("kb/facts.jsonl");
    for (const b of m.kb.exposure_bins) expect(facts.filter((f) => f.exposure === b).length).toBe(m.kb.by_exposure[String(b)]);
    for (const [cat, n] of Object.entries(m.kb.by_category)) expect(facts.filter((f) => f.category === cat).length).toBe(n);
    expect(Object.keys(m.kb.by_exposure)).toHaveLength(5);
  });
  it("token shards are uint16 with one <|endoftext|> per document", () => {
    const shard = join(DATA, "tokens/train-000.bin");
    if (!existsSync(shard)) throw new Error("token shards missing: run npm run data");
    const ids = new Uint16Array(readFileSync(shard).buffer.slice(0));
    const docs = readJsonl<{ shard: number }>("corpus/docs.jsonl").filter((d) => d.shard === 0).length;
    expect(ids.filter((x) => x === m.tokenizer.doc_separator_token).length).toBe(docs);
    expect(Math.max(...ids.subarray(0, 100000))).toBeLessThan(8192);
  });
});

describe("NOTICE", () => {
  const notice = readFileSync(join(ROOT, "NOTICE"), "utf8");
  it("is the one the build wrote", () => expect(notice).toBe(readFileSync(join(DATA, "NOTICE"), "utf8")));
  it("lists every pinned source with version and licence", () => {
    for (const p of Object.values(DEBS)) expect(notice).toContain(`- ${p.name} ${p.version}: ${p.licence}`);
    for (const p of Object.values(NPMS)) expect(notice).toContain(`- ${p.name}@${p.version}: ${p.licence}`);
    expect(notice).toContain("WordNet 3.0 Copyright 2006 by Princeton University");
  });
  it("uses no share-alike or copyleft source by licence", () => {
    for (const p of [...Object.values(DEBS), ...Object.values(NPMS)]) expect(p.licence, p.name).not.toMatch(/^(GPL|GFDL|ODbL|LGPL)/);
  });
  it("matches the manifest's source list", () => {
    expect(m.sources.debian.map((d: { name: string }) => d.name).sort()).toEqual(Object.values(DEBS).map((d) => d.name).sort());
  });
});
