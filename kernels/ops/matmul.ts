// matmul: C = op(A) · op(B), batched; op(X) = X or Xᵀ. C is f32; A and B are both f32, or both
// f16 (f32 accumulation): on subgroup matrices (tensor cores) where the adapter has the f16
// configuration, else the tiled kernel reading f16 (shader-f16), else an error naming both.
//   A: [...batch, M, K] ([..., K, M] with transA);  B: [...batch, K, N] or [K, N] broadcast
//   ([..., N, K] / [N, K] with transB — the nn.Linear weight layout).
// Tensors over the binding limit are split: rows of A/C (M) and, with transB, rows of B (N).
import type { GpuContext } from "../runtime/context.js";
import { fail, shapeStr } from "../runtime/errors.js";
import { elementBytes, type Tensor } from "../runtime/tensor.js";
import { hasSubgroupMatrix } from "../runtime/capabilities.js";
import { alignedRowStep, ceilDiv, expectDtype, lcm, params, planRowChunks } from "./common.js";
import { matmulWgsl, tileKey, type MatmulTile, type MatmulVariant } from "./matmul_wgsl.js";
import { parseSgmatSuffix, sgmatKey, sgmatOptions, sgmatTileProblem, sgmatWgsl, type SgmatTile, type SgmatVariant } from "./matmul_sgmat_wgsl.js";

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** Write into this tensor instead of a new one. */
  out?: Tensor;
  /** Force a tile configuration (autotuning, tests); for the subgroup-matrix kernel TM×TN is a subgroup's piece, plus its options. */
  tile?: SgmatTile;
  /** f16 operands: force a kernel (tests, benchmarks); default: subgroup matrices where available. */
  kernel?: "tiled" | "subgroup-matrix";
}

export const SOFTWARE_TILE: MatmulTile = { BM: 32, BN: 32, BK: 8, TM: 4, TN: 4 };
// Chosen from four sweeps on an H200 (bench/kernels.ts, see docs/kernels.md): 256×128 tiles
// with 16×8 outputs per thread had the best or near-best mean on every LLM shape measured
// and, unlike 128×128, never fell to ~25 TFLOP/s on the 11008-wide shape.
export const GPU_TILE: MatmulTile = { BM: 256, BN: 128, BK: 8, TM: 16, TN: 8 };
export const GPU_SMALL_TILE: MatmulTile = { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 };
/** Tiles the benchmark sweeps on GPUs. */
export const GPU_SWEEP = "256x128x8/16x8,128x128x8/8x8,128x256x16/8x16,128x256x8/8x16";

/** Tile sizes per adapter: small tiles for software Vulkan (CPU caches), big ones on GPUs. */
export function chooseTile(ctx: GpuContext, M: number, N: number, batch: number): MatmulTile {
  if (ctx.tuning.matmulTile) return parseTile(ctx.tuning.matmulTile);
  if (ctx.isSoftware) return SOFTWARE_TILE;
  const big = GPU_TILE;
  const wgStorage = 2 * big.BK * (big.BM + big.BN) * 4;
  if (wgStorage > ctx.limits.maxComputeWorkgroupStorageSize) return GPU_SMALL_TILE;
  // Too few big tiles to fill the GPU: use smaller ones.
  if (ceilDiv(M, big.BM) * ceilDiv(N, big.BN) * batch < 200) return GPU_SMALL_TILE;
  return big;
}

// Subgroup-matrix tiles: 8 subgroups of 64×64 (16 result matrices each) fill a 128×256 tile, the
// best of the first H100 sweep on all four LLM shapes (bench/f16-h100.txt); 4 subgroups of 32×32
// when the grid of big tiles would leave some of the GPU's (H100: 132) SMs idle.
export const SGMAT_TILE: MatmulTile = { BM: 128, BN: 256, BK: 16, TM: 64, TN: 64 };
export const SGMAT_SMALL_TILE: MatmulTile = { BM: 64, BN: 64, BK: 32, TM: 32, TN: 32 };
export const SGMAT_SWEEP = "128x256x16/64x64,128x128x16/64x64,128x128x32/32x64,128x128x32/64x32,64x128x32/32x32";

