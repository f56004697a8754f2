/**
 * What the Vault session does after things go wrong: a re-login that fails (Vault sealed,
 * credentials rotated) must not wedge the client, and a static token that reaches the end
 * of its life must stop renewing and fail plainly instead of trying to log in. Time is
 * a ManualClock shared with the double; renewals run through ManualTimers (no sleeping).
 *
 * The login backoff for refused credentials may change how soon a refused login is tried
 * again; these tests pin what holds either way.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";
import { captureLogger, type LogEntry } from "../support/capture-logger.js";
import { expectNoSecrets, rejection } from "./helpers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

const LOGIN = "/v1/auth/approle/login";
const RENEW = "/v1/auth/token/renew-self";
const LOOKUP = "/v1/auth/token/lookup-self";
const PATH = "gofr/config/jwt-signing-secret";

/** Every logged text, to check that no secret appears in it. */
function logText(entries: readonly LogEntry[]): string {
  return entries.map((entry) => `${entry.message} ${JSON.stringify(entry.fields)}`).join("\n");
}

describeDoubleOnly(
  "Vault session recovery",
  "needs the double's clock, sealing and AppRole",
  () => {
    let clock: ManualClock;
    /** When the test starts: the tokens' lifetimes count from here. */
    let t0: number;
    let vault: VaultDouble;
    let url: string;
    const clients: VaultClient[] = [];

    beforeEach(async () => {
      clock = new ManualClock();
      t0 = clock.now();
      vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
      url = await vault.start();
      vault.setPolicy("svc", { "secret/data/gofr/config/*": ["read"] });
      vault.putSecret(PATH, { value: "x".repeat(40) });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await vault.close();
    });

    const newClient = (options: Partial<VaultClientOptions> & Pick<VaultClientOptions, "auth">) => {
      const client = new VaultClient({ address: url, ...testClientDefaults(), ...options });
      clients.push(client);
      return client;
    };

    /** An AppRole client on manual time whose token (60 s lease) cannot be renewed past 60 s. */
    const cappedAppRole = (credsFile?: string) => {
      const creds = vault.addAppRole("svc", {
        policies: ["svc"],
        tokenTtlSeconds: 60,
        tokenMaxTtlSeconds: 60,
      });
      if (credsFile) {
        writeFileSync(
          credsFile,
          JSON.stringify({ role_id: creds.roleId, secret_id: creds.secretId }),
        );
      }
      const timers = new ManualTimers(clock);
      const logger = captureLogger();
      const client = newClient({
        auth: credsFile ? { method: "approle", credsFile } : { method: "approle", ...creds },
        clock: clock.now,
        timers,
        random: () => 0.5,
        logger,
        renewal: { retryBaseDelayMs: 1000 },
      });
      return { client, timers, logger, creds };
    };

    /** Runs due timers until `done()`, the deadline, or nothing is left to run. */
    async function runUntil(timers: ManualTimers, done: () => boolean, deadline: number) {
      while (!done() && clock.now() < deadline) {
        if (!(await timers.runNext())) return;
      }
    }

    /**
     * Logs in, then runs the renewal: Vault caps it at the max TTL, so the next timer is the
     * background login, due before the token dies at t=60 s.
     */
    async function untilBackgroundLogin(client: VaultClient, timers: ManualTimers) {
      await client.login();
      await timers.runNext(); // renewal at 2/3 of the lease: capped (20 s left)
      expect(vault.countRequests({ path: RENEW, status: 200 })).toBe(1);
      expect(timers.pending).toHaveLength(1);
      expect(client.stats.logins).toBe(1);
    }

    describe("after a failed background re-login", () => {
      it("retries while Vault is sealed and logs in once it is unsealed, before the token dies", async () => {
        const { client, timers } = cappedAppRole();
        await untilBackgroundLogin(client, timers);

        vault.seal();
        await timers.runNext(); // the background login meets a sealed Vault
        expect(vault.countRequests({ path: LOGIN, status: 503 })).toBeGreaterThanOrEqual(1);
        expect(client.stats.logins).toBe(1);
        // A retry is planned, and planned before the old token's 60 s run out.
        expect(timers.pending).toHaveLength(1);
        expect(clock.now() + (timers.pending[0] as number)).toBeLessThan(t0 + 60_000);

        vault.unseal();
        await runUntil(timers, () => client.stats.logins === 2, t0 + 60_000);
        expect(client.stats.logins).toBe(2);
        expect(vault.countRequests({ path: LOGIN, status: 200 })).toBe(2);

        clock.set(t0 + 61_000); // the first token is dead in Vault now
        expect((await client.kv().read(PATH)).version).toBe(1);
        expect(vault.countRequests({ status: 403 })).toBe(0);
      });

      it("after a refused login (secret_id rotated), a later attempt succeeds with the new creds file", async () => {
        const dir = mkdtempSync(join(tmpdir(), "gofr-vault-"));
        const file = join(dir, "vault_creds");
        const { client, timers, logger, creds } = cappedAppRole(file);
        await untilBackgroundLogin(client, timers);

        // The operator issues a new secret_id and destroys the old one (approle
        // `path_role.go` secret-id and secret-id/destroy), but the file still holds the old.
        const admin = newClient({ auth: { method: "token", token: DOUBLE_ROOT_TOKEN } });
        const issued = (await admin.request("POST", "auth/approle/role/svc/secret-id")) as {
          data: { secret_id: string };
        };
        const fresh = issued.data.secret_id;
        await admin.request("POST", "auth/approle/role/svc/secret-id/destroy", {
          body: { secret_id: creds.secretId },
        });

        await timers.runNext(); // the background login is refused (400, docs/vault-contract.md row 19)
        expect(vault.countRequests({ path: LOGIN, status: 400 })).toBe(1);
        expect(client.stats.logins).toBe(1);
        expect(timers.pending).toHaveLength(1); // it will try again

        writeFileSync(file, JSON.stringify({ role_id: creds.roleId, secret_id: fresh }));
        await runUntil(timers, () => client.stats.logins === 2, t0 + 60_000);
        expect(client.stats.logins).toBe(2);
        // One refusal only: the old secret_id was never sent again.
        expect(vault.countRequests({ path: LOGIN, status: 400 })).toBe(1);
        expect(vault.countRequests({ path: LOGIN, status: 200 })).toBe(2);

        clock.set(t0 + 61_000);
        expect((await client.kv().read(PATH)).version).toBe(1);
        const text = logText(logger.entries);
        expect(text).toMatch(/log(ging)? in/i); // the refusal was reported
        for (const secret of [creds.secretId, fresh]) expect(text).not.toContain(secret);
      });
    });

    it("a request whose re-login failed fails, and the next request logs in again", async () => {
      const creds = vault.addAppRole("svc", { policies: ["svc"], tokenTtlSeconds: 60 });
      // The client's own clock stands still: only Vault knows the token expired (row 26).
      const client = newClient({
        auth: { method: "approle", ...creds },
        clock: new ManualClock().now,
        renewal: { enabled: false },
        maxRetries: 0,
      });
      await client.kv().read(PATH);
      clock.advanceSeconds(61);

      vault.failNext(1, 500, { match: { path: LOGIN } });
      const failed = await rejection(client.kv().read(PATH));
      expect(failed.code).toBe("vault_unreachable");
      expectNoSecrets(failed, [creds.secretId]);
      expect(client.stats.logins).toBe(1);

      expect((await client.kv().read(PATH)).version).toBe(1);
      expect(client.stats.logins).toBe(2);
      expect(vault.countRequests({ path: LOGIN })).toBe(3); // first, failed, recovered
    });
  },
);

