import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import {
  ManualTimers,
  PERMISSION_DENIED_BODY,
  VaultDouble,
} from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";
import { captureLogger } from "../support/capture-logger.js";
import { expectNoSecrets, rejection } from "./helpers.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  testClientDefaults,
  type VaultTarget,
} from "./target.js";

const LOGIN = "/v1/auth/approle/login";
const RENEW = "/v1/auth/token/renew-self";

// Rows 25-28 of the contract: permission denied (403, multierror body), tokens and policies.
describeContract("token auth and policies", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  it("a token limited by policy reads what it may and gets vault_permission_denied otherwise", async () => {
    const admin = target.client();
    const allowed = `${target.prefix}/config/allowed`;
    await admin.kv().write(allowed, { value: "ok" });
    await admin.kv().write(`${target.prefix}/auth/other`, { value: "no" });
    const policy = target.policyName("reader");
    await admin.request("PUT", `sys/policies/acl/${policy}`, {
      body: {
        policy: `path "secret/data/${target.prefix}/config/*" {\n  capabilities = ["read"]\n}`,
      },
    });
    const created = (await admin.request("POST", "auth/token/create", {
      body: { policies: [policy], ttl: "10m" },
    })) as { auth: { client_token: string; policies: string[] } };
    const token = created.auth.client_token;
    expect(created.auth.policies).toContain(policy);

    const reader = target.client({ auth: { method: "token", token } });
    expect((await reader.kv().read(allowed)).data.value).toBe("ok");

    const denied = await rejection(reader.kv().read(`${target.prefix}/auth/other`));
    expect(denied.code).toBe("vault_permission_denied");
    expect(denied.message).toContain(`GET /v1/secret/data/${target.prefix}/auth/other`);
    expect(denied.message).toContain("403");
    expect(denied.hint).toContain(`secret/data/${target.prefix}/auth/other`);
    expectNoSecrets(denied, [token, target.rootToken]);

    const write = await rejection(reader.kv().write(allowed, { value: "changed" }));
    expect(write.code).toBe("vault_permission_denied");
    expect(write.message).toContain("POST");
    expect((await admin.kv().read(allowed)).data.value).toBe("ok");

    const info = await reader.lookupSelf();
    expect(info.policies).toContain(policy);
    expect(info.ttlSeconds).toBeGreaterThan(0);
    expect(info.ttlSeconds).toBeLessThanOrEqual(600);
    await admin.request("POST", "auth/token/revoke", { body: { token } });
  });

  it("an unknown token is refused with vault_permission_denied, never printed", async () => {
    const token = "hvs.not-a-real-token-0123456789abcdef";
    const client = target.client({ auth: { method: "token", token } });
    const error = await rejection(client.kv().read(`${target.prefix}/config/x`));
    expect(error.code).toBe("vault_permission_denied");
    expectNoSecrets(error, [token]);
    expect(client.stats.attempts).toBe(1); // 403 is never retried
  });

  it("login() with a static token fails fast at start-up when the token is bad", async () => {
    const client = target.client({ auth: { method: "token", token: "hvs.bad-token-for-startup" } });
    expect((await rejection(client.login())).code).toBe("vault_permission_denied");
    await target.client().login();
  });
});

describeDoubleOnly("namespace header", "the double records headers", () => {
  it("sends X-Vault-Namespace on every request", async () => {
    const vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    const url = await vault.start();
    const client = new VaultClient({
      address: url,
      auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
      namespace: "team-a",
      ...testClientDefaults(),
    });
    try {
      await client.kv().write("ns/x", { value: "1" });
      await client.kv().read("ns/x");
      expect(vault.requests.map((entry) => entry.namespace)).toEqual(["team-a", "team-a"]);
    } finally {
      await client.close();
      await vault.close();
    }
  });
});

