// The "Compress it yourself" page's runtime: loaders/browser/compress-and-evaluate.ts and what it imports (the
// compression driver, kernels, evaluators) bundled into one ES module (loaders/browser/bundle.ts).
import { bundleBrowserRuntime } from "../../../loaders/browser/bundle.js";

process.stdout.write(await bundleBrowserRuntime());
