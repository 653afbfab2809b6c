// Elementwise references in float64. erf by series / continued fraction (accurate to ~1e-15),
// independent of the Abramowitz–Stegun approximation the WGSL kernel uses.
export function erf(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 2.5) {
    // Maclaurin series: erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z, sum = z;
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc z = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...)))))
    let f = z;
    for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const UNARY_REF: Record<string, (x: number, s: number) => number> = {
  silu: (x) => x * sigmoid(x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(x, 0),
  sigmoid,
  tanh: Math.tanh,
  exp: Math.exp,
  neg: (x) => -x,
  abs: Math.abs,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  scale: (x, s) => x * s,
};
export const BINARY_REF: Record<string, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  max: Math.max,
  swiglu: (x, y) => UNARY_REF.silu(x, 0) * y,
  geglu: (x, y) => UNARY_REF.gelu(x, 0) * y,
};

export function unaryRef(op: string, x: Float32Array, s = 1): Float32Array {
  return Float32Array.from(x, (v) => UNARY_REF[op](v, s));
}
/** b broadcast by repetition (a trailing-dims shape of a). */
export function binaryRef(op: string, a: Float32Array, b: Float32Array): Float32Array {
  return Float32Array.from(a, (v, i) => BINARY_REF[op](v, b[i % b.length]));
}
