// What the results store has (per table: present, rows, columns, missing schema columns; whether it
// is the synthetic test fixture), so pages can say what is missing and how to produce it.
import { storeStatus } from "../../loaders/figures/results-store.js";

process.stdout.write(`${JSON.stringify(await storeStatus(), null, 2)}\n`);
