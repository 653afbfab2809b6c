// The FileStore of a folder on disk (file-store.ts): what every Node path (kick's CLI, sweeps, data loaders) reads
// checkpoints through. Safetensors files are read with positional reads, never whole.
import { existsSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ByteReader, FileStore } from "./file-store.js";

export function nodeFileStore(dir: string): FileStore {
  return {
    where: (name) => join(dir, name),
    has: async (name) => existsSync(join(dir, name)),
    readText: (name) => readFile(join(dir, name), "utf8"),
    openBytes: (name) => fileReader(join(dir, name)),
  };
}

/** Positional reads of one file through a handle (closed by the reader's close). */
export async function fileReader(path: string): Promise<ByteReader> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    return {
      size,
      read: async (into, offset, length, position) => (await handle.read(into, offset, length, position)).bytesRead,
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
