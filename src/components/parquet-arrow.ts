// Parquet bytes → Arrow IPC stream, for DuckDB-WASM. DuckDB-WASM's own Parquet reader is an
// extension it downloads from extensions.duckdb.org, which an offline site cannot do; its Arrow
// import is built in. So Parquet is decoded here with hyparquet (pure JS) and handed over as Arrow.
import { Bool, Float64, Int32, Table, Utf8, tableToIPC, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

interface LeafColumn {
  name: string;
  arrow: () => DataType;
  convert: (value: unknown) => unknown;
}

const asNumber = (value: unknown) => (typeof value === "bigint" ? Number(value) : value);

function leafColumns(metadata: ReturnType<typeof parquetMetadata>, where: string): LeafColumn[] {
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

/** Decodes a flat Parquet file into an Arrow IPC stream. `where` names the file in errors. */
export async function parquetToArrowIPC(bytes: Uint8Array, where: string): Promise<Uint8Array> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new Error(`${where}: not a Parquet file (${(error as Error).message})`);
  }
  const columns = leafColumns(metadata, where);
  const rows = (await parquetReadObjects({ file: buffer, compressors })) as Record<string, unknown>[];
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
