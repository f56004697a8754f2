/**
 * Issue 17 item 1: only `init` creates a store. Any other command pointed at a missing
 * embedded store (a mistyped <PREFIX>_AUTH_STORE, or the relative default run from another
 * folder) refuses, names the file it tried and how to point at the right one, and creates
 * nothing; after a command the human output names the store it used.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { cliHarness } from "./harness.js";

const execFileAsync = promisify(execFile);
const CLI = resolve("dist/cli/main.js");

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

function harnessAt(relative: string) {
  const harness = cliHarness();
  harnesses.push(harness);
  harness.env.GOFR_AUTH_STORE = join(harness.dir, relative);
  return harness;
}

describe("a missing store", () => {
  it.each([
    [["tokens", "list"]],
    [["secrets", "status"]],
    [["groups", "list"]],
    [["tokens", "create", "--groups", "admin"]],
    [["secrets", "rotate", "--yes"]],
  ])("%j refuses it, names the file and the variable, and creates nothing", async (args) => {
    const harness = harnessAt("mistyped/auth.db");
    const run = await harness.run(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const [error, hint] = run.stderr.split("\n");
    expect(error).toBe(
      `error: No embedded store at ${harness.env.GOFR_AUTH_STORE} (GOFR_AUTH_STORE is ${harness.env.GOFR_AUTH_STORE}) [store_unavailable]`,
    );
    expect(hint).toMatch(/^hint: point GOFR_AUTH_STORE at the store's file .*gofr-auth init/);
    expect(existsSync(join(harness.dir, "mistyped"))).toBe(false);
  });

  it("the relative default, run from another folder: names that folder and creates nothing", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "gofr-cwd-"));
    try {
      const failure = await execFileAsync("node", [CLI, "tokens", "list"], {
        cwd: elsewhere,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      }).catch((error: { code: number; stdout: string; stderr: string }) => error);
      expect(failure).toMatchObject({ code: 1, stdout: "" });
      const { stderr } = failure as { stderr: string };
      expect(stderr).toContain(`No embedded store at ${join(elsewhere, ".gofr-auth/auth.db")}`);
      expect(stderr).toContain(
        `GOFR_AUTH_STORE is unset: the default ./.gofr-auth/auth.db is relative to the current directory ${elsewhere}`,
      );
      expect(existsSync(join(elsewhere, ".gofr-auth"))).toBe(false);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("a usage error does not create the store either (init with a bad duration)", async () => {
    const harness = harnessAt("new/auth.db");
    expect((await harness.run(["init", "--admin-expires", "soon"])).code).toBe(2);
    expect(existsSync(join(harness.dir, "new"))).toBe(false);
  });
});

describe("naming the store used", () => {
  it("init creates the store; later commands name it in one line on stderr (not with --json)", async () => {
    const harness = harnessAt("auth.db");
    const init = await harness.run(["init"]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`Store:          sqlite ${harness.env.GOFR_AUTH_STORE}`);
    expect(init.stderr).toBe(""); // init's own output names it already

    const list = await harness.run(["tokens", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("Total: 1 tokens");
    expect(list.stderr).toBe(`Store: sqlite ${harness.env.GOFR_AUTH_STORE}\n`);

    const json = await harness.run(["--json", "tokens", "list"]);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toHaveLength(1);
  });
});
