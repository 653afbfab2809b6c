// Flips against the dense model (src/components/flips-sql.ts), computed over the results store's
// results and examples tables → Parquet on stdout. An absent store gives an empty table.
import { withStore } from "../../loaders/figures/results-store.js";
import { writeParquetToStdout, type Row } from "../../loaders/store/parquet.js";
import { FLIPS_SCHEMA, FLIPS_SQL } from "../components/flips-sql.js";

const rows = await withStore([], (query) => query(FLIPS_SQL));
process.stderr.write(`[flips] ${rows.length} compressed cells paired with their dense model\n`);
await writeParquetToStdout(rows as Row[], FLIPS_SCHEMA);
