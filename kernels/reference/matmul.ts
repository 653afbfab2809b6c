// Plain-TypeScript matmul with float64 accumulation: the ground truth for the WGSL kernel.
export function matmulRef(
  a: Float32Array, b: Float32Array, batch: number, M: number, N: number, K: number,
  opts: { transA?: boolean; transB?: boolean; broadcastB?: boolean } = {},
): Float32Array {
  const c = new Float32Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K, bo = opts.broadcastB ? 0 : z * K * N, co = z * M * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = opts.transA ? a[ao + k * M + i] : a[ao + i * K + k];
          const bv = opts.transB ? b[bo + j * K + k] : b[bo + k * N + j];
          s += av * bv;
        }
        c[co + i * N + j] = s;
      }
  }
  return c;
}
