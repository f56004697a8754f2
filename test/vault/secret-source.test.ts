import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { ManualClock } from "../../src/testing/clock.js";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { captureLogger } from "../support/capture-logger.js";
import { expectNoSecrets, randomSecret, rejection } from "./helpers.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  describeDoubleOnly,
  startTarget,
  testClientDefaults,
  type VaultTarget,
} from "./target.js";

// Rows 1-4 of the contract: reads by version, missing (404 `{"errors":[]}`) and deleted
// (404 with metadata) secrets as Vault answers them.
describeContract("VaultSecretSource", () => {
  let target: VaultTarget;
  let source: VaultSecretSource;
  let n = 0;
  const name = (label: string) => `${target.prefix}/config/${label}-${++n}`;

  beforeAll(async () => {
    target = await startTarget();
    source = new VaultSecretSource({ client: target.client() });
  });
  afterAll(() => target.stop());

  it("reads field `value` with the KV version and creation time", async () => {
    const path = name("jwt-signing-secret");
    const secret = randomSecret();
    const before = Date.now();
    await target.client().kv().write(path, { value: secret });
    const read = await source.read(path);
    expect(read.value).toBe(secret);
    expect(read.version).toBe(1);
    expect(read.createdAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
    expect(read.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(source.description).toContain(target.url);
  });

  it("write() makes a new version; read(name, version) returns older ones", async () => {
    const path = name("rotated");
    const first = randomSecret("a");
    const second = randomSecret("b");
    expect((await source.write(path, first)).version).toBe(1);
    const written = await source.write(path, second);
    expect(written).toMatchObject({ value: second, version: 2 });
    expect((await source.read(path)).value).toBe(second);
    expect((await source.read(path, 1)).value).toBe(first);
    const raw = await target.client().kv().read(path);
    expect(raw.data).toEqual({ value: second });
  });

  it("a missing secret is secret_unavailable naming the path, with the command to create it", async () => {
    const path = name("never-written");
    const error = await rejection(source.read(path));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toContain(`secret/${path}`);
    expect(error.hint).toContain(`vault kv put secret/${path} value=`);
    const version = await rejection(source.read(path, 4));
    expect(version.code).toBe("secret_unavailable");
    expect(version.message).toContain("version 4");
  });

  it("a secret without the `value` field is secret_invalid naming the path and fields, not values", async () => {
    const path = name("wrong-field");
    const hidden = randomSecret();
    await target.client().kv().write(path, { secret: hidden });
    const error = await rejection(source.read(path));
    expect(error.code).toBe("secret_invalid");
    expect(error.message).toContain(`secret/${path}`);
    expect(error.message).toContain("'value'");
    expect(error.message).toContain("fields: secret");
    expectNoSecrets(error, [hidden]);
  });

  it("a soft-deleted secret is secret_unavailable saying so", async () => {
    const path = name("deleted");
    await source.write(path, randomSecret());
    await target.client().kv().delete(path);
    const error = await rejection(source.read(path));
    expect(error.code).toBe("secret_unavailable");
    expect(error.message).toContain("deleted");
    expect(error.hint).toContain("undelete");
  });

  it("a secret shorter than 32 bytes is refused by the provider with secret_too_weak", async () => {
    const path = name("short");
    await source.write(path, "only-20-bytes-secret");
    const provider = new JwtSecretProvider({ source, name: path, logger: captureLogger() });
    const error = await rejection(provider.get());
    expect(error.code).toBe("secret_too_weak");
    expect(error.message).toContain(path);
    expectNoSecrets(error, ["only-20-bytes-secret"]);
  });

  it("the provider sees a rotation written through the source after its TTL", async () => {
    const path = name("provider-rotation");
    const clock = new ManualClock();
    const first = randomSecret("a");
    const second = randomSecret("b");
    await source.write(path, first);
    const logger = captureLogger();
    const provider = new JwtSecretProvider({
      source,
      name: path,
      clock: clock.now,
      logger,
      refreshAheadSeconds: 0,
    });
    expect(await provider.get()).toBe(first);
    await source.write(path, second);
    expect(await provider.get()).toBe(first); // cached
    clock.advanceSeconds(301);
    const key = await provider.getKey();
    expect(key.value).toBe(second);
    expect(key.version).toBe(2);
    expect(provider.stats.rotations).toBe(1);
    expect(logger.entries.find((entry) => entry.level === "warn")?.fields).toMatchObject({
      old_fingerprint: fingerprint(first),
      new_fingerprint: fingerprint(second),
    });
    expect((await provider.getVersion(1)).value).toBe(first);
  });
});

describeDoubleOnly(
  "secrets and verification when Vault fails",
  "needs the double's request log and restarts",
  () => {
    const PATH = "gofr/config/jwt-signing-secret";
    let vault: VaultDouble;
    let client: VaultClient;
    let clock: ManualClock;

    beforeAll(async () => {
      clock = new ManualClock();
      vault = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
      const url = await vault.start();
      client = new VaultClient({
        address: url,
        auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
        ...testClientDefaults(),
        maxRetries: 1,
      });
    });
    afterAll(async () => {
      await client.close();
      await vault.close();
    });

    const service = () => {
      const provider = new JwtSecretProvider({
        source: new VaultSecretSource({ client }),
        clock: clock.now,
        logger: silentLogger,
        refreshAheadSeconds: 0,
      });
      const store = new VaultAuthStore({ client, clock: clock.now });
      const auth = new AuthService({ store, secretProvider: provider, clock: clock.now });
      return { provider, store, auth };
    };

    it("1,000 concurrent verifications at TTL expiry cause exactly one KV read of the secret", async () => {
      vault.putSecret(PATH, { value: randomSecret() });
      const { auth } = service();
      await auth.groups.create("billing");
      const { token } = await auth.createToken({ groups: ["billing"] });
      await auth.verifyToken(token);
      clock.advanceSeconds(301); // secret (300 s) and token-record (30 s) caches both expired
      vault.clearRequests();

      const contexts = await Promise.all(
        Array.from({ length: 1000 }, () => auth.verifyToken(token)),
      );
      expect(contexts.every((context) => context.groups.includes("billing"))).toBe(true);
      expect(vault.countRequests({ method: "GET", path: `/v1/secret/data/${PATH}` })).toBe(1);
      expect(
        vault.countRequests({ method: "GET", path: "/v1/secret/data/gofr/auth/tokens/" }),
      ).toBe(1);
      expect(vault.countRequests()).toBe(2);
    });

    it("1,000 concurrent provider.get() at TTL expiry cause exactly one KV read", async () => {
      const { provider } = service();
      const first = randomSecret("a");
      const second = randomSecret("b");
      vault.putSecret(PATH, { value: first });
      expect(await provider.get()).toBe(first);
      vault.putSecret(PATH, { value: second });
      clock.advanceSeconds(300);
      vault.clearRequests();
      const values = await Promise.all(Array.from({ length: 1000 }, () => provider.get()));
      expect(new Set(values)).toEqual(new Set([second]));
      expect(vault.countRequests({ path: `/v1/secret/data/${PATH}` })).toBe(1);
    });

    it("Vault down after the caches are warm: verification works within the TTL, then vault_unreachable", async () => {
      vault.putSecret(PATH, { value: randomSecret() });
      const { auth, provider } = service();
      await auth.groups.create("ops");
      const { token } = await auth.createToken({ groups: ["ops"] });
      await auth.verifyToken(token);

      await vault.close();
      try {
        clock.advanceSeconds(20); // inside both TTLs: no Vault needed
        expect((await auth.verifyToken(token)).groups).toContain("ops");
        expect(await provider.get()).toBeTypeOf("string");

        clock.advanceSeconds(281); // 301 s: the secret must be read again
        expect(provider.current()).toBeUndefined();
        const error = await rejection(provider.get());
        expect(error.code).toBe("vault_unreachable");
        expect((await rejection(auth.verifyToken(token))).code).toBe("vault_unreachable");
        expectNoSecrets(error, [DOUBLE_ROOT_TOKEN, token]);
      } finally {
        await vault.start(); // same port, same data
      }
      expect((await auth.verifyToken(token)).groups).toContain("ops");
    });
  },
);
