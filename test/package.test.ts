import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

// What a user of the published package gets (dist/ is built by test/support/build-once.ts).
describe("the built package", () => {
  it("emits JavaScript and type declarations for every export", () => {
    for (const file of ["index.js", "index.d.ts", "testing/index.js", "testing/index.d.ts"]) {
      expect(existsSync(`dist/${file}`), file).toBe(true);
    }
  });

  it("resolves gofr-auth and gofr-auth/testing through the exports map", async () => {
    const script = `
      const lib = await import("gofr-auth");
      const testing = await import("gofr-auth/testing");
      const { auth } = testing.createTestAuthService();
      const { token } = await auth.createToken({ groups: ["admin"] });
      const who = await auth.verifyToken(token);
      console.log(JSON.stringify({ groups: who.groups, isError: new lib.AuthError("token_invalid", "x") instanceof Error }));
    `;
    const { stdout } = await run("node", ["--input-type=module", "-e", script]);
    expect(JSON.parse(stdout)).toEqual({ groups: ["admin", "public"], isError: true });
  });

  it("the CLI entry point answers an unknown command with a usage error, not a stack", async () => {
    const unknown = await run("node", ["dist/cli/main.js", "bogus"]).catch((error) => error);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
