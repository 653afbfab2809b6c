// Bundles loaders/browser/compress-and-evaluate.ts (and everything it imports from loaders/ and kernels/) into one
// ES module for the page, with esbuild. The loaders keep their Node-only code (writing checkpoints, hashing files,
// git provenance) in the same modules as the code a page needs; in this bundle the Node built-ins they import
// resolve to stand-ins whose every export throws "<name> of node:<module> is not available in the browser", so
// a browser path that reached the file system would fail naming it. File access of the browser path goes through
// FileStore (loaders/util/file-store.ts).
import { build, type Plugin } from "esbuild";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";

export const BROWSER_ENTRY = fileURLToPath(new URL("./compress-and-evaluate.ts", import.meta.url));

const NODE_BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, "\\/")).join("|")})$`);

/** node:* (and bare built-in names) → a module with the same export names, each throwing when used. */
const nodeBuiltinsUnavailable: Plugin = {
  name: "node-builtins-unavailable",
  setup(b) {
    b.onResolve({ filter: NODE_BUILTIN }, (args) => ({ path: args.path.replace(/^node:/, ""), namespace: "node-unavailable" }));
    b.onLoad({ filter: /.*/, namespace: "node-unavailable" }, async (args) => {
      const real = (await import(/* @vite-ignore */ `node:${args.path}`)) as Record<string, unknown>;
      const names = Object.keys(real).filter((k) => k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k));
      const lines = [
        `const unavailable = (name) => function () { throw new Error(name + " of node:${args.path} is not available in the browser"); };`,
        ...names.map((k) => `export const ${k} = unavailable(${JSON.stringify(k)});`),
        `export default new Proxy({}, { get: (_, k) => unavailable(String(k)) });`,
      ];
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

/** The page's runtime as one minified ES module (its text). */
export async function bundleBrowserRuntime(): Promise<string> {
  const result = await build({
    entryPoints: [BROWSER_ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    // the Node-only Dawn binding (kernels/runtime/device.ts imports it only where process.versions.node is set)
    external: ["webgpu"],
    plugins: [nodeBuiltinsUnavailable],
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
