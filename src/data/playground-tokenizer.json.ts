// The playground model's tokenizer.json, as a static asset for @huggingface/tokenizers in the browser.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PLAYGROUND_MODEL_DIR } from "./playground-model.js";

process.stdout.write(readFileSync(join(PLAYGROUND_MODEL_DIR, "tokenizer.json")));
