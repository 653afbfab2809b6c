// Progress on stderr: rate and ETA, at most a few lines a second (one line per update when not a TTY).
export class Progress {
  private readonly t0 = performance.now();
  private last = 0;

  constructor(private readonly label: string, private readonly unit: string) {}

  /** `done` of `total` steps, each worth `perStep` units (tokens). */
  update(done: number, total: number, perStep = 1, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 250 && done < total) return;
    this.last = now;
    const s = (now - this.t0) / 1000;
    const rate = (done * perStep) / Math.max(s, 1e-9);
    const eta = done > 0 ? ((total - done) * s) / done : NaN;
    const line = `${this.label} ${done}/${total} · ${rate.toFixed(1)} ${this.unit}/s · ${s.toFixed(1)} s${done < total && Number.isFinite(eta) ? ` · ETA ${eta.toFixed(1)} s` : ""}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K${done >= total ? "\n" : ""}` : `${line}\n`);
  }
}
