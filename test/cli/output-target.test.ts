/**
 * Issue 17 item 2: `--output` never loses a token. The target is created before anything is
 * minted (an existing file or a missing folder fails while no token exists, in words, not
 * errno), and a failure after minting revokes the token.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deliverOrRevoke, TokenFile } from "../../src/cli/token-file.js";
import { createTestAuthService } from "../../src/testing/index.js";
import { cliHarness } from "./harness.js";

const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;
const ERRNO = /\bE[A-Z]{3,}\b/;

const harnesses: Array<ReturnType<typeof cliHarness>> = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.cleanup();
});

function harness() {
  const created = cliHarness();
  harnesses.push(created);
  return created;
}

async function tokenRecords(h: ReturnType<typeof cliHarness>) {
  const list = await h.run(["--json", "tokens", "list"]);
  return JSON.parse(list.stdout) as Array<{ id: string; name: string | null; status: string }>;
}

describe("tokens create --output", () => {
  it("to an existing file: refused in words before minting, the file left alone", async () => {
    const h = harness();
    await h.run(["init"]);
    const file = join(h.dir, "taken.jwt");
    writeFileSync(file, "keep me\n");
    const run = await h.run(["tokens", "create", "-g", "admin", "--name", "ops", "-o", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`Cannot write the token to ${file}: it already exists`);
    expect(run.stderr).toContain("nothing was minted");
    expect(run.stderr).not.toMatch(ERRNO);
    expect(readFileSync(file, "utf8")).toBe("keep me\n");
    expect((await tokenRecords(h)).map((record) => record.name)).toEqual(["init-admin"]);
    // The name was not used up either.
    const retry = await h.run(["tokens", "create", "-g", "admin", "--name", "ops"]);
    expect(retry.stdout.trim()).toMatch(JWT);
  });

  it("into a missing folder: refused before minting, no errno", async () => {
    const h = harness();
    await h.run(["init"]);
    const run = await h.run(["tokens", "create", "-g", "admin", "-o", join(h.dir, "no/t.jwt")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("its folder does not exist");
    expect(run.stderr).not.toMatch(ERRNO);
    expect(await tokenRecords(h)).toHaveLength(1);
  });

  it("a refused mint (unknown group) leaves no output file behind", async () => {
    const h = harness();
    await h.run(["init"]);
    const file = join(h.dir, "t.jwt");
    const run = await h.run(["tokens", "create", "-g", "ghost", "-o", file]);
    expect(run.code).toBe(1);
    expect(() => readFileSync(file)).toThrow();
  });
});

describe("init --output", () => {
  it("to an existing file mints no admin token; the next init creates and prints it", async () => {
    const h = harness();
    const file = join(h.dir, "admin.jwt");
    writeFileSync(file, "");
    const failed = await h.run(["init", "--output", file]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`Cannot write the token to ${file}: it already exists`);
    expect(failed.stderr).not.toMatch(ERRNO);
    expect(await tokenRecords(h)).toEqual([]);

    const again = await h.run(["init"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Admin token: {4}created init-admin /);
    expect(again.stdout.split("\n").filter((line) => JWT.test(line))).toHaveLength(1);
  });

  it("a revoked admin token is replaced by init-admin-2, as the help says", async () => {
    const h = harness();
    await h.run(["init"]);
    expect((await h.run(["tokens", "revoke", "--name", "init-admin"])).code).toBe(0);
    const again = await h.run(["init"]);
    expect(again.stdout).toMatch(
      /Admin token: {4}created init-admin-2 [0-9a-f-]{36} \(replaces init-admin, revoked\)/,
    );
    const token = again.stdout.split("\n").find((line) => JWT.test(line)) as string;
    expect((await h.run(["tokens", "inspect", token])).stdout).toContain("Status:    VALID");
    expect((await h.run(["init"])).stdout).toContain("init-admin-2");
  });
});

describe("a failure after minting", () => {
  it("revokes the token nobody holds and says so", async () => {
    const { auth } = createTestAuthService();
    const { record } = await auth.createToken({ groups: ["admin"] });
    const failure = await deliverOrRevoke(auth, record.id, async () => {
      throw new Error("disk gone");
    }).then(
      () => new Error("expected a failure"),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toContain(`disk gone; the token ${record.id} was revoked`);
    expect((await auth.getToken(record.id))?.status).toBe("revoked");
  });

  it("a reserved file that is discarded is removed", async () => {
    const h = harness();
    const path = join(h.dir, "reserved.jwt");
    const file = await TokenFile.reserve(path);
    expect(readFileSync(path, "utf8")).toBe("");
    await file.discard();
    expect(() => readFileSync(path)).toThrow();
  });
});
