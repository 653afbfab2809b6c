// The value-import graph of the project's source folders, read by a small regex walker (the
// project's TypeScript 7 has no JavaScript compiler API): static imports and re-exports that load a
// module at run time (statements at the start of a line, so commented-out ones do not count), and
// dynamic import() of a literal. Type-only imports are left out: the compiler erases them, so they
// neither load a module nor run in any order. Used by import-cycles.test.ts.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const TOP_FOLDERS = ["loaders", "src", "kernels", "scripts"] as const;
const SOURCE = /\.(ts|mts|mjs|js)$/;
const SKIP = new Set(["node_modules", ".observablehq", "vendor"]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (SKIP.has(e)) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(e) && !e.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const STATIC = /^[ \t]*(import|export)\s+(type\s+)?([\w*{}\s,$]*?)\s*from\s*["']([^"']+)["']/gm;
const BARE = /^[ \t]*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The module specifiers a file loads at run time. */
export function valueImports(file: string, text = readFileSync(file, "utf8")): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(STATIC)) {
    const names = m[3]!.trim();
    const braces = /^\{([^}]*)\}$/.exec(names);
    const allTypes = braces !== null && braces[1]!.split(",").map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith("type "));
    if (!m[2] && !(allTypes && braces![1]!.trim() !== "")) out.push(m[4]!);
  }
  for (const m of text.matchAll(BARE)) out.push(m[1]!);
  for (const m of text.matchAll(DYNAMIC)) out.push(m[1]!);
  return out;
}

/** A relative specifier → the project file it names (./x.js is written for ./x.ts), else null. */
function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec);
  for (const c of [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`, join(base, "index.ts")]) if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** file → the project files it imports (paths relative to root). */
export function importGraph(root: string): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const top of TOP_FOLDERS)
    for (const f of sourceFiles(join(root, top))) {
      const deps = valueImports(f).map((s) => resolveLocal(f, s)).filter((p): p is string => p !== null);
      g.set(relative(root, f), deps.map((d) => relative(root, d)));
    }
  return g;
}

/** Strongly connected components with more than one file (Tarjan), each a set of files importing each other in a ring. */
export function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>(), stack: string[] = [], out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) strong(v);
  return out;
}

export const topFolder = (file: string) => file.split(/[\\/]/)[0]!;
