// The compressed playground model: kick-s quantized by kick's GPTQ (4-bit, group 128) as MatMulNBits, exported at
// build time; the tied embedding / LM head table 4-bit RTN (see playground-model.ts).
import { playgroundArtifacts } from "../../loaders/onnx/playground.js";
import { PLAYGROUND_CACHE, PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE } from "./playground-model.js";

const { q4 } = await playgroundArtifacts(PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE, PLAYGROUND_CACHE, (m) => console.error(`[playground] ${m}`));
process.stdout.write(q4);
