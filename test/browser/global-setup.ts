// Builds the site once before the browser tests (KICK_SKIP_BUILD=1 reuses an existing dist/).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export default function setup(): void {
  if (process.env.KICK_SKIP_BUILD === "1" && existsSync("dist/index.html")) return;
  execFileSync("npm", ["run", "build", "--silent"], { stdio: ["ignore", "inherit", "inherit"] });
}
