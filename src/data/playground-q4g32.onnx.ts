// The compressed playground model: 4-bit grouped weights (MatMulNBits), exported at build time.
import { exportOnnxFromDir } from "../../loaders/onnx/export.js";
import { PLAYGROUND_MODEL_DIR, PLAYGROUND_VARIANTS } from "./playground-model.js";

const { bytes } = await exportOnnxFromDir(PLAYGROUND_MODEL_DIR, PLAYGROUND_VARIANTS[1].options);
process.stdout.write(bytes);
