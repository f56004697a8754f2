/**
 * Issue 17 item 9 (CLI): one exit-code table, kept by every command and shown in the
 * --help epilogue and the README. Input that is neither a token id nor a token is a usage
 * error (2), like any other malformed value; a well-formed token that fails is a failure (1).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_CODES_HELP } from "../../src/cli/output.js";
import { cliHarness } from "./harness.js";

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

async function initialised() {
  const harness = cliHarness();
  harnesses.push(harness);
  await harness.run(["init"]);
  return harness;
}

describe("exit codes", () => {
  it("tokens revoke with input that is neither a token id nor a token: usage error 2, not echoed", async () => {
    const harness = await initialised();
    for (const input of ["not-a-token", "3f2b8c1e", "a.b"]) {
      const run = await harness.run(["tokens", "revoke", input]);
      expect(run.code, input).toBe(2);
      expect(run.stderr).toMatch(/^error: expected a token id \(a UUID/);
      expect(run.stderr).not.toContain(input);
    }
  });

  it("tokens revoke of a well-formed id or token that fails: 1", async () => {
    const harness = await initialised();
    const unknown = await harness.run(["tokens", "revoke", "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("[token_not_found]");
    const forged = await harness.run(["tokens", "revoke", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"]);
    expect(forged.code).toBe(1);
  });

  it("missing confirmations and malformed values are 2; refusals of the store are 1", async () => {
    const harness = await initialised();
    const cases: Array<[string[], number]> = [
      [["secrets", "rotate"], 2],
      [["secrets", "delete", "--issuer", "x"], 2],
      [["tokens", "create", "-g", "admin", "-e", "soon"], 2],
      [["tokens", "list", "--status", "paused"], 2],
      [["doctor", "--fix", "--offline"], 2],
      [["secrets", "rotate", "--issuer", "nobody", "--yes"], 1],
      [["groups", "defunct", "no-such-group"], 1],
    ];
    for (const [args, code] of cases) {
      expect((await harness.run(args)).code, args.join(" ")).toBe(code);
    }
  });

  it("the table is in the --help epilogue and, word for word, in the README", async () => {
    const harness = cliHarness();
    harnesses.push(harness);
    const help = await harness.run(["--help"]);
    expect(help.stdout).toContain(EXIT_CODES_HELP);
    expect(readFileSync("README.md", "utf8")).toContain(EXIT_CODES_HELP);
  });
});
