/**
 * The built `gofr-auth` binary run as a child process, as an operator runs it, against the
 * embedded store and against the Vault double (root token, and the admin AppRole with a
 * creds file as in the compose stack). dist/ is built by test/support/build-once.ts.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { policyRules } from "../support/policy-rules.js";

const execFileAsync = promisify(execFile);
const JWT = /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}$/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only our variables: nothing from the developer's shell leaks into the child. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

async function gofrAuth(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync("node", ["dist/cli/main.js", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface Backend {
  name: string;
  setUp(dir: string): Promise<NodeJS.ProcessEnv>;
  tearDown(): Promise<void>;
}

let double: VaultDouble | undefined;

const backends: Backend[] = [
  {
    name: "embedded store",
    setUp: async (dir) => cleanEnv({ GOFR_AUTH_STORE: join(dir, "auth.db") }),
    tearDown: async () => {},
  },
  {
    name: "Vault double, root token",
    setUp: async () => {
      double = new VaultDouble();
      const url = await double.start();
      return cleanEnv({ GOFR_VAULT_URL: url, GOFR_VAULT_TOKEN: double.rootToken });
    },
    tearDown: async () => {
      await double?.close();
    },
  },
  {
    name: "Vault double, admin AppRole creds file",
    setUp: async (dir) => {
      double = new VaultDouble();
      const url = await double.start();
      // The compose stack's own admin policy: the CLI must work with exactly these rights.
      const rules = policyRules("docker/policies/gofr-admin.hcl");
      expect(Object.keys(rules).length).toBeGreaterThan(3);
      double.setPolicy("gofr-admin", rules);
      const { roleId, secretId } = double.addAppRole("gofr-admin-control", {
        policies: ["gofr-admin"],
      });
      const credsFile = join(dir, "admin.json");
      await writeFile(credsFile, JSON.stringify({ role_id: roleId, secret_id: secretId }), {
        mode: 0o600,
      });
      return cleanEnv({
        GOFR_VAULT_URL: url,
        GOFR_VAULT_CREDS_FILE: credsFile,
        GOFR_VAULT_PATH_PREFIX: "gofr/auth",
      });
    },
    tearDown: async () => {
      await double?.close();
    },
  },
];

describe.each(backends)("gofr-auth as a child process: $name", (backend) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gofr-cli-child-"));
    env = await backend.setUp(dir);
  });
  afterAll(async () => {
    await backend.tearDown();
    await rm(dir, { recursive: true, force: true });
  });

  it("init twice: the first creates and prints one admin token, the second changes nothing", async () => {
    const first = await gofrAuth(["init"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split("\n").filter((line) => JWT.test(line))).toHaveLength(1);
    const second = await gofrAuth(["init", "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report).toMatchObject({
      secret: { created: false },
      groups: { created: [] },
      adminToken: { created: false },
    });
    expect(second.stdout).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it("groups, tokens and secrets: happy paths with --json parsed", async () => {
    expect((await gofrAuth(["groups", "create", "billing"], env)).code).toBe(0);
    const groups = JSON.parse((await gofrAuth(["--json", "groups", "list"], env)).stdout);
    expect(groups.map((group: { name: string }) => group.name).sort()).toEqual([
      "admin",
      "billing",
      "public",
    ]);

    const created = await gofrAuth(
      ["tokens", "create", "--groups", "billing", "--name", "billing-api", "--expires", "1d"],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(JWT);

    const inspected = JSON.parse(
      (await gofrAuth(["--json", "tokens", "inspect", token], env)).stdout,
    );
    expect(inspected.validity).toEqual({ valid: true });
    expect(inspected.claims.groups).toEqual(["billing"]);

    const revoked = await gofrAuth(["tokens", "revoke", "--name", "billing-api"], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = await gofrAuth(["--json", "tokens", "inspect", token], env);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout).validity).toMatchObject({
      valid: false,
      code: "token_revoked",
    });

    const list = JSON.parse(
      (await gofrAuth(["--json", "tokens", "list", "--status", "revoked"], env)).stdout,
    );
    expect(list.map((record: { name: string }) => record.name)).toEqual(["billing-api"]);

    const before = JSON.parse((await gofrAuth(["--json", "secrets", "status"], env)).stdout);
    const rotated = await gofrAuth(["secrets", "rotate", "--yes"], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const status = JSON.parse((await gofrAuth(["--json", "secrets", "status"], env)).stdout);
    const shared = (rows: { issuer: string; version: number; fingerprint: string }[]) =>
      rows.find((row) => row.issuer === "shared");
    expect(shared(status)?.version).toBe((shared(before)?.version ?? 0) + 1);
    expect(shared(status)?.fingerprint).not.toBe(shared(before)?.fingerprint);
  });

  it("a usage error exits 2 with a hint; a store-level failure exits 1 with one error line", async () => {
    const usage = await gofrAuth(["tokens", "create"], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--groups/);

    const missing = await gofrAuth(["groups", "defunct", "no-such-group"], env);
    expect(missing.code).toBe(1);
    const lines = missing.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^error: /);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("gofr-auth as a child process: Vault down", () => {
  it("exits 1 with one line naming the unreachable Vault, not a stack trace", async () => {
    const stopped = new VaultDouble();
    const url = await stopped.start();
    await stopped.close();
    const run = await gofrAuth(
      ["groups", "list"],
      cleanEnv({
        GOFR_VAULT_URL: url,
        GOFR_VAULT_TOKEN: "hvs.not-a-real-token",
        GOFR_VAULT_TIMEOUT: "2",
      }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*vault/im);
    expect(run.stderr).toContain("hint");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toContain("hvs.not-a-real-token");
  });
});
