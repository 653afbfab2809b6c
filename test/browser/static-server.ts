// A minimal static file server for dist/ on the loopback interface, with Framework's clean URLs
// (/page → page.html), the MIME types browsers insist on (application/wasm for streaming) and
// single byte-range requests, as every common static host serves them (the explorer reads the
// examples table piecewise). Every request is recorded for tests to inspect.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".parquet": "application/vnd.apache.parquet",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".onnx": "application/octet-stream",
};

async function resolveFile(root: string, urlPath: string): Promise<string | undefined> {
  const clean = normalize(decodeURIComponent(urlPath.split("?")[0])).replace(/^([/\\])+/, "");
  const base = join(root, clean);
  if (!base.startsWith(root + sep) && base !== root) return undefined;
  for (const candidate of [base, `${base}.html`, join(base, "index.html")]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  return undefined;
}

export interface ServedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
}

export interface StaticServer {
  url: string;
  requests: ServedRequest[];
  close(): Promise<void>;
}

/** "bytes=a-b" | "bytes=a-" | "bytes=-n" → [start, end] inclusive, or undefined if unsatisfiable. */
function parseRange(header: string, size: number): [number, number] | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start <= end && start < size ? [start, end] : undefined;
}

/** `extraHeaders` go on every file served (e.g. `access-control-allow-origin` for cross-origin embeds). */
export async function serveStatic(root: string, extraHeaders: Record<string, string> = {}): Promise<StaticServer> {
  const requests: ServedRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const method = request.method ?? "GET";
    const path = request.url ?? "/";
    const range = request.headers.range;
    const file = await resolveFile(root, path);
    if (!file) {
      requests.push({ method, path, range, status: 404, bytes: 0 });
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const { size } = await stat(file);
    const headers = { ...extraHeaders, "content-type": TYPES[extname(file)] ?? "application/octet-stream", "accept-ranges": "bytes" };
    let status = 200;
    let start = 0;
    let end = size - 1;
    if (range) {
      const span = parseRange(range, size);
      if (!span) {
        requests.push({ method, path, range, status: 416, bytes: 0 });
        response.writeHead(416, { ...headers, "content-range": `bytes */${size}` }).end();
        return;
      }
      [start, end] = span;
      status = 206;
      Object.assign(headers, { "content-range": `bytes ${start}-${end}/${size}` });
    }
    const bytes = method === "HEAD" ? 0 : end - start + 1;
    requests.push({ method, path, range, status, bytes });
    response.writeHead(status, { ...headers, "content-length": String(end - start + 1) });
    if (method === "HEAD") response.end();
    else createReadStream(file, { start, end }).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
