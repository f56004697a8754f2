/**
 * Installing the repository: `npm start` and `npm test` are the README's first commands on a
 * fresh clone, so their `prestart`/`pretest` (scripts/ensure-deps.mjs) install what the lock
 * lists when it is missing (checked in a small project with one locked dependency, a local
 * tarball, so no registry is involved); and `prepare` builds only where there is a src/.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { npmEnv } from "./npm-env.js";

const run = promisify(execFile);
const ENSURE = resolve("scripts/ensure-deps.mjs");
const work = mkdtempSync(join(tmpdir(), "gofr-auth-fresh-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * What a pull that changes the lock does to `project`: a new package.json, package-lock.json
 * and dependency `dep` (a packed one-file package at `version`), made in a scratch folder
 * (npm would also update node_modules' own record if it locked in place).
 */
async function pullLockedDependency(project: string, version: string): Promise<void> {
  const scratch = join(work, `scratch-${version}`);
  const source = join(scratch, "dep");
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, "package.json"), JSON.stringify({ name: "dep", version }));
  writeFileSync(join(source, "index.js"), `module.exports = ${JSON.stringify(version)};\n`);
  const env = npmEnv();
  const packed = await run("npm", ["pack", "--pack-destination", scratch], { cwd: source, env });
  const tarball = packed.stdout.trim().split("\n").at(-1) ?? "";
  const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  manifest.dependencies = { dep: `file:./${tarball}` };
  writeFileSync(join(scratch, "package.json"), JSON.stringify(manifest, null, 2));
  await run("npm", ["install", "--package-lock-only", "--ignore-scripts"], { cwd: scratch, env });
  for (const file of ["package.json", "package-lock.json", tarball]) {
    copyFileSync(join(scratch, file), join(project, file));
  }
}

describe("installing where only package.json and the lock are copied (the Dockerfile's stages)", () => {
  it("prepare has nothing to build and succeeds; with src/ it runs the build", async () => {
    const project = join(work, "manifest-only");
    mkdirSync(project);
    const manifest = JSON.parse(readFileSync("package.json", "utf8"));
    // The real prepare, with a stand-in build to see whether it runs.
    manifest.scripts = {
      prepare: manifest.scripts.prepare,
      build: "node -e \"console.log('built')\"",
    };
    writeFileSync(join(project, "package.json"), JSON.stringify(manifest));
    const prepare = () => run("npm", ["run", "prepare"], { cwd: project, env: npmEnv() });
    expect((await prepare()).stdout).not.toContain("built");
    mkdirSync(join(project, "src"));
    expect((await prepare()).stdout).toContain("built");
  });
});

describe("npm test on a fresh clone", () => {
  it("the repository's start and test scripts install first", () => {
    const { scripts } = JSON.parse(readFileSync("package.json", "utf8"));
    expect(scripts.prestart).toBe("node scripts/ensure-deps.mjs");
    expect(scripts.pretest).toBe("node scripts/ensure-deps.mjs");
  });

  it("installs the locked dependencies before the tests, once, and again when the lock changes", async () => {
    const project = join(work, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "fresh",
        private: true,
        scripts: {
          pretest: `node ${JSON.stringify(ENSURE)}`,
          test: `node -e "console.log('dep', require('dep'))"`,
        },
      }),
    );
    await pullLockedDependency(project, "1.0.0");
    const npmTest = () => run("npm", ["test"], { cwd: project, env: npmEnv() });

    const first = await npmTest();
    expect(first.stderr).toContain("no node_modules yet: running `npm ci` first");
    expect(first.stdout).toContain("dep 1.0.0");

    const second = await npmTest();
    expect(second.stderr).not.toContain("npm ci");
    expect(second.stdout).toContain("dep 1.0.0");

    await pullLockedDependency(project, "1.0.1");
    const third = await npmTest();
    expect(third.stderr).toContain("node_modules/dep is not installed as locked");
    expect(third.stdout).toContain("dep 1.0.1");
  }, 60_000);
});
