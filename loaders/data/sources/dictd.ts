// dictd databases (.index + .dict.dz): the index gives base64 offset/length of each entry.
import { gunzipSync } from "node:zlib";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64num = (s: string): number => [...s].reduce((n, c) => n * 64 + B64.indexOf(c), 0);

export interface DictEntry {
  headword: string;
  text: string;
}

/** Entries in index order, skipping dictd's own 00-database-* metadata entries. */
export function readDictd(index: string, dictDz: Buffer): DictEntry[] {
  const body = gunzipSync(dictDz);
  const out: DictEntry[] = [];
  for (const line of index.split("\n")) {
    if (!line) continue;
    const [headword, off, len] = line.split("\t");
    if (!len || headword.startsWith("00database") || headword.startsWith("00-database")) continue;
    const o = b64num(off);
    out.push({ headword, text: body.toString("utf8", o, o + b64num(len)) });
  }
  return out;
}
