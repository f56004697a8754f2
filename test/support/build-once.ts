/**
 * Vitest global setup: compiles the package to dist/ once, before any test file runs, for
 * the tests that run what a user runs (`node dist/cli/main.js`, `import "gofr-auth"`).
 * One build, so that parallel test files never read a half-written dist/.
 */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
