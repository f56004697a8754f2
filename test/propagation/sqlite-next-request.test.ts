/**
 * The embedded store needs no poll: a provider over `SqliteSecretSource` checks the
 * source's generation (`PRAGMA data_version` plus the handle's own writes) on each access,
 * so a rotation committed by another process is used on the very next verification, with
 * the secret cached under a long TTL and no clock movement at all.
 */
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { type SecretSource, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { ManualClock } from "../../src/testing/clock.js";
import { randomSecret, useTempDirs } from "../sqlite/helpers.js";
import { outcome } from "./stacks.js";

const temp = useTempDirs();

/** One "process" on the file: its own handle, source, store, key ring and service. */
function sqliteStack(path: string, clock: ManualClock, rotationGraceSeconds = 0) {
  const database = openAuthDatabase({ path, logger: silentLogger });
  temp.onCleanup(() => database.close());
  const source = new SqliteSecretSource({ database, clock: clock.now });
  const store = new SqliteAuthStore({ database, logger: silentLogger });
  const keyRing = new KeyRing({
    source,
    cacheTtlSeconds: 3600,
    clock: clock.now,
    logger: silentLogger,
  });
  const auth = new AuthService({
    store,
    keyRing,
    rotationGraceSeconds,
    clock: clock.now,
    logger: silentLogger,
  });
  return { database, source, store, keyRing, auth };
}

describe("SQLite: a rotation by another process", () => {
  it("is used on the very next verification: grace 0 refuses, a grace accepts", async () => {
    const path = join(temp.dir(), "auth.db");
    const clock = new ManualClock();
    const writer = sqliteStack(path, clock);
    await writer.source.write(SHARED_SECRET_NAME, randomSecret());
    await writer.auth.groups.create("billing");
    const minted = await writer.auth.createToken({ groups: ["billing"] });
    const strict = sqliteStack(path, clock);
    const lenient = sqliteStack(path, clock, 3600);
    for (const stack of [strict, lenient]) {
      expect(await outcome(stack.auth.verifyToken(minted.token))).toBe("accepted");
    }
    const readsBefore = strict.keyRing.shared.stats.reads;

    await writer.source.write(SHARED_SECRET_NAME, randomSecret()); // `secrets rotate`
    expect(await outcome(strict.auth.verifyToken(minted.token))).toBe("token_invalid");
    expect(await outcome(lenient.auth.verifyToken(minted.token))).toBe("accepted");
    expect(strict.keyRing.shared.stats.reads).toBe(readsBefore + 1);
    expect(strict.keyRing.shared.currentKey()?.version).toBe(2);
    // New tokens verify everywhere at once.
    const fresh = await writer.auth.createToken({ groups: ["billing"] });
    expect(fresh.kid).toBe("shared.v2");
    expect(await outcome(strict.auth.verifyToken(fresh.token))).toBe("accepted");
  });

  it("an unrelated commit costs one re-read, which keeps the same key object", async () => {
    const path = join(temp.dir(), "auth.db");
    const clock = new ManualClock();
    const writer = sqliteStack(path, clock);
    await writer.source.write(SHARED_SECRET_NAME, randomSecret());
    const reader = sqliteStack(path, clock);
    const provider = reader.keyRing.shared;
    const key = await provider.getKey();
    expect(provider.currentKey()).toBe(key);
    const reads = provider.stats.reads;

    await writer.auth.groups.create("billing"); // another process commits, no secret change
    expect(provider.currentKey()).toBeUndefined(); // the caller reads once (single flight)
    const [a, b] = await Promise.all([provider.getKey(), provider.getKey()]);
    expect(a).toBe(key);
    expect(b).toBe(key);
    expect(provider.stats.reads).toBe(reads + 1);
    expect(provider.currentKey()).toBe(key); // and nothing more while nothing changes
    expect(provider.stats.reads).toBe(reads + 1);
  });

  it("costs one PRAGMA data_version per access of the cached key", async () => {
    const path = join(temp.dir(), "auth.db");
    const clock = new ManualClock();
    const stack = sqliteStack(path, clock);
    await stack.source.write(SHARED_SECRET_NAME, randomSecret());
    const provider = new JwtSecretProvider({ source: stack.source, clock: clock.now });
    await provider.getKey();
    const checks = vi.spyOn(stack.database, "dataVersion");
    for (let i = 0; i < 100; i += 1) expect(provider.currentKey()).toBeDefined();
    expect(checks).toHaveBeenCalledTimes(100);
  });
});

describe("SQLite: a generation that cannot be read", () => {
  it("fails closed: the cached key is not served, the read reports the store", async () => {
    const path = join(temp.dir(), "auth.db");
    const stack = sqliteStack(path, new ManualClock());
    await stack.source.write(SHARED_SECRET_NAME, randomSecret());
    await stack.keyRing.shared.getKey();
    stack.database.close();
    expect(stack.keyRing.shared.currentKey()).toBeUndefined();
    await expect(stack.keyRing.shared.getKey()).rejects.toMatchObject({
      code: "store_unavailable",
    });
  });
});

describe("sources without a generation", () => {
  it("the memory source has none: a cached key is served until its TTL", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    expect((source as SecretSource).generation).toBeUndefined();
    const provider = new JwtSecretProvider({ source, clock: clock.now });
    const key = await provider.getKey();
    source.set(SHARED_SECRET_NAME, randomSecret());
    expect(provider.currentKey()).toBe(key);
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(1);
  });

  it("a re-read of the same version keeps the same key object (verified-token cache stays warm)", async () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    const provider = new JwtSecretProvider({ source });
    const key = await provider.getKey();
    provider.invalidate();
    expect(await provider.getKey()).toBe(key);
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(2);
  });
});
