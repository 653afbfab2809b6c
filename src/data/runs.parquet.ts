// The results store's runs table (data/results/runs.parquet, or $KICK_RESULTS_DIR) → Parquet on stdout.
// An absent file gives an empty table; src/data/store.json says what the store has, and the pages explain.
import { writeStoreTableToStdout } from "../../loaders/figures/results-store.js";

await writeStoreTableToStdout("runs");
