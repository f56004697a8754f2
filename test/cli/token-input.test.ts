/**
 * Issue 15 item 14: `tokens inspect` and `tokens revoke` read the token from stdin (`-`) or
 * from a file (`--token-file`), so it need not be an argument, which every user sees in
 * `ps` and which stays in shell history; `--help` recommends them.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { MAX_TOKEN_INPUT_BYTES } from "../../src/cli/token-input.js";
import { cliHarness } from "./harness.js";

const JWT = /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/;

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

/** An initialised embedded store and a fresh token named `name` in it. */
async function withToken(name = "piped") {
  const harness = cliHarness();
  harnesses.push(harness);
  expect((await harness.run(["init"])).code).toBe(0);
  const created = await harness.run(["tokens", "create", "--groups", "admin", "--name", name]);
  expect(created.code, created.stderr).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(JWT);
  return { harness, token };
}

/** The CLI in process with `stdin` as its standard input. */
async function runWithStdin(env: NodeJS.ProcessEnv, args: string[], stdin: string) {
  const out: string[] = [];
  const err: string[] = [];
  const limits: number[] = [];
  const code = await runCli(args, {
    env,
    io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text) },
    stdin: async (maxBytes) => {
      limits.push(maxBytes);
      return stdin;
    },
  });
  return { code, stdout: out.join(""), stderr: err.join(""), limits };
}

describe("the token from stdin or a file", () => {
  it("tokens inspect - reads the token from stdin (surrounding white space ignored)", async () => {
    const { harness, token } = await withToken();
    const result = await runWithStdin(
      harness.env,
      ["--json", "tokens", "inspect", "-"],
      `\n${token}\n`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).validity).toEqual({ valid: true });
    expect(result.limits).toEqual([MAX_TOKEN_INPUT_BYTES]);
  });

  it("tokens inspect --token-file reads it from a file", async () => {
    const { harness, token } = await withToken();
    const file = join(harness.dir, "token.txt");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const result = await harness.run(["--json", "tokens", "inspect", "--token-file", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).record.name).toBe("piped");
  });

  it("tokens revoke - revokes the token read from stdin; --token-file takes an id too", async () => {
    const { harness, token } = await withToken();
    const revoked = await runWithStdin(harness.env, ["--json", "tokens", "revoke", "-"], token);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ name: "piped", changed: true });

    const other = await harness.run(["--json", "tokens", "create", "--groups", "admin"]);
    const { id } = JSON.parse(other.stdout) as { id: string };
    const file = join(harness.dir, "id.txt");
    writeFileSync(file, id);
    const byFile = await harness.run(["--json", "tokens", "revoke", "--token-file", file]);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(JSON.parse(byFile.stdout)).toMatchObject({ id, status: "revoked", changed: true });
  });

  it("refuses two sources, an empty stdin, a missing file and an oversized file", async () => {
    const { harness, token } = await withToken();
    const file = join(harness.dir, "token.txt");
    writeFileSync(file, token);
    const both = await harness.run(["tokens", "inspect", token, "--token-file", file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give the token once");

    const empty = await runWithStdin(harness.env, ["tokens", "inspect", "-"], " \n");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("no token in stdin");

    const none = await harness.run(["tokens", "inspect"]);
    expect(none.code).toBe(2);

    const missing = await harness.run(["tokens", "revoke", "--token-file", join(harness.dir, "x")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read the token file .*\(ENOENT\)/);

    const big = join(harness.dir, "big.txt");
    writeFileSync(big, "x".repeat(MAX_TOKEN_INPUT_BYTES + 1));
    const oversized = await harness.run(["tokens", "inspect", "--token-file", big]);
    expect(oversized.code).toBe(1);
    expect(oversized.stderr).toContain(`larger than ${MAX_TOKEN_INPUT_BYTES} bytes`);
  });

  it("--help offers - and --token-file and says why the argument is worse", async () => {
    const { harness } = await withToken();
    for (const command of ["inspect", "revoke"]) {
      const help = await harness.run(["tokens", command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("--token-file <path>");
      expect(help.stdout).toContain("- to read");
      expect(help.stdout).toMatch(/visible to other users in `ps`/);
      expect(help.stdout).toContain("shell history");
    }
  });

  it("the built binary reads a piped token from its real stdin", async () => {
    const { harness, token } = await withToken();
    const child = spawn("node", ["dist/cli/main.js", "--json", "tokens", "inspect", "-"], {
      env: { PATH: process.env.PATH, ...harness.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(`${token}\n`);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).validity).toEqual({ valid: true });
    expect(child.spawnargs).not.toContain(token);
  });
});
