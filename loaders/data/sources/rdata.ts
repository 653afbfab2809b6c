// Minimal reader for R's lazy-load database (janeaustenr's data/Rdata.rdb): a sequence of
// [uint32 BE uncompressed length][zlib stream] records, each an XDR serialisation ("X\n", v3)
// of one character vector. We read the STRSXP that follows the header; no R needed.
import { inflateSync } from "node:zlib";

const STRSXP = 16;
const CHARSXP = 9;

/** Returns one string[] per record, in file order. Throws with `where` on malformed input. */
export function readRdbStringVectors(buf: Buffer, where: string): string[][] {
  const out: string[][] = [];
  let p = 0;
  while (p < buf.length) {
    const ulen = buf.readUInt32BE(p);
    const r = inflateSync(buf.subarray(p + 4), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    const x = r.buffer;
    if (x.length !== ulen || x.toString("latin1", 0, 2) !== "X\n") throw new Error(`${where}: record at byte ${p} is not an XDR serialisation`);
    const version = x.readInt32BE(2);
    let q = 14;
    if (version === 3) q += 4 + x.readInt32BE(14); // native encoding name
    const head = x.readInt32BE(q);
    if ((head & 0xff) !== STRSXP) throw new Error(`${where}: record at byte ${p} is type ${head & 0xff}, expected a character vector`);
    const n = x.readInt32BE(q + 4);
    q += 8;
    const strings: string[] = [];
    for (let i = 0; i < n; i++) {
      const h = x.readInt32BE(q);
      if ((h & 0xff) !== CHARSXP) throw new Error(`${where}: element ${i} of record at byte ${p} is not a string`);
      const len = x.readInt32BE(q + 4);
      q += 8;
      if (len === -1) strings.push("");
      else {
        strings.push(x.toString("utf8", q, q + len));
        q += len;
      }
    }
    out.push(strings);
    p += 4 + r.engine.bytesWritten;
  }
  return out;
}
