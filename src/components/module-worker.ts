// A module worker from a script URL that may be on another origin. Browsers refuse
// `new Worker(url)` across origins (an embed on someone else's page loads DuckDB's worker from this
// site), so there the worker is a same-origin blob that imports the script — which works where the
// site sends `Access-Control-Allow-Origin` (docs/report.md, § Embedding a chart).
export function moduleWorker(url: string): Worker {
  const absolute = new URL(url, document.baseURI);
  if (absolute.origin === location.origin) return new Worker(absolute.href, { type: "module" });
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(absolute.href)};\n`], { type: "text/javascript" }));
  return new Worker(shim, { type: "module" });
}
