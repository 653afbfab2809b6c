// The WGSL interface shared by the row-wise (attention.ts) and tiled (attention_tiled.ts) attention backward
// kernels: one uniform struct and one binding layout per pass, so the dispatch code binds either pair the same way.

export const ATTN_BWD_PARAMS = `struct P { B: u32, T: u32, Hq: u32, Hkv: u32, scale: f32, n: u32 };`;

/** Pass 1: dQ, and L (logsumexp) and Δ (dO·O) per query row into LD. */
export const DQ_BINDINGS = `
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> O: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dQ: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> LD: array<f32>;
@group(0) @binding(7) var<uniform> p: P;`;

/** Pass 2: dK and dV from pass 1's LD. */
export const DKV_BINDINGS = `
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> LD: array<f32>;
@group(0) @binding(5) var<storage, read_write> dK: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dV: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> p: P;`;
