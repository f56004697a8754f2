/**
 * `<P>_PROPAGATION_SECONDS` and what `resolveAuthConfig` does with it: services on Vault
 * start a poller before their first secret read and stop it on close; the CLI and doctor
 * (checkSecret false) start none, yet every write they make signals the change.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAuthEnv } from "../../src/config/env.js";
import { type AuthEnabled, resolveAuthConfig } from "../../src/config/resolve.js";
import { silentLogger } from "../../src/log.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { ManualTimers, VaultDouble } from "../../src/testing/vault-double.js";
import { useTempDirs } from "../sqlite/helpers.js";
import { randomSecret } from "../vault/helpers.js";
import { MARKER_PATH, SHARED_PATH } from "./stacks.js";

describe("<P>_PROPAGATION_SECONDS", () => {
  it("defaults to 2 s; with Vault the token record TTL default rises from 30 s to 300 s", () => {
    expect(readAuthEnv("GOFR_SVC", {}).propagationSeconds).toBe(2);
    const vault = { GOFR_SVC_VAULT_URL: "http://127.0.0.1:8200" };
    expect(readAuthEnv("GOFR_SVC", vault)).toMatchObject({
      propagationSeconds: 2,
      tokenCacheTtlSeconds: 300,
    });
    expect(readAuthEnv("GOFR_SVC", { ...vault, GOFR_SVC_PROPAGATION_SECONDS: "0" })).toMatchObject({
      propagationSeconds: 0,
      tokenCacheTtlSeconds: 30,
    });
    expect(
      readAuthEnv("GOFR_SVC", { ...vault, GOFR_SVC_TOKEN_CACHE_TTL: "60" }).tokenCacheTtlSeconds,
    ).toBe(60);
    expect(
      readAuthEnv("GOFR_SVC", { GOFR_SVC_PROPAGATION_SECONDS: "0.5" }).propagationSeconds,
    ).toBe(0.5);
  });

  it("refuses negative and non-numeric values, naming the variable", () => {
    for (const value of ["-1", "two", "3601"]) {
      expect(() => readAuthEnv("GOFR_SVC", { GOFR_SVC_PROPAGATION_SECONDS: value })).toThrow(
        /GOFR_SVC_PROPAGATION_SECONDS: .*e\.g\. 2 \(0 turns/,
      );
    }
  });
});

describe("resolveAuthConfig on Vault", () => {
  let double: VaultDouble;
  let clock: ManualClock;
  let timers: ManualTimers;
  const planes: AuthEnabled[] = [];

  beforeEach(async () => {
    double = new VaultDouble();
    await double.start();
    double.putSecret(SHARED_SECRET_NAME, { value: randomSecret() });
    clock = new ManualClock();
    timers = new ManualTimers(clock);
  });

  afterEach(async () => {
    for (const plane of planes.splice(0)) await plane.close();
    await double.close();
  });

  async function plane(extra: Record<string, string>, checkSecret?: boolean) {
    const resolved = await resolveAuthConfig({
      envPrefix: "GOFR_SVC",
      env: { GOFR_SVC_VAULT_URL: double.url, GOFR_SVC_VAULT_TOKEN: double.rootToken, ...extra },
      logger: silentLogger,
      clock: clock.now,
      timers,
      checkSecret,
    });
    if (!resolved.authEnabled) throw new Error("expected auth");
    planes.push(resolved);
    return resolved;
  }

  it("a service polls the marker before its first secret read, then each interval, until close", async () => {
    const service = await plane({});
    const paths = double.requests.map((entry) => entry.path);
    expect(paths.indexOf(MARKER_PATH)).toBeGreaterThanOrEqual(0);
    expect(paths.indexOf(MARKER_PATH)).toBeLessThan(paths.indexOf(SHARED_PATH));
    expect(service.propagation?.stats.polls).toBe(1);
    expect(service.settings.tokenCacheTtlSeconds).toBe(300);

    await timers.advance(2_000);
    expect(service.propagation?.stats.polls).toBe(2);
    await service.close();
    planes.splice(0);
    expect(timers.pending).toEqual([]);
    await timers.advance(10_000);
    expect(double.countRequests({ method: "GET", path: MARKER_PATH })).toBe(2);
  });

  it("no poller with PROPAGATION_SECONDS=0, nor for the CLI and doctor (checkSecret false)", async () => {
    expect((await plane({ GOFR_SVC_PROPAGATION_SECONDS: "0" })).propagation).toBeUndefined();
    expect((await plane({}, false)).propagation).toBeUndefined();
    expect(double.countRequests({ path: MARKER_PATH })).toBe(0);
    expect(timers.pending).toEqual([]);
  });

  it("the CLI's rotations, revocations and secret deletions each append one entry", async () => {
    const cli = await plane({}, false);
    await cli.secretSource.write(SHARED_SECRET_NAME, randomSecret());
    await cli.secretSource.write(issuerSecretName("billing"), randomSecret());
    await cli.admin.deleteSecret(issuerSecretName("billing"));
    await cli.auth.groups.ensureReservedGroups();
    const minted = await cli.auth.createToken({ groups: ["public"] });
    await cli.auth.revokeToken(minted.record.id);
    expect(double.readSecret("gofr/auth/_changes")?.changes).toMatchObject([
      { kind: "secret", name: SHARED_SECRET_NAME, version: 2 },
      { kind: "secret", name: issuerSecretName("billing"), version: 1 },
      { kind: "secret", name: issuerSecretName("billing") },
      { kind: "token", token_id: minted.record.id },
    ]);
  });

  it("a service refuses the CLI's revocation after one poll", async () => {
    const cli = await plane({}, false);
    await cli.auth.groups.ensureReservedGroups();
    const minted = await cli.auth.createToken({ groups: ["public"] });
    const service = await plane({});
    await service.auth.verifyToken(minted.token);
    await cli.auth.revokeToken(minted.record.id);
    await timers.advance(2_000);
    await expect(service.auth.verifyToken(minted.token)).rejects.toMatchObject({
      code: "token_revoked",
    });
  });
});

describe("resolveAuthConfig on SQLite", () => {
  const temp = useTempDirs();

  it("starts no poller: the store's own change check covers the next request", async () => {
    const env = { GOFR_SVC_AUTH_STORE: join(temp.dir(), "auth.db") };
    const operator = await resolveAuthConfig({
      envPrefix: "GOFR_SVC",
      env,
      logger: silentLogger,
      checkSecret: false,
    });
    if (!operator.authEnabled) throw new Error("expected auth");
    await operator.secretSource.write(SHARED_SECRET_NAME, randomSecret());
    const service = await resolveAuthConfig({ envPrefix: "GOFR_SVC", env, logger: silentLogger });
    if (!service.authEnabled) throw new Error("expected auth");
    expect(service.propagation).toBeUndefined();
    await service.close();
    await operator.close();
  });
});
