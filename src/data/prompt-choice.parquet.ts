// The soft prompt reported for each checkpoint, chosen on validation items (loaders/prompt/selection.ts), from the
// committed prompt cards of data/prompts → Parquet on stdout. No prompts: an empty table.
import { writeParquetToStdout, type Row } from "../../loaders/store/parquet.js";
import { choosePrompts, PROMPT_CHOICE_SCHEMA, readPromptCards } from "../../loaders/prompt/selection.js";

const rows = choosePrompts(readPromptCards("data/prompts"));
process.stderr.write(`[prompt-choice] ${rows.length} checkpoints with a prompt chosen on validation items\n`);
await writeParquetToStdout(rows as unknown as Row[], PROMPT_CHOICE_SCHEMA);
