// Layers that only point down (issue 21): no import cycle between the top-level source folders
// (loaders/, src/, kernels/, scripts/), none between files of different folders, libraries never
// importing the command line, and compression never importing an export format. Value imports only
// (import-graph.ts): a type-only import is erased and loads nothing.
import { describe, expect, it } from "vitest";
import { cycles, importGraph, topFolder, valueImports } from "./import-graph.js";

/**
 * Upward edges that exist today and are waiting to be moved: the Node renderers of the report's
 * figures draw with the site's chart components (issue 21 item 4, "one shared figure-spec module").
 * An edge listed here must still exist, so the list can only shrink.
 */
const ALLOWED_UPWARD = [
  "loaders/figures/published.ts -> src/components/sparsity-chart.ts",
  "loaders/figures/report.ts -> src/components/figure-frame.ts",
  "loaders/figures/report.ts -> src/components/report-charts.ts",
  "loaders/figures/report.ts -> src/components/report-controls.ts",
  "loaders/figures/report.ts -> src/components/report-figures.ts",
  "loaders/figures/report.ts -> src/components/report-sql.ts",
];

const graph = importGraph(".");
const edges = [...graph].flatMap(([f, ds]) => ds.map((d) => [f, d] as const));

/** A cycle in the folder graph (each folder → the folders it imports), as "a -> b -> a", or null. */
function folderCycle(pairs: (readonly [string, string])[]): string | null {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of pairs) if (a !== b) (next.get(a) ?? next.set(a, new Set()).get(a)!).add(b);
  const path: string[] = [], done = new Set<string>();
  const walk = (v: string): string | null => {
    if (path.includes(v)) return [...path.slice(path.indexOf(v)), v].join(" -> ");
    if (done.has(v)) return null;
    path.push(v);
    for (const w of next.get(v) ?? []) { const c = walk(w); if (c) return c; }
    path.pop(); done.add(v);
    return null;
  };
  for (const v of next.keys()) { const c = walk(v); if (c) return c; }
  return null;
}

describe("import layering", () => {
  it("reads value imports and leaves type-only ones out", () => {
    const text = [
      'import { a } from "./a.js";', 'import type { B } from "./b.js";', 'import { type C, type D } from "./c.js";', 'import { type E, f } from "./e.js";',
      'export { g } from "./g.js";', 'export type { H } from "./h.js";', 'import "./side.js";', "// import { x } from './commented.js';",
      'const m = await import("./lazy.js");', "import {\n  multi,\n  line,\n} from './multi.js';",
    ].join("\n");
    expect(valueImports("x.ts", text).sort()).toEqual(["./a.js", "./e.js", "./g.js", "./lazy.js", "./multi.js", "./side.js"]);
    expect(graph.size).toBeGreaterThan(100);
  });

  it("has no import cycle between files of different top-level folders", () => {
    const crossing = cycles(graph).filter((c) => new Set(c.map(topFolder)).size > 1);
    expect(crossing, crossing.map((c) => c.join(" ⇄ ")).join("\n")).toEqual([]);
  });

  it("has no import cycle between the top-level folders (besides the listed figure renderers, which must still exist)", () => {
    const cross = edges.filter(([a, b]) => topFolder(a) !== topFolder(b) && graph.has(b));
    const listed = (a: string, b: string) => ALLOWED_UPWARD.includes(`${a} -> ${b}`);
    expect(folderCycle(cross.filter(([a, b]) => !listed(a, b)).map(([a, b]) => [topFolder(a), topFolder(b)] as const))).toBeNull();
    for (const e of ALLOWED_UPWARD) expect(cross.some(([a, b]) => `${a} -> ${b}` === e), `${e} is gone: remove it from ALLOWED_UPWARD`).toBe(true);
  });

  it("libraries never import the command line, compression never an export format", () => {
    const bad = edges.filter(([a, b]) =>
      (b.startsWith("loaders/cli/") && !a.startsWith("loaders/cli/") && a !== "loaders/cli.ts") ||
      (a.startsWith("loaders/compress/") && b.startsWith("loaders/onnx/")));
    expect(bad.map(([a, b]) => `${a} -> ${b}`)).toEqual([]);
  });
});
