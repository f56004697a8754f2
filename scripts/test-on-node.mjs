#!/usr/bin/env node
/**
 * `npm run test:node24` (or `test:node22`): the test suite under another Node major, without
 * touching this checkout's node_modules (built for the Node that runs `npm test`).
 *
 *   node scripts/test-on-node.mjs <major> [--keep] [vitest args, e.g. test/cli]
 *
 * 1. Installs that Node from the npm registry into a temp folder (npm caches the download).
 * 2. Copies the working tree (tracked and untracked files, not ignored ones) next to it.
 * 3. Runs `npm ci` there under that Node, so better-sqlite3 is compiled for its ABI against
 *    the headers shipped in the same package (no download of headers).
 * 4. Runs `vitest run` there under that Node; the exit code is vitest's.
 * Lint and type-check do not depend on the Node version: `npm test` runs them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";

const [major, ...rest] = process.argv.slice(2);
if (!major || !/^\d+$/.test(major)) {
  console.error("usage: node scripts/test-on-node.mjs <major> [--keep] [vitest args...]");
  process.exit(2);
}
const keep = rest.includes("--keep");
const vitestArgs = rest.filter((arg) => arg !== "--keep");
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

const work = mkdtempSync(join(tmpdir(), `gofr-auth-node${major}-`));
const copy = join(work, "repo");

let status = 1;
try {
  const env = nodeEnv(fetchNode(major, join(work, "node")));
  // What `node` is on the PATH given to npm and vitest: the fetched one.
  const version = execFileSync("node", ["--version"], { encoding: "utf8", env }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`wanted Node ${major}, got ${version}`);
  console.log(`test:node${major}: Node ${version}, copy in ${copy}`);
  copyWorkingTree(copy);
  const install = Date.now();
  step("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: copy, env });
  console.log(`test:node${major}: npm ci took ${seconds(install)}`);
  const tests = Date.now();
  status = step("npx", ["vitest", "run", ...vitestArgs], { cwd: copy, env }, false);
  console.log(`test:node${major}: vitest took ${seconds(tests)} (exit ${status})`);
} finally {
  if (keep) console.log(`test:node${major}: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(`test:node${major}: ${status === 0 ? "passed" : "FAILED"} in ${seconds(started)}`);
process.exit(status);

/**
 * Installs Node `wanted` from the npm registry into `dir`: the platform package that the
 * `node` package itself installs (node-<platform>-<arch>), which also ships the headers
 * node-gyp needs (include/node). Returns its folder.
 */
function fetchNode(wanted, dir) {
  const name = `node-${process.platform}-${process.arch}`;
  const args = ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--no-audit"];
  execFileSync("npm", [...args, "--no-fund", `${name}@${wanted}`], { stdio: "inherit" });
  return join(dir, "node_modules", name);
}

/**
 * An environment where `node` (and so npm, npx and every script) is the fetched one, and
 * node-gyp builds native modules against its headers.
 */
function nodeEnv(home) {
  const env = Object.fromEntries(
    // Drop what the calling npm set up for itself (npm_execpath, npm_config_*, ...).
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
  env.PATH = `${join(home, "bin")}${delimiter}${process.env.PATH ?? ""}`;
  env.npm_config_nodedir = home;
  return env;
}

/** Copies what `git` sees as the working tree: tracked files still present, and new files. */
function copyWorkingTree(target) {
  const listed = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  for (const file of new Set(listed.split("\0").filter(Boolean))) {
    if (!existsSync(file)) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(file, join(target, file));
  }
}

/** Runs a command with inherited output; throws on failure unless `check` is false. */
function step(command, args, options, check = true) {
  const result = spawnSync(command, args, { ...options, stdio: "inherit" });
  const code = result.status ?? 1;
  if (check && code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code})`);
  return code;
}
