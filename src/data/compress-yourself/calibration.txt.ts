// The calibration text of "Compress it yourself": the start of kick's corpus (data/corpus/train-000.txt, what
// `kick compress --calib corpus` reads), as many characters as the page's largest setting tokenizes
// (calibrationChars), so a page run calibrates on exactly the windows of the CLI run with the same settings.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { calibrationChars } from "../../../loaders/compress/calibration.js";
import { MAX_CALIBRATION } from "./shipped.js";

const text = readFileSync(join(process.cwd(), "data/corpus/train-000.txt"), "utf8");
let n = calibrationChars(MAX_CALIBRATION);
if (/[\uD800-\uDBFF]/.test(text[n - 1] ?? "")) n++; // never end inside a surrogate pair
process.stdout.write(text.slice(0, n));
