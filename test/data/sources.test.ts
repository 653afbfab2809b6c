// Source parsers on hand-made inputs, and the errors for missing or changed packages.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readDictd } from "../../loaders/data/sources/dictd.js";
import { roffToText } from "../../loaders/data/sources/manpages.js";
import { debRoot } from "../../loaders/data/sources/debs.js";
import { npmRoot } from "../../loaders/data/sources/npm.js";
import { DEBS } from "../../loaders/data/sources/pins.js";
import { readRdbStringVectors } from "../../loaders/data/sources/rdata.js";
import { detagBrown } from "../../loaders/data/sources/text.js";
import { dedupe, unwrap } from "../../loaders/data/clean.js";

const int = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

describe("R lazy-load database reader", () => {
  it("reads character vectors from XDR version-3 records", () => {
    // R serialisation v3: "X\n", version 3, R version, min version, native-encoding length + name,
    // then STRSXP (16) with length, then CHARSXPs (9, flags in the upper bits) with byte lengths; -1 = NA.
    const chars = (s: string | null) => (s === null ? Buffer.concat([int(9), int(-1)]) : Buffer.concat([int(0x40009), int(Buffer.byteLength(s)), Buffer.from(s)]));
    const x = Buffer.concat([Buffer.from("X\n"), int(3), int(0x40201), int(0x30500), int(5), Buffer.from("UTF-8"), int(16), int(3), chars("EMMA"), chars(null), chars("Mr. Knightley — naïve")]);
    const rec = Buffer.concat([Buffer.alloc(4), deflateSync(x)]);
    rec.writeUInt32BE(x.length, 0);
    expect(readRdbStringVectors(Buffer.concat([rec, rec]), "test")).toEqual([["EMMA", "", "Mr. Knightley — naïve"], ["EMMA", "", "Mr. Knightley — naïve"]]);
  });
  it("names the file on a malformed record", () => {
    const x = Buffer.from("not an R serialisation");
    const rec = Buffer.concat([int(x.length), deflateSync(x)]);
    expect(() => readRdbStringVectors(rec, "pkg: data/Rdata.rdb")).toThrow(/pkg: data\/Rdata.rdb/);
  });
});

describe("dictd reader", () => {
  it("decodes base64 offsets and skips 00database entries", () => {
    const body = "header stuffABACUS, n. A counting frame.\nBETA, n. Second.";
    // offsets: "ABACUS" starts at 12 (= "M"), length 28 (= "c"); "BETA" at 41 (= "p"), length 16 (= "Q")
    const index = "00databaseinfo\tA\tM\nabacus\tM\tc\nbeta\tp\tQ\n";
    expect(readDictd(index, gzipSync(body))).toEqual([
      { headword: "abacus", text: "ABACUS, n. A counting frame." },
      { headword: "beta", text: "BETA, n. Second." },
    ]);
  });
});

describe("text cleaning", () => {
  it("strips Brown tags and re-attaches punctuation", () => {
    expect(detagBrown("\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ,/, it/pps isn't/bez* ./.")).toBe("The jury said \u201cno\u201d, it isn't.");
  });
  it("unwraps hard-wrapped paragraphs", () => {
    expect(unwrap("one\ntwo\n\n  three\nfour  ")).toBe("one two\n\nthree four");
  });
  it("drops repeated long paragraphs and duplicate documents", () => {
    const p = "x".repeat(100);
    const d = (id: string, text: string) => ({ id, source: "t", title: "", text, heldout: false });
    const r = dedupe([d("a", `${p}\n\nshort`), d("b", `${p}\n\nother`), d("c", `${p}\n\nshort`)]);
    expect(r.docs.map((x) => x.text)).toEqual([`${p}\n\nshort`, "other"]);
    expect([r.droppedDocs, r.droppedParagraphs]).toEqual([1, 1]);
  });
  it("turns roff into text", () => {
    expect(roffToText([".\\\" comment", "The", ".BR strtok ()", "function breaks \\fIstr\\fP into tokens\\(em see", ".PP", "next \\- paragraph"])).toBe("The strtok() function breaks str into tokens\u2014 see\n\nnext - paragraph");
  });
});

describe("bad input", () => {
  it("a changed .deb fails with the package name and sha256", () => {
    const cache = mkdtempSync(join(tmpdir(), "kick-debs-"));
    writeFileSync(join(cache, "dict-devil_1.0-13.1_all.deb"), "not the real package");
    process.env.KICK_DEB_CACHE = cache;
    try {
      expect(() => debRoot(DEBS.devil)).toThrow(/dict-devil=1\.0-13\.1.*sha256 [0-9a-f]{64}, expected 6a5356/);
    } finally {
      delete process.env.KICK_DEB_CACHE;
    }
  });
  it("an npm package at another version fails with its name", () => {
    expect(() => npmRoot({ name: "countries-list", version: "0.0.1", licence: "MIT", use: "" })).toThrow(/countries-list@0\.0\.1.*installed version 3\.4\.1/);
  });
  it("a missing npm package fails with its name", () => {
    expect(() => npmRoot({ name: "no-such-kick-package", version: "1.0.0", licence: "MIT", use: "" })).toThrow(/no-such-kick-package@1\.0\.0.*not installed/);
  });
});
