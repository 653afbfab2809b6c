// SWORD zText module (BlockType=BOOK): <testament>.bzs holds little-endian uint32 triples
// (offset, compressed size, uncompressed size), one per block; <testament>.bzz the zlib blocks.
// Each block is one book in OSIS XML; we keep the verse text and drop notes, titles and tags.
import { inflateSync } from "node:zlib";

export function readSwordBlocks(bzs: Buffer, bzz: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= bzs.length; i += 12) {
    const off = bzs.readUInt32LE(i);
    const size = bzs.readUInt32LE(i + 4);
    if (size === 0) continue;
    out.push(inflateSync(bzz.subarray(off, off + size)).toString("utf8"));
  }
  return out;
}

export function osisToText(osis: string): { title: string; text: string } {
  const title = /<title[^>]*type="main"[^>]*>([^<]*)<\/title>(?![\s\S]*<title[^>]*type="main")/.exec(osis)?.[1] ?? "";
  const text = osis
    .replace(/<note[\s\S]*?<\/note>/g, "")
    .replace(/<title[\s\S]*?<\/title>/g, "")
    .replace(/<div[^>]*eID="[^"]*"[^>]*type="x-p"[^>]*\/>/g, "\n\n")
    .replace(/<chapter[^>]*sID[^>]*\/>/g, "\n\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  return { title, text };
}
