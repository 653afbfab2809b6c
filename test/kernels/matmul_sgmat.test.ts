// The subgroup-matrix (tensor-core) matmul's WGSL, compiled by Tint on Dawn's null backend, which
// offers shader-f16, subgroups and chromium-experimental-subgroup-matrix on any machine: every
// variant must compile with no error and no warning (Tint checks that the load/store offsets are
// subgroup-uniform, and warns on the deprecated builtin spelling). Its numerics need a GPU with
// the f16 configuration: bench/f16-check.ts on the GPU host, results in bench/f16-h100.txt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GpuContext } from "../../kernels/runtime/context.js";
import { sgmatTileProblem, sgmatWgsl, type SgmatVariant } from "../../kernels/ops/matmul_sgmat_wgsl.js";
import { parseTile, SGMAT_SWEEP, SGMAT_TILE, SGMAT_SMALL_TILE } from "../../kernels/ops/matmul.js";
import { withContext } from "./helpers.js";

let ctx: GpuContext;
beforeAll(async () => { ctx = await withContext({ dawnFlags: ["backend=null"] }); });
afterAll(async () => { await ctx?.destroy(); });

async function messages(code: string): Promise<string[]> {
  ctx.device.pushErrorScope("validation"); // a failing module is the expected outcome of one test, not an uncaught error
  const info = await ctx.device.createShaderModule({ code }).getCompilationInfo();
  await ctx.device.popErrorScope();
  return info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
}

describe("subgroup-matrix matmul WGSL", () => {
  it("has the features it needs on the null backend", () => {
    for (const f of ["shader-f16", "subgroups", "chromium-experimental-subgroup-matrix"]) expect(ctx.features.has(f), f).toBe(true);
  });

  const tiles = [...new Set([...SGMAT_SWEEP.split(","), "128x128x32/64x32", "64x64x32/32x32"])];
  for (const t of tiles)
    for (const transB of [true, false])
      for (const [checked, vec] of [[false, true], [true, true], [true, false]] as const) {
        const v: SgmatVariant = { ...parseTile(t), transB, checked, vecA: vec, vecB: vec, subgroupSize: 32 };
        it(`tile ${t} transB ${transB} checked ${checked} vec4 ${vec} compiles cleanly`, async () => {
          expect(sgmatTileProblem(v, 1024, 49152)).toBeNull();
          expect(await messages(sgmatWgsl(v))).toEqual([]);
        });
      }

  it("fails Tint's uniformity check when an offset comes from local_invocation_index (the guard is real)", async () => {
    const code = sgmatWgsl({ ...SGMAT_TILE, transB: true, checked: false, vecA: true, vecB: true, subgroupSize: 32 }).replace("let sm = sid /", "let sm = li /");
    expect((await messages(code)).join("\n")).toMatch(/requires argument 1 to be uniform/);
  });

  it("rejects tiles that do not fit", () => {
    const base = { transB: true, checked: true, vecA: true, vecB: true, subgroupSize: 32 };
    expect(sgmatTileProblem({ ...base, ...parseTile("128x128x32/64x24") }, 1024, 49152)).toMatch(/multiples of 16/);
    expect(sgmatTileProblem({ ...base, ...parseTile("256x256x32/32x32") }, 1024, 49152)).toMatch(/exceed 1024/);
    expect(sgmatTileProblem({ ...base, ...parseTile("128x256x32/64x64") }, 1024, 49152)).toMatch(/bytes of workgroup memory/);
    expect(sgmatTileProblem({ ...base, ...SGMAT_SMALL_TILE }, 1024, 49152)).toBeNull();
  });
});
