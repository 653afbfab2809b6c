// Explicit bind-group layouts, read off a shader's own declarations. Under `layout: "auto"` a
// binding the entry point does not use is dropped from the layout, so a shader variant that
// ignores one of its op's operands (magnitude pruning has no scales, a unary op no second input)
// could not be dispatched with the op's one binding list. With the layout taken from the
// declarations instead, every declared binding stays, used or not.
import { fail } from "./errors.js";

const DECL = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(storage\s*,\s*read_write|storage\s*,\s*read|storage|uniform)\s*>/g;

/** The group-0 layout entries of `wgsl`'s buffer bindings, in binding order; each index 0..n-1 declared once. */
export function declaredBindings(wgsl: string, label: string): GPUBindGroupLayoutEntry[] {
  const found = new Map<number, GPUBufferBindingType>();
  for (const m of wgsl.matchAll(DECL)) {
    const i = Number(m[1]), kind = m[2]!.replace(/\s/g, "");
    if (found.has(i)) fail("pipeline", `${label}: @binding(${i}) is declared twice`, "give every binding its own index");
    found.set(i, kind === "uniform" ? "uniform" : kind === "storage,read_write" ? "storage" : "read-only-storage");
  }
  const all = wgsl.match(/@group\(0\)\s*@binding\(/g)?.length ?? 0;
  if (all !== found.size || found.size === 0)
    fail("pipeline", `${label}: ${all - found.size} of its ${all} group-0 bindings are not storage or uniform buffers`, "use `layout: \"auto\"` for shaders with textures or samplers");
  return [...found.keys()].sort((a, b) => a - b).map((i, k) => {
    if (i !== k) fail("pipeline", `${label}: bindings skip index ${k}`, "number the bindings 0, 1, 2, … as dispatch binds them");
    return { binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: found.get(i)! } };
  });
}
