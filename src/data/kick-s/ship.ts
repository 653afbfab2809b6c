// Copies one file of kick-s's checkpoint (the playground's model folder) to stdout, refusing names it does not have.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PLAYGROUND_MODEL_DIR } from "../playground-model.js";

export const KICK_S_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"] as const;

export function shipKickSFile(name: string): void {
  if (!(KICK_S_FILES as readonly string[]).includes(name)) throw new Error(`kick-s: the site ships no file "${name}" (${KICK_S_FILES.join(", ")})`);
  process.stdout.write(readFileSync(join(PLAYGROUND_MODEL_DIR, name)));
}
