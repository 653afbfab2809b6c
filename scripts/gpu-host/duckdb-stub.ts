// Stands in for @duckdb/node-api in GPU-host bundles: DuckDB is a native module that does not travel
// in the kit. Jobs there print or write JSON; Parquet is written back here (e.g. train --export-log).
export class DuckDBInstance {
  static async create(): Promise<never> {
    throw new Error("Parquet/DuckDB is not available in GPU-host bundles: write JSON there and convert it here");
  }
}
