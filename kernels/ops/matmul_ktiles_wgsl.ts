// The K-tile loop both matmul generators share: the first tile is fetched and staged, then each
// iteration fetches the next tile into registers, multiplies the current one from workgroup
// memory and stages the fetched one into the other half of the double buffer, one barrier per
// tile. The caller's loads read `k0`, its stores write at offset `buf`, its multiply reads the
// halves at `bufA`/`bufB`; the shader needs a uniform `p.numTiles`. With `range`, only the K-tiles
// [tS, tE) that its statements declare run (the strided matmul's triangular operands).

export interface KTileParts {
  BK: number;
  /** Elements of one buffer half of A's and B's workgroup arrays. */
  halfA: number;
  halfB: number;
  loadA: string[];
  loadB: string[];
  storeA: string[];
  storeB: string[];
  multiply: string[];
  /** WGSL statements declaring `tS` and `tE`: run K-tiles tS ≤ t < tE only (default: all). */
  range?: string;
}

export function kTileLoop(o: KTileParts): string {
  const j = (lines: string[], indent: string) => lines.join(`\n${indent}`);
  const start = o.range ? `${o.range}
  var k0 = tS * ${o.BK}u;` : "var k0 = 0u;";
  const loop = o.range
    ? "for (var t = tS; t < tE; t++) {\n    let cur = (t - tS) & 1u;\n    let more = t + 1u < tE;"
    : "for (var t = 0u; t < p.numTiles; t++) {\n    let cur = t & 1u;\n    let more = t + 1u < p.numTiles;";
  return `${start}
  ${j(o.loadA, "  ")}
  ${j(o.loadB, "  ")}
  { let buf = 0u; ${j(o.storeA, "    ")} }
  { let buf = 0u; ${j(o.storeB, "    ")} }
  workgroupBarrier();
  ${loop}
    if (more) {
      k0 = (t + 1u) * ${o.BK}u;
      ${j(o.loadA, "      ")}
      ${j(o.loadB, "      ")}
    }
    let bufA = cur * ${o.halfA}u; let bufB = cur * ${o.halfB}u;
    ${j(o.multiply, "    ")}
    if (more) {
      { let buf = (1u - cur) * ${o.halfA}u; ${j(o.storeA, "        ")} }
      { let buf = (1u - cur) * ${o.halfB}u; ${j(o.storeB, "        ")} }
    }
    workgroupBarrier();
  }`;
}