/**
 * Whether f16 matmuls can run on subgroup matrices here: the f16 → f32 16×16×16 configuration.
 * The kernel plans with subgroups of subgroupMaxSize: Dawn exposes subgroup matrices on Vulkan
 * only with full subgroups and subgroup-size control, and requires such shaders' workgroup
 * width to be a multiple of subgroupMaxSize.
 */
export function canUseSubgroupMatrix(ctx: GpuContext): boolean {
  const c = ctx.capabilities;
  return hasSubgroupMatrix(c, "f16", "f32", 16, 16, 16) && c.subgroupMaxSize > 0;
}

export function chooseSgmatTile(ctx: GpuContext, M: number, N: number, batch: number): SgmatTile {
  if (ctx.tuning.matmulF16Tile) return parseSgmatTile(ctx.tuning.matmulF16Tile);
  return ceilDiv(M, SGMAT_TILE.BM) * ceilDiv(N, SGMAT_TILE.BN) * batch < 132 ? SGMAT_SMALL_TILE : SGMAT_TILE;
}

/** "BMxBNxBK/TMxTN", e.g. "128x128x16/8x8". */
export function parseTile(s: string): MatmulTile {
  const m = /^(\d+)x(\d+)x(\d+)\/(\d+)x(\d+)$/.exec(s.trim());
  if (!m) fail("matmul", `bad tile "${s}"`, 'write it as BMxBNxBK/TMxTN, e.g. "128x128x16/8x8"');
  const [BM, BN, BK, TM, TN] = m.slice(1).map(Number);
  return { BM, BN, BK, TM, TN };
}

/** A subgroup-matrix tile: "BMxBNxBK/WMxWN" with optional ":n8", ":padP", ":dB" or ":dAB", ":w4" (see SgmatOptions). */
export function parseSgmatTile(s: string): SgmatTile {
  const [tile, ...rest] = s.trim().split(":");
  const o = parseSgmatSuffix(rest.join(":"));
  if (!o) fail("matmul", `bad subgroup-matrix tile "${s}"`, 'write it as BMxBNxBK/WMxWN with optional :n8, :pad<halves>, :dB or :dAB, :w4, e.g. "128x256x16/64x64:n8"');
  return { ...parseTile(tile), ...o };
}

function validateTile(ctx: GpuContext, t: MatmulTile): void {
  const threads = (t.BM / t.TM) * (t.BN / t.TN);
  const bad =
    t.TM % 4 || t.TN % 4 || t.BM % t.TM || t.BN % t.TN || t.BK % 4 || !Number.isInteger(threads) ||
    threads > ctx.limits.maxComputeInvocationsPerWorkgroup ||
    (t.BM * t.BK) % (4 * threads) || (t.BN * t.BK) % (4 * threads);
  if (bad) fail("matmul", `tile ${tileKey(t)} is not valid (${threads} threads)`, "use TM, TN, BK multiples of 4 that divide the tile evenly among threads");
  const bytes = 2 * t.BK * (t.BM + t.BN) * 4;
  if (bytes > ctx.limits.maxComputeWorkgroupStorageSize)
    fail("matmul", `tile ${tileKey(t)} needs ${bytes} bytes of workgroup memory, over the limit ${ctx.limits.maxComputeWorkgroupStorageSize}`, "choose a smaller tile");
}