describeDoubleOnly("AppRole", "needs AppRole set-up and the double's clock", () => {
  let clock: ManualClock;
  let vault: VaultDouble;
  let url: string;
  const clients: VaultClient[] = [];
  const PATH = "gofr/config/jwt-signing-secret";

  beforeEach(async () => {
    clock = new ManualClock();
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
    url = await vault.start();
    vault.setPolicy("svc", { "secret/data/gofr/config/*": ["read"] });
    vault.putSecret(PATH, { value: "x".repeat(40) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await vault.close();
  });

  const appRoleClient = (
    creds: { roleId?: string; secretId?: string; credsFile?: string },
    extra: Partial<VaultClientOptions> = {},
  ) => {
    const client = new VaultClient({
      address: url,
      auth: { method: "approle", ...creds },
      ...testClientDefaults(),
      ...extra,
    });
    clients.push(client);
    return client;
  };

  it("logs in once and reads with the issued token", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 3600 });
    const client = appRoleClient(creds);
    await Promise.all([client.kv().read(PATH), client.kv().read(PATH), client.kv().read(PATH)]);
    expect(vault.countRequests({ path: LOGIN })).toBe(1);
    expect(client.stats.logins).toBe(1);
    const info = await client.lookupSelf();
    expect(info.policies).toEqual(["default", "svc"]);
  });

  it("reads role_id and secret_id from the creds file at login", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"] });
    const dir = mkdtempSync(join(tmpdir(), "gofr-vault-"));
    const file = join(dir, "vault_creds");
    writeFileSync(file, JSON.stringify({ role_id: creds.roleId, secret_id: creds.secretId }));
    const client = appRoleClient({ credsFile: file });
    expect((await client.kv().read(PATH)).version).toBe(1);
  });

  it("a missing or broken creds file is config_invalid naming the file, never its content", async () => {
    const missing = appRoleClient({ credsFile: "/nonexistent/vault_creds" });
    const error = await rejection(missing.kv().read(PATH));
    expect(error.code).toBe("config_invalid");
    expect(error.message).toContain("/nonexistent/vault_creds");

    const dir = mkdtempSync(join(tmpdir(), "gofr-vault-"));
    const file = join(dir, "vault_creds");
    const leaked = "secret-id-that-must-not-leak-1234";
    writeFileSync(file, `{"role_id": "r", "secret_id": "${leaked}"`); // truncated JSON
    const broken = await rejection(appRoleClient({ credsFile: file }).kv().read(PATH));
    expect(broken.code).toBe("config_invalid");
    expect(broken.message).toContain(file);
    expectNoSecrets(broken, [leaked]);
    expect(vault.countRequests({ path: LOGIN })).toBe(0);
  });

  it("wrong credentials are vault_permission_denied without the secret_id in the message", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"] });
    const wrongSecret = "0f0e0d0c-wrong-secret-id-0000";
    const error = await rejection(
      appRoleClient({ roleId: creds.roleId, secretId: wrongSecret }).login(),
    );
    expect(error.code).toBe("vault_permission_denied");
    expect(error.message).toContain(LOGIN);
    expect(error.message).toContain("400");
    expect(error.message).toContain("invalid role or secret ID");
    expectNoSecrets(error, [wrongSecret, creds.secretId]);
    expect(vault.countRequests({ path: LOGIN })).toBe(1); // auth errors are not retried
  });

  it("a token Vault considers expired gets exactly one re-login, then the read succeeds", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 60 });
    // The client's own clock does not move: only Vault knows the token expired.
    const client = appRoleClient(creds, { clock: new ManualClock().now });
    await client.kv().read(PATH);
    clock.advanceSeconds(61);
    vault.clearRequests();

    const reads = await Promise.all(Array.from({ length: 10 }, () => client.kv().read(PATH)));
    expect(reads.every((read) => read.version === 1)).toBe(true);
    expect(vault.countRequests({ path: LOGIN })).toBe(1);
    expect(client.stats.logins).toBe(2);
    expect(vault.countRequests({ path: "/v1/secret/data/", status: 403 })).toBe(10);
    expect(vault.countRequests({ path: "/v1/secret/data/", status: 200 })).toBe(10);
  });

  it("a token the client knows to be expired is replaced before the request (no 403)", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 60 });
    const client = appRoleClient(creds, { clock: clock.now, renewal: { enabled: false } });
    await client.kv().read(PATH);
    clock.advanceSeconds(61);
    await client.kv().read(PATH);
    expect(vault.countRequests({ status: 403 })).toBe(0);
    expect(vault.countRequests({ path: LOGIN })).toBe(2);
  });

  it("re-login happens once per request: a policy denial still fails after it", async () => {
    const creds = vault.addAppRole("svc", { policies: ["svc"] });
    const client = appRoleClient(creds);
    const error = await rejection(client.kv().read("gofr/auth/tokens/x"));
    expect(error.code).toBe("vault_permission_denied");
    expect(error.hint).toContain("AppRole");
    expect(vault.countRequests({ path: LOGIN })).toBe(2);
    expect(vault.countRequests({ path: "/v1/secret/data/gofr/auth/", status: 403 })).toBe(2);
  });

  describe("renewal (manual clock and timers, no sleeping)", () => {
    const setup = (ttl: number, maxTtl: number) => {
      const creds = vault.addAppRole("svc", {
        policies: ["svc"],
        tokenTtlSeconds: ttl,
        tokenMaxTtlSeconds: maxTtl,
      });
      const timers = new ManualTimers(clock);
      const logger = captureLogger();
      const client = appRoleClient(creds, {
        clock: clock.now,
        timers,
        random: () => 0.5, // no jitter: renewals at exactly 2/3 of the lease
        logger,
        renewal: { retryBaseDelayMs: 1000 },
      });
      return { client, timers, logger };
    };

    it("renews at 2/3 of the lease and logs in again when the max TTL caps renewal", async () => {
      const { client, timers } = setup(60, 150);
      await client.login();
      expect(timers.pending).toEqual([40_000]);

      await timers.advance(40_000); // t=40: renewed to 60 s (max left 110 s)
      expect(vault.countRequests({ path: RENEW, status: 200 })).toBe(1);
      expect(timers.pending).toEqual([40_000]);

      await timers.advance(40_000); // t=80: renewed to 60 s (max left 70 s)
      await timers.advance(40_000); // t=120: only 30 s left before the max TTL: capped
      expect(vault.countRequests({ path: RENEW, status: 200 })).toBe(3);
      expect(timers.pending).toEqual([20_000]);
      expect(vault.countRequests({ path: LOGIN })).toBe(1);

      await timers.advance(20_000); // t=140: a fresh login before the old token dies at 150
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
      expect(client.stats).toMatchObject({ logins: 2, renewals: 3, renewalFailures: 0 });
      expect(timers.pending).toEqual([40_000]);

      clock.advanceSeconds(15); // t=155: the first token is past its max TTL
      expect((await client.kv().read(PATH)).version).toBe(1);
      expect(vault.countRequests({ status: 403 })).toBe(0);
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
    });

    it("jitter spreads the renewal time by at most 10%", async () => {
      const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 60 });
      for (const [random, expected] of [
        [0, 36_000],
        [0.999999, 44_000],
      ] as const) {
        const timers = new ManualTimers(clock);
        const client = appRoleClient(creds, { clock: clock.now, timers, random: () => random });
        await client.login();
        expect(timers.pending[0]).toBeCloseTo(expected, -1);
      }
    });

    it("a failed renewal is retried with backoff", async () => {
      const { client, timers, logger } = setup(60, 3600);
      await client.login();
      vault.failNext(3, 500, { match: { path: RENEW } }); // the request's own retries use 3
      await timers.advance(40_000);
      expect(client.stats.renewalFailures).toBe(1);
      expect(logger.entries.some((e) => e.level === "warn" && /Renewing/.test(e.message))).toBe(
        true,
      );
      expect(timers.pending).toEqual([750]); // equal jitter: 500 + 0.5 * 500
      await timers.advance(750);
      expect(client.stats.renewals).toBe(1);
      expect(timers.pending).toEqual([40_000]);
    });

    it("a renewal refused with 403 logs in again at once", async () => {
      const { client, timers } = setup(60, 3600);
      await client.login();
      vault.failNext(1, 403, { body: PERMISSION_DENIED_BODY, match: { path: RENEW } });
      await timers.advance(40_000);
      expect(client.stats.logins).toBe(2);
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
    });

    it("close() cancels the renewal timer", async () => {
      const { client, timers } = setup(60, 3600);
      await client.login();
      expect(timers.pending).toHaveLength(1);
      await client.close();
      expect(timers.pending).toHaveLength(0);
      expect((await rejection(client.kv().read(PATH))).code).toBe("vault_unreachable");
    });

    it("a static token with renew: true is looked up once and renewed before expiry", async () => {
      const token = vault.createToken({ policies: ["svc"], ttlSeconds: 90 });
      const timers = new ManualTimers(clock);
      const client = new VaultClient({
        address: url,
        auth: { method: "token", token, renew: true },
        clock: clock.now,
        timers,
        random: () => 0.5,
        ...testClientDefaults(),
      });
      clients.push(client);
      await client.kv().read(PATH);
      await client.kv().read(PATH);
      expect(vault.countRequests({ path: "/v1/auth/token/lookup-self" })).toBe(1);
      expect(timers.pending).toEqual([60_000]);
      await timers.advance(60_000);
      expect(vault.countRequests({ path: RENEW, status: 200 })).toBe(1);
      clock.advanceSeconds(60); // past the original 90 s
      expect((await client.kv().read(PATH)).version).toBe(1);
    });
  });
});
