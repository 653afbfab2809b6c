// kick-s's JSON files (config, tokenizer, tokenizer_config, generation_config) as the site serves them to
// "Compress it yourself", byte for byte from data/models/kick-s.
import { parseArgs } from "node:util";
import { shipKickSFile } from "./ship.js";

const { values } = parseArgs({ options: { file: { type: "string" } } });
shipKickSFile(`${values.file ?? ""}.json`);
