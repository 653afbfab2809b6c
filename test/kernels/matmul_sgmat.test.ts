// The subgroup-matrix (tensor-core) matmul's WGSL, compiled by Tint on Dawn's null backend, which
// offers shader-f16, subgroups and chromium-experimental-subgroup-matrix on any machine: every
// variant must compile with no error and no warning (Tint checks that the load/store offsets are
// subgroup-uniform, and warns on the deprecated builtin spelling). Its numerics need a GPU with
// the f16 configuration: bench/f16-check.ts on the GPU host, results in bench/f16-h100.txt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GpuContext, matmul, parseSgmatTile, parseTile, SGMAT_SWEEP, SGMAT_TILE, SGMAT_SMALL_TILE,
} from "../../kernels/index.js";
import { sgmatKey, sgmatOptions, sgmatTileProblem, sgmatWgsl, type SgmatVariant } from "../../kernels/ops/matmul_sgmat_wgsl.js";
import { F16_SWEEP } from "../../bench/f16-variants.js";
import { toF16Bits } from "../../kernels/reference/f16.js";
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

  // every variant the H100 sweep times (bench/f16-variants.ts), plus the defaults
  const tiles = [...new Set([...SGMAT_SWEEP.split(","), ...F16_SWEEP, "128x128x32/64x32", "64x64x32/32x32"])];
  for (const t of tiles)
    for (const transB of [true, false])
      for (const [checked, vec] of [[false, true], [true, true], [true, false]] as const) {
        const tile = parseSgmatTile(t);
        const v: SgmatVariant = { ...tile, ...sgmatOptions(tile), transB, checked, vecA: vec, vecB: vec, subgroupSize: 32 };
        // the H100's limits; a tile whose edge variant needs more memory is used for tile multiples only
        const problem = sgmatTileProblem(v, 1024, 49152);
        if (checked && problem) {
          it(`tile ${t} edge variant is refused: ${problem}`, () => expect(problem).toMatch(/bytes of workgroup memory|direct loads need shapes/));
          continue;
        }
        it(`tile ${t} transB ${transB} checked ${checked} vec4 ${vec} compiles cleanly`, async () => {
          expect(problem).toBeNull();
          expect(await messages(sgmatWgsl(v))).toEqual([]);
        });
      }

  it("fails Tint's uniformity check when an offset comes from local_invocation_index (the guard is real)", async () => {
    const code = sgmatWgsl({ ...SGMAT_TILE, ...sgmatOptions({}), transB: true, checked: false, vecA: true, vecB: true, subgroupSize: 32 }).replace("let sm = sid /", "let sm = li /");
    expect((await messages(code)).join("\n")).toMatch(/requires argument 1 to be uniform/);
  });

  it("staged as vec4<f16>, the matrix loads' stride counts vec4s: Tint rejects the same stride in halves as reading past the array", async () => {
    const tile = parseSgmatTile("128x256x16/64x64:w4");
    const code = sgmatWgsl({ ...tile, ...sgmatOptions(tile), transB: false, checked: false, vecA: true, vecB: true, subgroupSize: 32 });
    expect(code).toContain("var<workgroup> Bs: array<vec4<f16>,");
    expect(await messages(code)).toEqual([]);
    // B's staged rows are BN + 8 = 264 halves = 66 vec4s apart
    expect(code).toContain(", 66u);");
    expect((await messages(code.replaceAll(", 66u);", ", 264u);"))).join("\n")).toMatch(/pointer operand of subgroupMatrixLoad is too small/);
  });

  it("is what matmul picks for f16 operands where the adapter reports the f16 configuration, and its pipelines validate", async () => {
    // the null backend reports no configurations: give it the H100's (and its subgroups of 32), so
    // matmul routes and Dawn validates the pipelines and dispatches
    const caps = { ...ctx.capabilities, subgroupMaxSize: 32, subgroupMatrixConfigs: [{ componentType: "f16", resultComponentType: "f32", M: 16, N: 16, K: 16 }] };
    const sg = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx, { capabilities: caps }) as GpuContext;
    const tile = parseTile("32x32x16/16x16"); // the null device has the spec's default 16 KiB of workgroup memory
    for (const [M, N, K, transB] of [[256, 256, 128, true], [37, 29, 45, false], [300, 520, 64, true]] as const) {
      const A = ctx.upload(toF16Bits(new Float32Array(M * K)), [M, K]);
      const B = ctx.upload(toF16Bits(new Float32Array(N * K)), transB ? [N, K] : [K, N]);
      matmul(sg, A, B, { transB, tile });
      // the default tiles need more workgroup memory than this device has: the tiled kernel runs instead
      matmul(sg, A, B, { transB });
    }
    await sg.sync(); // submits sg's encoder; throws the collected WebGPU validation errors, if any
    expect(sg.dispatchCount).toBe(6);
    // key: tile, subgroup size, then transB, checked, vec4 A, vec4 B
    const keys = [...(ctx as unknown as { pipelines: Map<string, unknown> }).pipelines.keys()];
    expect(keys.filter((k) => k.startsWith("matmul-sgmat:")).sort()).toEqual([
      "matmul-sgmat:32x32x16/16x16:32:1011", "matmul-sgmat:32x32x16/16x16:32:1111", "matmul-sgmat:32x32x16/16x16:32:0100",
    ].sort());
    expect(keys.filter((k) => k.startsWith("matmul:")).length).toBeGreaterThan(0);
    expect(() => matmul(sg, ctx.upload(toF16Bits([1, 2, 3, 4]), [2, 2]), ctx.upload(toF16Bits([1, 2, 3, 4]), [2, 2]), { tile: SGMAT_TILE })).toThrow(/subgroup-matrix tile 128x256x16\/64x64: .* bytes of workgroup memory, over 16384/);
  });

  it("names variants in one syntax and refuses unknown options", () => {
    for (const t of F16_SWEEP) expect(sgmatKey(parseSgmatTile(t))).toBe(t);
    expect(() => parseSgmatTile("128x256x16/64x64:n4")).toThrow(/bad subgroup-matrix tile "128x256x16\/64x64:n4".*:n8, :pad<halves>, :dB or :dAB, :w4/);
  });

  it("rejects tiles that do not fit", () => {
    const base = { ...sgmatOptions({}), transB: true, checked: true, vecA: true, vecB: true, subgroupSize: 32 };
    expect(sgmatTileProblem({ ...base, ...parseTile("128x128x32/64x24") }, 1024, 49152)).toMatch(/multiples of 16/);
    expect(sgmatTileProblem({ ...base, ...parseTile("256x256x32/32x32") }, 1024, 49152)).toMatch(/exceed 1024/);
    expect(sgmatTileProblem({ ...base, ...parseTile("128x256x32/64x64") }, 1024, 49152)).toMatch(/bytes of workgroup memory/);
    expect(sgmatTileProblem({ ...base, ...SGMAT_SMALL_TILE }, 1024, 49152)).toBeNull();
  });
});