describeDoubleOnly("static token expiry", "needs the double's clock and token TTLs", () => {
  let clock: ManualClock;
  /** When the test starts: the tokens' lifetimes count from here. */
  let t0: number;
  let vault: VaultDouble;
  let url: string;
  const clients: VaultClient[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    t0 = clock.now();
    vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
    url = await vault.start();
    vault.setPolicy("svc", { "secret/data/gofr/config/*": ["read"] });
    vault.putSecret(PATH, { value: "x".repeat(40) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await vault.close();
  });

  const staticClient = (token: string, extra: Partial<VaultClientOptions> = {}) => {
    const timers = new ManualTimers(clock);
    const logger = captureLogger();
    const client = new VaultClient({
      address: url,
      auth: { method: "token", token, renew: true },
      ...testClientDefaults(logger),
      clock: clock.now,
      timers,
      random: () => 0.5,
      ...extra,
    });
    clients.push(client);
    return { client, timers, logger };
  };

  it("renewed up to its max TTL, it warns, stops renewing and never tries to log in", async () => {
    const token = vault.createToken({ policies: ["svc"], ttlSeconds: 90, maxTtlSeconds: 120 });
    const { client, timers, logger } = staticClient(token);
    await client.kv().read(PATH);
    expect(timers.pending).toEqual([60_000]);

    await timers.advance(60_000); // renewed, but only to the max TTL (60 s left of 90 asked)
    expect(vault.countRequests({ path: RENEW, status: 200 })).toBe(1);
    expect(timers.pending).toEqual([]);
    const warning = logger.entries.find((entry) => /cannot be renewed/.test(entry.message));
    expect(warning?.level).toBe("warn");
    expect(warning?.fields.expires_at).toBe(new Date(t0 + 120_000).toISOString());

    clock.set(t0 + 121_000); // Vault expired it (row 26): the client fails plainly
    const error = await rejection(client.kv().read(PATH));
    expect(error.code).toBe("vault_permission_denied");
    expectNoSecrets(error, [token]);
    expect((await rejection(client.login())).code).toBe("vault_permission_denied");
    expect(vault.countRequests({ path: LOGIN })).toBe(0);
    expect(logText(logger.entries)).not.toContain(token);
  });

  it("a static token that is not renewable is never renewed; Vault's expiry ends it", async () => {
    const token = vault.createToken({ policies: ["svc"], ttlSeconds: 60, renewable: false });
    const { client, timers, logger } = staticClient(token);
    await client.kv().read(PATH);
    expect(timers.pending).toEqual([]);
    expect(logger.entries.some((entry) => /cannot be renewed/.test(entry.message))).toBe(true);
    clock.set(t0 + 61_000);
    expect((await rejection(client.kv().read(PATH))).code).toBe("vault_permission_denied");
    expect(vault.countRequests({ path: RENEW })).toBe(0);
  });

  it("a revoked static token stops renewing at the refusal and never logs in", async () => {
    const token = vault.createToken({ policies: ["svc"], ttlSeconds: 90 });
    const { client, timers } = staticClient(token);
    await client.kv().read(PATH);
    vault.revokeToken(token);
    await timers.advance(60_000);
    expect(client.stats.renewalFailures).toBe(1);
    expect(timers.pending).toEqual([]); // renewing a refused token again cannot help
    expect((await rejection(client.kv().read(PATH))).code).toBe("vault_permission_denied");
    expect(vault.countRequests({ path: LOGIN })).toBe(0);
  });

  it("a failed lookup never fails the request and is tried again on the next one", async () => {
    const token = vault.createToken({ policies: ["svc"], ttlSeconds: 90 });
    const { client, timers, logger } = staticClient(token, { maxRetries: 0 });
    vault.failNext(1, 503, { match: { path: LOOKUP } });
    expect((await client.kv().read(PATH)).version).toBe(1);
    expect(timers.pending).toEqual([]);
    expect(logger.entries.some((entry) => /look up the Vault token/.test(entry.message))).toBe(
      true,
    );
    await client.kv().read(PATH);
    expect(vault.countRequests({ path: LOOKUP })).toBe(2);
    expect(timers.pending).toEqual([60_000]);
  });

  it("a token that never expires (ttl 0) is looked up once and never renewed", async () => {
    const { client, timers } = staticClient(DOUBLE_ROOT_TOKEN);
    await client.kv().read(PATH);
    await client.kv().read(PATH);
    expect(vault.countRequests({ path: LOOKUP })).toBe(1);
    expect(timers.pending).toEqual([]);
    expect(client.stats.renewals).toBe(0);
  });

  it("with renewal off, renew: true looks nothing up", async () => {
    const token = vault.createToken({ policies: ["svc"], ttlSeconds: 90 });
    const { client, timers } = staticClient(token, { renewal: { enabled: false } });
    await client.kv().read(PATH);
    expect(vault.countRequests({ path: LOOKUP })).toBe(0);
    expect(timers.pending).toEqual([]);
  });
});
