// The dense playground model as an ONNX decoder (f32), exported at build time.
import { exportOnnxFromDir } from "../../loaders/onnx/export.js";
import { PLAYGROUND_MODEL_DIR, PLAYGROUND_VARIANTS } from "./playground-model.js";

const { bytes } = await exportOnnxFromDir(PLAYGROUND_MODEL_DIR, PLAYGROUND_VARIANTS[0].options);
process.stdout.write(bytes);