export function matmul(ctx: GpuContext, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = "matmul";
  const transA = !!opts.transA, transB = !!opts.transB;
  const f16 = a.dtype === "f16";
  expectDtype(op, "A", a, f16 ? "f16" : "f32");
  expectDtype(op, "B", b, f16 ? "f16" : "f32");
  if (f16 && !ctx.features.has("shader-f16"))
    fail(op, `f16 operands, but the adapter ${ctx.adapterDescription} lacks the WebGPU feature shader-f16`, `use f32 operands, or a device with shader-f16 (on NVIDIA, Dawn exposes it only with the toggle vulkan_enable_f16_on_nvidia, which kick sets unless KICK_F16_TOGGLES=0)`);
  if (a.shape.length < 2 || b.shape.length < 2)
    fail(op, `A ${shapeStr(a.shape)} and B ${shapeStr(b.shape)} must both have rank >= 2`, "reshape vectors to [1, n] or [n, 1]");
  const ar = a.shape.length, br = b.shape.length;
  const M = transA ? a.shape[ar - 1] : a.shape[ar - 2];
  const Ka = transA ? a.shape[ar - 2] : a.shape[ar - 1];
  const Kb = transB ? b.shape[br - 1] : b.shape[br - 2];
  const N = transB ? b.shape[br - 2] : b.shape[br - 1];
  const desc = `A ${shapeStr(a.shape)}${transA ? "ᵀ" : ""} · B ${shapeStr(b.shape)}${transB ? "ᵀ" : ""}`;
  if (Ka !== Kb) fail(op, `${desc}: inner dimensions ${Ka} and ${Kb} differ`, "pass operands whose contracted dimensions match (check transA/transB)");
  const K = Ka;
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const batch = batchA.reduce((x, y) => x * y, 1);
  const bBroadcast = batchB.length === 0;
  if (!bBroadcast && shapeStr(batchA) !== shapeStr(batchB))
    fail(op, `${desc}: batch dims ${shapeStr(batchA)} and ${shapeStr(batchB)} differ`, "use equal batch dims, or a rank-2 B that is broadcast");
  const outShape = [...batchA, M, N];
  const out = opts.out ?? ctx.empty(outShape);
  if (opts.out && (shapeStr(out.shape) !== shapeStr(outShape) || out.dtype !== "f32"))
    fail(op, `out ${shapeStr(out.shape)} ${out.dtype} does not match result ${shapeStr(outShape)} f32`, "pass a matching out tensor or none");
  if (M === 0 || N === 0) return out;

  const sgmat = f16 && !transA && opts.kernel !== "tiled" && canUseSubgroupMatrix(ctx);
  if (f16 && opts.kernel === "subgroup-matrix" && !sgmat)
    fail(op, `the subgroup-matrix kernel needs f16 → f32 16×16×16 subgroup matrices and an untransposed A; ${ctx.adapterDescription} has ${JSON.stringify(ctx.capabilities.subgroupMatrixConfigs)}`, "leave kernel unset to use the tiled f16 kernel");
  let sgBase: Omit<SgmatVariant, "checked" | "vecA" | "vecB"> | null = null;
  let tile = opts.tile;
  if (sgmat) {
    const t = opts.tile ?? chooseSgmatTile(ctx, M, N, batch);
    // row chunks start on tile bounds (below), so every chunk has the whole shape's edge tiles
    const edges = M % t.BM !== 0 || N % t.BN !== 0 || K % t.BK !== 0;
    // direct loads need tile multiples: a shape with edges stages its operands instead
    const o = sgmatOptions(t);
    const base = { ...t, ...o, direct: edges ? "none" as const : o.direct, transB, subgroupSize: ctx.capabilities.subgroupMaxSize };
    const problem = sgmatTileProblem({ ...base, checked: edges, vecA: true, vecB: true }, ctx.limits.maxComputeInvocationsPerWorkgroup, ctx.limits.maxComputeWorkgroupStorageSize);
    // a default tile the device's limits cannot hold falls back to the tiled kernel; an asked-for one fails
    if (!problem) [sgBase, tile] = [base, t];
    else if (opts.tile || opts.kernel === "subgroup-matrix") fail(op, `subgroup-matrix tile ${sgmatKey(t)}: ${problem}`, "choose another tile (KICK_MATMUL_F16_TILE)");
  }
  tile ??= chooseTile(ctx, M, N, batch);
  if (!sgBase) validateTile(ctx, tile);
  const eb = elementBytes(a.dtype);

  // Split over M (rows of A and C) and N (rows of a transposed B) when over the binding limit.
  let mChunks = [{ row0: 0, rows: M }];
  let nChunks = [{ row0: 0, rows: N }];
  const overA = a.byteSize > ctx.maxBinding, overB = b.byteSize > ctx.maxBinding, overC = out.byteSize > ctx.maxBinding;
  if (overA || overB || overC) {
    if (batch > 1) fail(op, `${desc}: a batched operand is over maxStorageBufferBindingSize ${ctx.maxBinding}`, "loop over the batch, passing one matrix per call");
    if (overA && transA) fail(op, `${desc}: Aᵀ is ${a.byteSize} bytes, over maxStorageBufferBindingSize ${ctx.maxBinding}, and a transposed A cannot be split`, "store A as [M, K]");
    if (overB && !transB) fail(op, `${desc}: B is ${b.byteSize} bytes, over maxStorageBufferBindingSize ${ctx.maxBinding}, and a [K, N] B cannot be split`, "store the weight as [N, K] and pass transB: true");
    // the subgroup-matrix kernel stores whole 16×16 blocks straight into C: keep chunks on tile bounds
    if (overB) nChunks = planRowChunks(ctx, op, N, K * eb, `rows of B ${shapeStr(b.shape)}`, sgBase ? tile.BN : 4);
    if (overA || overC) {
      // A and C are both bound from row m0: both offsets must be aligned.
      const rowBytes = Math.max(transA ? 0 : K * eb, N * 4);
      const quantum = lcm(lcm(transA ? 1 : alignedRowStep(ctx, K * eb), alignedRowStep(ctx, N * 4)), sgBase ? tile.BM : 4);
      mChunks = planRowChunks(ctx, op, M, rowBytes, `rows of A ${shapeStr(a.shape)} / C ${shapeStr(outShape)}`, quantum);
    }
  }

  for (const mc of mChunks) {
    for (const nc of nChunks) {
      const Mc = mc.rows, Nc = nc.rows;
      const checked = Mc % tile.BM !== 0 || Nc % tile.BN !== 0 || K % tile.BK !== 0;
      let pipeline: GPUComputePipeline;
      if (sgBase) {
        const sv: SgmatVariant = { ...sgBase, checked, vecA: K % 4 === 0, vecB: (transB ? K : N) % 4 === 0 };
        const key = `matmul-sgmat:${sgmatKey(sv)}:${sv.subgroupSize}:${+transB}${+checked}${+sv.vecA}${+sv.vecB}`;
        pipeline = ctx.pipeline(key, () => sgmatWgsl(sv));
      } else {
        const v: MatmulVariant = {
          ...tile,
          transA,
          transB,
          checked,
          vecA: (transA ? M : K) % 4 === 0,
          vecB: (transB ? K : N) % 4 === 0,
          vecC: N % 4 === 0 && Nc % 4 === 0,
          f16In: f16,
        };
        const key = `matmul:${tileKey(tile)}:${+transA}${+transB}${+v.checked}${+v.vecA}${+v.vecB}${+v.vecC}${+f16}`;
        pipeline = ctx.pipeline(key, () => matmulWgsl(v));
      }
      // a chunk of f16 rows may end mid-word: bind whole words (the kernels bound-check by M, N)
      const aBind = mChunks.length > 1 ? { buffer: a.buffer, offset: mc.row0 * K * eb, size: Math.ceil((Mc * K * eb) / 4) * 4 } : a;
      const bBind = nChunks.length > 1 ? { buffer: b.buffer, offset: nc.row0 * K * eb, size: Math.ceil((Nc * K * eb) / 4) * 4 } : b;
      const cBind = mChunks.length > 1 ? { buffer: out.buffer, offset: mc.row0 * N * 4, size: Mc * N * 4 } : out;
      ctx.dispatch({
        pipeline,
        bindings: [aBind, bBind, cBind],
        uniforms: params([Mc, Nc, K, M * K, bBroadcast ? 0 : K * N, M * N, N, nc.row0, ceilDiv(K, tile.BK)]),
        workgroups: [ceilDiv(Nc, tile.BN), ceilDiv(Mc, tile.BM), batch],
      });
    }
  }
  return out;
}
