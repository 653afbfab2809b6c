// IEEE 754 half precision on the CPU (Node 20 has no Float16Array / Math.f16round): the bit
// patterns f16 tensors are uploaded as, and the rounding the f16 kernels' references apply.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half-precision bit pattern nearest to x (round to nearest, ties to even; overflow → ±inf). */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0); // inf, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal half (or zero): shift the full significand into place, rounding to even
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift, rest = m & ((1 << shift) - 1), mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (man >>> 13), rest = man & 0x1fff;
  // a carry out of the significand correctly bumps the exponent (up to inf)
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f, man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

export const f16Round = (x: number) => f16ToF32(f16Bits(x));

/** f32 data as half bit patterns, ready for ctx.upload. */
export function toF16Bits(x: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f16Bits(x[i]);
  return out;
}

export function fromF16Bits(h: ArrayLike<number>): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = f16ToF32(h[i]);
  return out;
}
