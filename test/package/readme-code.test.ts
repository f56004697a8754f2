import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  allCodeBlocks,
  type CodeBlock,
  cleanEnv,
  codeBlocks,
  runBlock,
  typeCheckBlocks,
} from "./doc-blocks.js";

const run = promisify(execFile);
const tsBlocks = allCodeBlocks().filter((block) => block.lang === "ts");
const temps: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "gofr-auth-readme-"));
  temps.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** The README's Fastify example (the first ts block under "Protect a service"). */
function fastifySnippet(): CodeBlock {
  const block = tsBlocks.find(
    (candidate) => candidate.file === "README.md" && candidate.section === "Protect a service",
  );
  if (!block) throw new Error("README.md has no ts block under 'Protect a service'");
  return block;
}

/** GET /invoices on the snippet's app, as the epilogue of the snippet's own module. */
const ASK_INVOICES = `
const ask = async (token) => {
  const headers = token ? { authorization: "Bearer " + token } : {};
  const response = await app.inject({ method: "GET", url: "/invoices", headers });
  return { status: response.statusCode, body: response.json() };
};
`;

describe("the ts code in README.md and docs/", () => {
  it("type-checks against the package's source, and the check reports a wrong use", () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
    // One program for both (a second one would check the sources again): the docs' blocks
    // and one that passes an option AuthService does not have.
    const [bad] = codeBlocks(
      "broken.md",
      '# x\n```ts\nimport { AuthService } from "gofr-auth";\nnew AuthService({ nope: 1 });\n```\n',
    );
    if (!bad) throw new Error("no block parsed");
    const problems = typeCheckBlocks([...tsBlocks, bad]);
    expect(problems.filter((problem) => !problem.startsWith("broken.md"))).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^broken\.md:4: TS2353 .*'nope'/);
  });

  it("every block marked <!-- run --> runs to completion", async () => {
    const runnable = tsBlocks.filter((block) => block.run);
    expect(runnable.length).toBeGreaterThan(0);
    for (const block of runnable) {
      const result = await runBlock(block, { env: cleanEnv(), cwd: tempDir() }).catch(
        (error: { stderr?: string }) => ({
          failed: `${block.file}:${block.line}\n${error.stderr}`,
        }),
      );
      expect(result).not.toHaveProperty("failed");
    }
  });

  it("the Fastify snippet serves /invoices with auth off (GOFR_BILLING_NO_AUTH=1)", async () => {
    const { stdout } = await runBlock(fastifySnippet(), {
      env: cleanEnv({ GOFR_BILLING_NO_AUTH: "1" }),
      cwd: tempDir(),
      epilogue: `${ASK_INVOICES}\nconsole.log(JSON.stringify(await ask()));\nawait app.close();`,
    });
    // listInvoices (a stub) echoes the subject it was given: the snippet's stand-in.
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual({
      status: 200,
      body: { subject: "dev-no-auth", invoices: [] },
    });
  });

  it("the Fastify snippet guards /invoices with auth on: 401 without a token, 403 outside billing", async () => {
    const cwd = tempDir();
    const env = cleanEnv({ GOFR_BILLING_AUTH_STORE: join(cwd, "auth.db") });
    const cli = (...args: string[]) =>
      run(
        process.execPath,
        [resolve("dist/cli/main.js"), "--env-prefix", "GOFR_BILLING", ...args],
        {
          cwd,
          env,
        },
      );
    await cli("init");
    await cli("groups", "create", "billing");
    const { stdout } = await runBlock(fastifySnippet(), {
      env,
      cwd,
      epilogue: `${ASK_INVOICES}
const billing = await plane.auth.createToken({ groups: ["billing"] });
const admin = await plane.auth.createToken({ groups: ["admin"] });
console.log(JSON.stringify({
  billingSubject: (await plane.auth.verifyToken(billing.token)).subject,
  none: await ask(),
  billing: await ask(billing.token),
  admin: await ask(admin.token),
}));
await app.close();
await plane.close();`,
    });
    const seen = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    expect(seen.none.status).toBe(401);
    expect(seen.none.body.code).toBe("token_missing");
    expect(seen.billing).toEqual({
      status: 200,
      body: { subject: seen.billingSubject, invoices: [] },
    });
    expect(seen.admin.status).toBe(403);
  });
});
