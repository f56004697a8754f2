#!/usr/bin/env node
/**
 * `prestart` and `pretest`: makes `npm start` and `npm test` work as the first commands on a
 * fresh clone. When node_modules is missing, or does not hold what package-lock.json lists
 * (a pull changed the lock), it runs `npm ci` first; otherwise it does nothing.
 * Node built-ins only: it runs before any dependency is installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** npm writes this copy of the lock at the end of every install, listing what is installed. */
const INSTALLED = "node_modules/.package-lock.json";

const missing = firstMissing();
if (missing) {
  console.error(`gofr-auth: ${missing}: running \`npm ci\` first`);
  // The npm that runs this script (npm_execpath), under the same Node.
  const npm = process.env.npm_execpath;
  const [command, args] = npm
    ? [process.execPath, [npm, "ci", "--no-audit", "--no-fund"]]
    : ["npm", ["ci", "--no-audit", "--no-fund"]];
  const result = spawnSync(command, args, { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

/** Why an install is needed, or undefined when every locked package is installed as locked. */
function firstMissing() {
  if (!existsSync(INSTALLED)) return "no node_modules yet";
  const locked = readPackages("package-lock.json");
  const installed = readPackages(INSTALLED);
  for (const [path, entry] of Object.entries(locked)) {
    // "" is the project itself; optional packages for other platforms are never installed.
    if (path === "" || entry.optional) continue;
    if (installed[path]?.version !== entry.version) return `${path} is not installed as locked`;
  }
  return undefined;
}

function readPackages(file) {
  return JSON.parse(readFileSync(file, "utf8")).packages ?? {};
}
