// File access behind one small interface, so the model, calibration and task-suite readers run in Node (files
// in a folder: node-file-store.ts) and in the browser (files fetched from the site: fetchFileStore below) with
// the same code. Names are relative to the store ("config.json", "model.safetensors").

/** Random access to one file's bytes (a Node file handle, or bytes already in memory). */
export interface ByteReader {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `into[offset…]`; returns how many were read (0 at the end). */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface FileStore {
  /** Where a file is, for messages: its path on disk or its URL. */
  where(name: string): string;
  has(name: string): Promise<boolean>;
  /** The file as UTF-8 text; throws naming `where(name)` when it cannot be read. */
  readText(name: string): Promise<string>;
  openBytes(name: string): Promise<ByteReader>;
}

/** A ByteReader over bytes in memory. */
export function bytesReader(bytes: Uint8Array): ByteReader {
  return {
    size: bytes.byteLength,
    async read(into, offset, length, position) {
      const n = Math.max(0, Math.min(length, bytes.byteLength - position));
      into.set(bytes.subarray(position, position + n), offset);
      return n;
    },
    async close() {},
  };
}

export class FileStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FileStoreError";
  }
}

/**
 * Files served over HTTP: `urls` maps each name to its URL (a page's FileAttachment hrefs); a name it lacks does
 * not exist. Each file is fetched when first read and then kept (a model is read tensor by tensor).
 * `onBytes` reports download progress per file (bytes so far, total or null when the server gives no length).
 */
export function fetchFileStore(
  urls: Record<string, string>,
  { signal, onBytes }: { signal?: AbortSignal; onBytes?: (name: string, loaded: number, total: number | null) => void } = {},
): FileStore {
  const cache = new Map<string, Promise<Uint8Array>>();
  const urlOf = (name: string) => {
    const url = urls[name];
    if (url === undefined) throw new FileStoreError(`${name}: not among the files this page ships (${Object.keys(urls).join(", ")})`);
    return url;
  };
  const fetchBytes = (name: string): Promise<Uint8Array> => {
    let p = cache.get(name);
    if (!p) {
      p = download(name, urlOf(name), signal, onBytes);
      p.catch(() => cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };
  return {
    where: (name) => urls[name] ?? name,
    has: async (name) => name in urls,
    readText: async (name) => new TextDecoder().decode(await fetchBytes(name)),
    openBytes: async (name) => bytesReader(await fetchBytes(name)),
  };
}

async function download(name: string, url: string, signal: AbortSignal | undefined, onBytes?: (name: string, loaded: number, total: number | null) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new FileStoreError(`${url}: could not be fetched (${(e as Error).message})`);
  }
  if (!response.ok) throw new FileStoreError(`${url}: HTTP ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  if (!response.body || !onBytes) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onBytes(name, loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
