// Types for the tree-shaken DuckDB-WASM bundle that scripts/vendor-browser-libs.mjs writes here.
export { AsyncDuckDB, VoidLogger, ConsoleLogger, LogLevel } from "@duckdb/duckdb-wasm";
