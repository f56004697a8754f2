/**
 * A rehearsal of `docker compose up` without Docker: the real docker/vault-init.sh (with a
 * `vault` CLI stand-in speaking HTTP to the Vault double), then the auth-init command line
 * and environment from compose.yml run as the image runs it (`node dist/cli/main.js ...`),
 * then the web and mcp services' main() with their compose command lines and environments.
 * Only what a container changes is changed: the Vault URL points at the double and
 * /run/gofr-secrets at a temp folder; the policies are the real files.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as mcpMain } from "../../examples/mcp/main.js";
import type { MainResult } from "../../examples/shared/main.js";
import { main as webMain } from "../../examples/web/main.js";
import { silentLogger } from "../../src/log.js";
import { VaultDouble } from "../../src/testing/index.js";
import {
  argvOf,
  type ComposeService,
  envOf,
  envPrefixOf,
  loadStack,
  REPO_ROOT,
  scriptRoles,
} from "./stack.js";

const stack = loadStack();
const ROOT_TOKEN = `rehearsal-${process.pid}-${Date.now()}`;
const JWT = /\beyJ[\w-]+\.[\w-]+\.[\w-]+\b/g;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process: the Vault double answers from here. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function composeService(name: string): ComposeService {
  const found = stack.compose.services[name];
  if (!found) throw new Error(`no service ${name} in compose.yml`);
  return found;
}

describe("compose rehearsal against the Vault double", { timeout: 60_000 }, () => {
  let vault: VaultDouble;
  let dir: string;
  let creds: string;
  let bin: string;
  let chownLog: string;
  const initEnv = envOf(composeService("vault-init"));
  const credsDirInCompose = initEnv.CREDS_DIR ?? "";

  /** The compose env of `name`, with Vault and the creds folder moved to this machine. */
  function localEnv(name: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(envOf(composeService(name)))) {
      if (key.endsWith("_VAULT_URL") || key === "VAULT_ADDR") env[key] = vault.url;
      else if (value.startsWith(`${credsDirInCompose}/`)) {
        env[key] = join(creds, posix.basename(value));
      } else env[key] = value;
    }
    return env;
  }

  function runVaultInit(): Promise<Ran> {
    const env = localEnv("vault-init");
    // The hashicorp/vault image's /bin/sh is BusyBox ash (Alpine): run the script with the
    // same shell (.ci/run installs Debian's busybox), not this machine's dash.
    return run("busybox", ["sh", join(REPO_ROOT, "docker/vault-init.sh")], {
      ...env,
      VAULT_TOKEN: ROOT_TOKEN, // compose: ${VAULT_DEV_ROOT_TOKEN:?...}
      CREDS_DIR: creds,
      POLICY_DIR: join(REPO_ROOT, "docker/policies"),
      WAIT_SECONDS: "5",
      CHOWN_LOG: chownLog,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    });
  }

  function runAuthInit(): Promise<Ran> {
    return runAdminCli(argvOf(composeService("auth-init").command));
  }

  /** The CLI as `docker compose run --rm auth-init <args>` runs it: the admin AppRole. */
  function runAdminCli(args: string[]): Promise<Ran> {
    return run("node", [join(REPO_ROOT, "dist/cli/main.js"), ...args], {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      ...localEnv("auth-init"),
    });
  }

  /** Status of a read of `secret/data/<path>` with `token`. */
  async function readStatus(token: string, path: string): Promise<number> {
    const response = await fetch(`${vault.url}/v1/secret/data/${path}`, {
      headers: { "X-Vault-Token": token },
    });
    await response.body?.cancel();
    return response.status;
  }

  async function signingSecret(): Promise<{ value: string; version: number }> {
    const response = await fetch(`${vault.url}/v1/secret/data/gofr/config/jwt-signing-secret`, {
      headers: { "X-Vault-Token": ROOT_TOKEN },
    });
    const body = (await response.json()) as {
      data: { data: { value: string }; metadata: { version: number } };
    };
    return { value: body.data.data.value, version: body.data.metadata.version };
  }

  async function appRoleLogin(role: string): Promise<string> {
    const file = JSON.parse(readFileSync(join(creds, `${role}.json`), "utf8"));
    const response = await fetch(`${vault.url}/v1/auth/approle/login`, {
      method: "POST",
      body: JSON.stringify(file),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { auth: { client_token: string } }).auth.client_token;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gofr-compose-"));
    creds = join(dir, "gofr-secrets");
    bin = join(dir, "bin");
    chownLog = join(dir, "chown.log");
    const shim = join(REPO_ROOT, "test/docker/fixtures/vault-cli-shim.mjs");
    mkdirSync(bin);
    writeFileSync(join(bin, "vault"), `#!/bin/sh\nexec node ${shim} "$@"\n`);
    // chown needs root; record what the script asks for instead.
    writeFileSync(join(bin, "chown"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$CHOWN_LOG"\n`);
    chmodSync(join(bin, "vault"), 0o755);
    chmodSync(join(bin, "chown"), 0o755);
    vault = new VaultDouble({ rootToken: ROOT_TOKEN });
    await vault.start();
  });

  afterAll(async () => {
    await vault?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let adminToken = "";
  /** Minted by the admin CLI as gofr-mcp, signed with gofr-mcp's own key. */
  let mcpToken = "";

  it("vault-init creates the secret, policies, AppRoles and 0600 creds files, printing no secret", async () => {
    const result = await runVaultInit();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("signing secret secret/gofr/config/jwt-signing-secret created");
    expect(result.stdout).toContain("transit secrets engine enabled at transit/");

    const secret = await signingSecret();
    expect(secret.version).toBe(1);
    expect(Buffer.from(secret.value, "base64").length).toBeGreaterThanOrEqual(32);
    expect(result.stdout).not.toContain(secret.value);

    const roles = scriptRoles(stack.vaultInit);
    expect(readdirSync(creds).sort()).toEqual(roles.map((r) => `${r.role}.json`).sort());
    const chowns = readFileSync(chownLog, "utf8");
    for (const { role, uid } of roles) {
      const file = join(creds, `${role}.json`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const parsed = JSON.parse(readFileSync(file, "utf8"));
      expect(Object.keys(parsed).sort()).toEqual(["role_id", "secret_id"]);
      expect(result.stdout).not.toContain(parsed.secret_id);
      expect(chowns).toContain(`${uid}:${uid} ${join(creds, `.${role}.json.tmp`)}`);
    }
    expect(statSync(creds).mode & 0o777).toBe(0o755);
  });

  it("vault-init again leaves the signing secret alone and refreshes the creds", async () => {
    const before = await signingSecret();
    const oldCreds = readFileSync(join(creds, "gofr-web.json"), "utf8");
    const result = await runVaultInit();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("present (unchanged)");
    expect(result.stdout).not.toContain("transit secrets engine enabled"); // mounted once
    expect(await signingSecret()).toEqual(before);
    await appRoleLogin("gofr-web"); // the new creds work
    // ... and the old secret_id no longer does: valid secret_ids do not pile up across runs.
    const stale = await fetch(`${vault.url}/v1/auth/approle/login`, {
      method: "POST",
      body: oldCreds,
    });
    expect(stale.status).toBe(400);
    for (const { role } of scriptRoles(stack.vaultInit)) {
      const listed = await fetch(`${vault.url}/v1/auth/approle/role/${role}/secret-id?list=true`, {
        headers: { "X-Vault-Token": ROOT_TOKEN },
      });
      const body = (await listed.json()) as { data: { keys: string[] } };
      expect(body.data.keys, role).toHaveLength(1);
    }
  });

  it("each service reads its own issuer's secret and the shared one, never the other's", async () => {
    // The admin AppRole gives gofr-mcp its own secret, as an operator would.
    const generated = await runAdminCli(["secrets", "generate", "--issuer", "gofr-mcp"]);
    // stderr holds only the CLI's one line naming the store it used.
    expect(generated.stderr.trim()).toMatch(
      /^Store: vault http:\/\/127\.0\.0\.1:\d+ \(secret\/gofr\/auth\)$/,
    );
    expect(generated.status).toBe(0);
    const web = await appRoleLogin("gofr-web");
    const mcp = await appRoleLogin("gofr-mcp");
    const own = (issuer: string) => `gofr/config/jwt-signing-secrets/${issuer}`;
    expect(await readStatus(mcp, own("gofr-mcp"))).toBe(200);
    // With HS256 reading mcp's key would let web mint tokens as gofr-mcp: Vault refuses it.
    expect(await readStatus(web, own("gofr-mcp"))).toBe(403);
    expect(await readStatus(mcp, own("gofr-web"))).toBe(403);
    expect(await readStatus(web, own("gofr-web"))).toBe(404); // allowed, not created yet
    for (const token of [web, mcp]) {
      expect(await readStatus(token, "gofr/config/jwt-signing-secret")).toBe(200); // migrating
      expect(await readStatus(token, own("some-other-issuer"))).toBe(403);
    }
  });

  it("the service policy reads but cannot write; the admin policy can write", async () => {
    const service = await appRoleLogin("gofr-web");
    expect(await readStatus(service, "gofr/config/jwt-signing-secret")).toBe(200);
    const write = (token: string, path: string) =>
      fetch(`${vault.url}/v1/secret/data/${path}`, {
        method: "POST",
        headers: { "X-Vault-Token": token },
        body: JSON.stringify({ data: { value: "x".repeat(40) } }),
      });
    expect((await write(service, "gofr/auth/tokens/forged")).status).toBe(403);
    expect((await write(service, "gofr/config/jwt-signing-secret")).status).toBe(403);
    const admin = await appRoleLogin("gofr-admin-control");
    expect((await write(admin, "gofr/auth/rehearsal-probe")).status).toBe(200);
  });

  it("auth-init (the compose command and env, as the image runs it) prints one admin token", async () => {
    const first = await runAuthInit();
    expect(first.stderr).not.toMatch(JWT);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("Shown once");
    const tokens = first.stdout.match(JWT) ?? [];
    expect(tokens).toHaveLength(1);
    adminToken = tokens[0] ?? "";

    const second = await runAuthInit();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("not shown again");
    expect(second.stdout.match(JWT)).toBeNull();
  });

  it("the admin CLI mints a token as gofr-mcp with gofr-mcp's own key", async () => {
    const created = await runAdminCli([
      "--json",
      "tokens",
      "create",
      "--groups",
      "public",
      "--issuer",
      "gofr-mcp",
      "--expires",
      "1h",
    ]);
    expect(created.status, created.stderr).toBe(0);
    const minted = JSON.parse(created.stdout) as { token: string; kid: string };
    expect(minted.kid).toBe("gofr-mcp.v1");
    mcpToken = minted.token;
  });

  it("the admin CLI creates an EdDSA key on the transit mount; a service reads it, cannot sign", async () => {
    const created = await runAdminCli(["--json", "keys", "create", "--issuer", "deposito"]);
    expect(created.status, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ key: "jwt-deposito", version: 1 });
    const listed = await runAdminCli(["keys", "list"]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^deposito\s+v1\s+signs\s+sha256:/m);
    const web = await appRoleLogin("gofr-web");
    const transit = (method: string, path: string) =>
      fetch(`${vault.url}/v1/transit/${path}`, {
        method,
        headers: { "X-Vault-Token": web },
        body: method === "POST" ? JSON.stringify({ input: "" }) : undefined,
      });
    expect((await transit("GET", "keys/jwt-deposito")).status).toBe(200);
    expect((await transit("POST", "sign/jwt-deposito")).status).toBe(403);
  });

  describe.each([
    { name: "web", main: webMain },
    { name: "mcp", main: mcpMain },
  ])("$name with its compose command line and env", ({ name, main }) => {
    let service: Extract<MainResult, { kind: "running" }>;
    let base = "";

    beforeAll(async () => {
      const compose = composeService(name);
      const argv = argvOf(compose.command);
      argv[argv.indexOf("--port") + 1] = "0"; // any free port here
      const result = await main(argv, {
        env: localEnv(name),
        logger: silentLogger,
        stdout: () => {},
        stderr: () => {},
      });
      if (result.kind !== "running") throw new Error(`${name} exited with ${result.code}`);
      service = result;
      base = `http://127.0.0.1:${new URL(service.url).port}`;
      expect(envPrefixOf(compose)).toBe(`GOFR_${name.toUpperCase()}`);
    });

    afterAll(async () => {
      await service?.close();
    });

    it("listens on 0.0.0.0 and answers /health", async () => {
      expect(service.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    });

    it("refuses a request without a token and accepts auth-init's admin token", async () => {
      expect(adminToken).not.toBe("");
      if (name === "web") {
        expect((await fetch(`${base}/whoami`)).status).toBe(401);
        const whoami = await fetch(`${base}/whoami`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        expect(whoami.status).toBe(200);
        expect(((await whoami.json()) as { groups: string[] }).groups).toContain("admin");
        const ping = await fetch(`${base}/admin/ping`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        expect(ping.status).toBe(200);
      } else {
        const call = (headers: Record<string, string>) =>
          fetch(`${base}/mcp`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              ...headers,
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "initialize",
              params: {
                protocolVersion: "2025-03-26",
                capabilities: {},
                clientInfo: { name: "rehearsal", version: "0" },
              },
            }),
          });
        expect((await call({})).status).toBe(401);
        expect((await call({ authorization: `Bearer ${adminToken}` })).status).toBe(200);
      }
    });

    it("a token signed with gofr-mcp's own key works on mcp only (web neither trusts nor reads it)", async () => {
      expect(mcpToken).not.toBe("");
      const headers = { authorization: `Bearer ${mcpToken}` };
      if (name === "web") {
        const refused = await fetch(`${base}/whoami`, { headers });
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { code: string }).code).toBe("issuer_untrusted");
      } else {
        const accepted = await fetch(`${base}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...headers,
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: {
              protocolVersion: "2025-03-26",
              capabilities: {},
              clientInfo: { name: "rehearsal", version: "0" },
            },
          }),
        });
        expect(accepted.status).toBe(200);
      }
    });
  });
});
