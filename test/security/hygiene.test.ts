/**
 * Secret hygiene: with a known, distinctive signing secret in the Vault double, run the CLI,
 * the reference services and the Vault fault paths, keep everything they say (stdout,
 * stderr, log lines with their fields and error causes, HTTP bodies and headers, metrics,
 * MCP tool results, error objects) and look for:
 *
 * - the signing secret (raw, base64, base64url, hex, or a 20-character piece of it), and
 *   every other secret value seen (rotated and generated versions, a weak one);
 * - any token: whole, or its signature part (with the printed claims, a signature is as good
 *   as the token) -- except the single print of a new token by `init` / `tokens create`;
 * - the Vault root token, the AppRole secret_ids, or any issued Vault token (`hvs.`).
 *
 * Each test scans what it collected; the last one scans everything against everything
 * learned by then (secrets rotated later, tokens minted later).
 */
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main as mcpMain } from "../../examples/mcp/main.js";
import type { MainResult } from "../../examples/shared/main.js";
import { main as webMain } from "../../examples/web/main.js";
import { createWebServer } from "../../examples/web/server.js";
import { AuthService } from "../../src/auth-service.js";
import { runCli } from "../../src/cli/program.js";
import { isAuthError } from "../../src/errors.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { PERMISSION_DENIED_BODY, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { captureLogger, type LogEntry } from "../support/capture-logger.js";
import { forgeToken, withPayload } from "../support/forge.js";
import { hostileTokens } from "./catalogue.js";

const SECRET = `hyg-${randomBytes(33).toString("base64url")}`; // 48 characters
const ROOT_TOKEN = `hvs.hygiene-root-${randomBytes(12).toString("hex")}`;
/** Any Vault service token the double issues (`hvs.` + 24 base64url) or we made up. */
const VAULT_TOKEN = /hvs\.[\w-]{16,}/;
const JWT_LINE = /^[\w-]+\.[\w-]+\.[\w-]+$/m;

// ---- what must never appear -------------------------------------------------------------

const secrets = new Set<string>([SECRET]);
const tokens = new Set<string>();
const vaultCredentials = new Set<string>([ROOT_TOKEN]);

function needles(): Array<[label: string, value: string]> {
  const out: Array<[string, string]> = [];
  for (const secret of secrets) {
    const bytes = Buffer.from(secret, "utf8");
    out.push(
      ["secret", secret],
      ["secret (base64)", bytes.toString("base64")],
      ["secret (base64url)", bytes.toString("base64url")],
      ["secret (hex)", bytes.toString("hex")],
      ["secret (first 20 characters)", secret.slice(0, 20)],
      ["secret (last 20 characters)", secret.slice(-20)],
    );
  }
  for (const token of tokens) {
    out.push(["token", token]);
    const signature = token.split(".")[2];
    if (signature && signature.length >= 20) out.push(["token signature", signature]);
  }
  for (const credential of vaultCredentials) out.push(["vault credential", credential]);
  return out;
}

function addToken(token: string): string {
  if (token.length >= 20) tokens.add(token);
  return token;
}

// ---- what was said ----------------------------------------------------------------------

interface Output {
  where: string;
  text: string;
}
const everything: Output[] = [];

/** A recorder for one test; every output also goes to the file-wide list. */
function recorder() {
  const outputs: Output[] = [];
  return {
    outputs,
    add(where: string, text: string) {
      const output = { where, text };
      outputs.push(output);
      everything.push(output);
    },
  };
}

/** A log entry in every form a log sink could render it, causes and stacks included. */
function renderLog(entry: LogEntry): string {
  return [
    entry.level,
    entry.message,
    JSON.stringify(entry.fields),
    inspect(entry.fields, { depth: 10, breakLength: Number.POSITIVE_INFINITY }),
  ].join(" ");
}

/** An error as `console.error` would print it: message, stack, details, cause chain. */
function renderError(error: unknown): string {
  return inspect(error, { depth: 10, breakLength: Number.POSITIVE_INFINITY });
}

