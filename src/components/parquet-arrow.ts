// Parquet → Arrow IPC stream, for DuckDB-WASM. DuckDB-WASM's own Parquet reader is an
// extension it downloads from extensions.duckdb.org, which an offline site cannot do; its Arrow
// import is built in. So Parquet is decoded here with hyparquet (pure JS) and handed over as Arrow.
// A file is either bytes in memory or a RemoteParquet: read over HTTP range requests, footer first,
// then only the row groups whose statistics can match a filter (the large examples table).
import { Bool, Float64, Int32, Table, Utf8, tableToIPC, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { parquetMetadata, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData, type ParquetQueryFilter } from "hyparquet";
import { compressors } from "hyparquet-compressors";

interface LeafColumn {
  name: string;
  arrow: () => DataType;
  convert: (value: unknown) => unknown;
}

const asNumber = (value: unknown) => (typeof value === "bigint" ? Number(value) : value);

function leafColumns(metadata: FileMetaData, where: string): LeafColumn[] {
  // schema[0] is the root; flat tables have only leaves after it.
  return metadata.schema.slice(1).map((element) => {
    if (element.num_children) throw new Error(`${where}: nested column "${element.name}" is not supported`);
    const logical = element.converted_type ?? element.logical_type?.type;
    switch (element.type) {
      case "INT32":
        return { name: element.name, arrow: () => new Int32(), convert: asNumber };
      case "INT64": // JavaScript numbers, as the rest of the site expects (exact below 2^53)
      case "FLOAT":
      case "DOUBLE":
        return { name: element.name, arrow: () => new Float64(), convert: asNumber };
      case "BOOLEAN":
        return { name: element.name, arrow: () => new Bool(), convert: (v) => v };
      case "BYTE_ARRAY":
        if (logical === "UTF8" || logical === "STRING") return { name: element.name, arrow: () => new Utf8(), convert: (v) => v };
    }
    throw new Error(`${where}: column "${element.name}" has Parquet type ${element.type}${logical ? `/${logical}` : ""}, which the site does not read`);
  });
}

function rowsToArrowIPC(rows: Record<string, unknown>[], columns: LeafColumn[]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const column of columns) {
    vectors[column.name] = vectorFromArray(
      rows.map((row) => {
        const value = row[column.name];
        return value === null || value === undefined ? null : column.convert(value);
      }),
      column.arrow(),
    );
  }
  return tableToIPC(new Table(vectors), "stream");
}

/** Decodes a flat Parquet file into an Arrow IPC stream. `where` names the file in errors. */
export async function parquetToArrowIPC(bytes: Uint8Array, where: string): Promise<Uint8Array> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new Error(`${where}: not a Parquet file (${(error as Error).message})`);
  }
  const columns = leafColumns(metadata, where);
  const rows = (await parquetReadObjects({ file: buffer, metadata, compressors })) as Record<string, unknown>[];
  return rowsToArrowIPC(rows, columns);
}

// The footer of a small-row-group file fits here; hyparquet's default first read is 512 KiB.
const FOOTER_GUESS = 64 * 1024;

/**
 * A file over HTTP as hyparquet's AsyncBuffer. The first request asks for the last FOOTER_GUESS bytes
 * (a suffix range): its Content-Range gives the size and its body the footer, in one round trip and
 * without a HEAD request. Later reads are byte ranges. A server that ignores Range answers 200 with the
 * whole file, which is then kept and sliced.
 */
async function httpFile(url: string, fetchImpl: typeof fetch): Promise<AsyncBuffer> {
  const get = async (range: string) => {
    const response = await fetchImpl(url, { headers: { Range: range } });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} for ${range}`);
    return response;
  };
  const first = await get(`bytes=-${FOOTER_GUESS}`);
  const body = await first.arrayBuffer();
  if (first.status !== 206) return { byteLength: body.byteLength, slice: (start, end) => body.slice(start, end) };
  const total = Number(/\/(\d+)\s*$/.exec(first.headers.get("content-range") ?? "")?.[1]);
  if (!Number.isFinite(total)) throw new Error(`the server sent a partial response without the file size (Content-Range: ${first.headers.get("content-range")})`);
  const tailStart = total - body.byteLength;
  let whole: ArrayBuffer | undefined;
  return {
    byteLength: total,
    async slice(start, end = total) {
      if (whole) return whole.slice(start, end);
      if (start >= tailStart) return body.slice(start - tailStart, end - tailStart);
      const response = await get(`bytes=${start}-${end - 1}`);
      const bytes = await response.arrayBuffer();
      if (response.status === 206) return bytes;
      whole = bytes;
      return whole.slice(start, end);
    },
  };
}

/** A Parquet file on a web server, read piecewise: byte ranges (or the whole file once where a server ignores Range). */
export class RemoteParquet {
  private constructor(
    readonly url: string,
    private readonly file: AsyncBuffer,
    private readonly metadata: FileMetaData,
  ) {}

  /** Reads the footer (schema and row-group statistics) only. */
  static async open(url: string, fetchImpl: typeof fetch = globalThis.fetch): Promise<RemoteParquet> {
    const file = await httpFile(url, fetchImpl);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file, { initialFetchSize: Math.min(FOOTER_GUESS, file.byteLength) });
    } catch (error) {
      throw new Error(`${url}: not a Parquet file (${(error as Error).message})`);
    }
    leafColumns(metadata, url); // fail now on a column the site cannot read
    return new RemoteParquet(url, file, metadata);
  }

  get columns(): string[] {
    return this.metadata.schema.slice(1).map((element) => element.name);
  }

  /** The rows matching `filter` (row groups whose min/max cannot match are never fetched), as Arrow IPC. */
  async arrowWhere(filter: ParquetQueryFilter): Promise<Uint8Array> {
    const rows = (await parquetReadObjects({ file: this.file, metadata: this.metadata, compressors, filter })) as Record<string, unknown>[];
    return rowsToArrowIPC(rows, leafColumns(this.metadata, this.url));
  }
}
