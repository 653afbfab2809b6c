// Published LLM-KICK Table 3 → Parquet (stdout). Thin: the work lives in loaders/.
import { loadTable3, PUBLISHED_SCHEMA } from "../../loaders/published/llm-kick-table3.js";
import { writeParquetToStdout } from "../../loaders/store/parquet.js";

await writeParquetToStdout(await loadTable3(), PUBLISHED_SCHEMA);
