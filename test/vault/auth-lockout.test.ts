/**
 * M2 (docs/vault-contract.md row 20): Vault's user lockout, on by default, locks an AppRole role_id
 * for 15 minutes after 5 refused logins (wrong secret_id) whose gaps are under 15 minutes;
 * while locked even correct credentials get 403 (hashicorp `vault/request_handling.go`
 * `handleLoginRequest`, `failedUserLoginProcess`, `isUserLocked`; defaults in
 * `internalshared/configutil/userlockout.go`). The client must never get there on its own:
 * refused credentials wait, callers fail fast meanwhile, and a fixed creds file is tried at
 * once. Everything runs on the double's clock with manual timers: no sleeping.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient, type VaultClientOptions } from "../../src/vault/client.js";
import { captureLogger } from "../support/capture-logger.js";
import { expectNoSecrets, rejection } from "./helpers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

const LOGIN = "/v1/auth/approle/login";
const PATH = "gofr/config/jwt-signing-secret";
const MINUTE = 60_000;
const STALE = "0f0e0d0c-stale-secret-id-0000-000000000000";

describeDoubleOnly(
  "AppRole lockout safety",
  "needs AppRole, lockout and the double's clock",
  () => {
    let clock: ManualClock;
    let vault: VaultDouble;
    let url: string;
    let credsFile: string;
    let creds: { roleId: string; secretId: string };
    const clients: VaultClient[] = [];

    beforeEach(async () => {
      clock = new ManualClock();
      vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, clock: clock.now });
      url = await vault.start();
      vault.setPolicy("svc", { "secret/data/gofr/config/*": ["read"] });
      vault.putSecret(PATH, { value: "x".repeat(40) });
      creds = vault.addAppRole("svc", {
        policies: ["svc"],
        tokenTtlSeconds: 60,
        tokenMaxTtlSeconds: 120,
      });
      credsFile = join(mkdtempSync(join(tmpdir(), "gofr-lockout-")), "vault_creds");
      writeCreds(creds.secretId);
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await vault.close();
    });

    function writeCreds(secretId: string): void {
      writeFileSync(credsFile, JSON.stringify({ role_id: creds.roleId, secret_id: secretId }));
    }

    function appRoleClient(extra: Partial<VaultClientOptions> = {}) {
      const timers = new ManualTimers(clock);
      const client = new VaultClient({
        address: url,
        auth: { method: "approle", credsFile },
        ...testClientDefaults(),
        clock: clock.now,
        timers,
        random: () => 0.5,
        ...extra,
      });
      clients.push(client);
      return { client, timers };
    }

    /** Login requests Vault refused, by the double's clock. */
    const refusedLogins = () =>
      vault.requests.filter((entry) => entry.path === LOGIN && entry.status >= 400);

    /** The most refused logins in any 15-minute window. */
    function worstWindow(): number {
      const times = refusedLogins().map((entry) => entry.time);
      return Math.max(
        0,
        ...times.map((start) => times.filter((t) => t >= start && t < start + 15 * MINUTE).length),
      );
    }

    it("a stale secret_id never locks the role: foreground and background together stay under 5 refusals per 15 min, and the fixed file logs in at once", async () => {
      const { client, timers } = appRoleClient();
      await client.kv().read(PATH); // logged in with the good secret_id
      writeCreds(STALE); // the operator destroyed it; the service now holds a stale one
      const errors: unknown[] = [];
      // 17 minutes of a busy service: a read every 10 s, and renewal/re-login in the background.
      for (let step = 0; step < (17 * MINUTE) / 10_000; step += 1) {
        await timers.advance(10_000);
        await client
          .kv()
          .read(PATH)
          .catch((error: unknown) => errors.push(error));
      }
      expect(refusedLogins().length).toBeGreaterThan(0); // the stale secret_id was tried
      expect(worstWindow()).toBeLessThan(5);
      // Vault locked nothing: no login was ever answered 403.
      expect(vault.countRequests({ path: LOGIN, status: 403 })).toBe(0);
      expect(vault.lockedUsers()).toEqual([]);
      expect(errors.length).toBeGreaterThan(50); // the reads failed, fast, without a login each

      const last = errors.at(-1);
      expect(last).toMatchObject({ code: "vault_permission_denied" });
      const error = await rejection(client.kv().read(PATH));
      expect(error.message).toContain("Not sending the AppRole login again before");
      expect(error.message).toContain("invalid role or secret ID");
      expect(error.hint).toContain("check role_id and secret_id");
      expectNoSecrets(error, [STALE, creds.secretId]);

      writeCreds(creds.secretId); // fixed: the next login goes at once and succeeds
      const before = vault.countRequests({ path: LOGIN });
      expect((await client.kv().read(PATH)).version).toBe(1);
      expect(vault.countRequests({ path: LOGIN })).toBe(before + 1);
      expect(vault.requests.filter((entry) => entry.path === LOGIN).at(-1)?.status).toBe(200);
    });

    it("with no foreground traffic, background re-login picks up the fixed creds file within a minute", async () => {
      const { client, timers } = appRoleClient();
      await client.login();
      writeCreds(STALE);
      await timers.advance(10 * MINUTE); // the token hit its max TTL; re-logins are refused
      expect(refusedLogins().length).toBeGreaterThan(0);
      expect(worstWindow()).toBeLessThan(5);
      const logins = client.stats.logins;

      writeCreds(creds.secretId);
      await timers.advance(MINUTE);
      expect(client.stats.logins).toBe(logins + 1);
      expect((await client.kv().read(PATH)).version).toBe(1);
      expect(vault.countRequests({ path: LOGIN, status: 403 })).toBe(0);
    });

    it("while refused credentials wait, callers fail fast with Vault's last answer and nothing is sent", async () => {
      writeCreds(STALE);
      const logger = captureLogger();
      const { client } = appRoleClient({ logger });
      const first = await rejection(client.login());
      expect(first.message).toContain("400");
      expect(first.hint).toContain("check role_id and secret_id");
      expect(first.hint).toMatch(/lock/);
      expect(vault.countRequests({ path: LOGIN })).toBe(1);

      const barred = await rejection(client.kv().read(PATH));
      expect(barred.code).toBe("vault_permission_denied");
      expect(barred.message).toMatch(/Not sending the AppRole login again before 20\d\d-/);
      expect(barred.details).toMatchObject({ status: 400, refusals: 1 });
      expect(vault.countRequests({ path: LOGIN })).toBe(1); // failed fast, no second login
      expectNoSecrets(barred, [STALE]);
      const warned = logger.entries.find((entry) => /these credentials wait/.test(entry.message));
      expect(JSON.stringify(warned)).not.toContain(STALE);
      expect(warned?.fields.credentials).toMatch(/^sha256:[0-9a-f]{12}$/);

      clock.advance(6000); // past the first wait (5 s + jitter)
      await rejection(client.login());
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
    });

    it("a changed creds file is tried at once, but its refusal counts against the same role_id", async () => {
      writeCreds(STALE);
      const { client } = appRoleClient({ loginBackoff: { maxRefusals: 2 } });
      await rejection(client.login());
      writeCreds(`${STALE}-other`); // another wrong one: tried at once
      await rejection(client.login());
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
      // Two refusals for this role_id: the long pause (16 min) now applies.
      clock.advance(15 * MINUTE);
      expect((await rejection(client.login())).message).toContain("Not sending");
      expect(vault.countRequests({ path: LOGIN })).toBe(2);
      clock.advance(3 * MINUTE);
      await rejection(client.login());
      expect(vault.countRequests({ path: LOGIN })).toBe(3);
    });

    it("a role locked by someone else: 403 with the unlock command, then no retry storm", async () => {
      // Another replica with a stale secret_id locked the role (5 refusals within 15 min);
      // while locked Vault answers 403 to correct credentials too (docs/vault-contract.md row 20;
      // `handleLoginRequest`: isUserLocked -> logical.ErrPermissionDenied).
      for (let i = 0; i < 5; i += 1) {
        await fetch(`${url}${LOGIN}`, {
          method: "POST",
          body: JSON.stringify({ role_id: creds.roleId, secret_id: STALE }),
        });
      }
      expect(vault.lockedUsers().map((user) => user.aliasIdentifier)).toEqual([creds.roleId]);
      const { client } = appRoleClient();
      vault.clearRequests();
      const error = await rejection(client.login()); // correct credentials, still refused
      expect(error.code).toBe("vault_permission_denied");
      expect(error.message).toContain("403");
      expect(error.hint).toContain(
        "vault write -f sys/locked-users/<mount accessor>/unlock/<role_id>",
      );
      expect(error.hint).toContain("vault auth list -detailed");
      expectNoSecrets(error, [creds.secretId, STALE]);
      expect((await rejection(client.kv().read(PATH))).message).toContain("Not sending");
      expect(vault.countRequests({ path: LOGIN })).toBe(1);

      clock.advance(15 * MINUTE + 1000); // Vault's lockout_duration has passed
      await client.login();
      expect(client.stats.logins).toBe(1);
    });
  },
);
