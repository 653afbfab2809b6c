// Running English text for the pretraining corpus, one Doc per natural document.
// `heldout` marks whole documents reserved for perplexity (never in training).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { debFile } from "./debs.js";
import { readDictd } from "./dictd.js";
import { npmFile, npmRoot } from "./npm.js";
import { DEBS, NPMS } from "./pins.js";
import { readRdbStringVectors } from "./rdata.js";
import { osisToText, readSwordBlocks } from "./sword.js";
import { readWordnet } from "./wordnet.js";
import { SourceError } from "../util.js";

export interface Doc {
  id: string;
  source: string;
  title: string;
  text: string;
  heldout: boolean;
}

function sotu(): Doc[] {
  const dir = join(npmRoot(NPMS.sotu), "data");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const rec = JSON.parse(npmFile(NPMS.sotu, `data/${f}`)) as { year?: number; name?: string; text?: string };
      if (typeof rec.year !== "number" || typeof rec.text !== "string") throw new SourceError(NPMS.sotu.name, `data/${f}`, "expected {year, name, text}");
      return { id: `sotu/${f.replace(/\.json$/, "")}`, source: "sotu", title: `${rec.year} State of the Union, ${rec.name}`, text: rec.text, heldout: rec.year >= 2001 };
    });
}

function moby(): Doc[] {
  const dir = join(npmRoot(NPMS.moby), "data");
  const chapters = readdirSync(dir)
    .map((f) => /^chapter_(\d+)\.txt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (chapters.length < 100) throw new SourceError(NPMS.moby.name, "data/chapter_*.txt", `found ${chapters.length} chapters`);
  return chapters.map((n) => ({ id: `moby/${n}`, source: "moby-dick", title: `Moby-Dick, chapter ${n}`, text: npmFile(NPMS.moby, `data/chapter_${n}.txt`), heldout: false }));
}

/** Brown corpus samples are `word/tag` tokens; strip tags and re-attach punctuation. */
export function detagBrown(raw: string): string {
  return raw
    .split(/\n\s*\n/)
    .map((para) =>
      para
        .split(/\s+/)
        .filter(Boolean)
        .map((tok) => tok.slice(0, tok.lastIndexOf("/") > 0 ? tok.lastIndexOf("/") : tok.length))
        .join(" ")
        .replace(/``\s*/g, "\u201c")
        .replace(/\s*''/g, "\u201d")
        .replace(/\s+([.,;:?!)\]])/g, "$1")
        .replace(/([(\[])\s+/g, "$1")
        .replace(/\s+(n't|'s|'re|'ve|'ll|'d|'m)\b/g, "$1"),
    )
    .filter((p) => p.trim())
    .join("\n\n");
}

function brown(): Doc[] {
  const dir = npmRoot(NPMS.brown);
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  if (files.length !== 500) throw new SourceError(NPMS.brown.name, "c??NN", `expected 500 samples, found ${files.length}`);
  return files.map((f, i) => ({ id: `brown/${f}`, source: "brown", title: `Brown corpus sample ${f}`, text: detagBrown(npmFile(NPMS.brown, f)), heldout: i % 10 === 9 }));
}

function austen(): Doc[] {
  const rel = "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb";
  const vectors = readRdbStringVectors(debFile(DEBS.austen, rel), `${DEBS.austen.name}: ${rel}`);
  if (vectors.length !== 6) throw new SourceError(DEBS.austen.name, rel, `expected 6 novels, found ${vectors.length}`);
  return vectors.map((lines) => {
    const title = lines.find((l) => l.trim())!.trim();
    const name = title.toLowerCase().replace(/[^a-z]+/g, "-");
    // Gutenberg lines: blank line = paragraph break; _x_ marks italics.
    const text = lines.join("\n").replace(/_([^_\n]+)_/g, "$1");
    return { id: `austen/${name}`, source: "austen", title, text, heldout: name === "persuasion" };
  });
}

function web(): Doc[] {
  const dir = "usr/share/sword/modules/texts/ztext/engWEB2015eb/";
  const books = ["ot", "nt"].flatMap((t) => readSwordBlocks(debFile(DEBS.web, `${dir}${t}.bzs`), debFile(DEBS.web, `${dir}${t}.bzz`)));
  if (books.length < 66) throw new SourceError(DEBS.web.name, `${dir}*.bzs`, `expected >= 66 books, found ${books.length}`);
  return books
    .map((osis, i) => ({ i, ...osisToText(osis) }))
    .filter((b) => b.text.trim().length > 1000)
    .map((b, k) => ({ id: `web/${String(b.i).padStart(2, "0")}`, source: "web-bible", title: b.title || `book ${b.i}`, text: b.text, heldout: k % 10 === 9 }));
}

/** Dictionary entries grouped into documents of about `chunk` characters. */
function dict(key: "jargon" | "devil", base: string, chunk: number): Doc[] {
  const pin = DEBS[key];
  const entries = readDictd(debFile(pin, `usr/share/dictd/${base}.index`).toString("utf8"), debFile(pin, `usr/share/dictd/${base}.dict.dz`));
  if (entries.length < 500) throw new SourceError(pin.name, `${base}.index`, `only ${entries.length} entries`);
  const docs: Doc[] = [];
  let cur: string[] = [];
  let size = 0;
  const flush = () => {
    if (!cur.length) return;
    docs.push({ id: `${key}/${docs.length}`, source: key, title: `${key} entries ${docs.length}`, text: cur.join("\n\n"), heldout: false });
    cur = [];
    size = 0;
  };
  for (const e of entries) {
    cur.push(e.text.trim());
    size += e.text.length;
    if (size >= chunk) flush();
  }
  flush();
  return docs;
}

/** WordNet glosses of ordinary (non-instance) synsets; instance glosses state KB facts, so they stay out. */
function glosses(): Doc[] {
  const wn = readWordnet();
  const lines = wn.synsets.filter((s) => !s.instanceOf.length).map((s) => `${s.words[0].replace(/_/g, " ")}: ${s.gloss}`);
  const docs: Doc[] = [];
  for (let i = 0; i < lines.length; i += 400) docs.push({ id: `wordnet/${docs.length}`, source: "wordnet", title: `WordNet glosses ${docs.length}`, text: lines.slice(i, i + 400).join("\n"), heldout: false });
  return docs;
}

export function readAllDocs(): Doc[] {
  return [...sotu(), ...moby(), ...brown(), ...austen(), ...web(), ...dict("jargon", "jargon", 8000), ...dict("devil", "devil", 8000), ...glosses()];
}
