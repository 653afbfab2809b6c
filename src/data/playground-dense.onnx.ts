// The dense playground model (kick-s) as an ONNX decoder (f32), exported at build time.
import { playgroundArtifacts } from "../../loaders/onnx/playground.js";
import { PLAYGROUND_CACHE, PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE } from "./playground-model.js";

const { dense } = await playgroundArtifacts(PLAYGROUND_MODEL_DIR, PLAYGROUND_RECIPE, PLAYGROUND_CACHE, (m) => console.error(`[playground] ${m}`));
process.stdout.write(dense);