function findLeaks(outputs: readonly Output[]): string[] {
  const list = needles();
  const found: string[] = [];
  for (const { where, text } of outputs) {
    for (const [label, value] of list) {
      if (text.includes(value)) found.push(`${label} in ${where}`);
    }
    const vaultToken = VAULT_TOKEN.exec(text);
    if (vaultToken) found.push(`a Vault token (${vaultToken[0].slice(0, 8)}...) in ${where}`);
  }
  return [...new Set(found)];
}

/** Names a token in a label without printing it. */
function label(args: readonly string[]): string {
  return args.map((arg) => (tokens.has(arg) || arg.length > 60 ? "<token>" : arg)).join(" ");
}

// ---- anything written to the process directly, or to the console -----------------------

const processRecorder = recorder();
beforeAll(() => {
  for (const stream of [process.stdout, process.stderr]) {
    const name = stream === process.stdout ? "process.stdout" : "process.stderr";
    const write = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      processRecorder.add(name, String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      processRecorder.add(`console.${method}`, args.map((arg) => renderError(arg)).join(" "));
      original(...args);
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

// ---- the Vault double and an operator plane ----------------------------------------------

let vault: VaultDouble;
let url: string;

beforeAll(async () => {
  vault = new VaultDouble({ rootToken: ROOT_TOKEN });
  url = await vault.start();
  vault.putSecret(SHARED_SECRET_NAME, { value: SECRET });
  vault.setPolicy("hygiene-all", {
    "secret/*": ["write", "read", "delete", "list"],
    "sys/*": ["read"],
  });
});
afterAll(() => vault.close());

/** Every version of every secret path in the double, as values that must not leak. */
function learnStoredSecrets(): void {
  for (const path of [SHARED_SECRET_NAME, issuerSecretName("hyg-svc")]) {
    for (let version = 1; version <= 20; version += 1) {
      const value = vault.readSecret(path, { version })?.value;
      if (typeof value === "string") secrets.add(value);
    }
  }
}

/** Loggers of the operator planes, scanned by the last test. */
const operatorLoggers: Array<ReturnType<typeof captureLogger>> = [];

/** An operator's AuthService on the double (root token), as the CLI would build it. */
function operatorPlane(clock: () => number = Date.now) {
  const logger = captureLogger();
  operatorLoggers.push(logger);
  const client = new VaultClient({
    address: url,
    auth: { method: "token", token: ROOT_TOKEN },
    retryBaseDelayMs: 0,
    logger,
  });
  const auth = new AuthService({
    store: new VaultAuthStore({ client, logger }),
    secretProvider: new JwtSecretProvider({
      source: new VaultSecretSource({ client }),
      logger,
      clock,
    }),
    clock,
    logger,
  });
  return { auth, client };
}

function running(result: MainResult) {
  if (result.kind !== "running") throw new Error(`expected a running service, got ${result.code}`);
  return result;
}

async function fetchText(
  rec: ReturnType<typeof recorder>,
  where: string,
  input: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(input, init);
  const text = await response.text();
  rec.add(`${where} body`, text);
  rec.add(`${where} headers`, JSON.stringify([...response.headers]));
  return { status: response.status, text };
}

// ---- tests ----------------------------------------------------------------------------------

describe("secret hygiene", () => {
  let user: string;
  let admin: string;
  let expired: string;
  let revoked: string;
  let tampered: string;
  let forged: string;
  let catalogue: string[];

  beforeAll(async () => {
    const { auth, client } = operatorPlane();
    await auth.groups.ensureReservedGroups();
    user = addToken((await auth.createToken({ groups: ["public"], name: "hyg-user" })).token);
    admin = addToken((await auth.createToken({ groups: ["admin"], name: "hyg-admin" })).token);
    const past = operatorPlane(() => Date.now() - 2 * 3600_000);
    expired = addToken(
      (await past.auth.createToken({ groups: ["public"], expiresInSeconds: 60 })).token,
    );
    const toRevoke = await auth.createToken({ groups: ["public"] });
    revoked = addToken(toRevoke.token);
    await auth.revokeToken(toRevoke.record.id);
    const claims = JSON.parse(Buffer.from(user.split(".")[1] as string, "base64url").toString());
    tampered = addToken(withPayload(user, { ...claims, groups: ["admin"] }));
    forged = addToken(forgeToken({ alg: "HS256", typ: "JWT" }, claims, `${SECRET}-not`));
    catalogue = hostileTokens(SECRET, Math.floor(Date.now() / 1000))
      .map((entry) => entry.token)
      .filter((token) => /^[\x21-\x7e]+$/.test(token) && token.length < 8192)
      .map(addToken);
    await client.close();
    await past.client.close();
  });

  it("the web reference service (started from env, on Vault) never says a secret or a token", async () => {
    const rec = recorder();
    const logger = captureLogger();
    const out: string[] = [];
    const service = running(
      await webMain(["--port", "0"], {
        env: { GOFR_VAULT_URL: url, GOFR_VAULT_TOKEN: ROOT_TOKEN, JWT_SECRET_KEY: SECRET },
        logger,
        stdout: (text) => out.push(text),
        stderr: (text) => out.push(text),
      }),
    );
    const base = service.url;
    const call = (path: string, authorization?: string) =>
      fetchText(rec, `web GET ${path}`, `${base}${path}`, {
        headers: authorization ? { authorization } : {},
      });
    try {
      const statuses: Record<string, number> = {};
      statuses.health = (await call("/health")).status;
      statuses.ready = (await call("/ready")).status;
      statuses.anonymous = (await call("/whoami")).status;
      statuses.user = (await call("/whoami", `Bearer ${user}`)).status;
      statuses.adminPing = (await call("/admin/ping", `Bearer ${admin}`)).status;
      statuses.userPing = (await call("/admin/ping", `Bearer ${user}`)).status;
      for (const [name, token] of Object.entries({ expired, revoked, tampered, forged })) {
        statuses[name] = (await call("/whoami", `Bearer ${token}`)).status;
      }
      statuses.twoTokens = (await call("/whoami", `Bearer ${user} ${admin}`)).status;
      statuses.basic = (
        await call("/whoami", `Basic ${Buffer.from(`x:${SECRET}`).toString("base64")}`)
      ).status;
      for (const token of catalogue) await call("/whoami", `Bearer ${token}`);
      expect(statuses).toEqual({
        health: 200,
        ready: 200,
        anonymous: 401,
        user: 200,
        adminPing: 200,
        userPing: 403,
        expired: 401,
        revoked: 401,
        tampered: 401,
        forged: 401,
        twoTokens: 401,
        basic: 401,
      });

      // Vault fault paths, each on a token whose record is not cached yet.
      const operator = operatorPlane();
      const fresh = async () =>
        addToken((await operator.auth.createToken({ groups: ["public"] })).token);
      // Counted faults match only token-record reads: the service's change-marker poll (its
      // own timer) must not use them up before the request under test arrives.
      const records = { path: "/v1/secret/data/gofr/auth/tokens/" };
      const faults: Array<[string, () => void, () => void]> = [
        ["sealed", () => vault.seal(), () => vault.unseal()],
        ["500 three times", () => vault.failNext(3, 500, { match: records }), () => {}],
        [
          "403",
          () => vault.failNext(1, 403, { body: PERMISSION_DENIED_BODY, match: records }),
          () => {},
        ],
        ["dropped connections", () => vault.dropNext(3, records), () => {}],
        ["malformed JSON", () => vault.malformedNext(1, records), () => {}],
      ];
      for (const [name, begin, end] of faults) {
        const token = await fresh();
        begin();
        const answer = await call("/whoami", `Bearer ${token}`);
        end();
        expect(answer.status, name).toBe(503);
      }
      await operator.client.close();
      expect((await call("/metrics")).text).toContain("gofr_auth_verifications_total");
    } finally {
      await service.close();
    }
    rec.add("web main stdout/stderr", out.join(""));
    for (const entry of logger.entries) rec.add(`web log "${entry.message}"`, renderLog(entry));
    expect(logger.entries.length).toBeGreaterThan(5); // the denials and outages were logged
    expect(findLeaks(rec.outputs)).toEqual([]);
  });

  it("the MCP reference service (started from env, on Vault) never says a secret or a token", async () => {
    const rec = recorder();
    const logger = captureLogger();
    const out: string[] = [];
    const service = running(
      await mcpMain(["--port", "0"], {
        env: { GOFR_VAULT_URL: url, GOFR_VAULT_TOKEN: ROOT_TOKEN, JWT_SECRET_KEY: SECRET },
        logger,
        stdout: (text) => out.push(text),
        stderr: (text) => out.push(text),
      }),
    );
    const post = (authorization?: string) =>
      fetchText(rec, "mcp POST /mcp", `${service.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      });
    try {
      const client = new Client({ name: "hygiene", version: "0.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${admin}` } },
        }),
      );
      try {
        const tools = await client.listTools();
        rec.add("mcp tools/list", JSON.stringify(tools));
        const who = await client.callTool({ name: "whoami", arguments: {} });
        rec.add("mcp whoami", JSON.stringify(who));
        expect(JSON.stringify(who)).toContain('"authenticated":true');
        rec.add(
          "mcp echo",
          JSON.stringify(await client.callTool({ name: "echo", arguments: { text: "hi" } })),
        );
      } finally {
        await client.close();
      }
      expect((await post()).status).toBe(401);
      for (const token of [expired, revoked, tampered, forged, ...catalogue]) {
        expect((await post(`Bearer ${token}`)).status).toBe(401);
      }
      const operator = operatorPlane();
      const token = addToken((await operator.auth.createToken({ groups: ["public"] })).token);
      await operator.client.close();
      vault.seal();
      try {
        expect((await post(`Bearer ${token}`)).status).toBe(500); // the SDK's outage status
      } finally {
        vault.unseal();
      }
    } finally {
      await service.close();
    }
    rec.add("mcp main stdout/stderr", out.join(""));
    for (const entry of logger.entries) rec.add(`mcp log "${entry.message}"`, renderLog(entry));
    expect(findLeaks(rec.outputs)).toEqual([]);
  });

  it("Vault fault paths: errors, logs and responses of the plane name no secret or credential", async () => {
    const rec = recorder();
    const logger = captureLogger();
    const creds = vault.addAppRole("hyg-web", { policies: ["hygiene-all"] });
    vaultCredentials.add(creds.secretId);
    const client = new VaultClient({
      address: url,
      auth: { method: "approle", ...creds },
      timeoutMs: 300,
      maxRetries: 1,
      retryBaseDelayMs: 0,
      logger,
    });
    const provider = new JwtSecretProvider({ source: new VaultSecretSource({ client }), logger });
    const store = new VaultAuthStore({ client, logger });
    const auth = new AuthService({ store, secretProvider: provider, logger });
    const { app } = await createWebServer({ auth, logger });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const operator = operatorPlane();
    const codes: Record<string, string[]> = {};
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const attempt = async (name: string, run: () => Promise<unknown>) => {
        const seen = codes[name] ?? [];
        codes[name] = seen;
        try {
          await run();
          seen.push("ok");
        } catch (error) {
          seen.push(isAuthError(error) ? error.code : "other");
          rec.add(`error (${name})`, renderError(error));
        }
      };
      const faults: Array<[string, () => void]> = [
        ["sealed", () => vault.seal()],
        ["500", () => vault.failNext(8, 500)],
        ["403", () => vault.failNext(8, 403, { body: PERMISSION_DENIED_BODY })],
        ["dropped", () => vault.dropNext(8)],
        ["malformed", () => vault.malformedNext(8)],
        ["slow", () => vault.setLatency(800)],
        [
          // Vault never does this, but if an answer quoted our own credential, the client
          // knows it and must scrub it.
          "an error body quoting the secret_id",
          () => vault.failNext(8, 400, { body: { errors: [`bad secret_id ${creds.secretId}`] } }),
        ],
      ];
      for (const [name, begin] of faults) {
        const token = addToken((await operator.auth.createToken({ groups: ["public"] })).token);
        provider.invalidate();
        begin();
        await attempt(name, () => provider.refresh());
        await attempt(name, () => store.getToken(crypto.randomUUID()));
        await attempt(name, () => store.listTokens());
        await attempt(name, () => client.lookupSelf());
        for (const path of ["/ready", "/whoami"]) {
          await fetchText(rec, `web (${name}) GET ${path}`, `${base}${path}`, {
            headers: { authorization: `Bearer ${token}` },
          });
        }
        vault.clearFaults();
        vault.unseal();
      }
      // Logins that fail: wrong secret_id, and Vault refusing the login outright.
      const wrongSecretId = `${crypto.randomUUID()}`;
      vaultCredentials.add(wrongSecretId);
      const wrong = new VaultClient({
        address: url,
        auth: { method: "approle", roleId: creds.roleId, secretId: wrongSecretId },
        retryBaseDelayMs: 0,
        logger,
      });
      await attempt("wrong secret_id", () => wrong.login());
      await wrong.close();
      const badToken = `hvs.hygiene-wrong-${randomBytes(12).toString("hex")}`;
      vaultCredentials.add(badToken);
      const unknown = new VaultClient({
        address: url,
        auth: { method: "token", token: badToken },
        retryBaseDelayMs: 0,
        logger,
      });
      await attempt("unknown token", () => unknown.kv().read(SHARED_SECRET_NAME));
      await unknown.close();
    } finally {
      vault.clearFaults();
      vault.unseal();
      await app.close();
      await client.close();
      await operator.client.close();
    }
    // Every fault really failed every call (so the scan below looked at real errors).
    for (const name of [
      "sealed",
      "500",
      "403",
      "dropped",
      "malformed",
      "slow",
      "an error body quoting the secret_id",
    ]) {
      expect(codes[name], name).not.toContain("ok");
    }
    // Vault's quoted text did reach the error, scrubbed.
    const quoted = rec.outputs.find((output) => output.where.includes("quoting the secret_id"));
    expect(quoted?.text).toContain("bad secret_id [redacted]");
    expect(codes["wrong secret_id"]).toEqual(["vault_permission_denied"]);
    expect(codes["unknown token"]).toEqual(["vault_permission_denied"]);
    for (const entry of logger.entries) rec.add(`plane log "${entry.message}"`, renderLog(entry));
    expect(rec.outputs.filter((output) => output.where.startsWith("error")).length).toBeGreaterThan(
      20,
    );
    expect(findLeaks(rec.outputs)).toEqual([]);
  });

  it("the CLI on Vault (token and AppRole) prints a new token once and nothing else secret", async () => {
    const rec = recorder();
    const creds = vault.addAppRole("hyg-cli", { policies: ["hygiene-all"] });
    vaultCredentials.add(creds.secretId);
    const tokenEnv = {
      GOFR_VAULT_URL: url,
      GOFR_VAULT_TOKEN: ROOT_TOKEN,
      // Legacy variables holding the secret: ignored (doctor names them), never printed.
      JWT_SECRET_KEY: SECRET,
      GOFR_JWT_SECRET: SECRET,
    };
    const appRoleEnv = {
      GOFR_VAULT_URL: url,
      GOFR_VAULT_ROLE_ID: creds.roleId,
      GOFR_VAULT_SECRET_ID: creds.secretId,
    };
    const run = async (args: string[], env: NodeJS.ProcessEnv = tokenEnv) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runCli(args, {
        env,
        io: { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) },
      });
      return { args, code, stdout: stdout.join(""), stderr: stderr.join("") };
    };
    type Run = Awaited<ReturnType<typeof run>>;
    const keep = (result: Run, printed?: string) => {
      let stdout = result.stdout;
      if (printed) {
        // The one allowed print: exactly once, on stdout.
        expect(stdout.split(printed).length - 1, `${label(result.args)} prints the token`).toBe(1);
        stdout = stdout.replace(printed, "[the new token, printed once]");
      }
      rec.add(`gofr-auth ${label(result.args)} stdout`, stdout);
      rec.add(`gofr-auth ${label(result.args)} stderr`, result.stderr);
      return result;
    };
    const newToken = (result: Run, json = false): string => {
      const token = json
        ? (JSON.parse(result.stdout).token ?? JSON.parse(result.stdout).adminToken?.token)
        : JWT_LINE.exec(result.stdout)?.[0];
      expect(token, `${label(result.args)} printed a token`).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      return addToken(token as string);
    };

    const init = await run(["--debug", "init"]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain("present, unchanged"); // the known secret was used
    keep(init, newToken(init));
    const again = keep(await run(["--json", "init"]));
    expect(JSON.parse(again.stdout).adminToken.token).toBeUndefined();

    const created = await run([
      "--debug",
      "tokens",
      "create",
      "--groups",
      "admin",
      "--name",
      "hyg-ops",
    ]);
    expect(created.code).toBe(0);
    const ops = newToken(created);
    keep(created, ops);
    const createdJson = await run([
      "--json",
      "tokens",
      "create",
      "--groups",
      "public",
      "--name",
      "hyg-json",
    ]);
    keep(createdJson, newToken(createdJson, true));

    const codes: Record<string, number> = {};
    const step = async (name: string, args: string[], env?: NodeJS.ProcessEnv) => {
      const result = keep(await run(args, env));
      codes[name] = result.code;
      return result;
    };
    /** doctor's exit code depends on the machine (it flags 127.0.0.1 inside a container). */
    const doctor = async (args: string[], env?: NodeJS.ProcessEnv) => {
      const result = keep(await run(args, env));
      return `${result.stdout}${result.stderr}`;
    };
    const doctorSaid: Record<string, string> = {};
    await step("tokens list", ["--debug", "tokens", "list"]);
    await step("tokens list --json", ["--json", "tokens", "list", "--status", "active"]);
    await step("inspect valid", ["--debug", "tokens", "inspect", ops]);
    await step("inspect valid --json", ["--json", "tokens", "inspect", admin]);
    await step("inspect tampered", ["tokens", "inspect", tampered]);
    await step("inspect forged", ["--json", "tokens", "inspect", forged]);
    await step("inspect garbage", ["--debug", "tokens", "inspect", `x.${SECRET}.y`]);
    await step("revoke by token", ["--debug", "tokens", "revoke", ops]);
    await step("revoke again", ["--json", "tokens", "revoke", ops]);
    await step("revoke by name", ["tokens", "revoke", "--name", "hyg-json"]);
    await step("groups create", ["--debug", "groups", "create", "hyg-finance"]);
    await step("groups list", ["--json", "groups", "list", "--include-defunct"]);
    await step("secrets status", ["--debug", "secrets", "status"]);
    doctorSaid.plain = await doctor(["--debug", "doctor"]);
    doctorSaid.json = await doctor(["--json", "doctor"]);
    doctorSaid.legacy = await doctor(["--debug", "doctor"], {
      ...tokenEnv,
      GOFR_SECRET_SOURCE: "env",
    });
    await step("secrets status, legacy env source", ["--debug", "secrets", "status"], {
      ...tokenEnv,
      GOFR_SECRET_SOURCE: "env",
    });
    // AppRole instead of a token.
    await step("approle tokens list", ["--debug", "tokens", "list"], appRoleEnv);
    doctorSaid.approle = await doctor(["--debug", "doctor"], appRoleEnv);
    await step("approle secrets status", ["--json", "secrets", "status"], appRoleEnv);
    await step("approle wrong secret_id", ["--debug", "tokens", "list"], {
      ...appRoleEnv,
      GOFR_VAULT_SECRET_ID: `wrong-${creds.secretId}`,
    });
    vaultCredentials.add(`wrong-${creds.secretId}`);
    const badToken = `hvs.hygiene-cli-${randomBytes(12).toString("hex")}`;
    vaultCredentials.add(badToken);
    await step("unknown vault token", ["--debug", "tokens", "list"], {
      ...tokenEnv,
      GOFR_VAULT_TOKEN: badToken,
    });
    doctorSaid.unknownToken = await doctor(["--debug", "doctor"], {
      ...tokenEnv,
      GOFR_VAULT_TOKEN: badToken,
    });
    // Vault faults under the CLI.
    vault.seal();
    await step("sealed", ["--debug", "secrets", "status"]);
    vault.unseal();
    vault.failNext(1, 403, { body: PERMISSION_DENIED_BODY });
    await step("403", ["--debug", "tokens", "list"]);
    vault.malformedNext(1);
    await step("malformed", ["--debug", "secrets", "status"]);
    vault.failNext(1, 400, { body: { errors: [`no handler for token ${ROOT_TOKEN}`] } });
    const quoting = await step("error body quoting the token", ["--debug", "tokens", "list"]);
    expect(quoting.stderr).toContain("no handler for token [redacted]");
    vault.clearFaults();
    // Issuer secrets and rotation: new values, never printed.
    await step("secrets generate", ["--debug", "secrets", "generate", "--issuer", "hyg-svc"]);
    await step("secrets rotate issuer", [
      "--json",
      "secrets",
      "rotate",
      "--issuer",
      "hyg-svc",
      "--yes",
    ]);
    await step("secrets status issuers", ["--debug", "secrets", "status", "--issuer", "hyg-svc"]);
    await step("secrets rotate", ["--debug", "secrets", "rotate", "--yes"]);
    // A weak secret in Vault: the refusal names its length, not its value.
    const weak = `weak-${randomBytes(8).toString("hex")}`;
    secrets.add(weak);
    vault.putSecret(SHARED_SECRET_NAME, { value: weak });
    await step("weak secret: create", ["--debug", "tokens", "create", "--groups", "public"]);
    doctorSaid.weak = await doctor(["--debug", "doctor"]);
    vault.putSecret(SHARED_SECRET_NAME, { value: SECRET });
    learnStoredSecrets();

    expect(codes).toEqual({
      "tokens list": 0,
      "tokens list --json": 0,
      "inspect valid": 0,
      "inspect valid --json": 0,
      "inspect tampered": 1,
      "inspect forged": 1,
      "inspect garbage": 1,
      "revoke by token": 0,
      "revoke again": 0,
      "revoke by name": 0,
      "groups create": 0,
      "groups list": 0,
      "secrets status": 0,
      "secrets status, legacy env source": 0,
      "approle tokens list": 0,
      "approle secrets status": 0,
      "approle wrong secret_id": 1,
      "unknown vault token": 1,
      sealed: 1,
      "403": 1,
      malformed: 1,
      "error body quoting the token": 1,
      "secrets generate": 0,
      "secrets rotate issuer": 0,
      "secrets status issuers": 0,
      "secrets rotate": 0,
      "weak secret: create": 1,
    });
    // doctor got as far as the secret each time (and said so without its value).
    expect(doctorSaid.plain).toMatch(/secret_ok: .* sha256:[0-9a-f]{12}/);
    expect(doctorSaid.json).toContain('"secret_ok"');
    expect(doctorSaid.legacy).toContain("secret_source_env");
    expect(doctorSaid.approle).toMatch(/secret_ok: /);
    expect(doctorSaid.unknownToken).toMatch(/ERROR /);
    expect(doctorSaid.unknownToken).not.toMatch(/secret_ok: /);
    expect(doctorSaid.weak).toMatch(/ERROR .*\d+ bytes/);
    expect(secrets.size).toBeGreaterThanOrEqual(5); // SECRET, weak, rotated shared, 2 issuer versions
    expect(findLeaks(rec.outputs)).toEqual([]);
  });

  it("nothing collected in this file, rescanned with every value learned since, leaks", () => {
    for (const logger of operatorLoggers) {
      for (const entry of logger.entries) {
        everything.push({ where: `operator log "${entry.message}"`, text: renderLog(entry) });
      }
    }
    expect(everything.length).toBeGreaterThan(500);
    expect(findLeaks([...everything, ...processRecorder.outputs])).toEqual([]);
  });
});
