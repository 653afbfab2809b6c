// The subgroup-matrix variants the f16 sweep times (bench/f16-sweep.ts) and checks (bench/f16-check.ts):
// sizes "BMxBNxBK/WMxWN" (workgroup tile, K-tile, one subgroup's piece) and options (kernels/ops/
// matmul_sgmat_wgsl.ts): ":n8" the M16 N8 K16 configuration, ":pad0" no row padding (what lets K-tiles
// of 32 fit 48 KiB at 128×256), ":dB"/":dAB" operands loaded straight from global memory, ":w4" staging
// as vec4<f16> (one workgroup store per fetched vec4).
export const F16_SWEEP = [
  // the previous default and its neighbours
  "128x256x16/64x64", "128x256x16/64x64:n8", "128x256x16/64x64:pad0", "256x128x16/64x64",
  // K-tiles of 32 and 64
  "128x256x32/64x64:pad0", "128x256x32/64x64:n8:pad0", "256x128x32/64x64:pad0", "128x128x32/64x64", "128x128x32/64x64:n8",
  "64x128x64/32x64:pad0", "128x128x64/64x64:pad0:dB",
  // B (or both) straight from global memory: fewer barriers and workgroup stores
  "128x256x16/64x64:dB", "128x256x32/64x64:dB", "128x256x64/64x64:dB", "256x128x32/64x64:dB", "64x256x64/64x64:dB",
  "128x128x32/64x64:dAB", "128x256x32/64x64:dAB", "64x64x32/32x32:dAB", "128x128x32/32x64:dAB",
  // one workgroup store per vec4
  "128x256x16/64x64:w4", "128x256x32/64x64:pad0:w4", "128x128x32/64x64:w4", "128x256x16/64x64:n8:w4",
  // smaller grids for the 2048-row shapes
  "128x128x16/64x64", "64x128x32/32x64", "128x128x32/32x64",
];
