import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider, type SecretRotatedEvent } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { captureLogger } from "../support/capture-logger.js";
import { ControlledSource, unreachable } from "../support/controlled-source.js";

const SECRET_A = `${"a".repeat(24)}-first-secret-value`;
const SECRET_B = `${"b".repeat(24)}-second-secret-value`;

function setup(options: { ttl?: number; ahead?: number } = {}) {
  const clock = new ManualClock();
  const source = new ControlledSource(SECRET_A);
  const logger = captureLogger();
  const provider = new JwtSecretProvider({
    source,
    clock: clock.now,
    logger,
    cacheTtlSeconds: options.ttl ?? 300,
    refreshAheadSeconds: options.ahead,
  });
  return { clock, source, logger, provider };
}

/** Lets queued promise callbacks run (no timers involved). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("JwtSecretProvider", () => {
  it("the first get reads the source", async () => {
    const { source, provider } = setup();
    expect(provider.current()).toBeUndefined();
    expect(await provider.get()).toBe(SECRET_A);
    expect(source.reads).toBe(1);
  });

  it("a second get within the TTL does not read the source", async () => {
    const { clock, source, provider } = setup();
    await provider.get();
    clock.advanceSeconds(200);
    expect(await provider.get()).toBe(SECRET_A);
    expect(provider.current()).toBe(SECRET_A);
    expect(source.reads).toBe(1);
  });

  it("a get after the TTL reads the source again", async () => {
    const { clock, source, provider } = setup({ ahead: 0 });
    await provider.get();
    clock.advanceSeconds(300);
    expect(provider.current()).toBeUndefined();
    await provider.get();
    expect(source.reads).toBe(2);
  });

  it("defaults to a 300 s TTL and reads the shared secret path", async () => {
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: SECRET_A } });
    const provider = new JwtSecretProvider({ source, logger: captureLogger() });
    expect(provider.cacheTtlMs).toBe(300_000);
    expect(provider.name).toBe("gofr/config/jwt-signing-secret");
    expect(await provider.get()).toBe(SECRET_A);
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(1);
  });

  it("logs a WARNING with old and new fingerprints when the secret rotates", async () => {
    const { clock, source, logger, provider } = setup({ ahead: 0 });
    const events: SecretRotatedEvent[] = [];
    provider.on("rotated", (event) => events.push(event));
    await provider.get();
    source.rotate(SECRET_B);
    clock.advanceSeconds(301);
    expect(await provider.get()).toBe(SECRET_B);

    const warnings = logger.entries.filter((entry) => entry.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/rotated/);
    expect(warnings[0]?.fields).toMatchObject({
      old_fingerprint: fingerprint(SECRET_A),
      new_fingerprint: fingerprint(SECRET_B),
    });
    expect(events).toEqual([
      {
        name: SHARED_SECRET_NAME,
        oldFingerprint: fingerprint(SECRET_A),
        newFingerprint: fingerprint(SECRET_B),
        oldVersion: 1,
        newVersion: 2,
      },
    ]);
    expect(provider.stats.rotations).toBe(1);
  });

  it("does not warn when a refresh returns the same value", async () => {
    const { clock, logger, provider } = setup({ ahead: 0 });
    await provider.get();
    clock.advanceSeconds(301);
    await provider.get();
    expect(logger.entries.filter((entry) => entry.level === "warn")).toEqual([]);
  });

  it("invalidate forces the next get to read the source", async () => {
    const { source, provider } = setup();
    await provider.get();
    provider.invalidate();
    expect(provider.current()).toBeUndefined();
    await provider.get();
    expect(source.reads).toBe(2);
  });

  it("rejects with a typed error when the source fails, and never falls back", async () => {
    const { clock, source, provider } = setup({ ahead: 0 });
    await provider.get();
    source.failWith(unreachable());
    clock.advanceSeconds(301);
    const error = await provider.get().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe("vault_unreachable");
    expect(provider.current()).toBeUndefined();
    expect(provider.stats.failures).toBe(1);
  });

  it("wraps a foreign source error as store_unavailable (an outage) without losing the cause", async () => {
    const { source, provider } = setup();
    const cause = new TypeError("socket hang up");
    source.failWith(cause);
    const error = (await provider.get().catch((caught: unknown) => caught)) as AuthError;
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("gofr/config/jwt-signing-secret");
    expect(error.cause).toBe(cause);
  });

  it("1,000 concurrent gets on a cold cache cause exactly one source read", async () => {
    const { source, provider } = setup();
    source.hold();
    const gets = Array.from({ length: 1000 }, () => provider.get());
    await flush();
    expect(source.waiting).toBe(1);
    source.release();
    const values = await Promise.all(gets);
    expect(new Set(values)).toEqual(new Set([SECRET_A]));
    expect(source.reads).toBe(1);
  });

  it("1,000 concurrent gets on an expired cache cause exactly one source read", async () => {
    const { clock, source, provider } = setup({ ahead: 0 });
    await provider.get();
    source.rotate(SECRET_B);
    clock.advanceSeconds(300);
    source.hold();
    const gets = Array.from({ length: 1000 }, () => provider.get());
    source.release();
    const values = await Promise.all(gets);
    expect(new Set(values)).toEqual(new Set([SECRET_B]));
    expect(source.reads).toBe(2);
  });

  it("a failed shared read rejects every waiting caller, and the next get retries", async () => {
    const { source, provider } = setup();
    source.failWith(unreachable());
    source.hold();
    const gets = Array.from({ length: 50 }, () => provider.get().catch((e: AuthError) => e.code));
    source.release();
    expect(new Set(await Promise.all(gets))).toEqual(new Set(["vault_unreachable"]));
    expect(source.reads).toBe(1);
    source.failWith(undefined);
    expect(await provider.get()).toBe(SECRET_A);
    expect(source.reads).toBe(2);
  });

  it("refresh-ahead renews before expiry without a caller waiting", async () => {
    const { clock, source, provider } = setup({ ttl: 300, ahead: 30 });
    await provider.get();
    source.rotate(SECRET_B);
    clock.advanceSeconds(275); // inside the 30 s margin, still fresh
    source.hold();
    // The caller gets the cached value synchronously while the background read is open.
    expect(provider.current()).toBe(SECRET_A);
    expect(await provider.get()).toBe(SECRET_A);
    expect(source.reads).toBe(2);
    expect(source.waiting).toBe(1);
    source.release();
    await flush();
    expect(provider.current()).toBe(SECRET_B);
    clock.advanceSeconds(250); // 525 s after the first read: only the renewed value is fresh
    expect(provider.current()).toBe(SECRET_B);
    expect(source.reads).toBe(2);
  });

  it("a failed background refresh is logged and counted and keeps the fresh value", async () => {
    const { clock, source, logger, provider } = setup({ ttl: 300, ahead: 30 });
    await provider.get();
    source.failWith(unreachable());
    clock.advanceSeconds(280);
    expect(provider.current()).toBe(SECRET_A);
    await flush();
    expect(provider.stats.refreshFailures).toBe(1);
    expect(provider.current()).toBe(SECRET_A);
    expect(logger.entries.some((e) => e.level === "warn" && /refresh/i.test(e.message))).toBe(true);
  });

  it("refuses a secret shorter than 32 bytes, naming the path but not the value", async () => {
    const source = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: "short-secret-123" },
    });
    const provider = new JwtSecretProvider({ source, logger: captureLogger() });
    const error = (await provider.get().catch((caught: unknown) => caught)) as AuthError;
    expect(error.code).toBe("secret_too_weak");
    expect(error.message).toContain(SHARED_SECRET_NAME);
    expect(error.message).not.toContain("short-secret-123");
  });

  it("refuses an empty or PEM-looking secret", async () => {
    for (const value of [
      "",
      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
    ]) {
      const source = new MemorySecretSource({ secrets: { s: value } });
      const provider = new JwtSecretProvider({ source, name: "s", logger: captureLogger() });
      await expect(provider.get()).rejects.toMatchObject({ code: "secret_invalid" });
    }
  });

  it("fingerprints are sha256: plus the first 12 hex characters", async () => {
    const { provider } = setup();
    expect(provider.fingerprint).toBeUndefined();
    const key = await provider.getKey();
    const expected = `sha256:${createHash("sha256").update(SECRET_A).digest("hex").slice(0, 12)}`;
    expect(key.fingerprint).toBe(expected);
    expect(provider.fingerprint).toBe(expected);
    expect(expected).toMatch(/^sha256:[0-9a-f]{12}$/);
  });

  it("a loaded key never shows its value in JSON or inspect output", async () => {
    const { provider } = setup();
    const key = await provider.getKey();
    expect(JSON.stringify(key)).not.toContain(SECRET_A);
    expect(inspect(key)).not.toContain(SECRET_A);
    expect(JSON.stringify(key)).toContain(key.fingerprint);
  });

  it("reads an older version once and keeps it", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { s: SECRET_A }, clock: clock.now });
    source.set("s", SECRET_B);
    const provider = new JwtSecretProvider({
      source,
      name: "s",
      clock: clock.now,
      logger: captureLogger(),
    });
    expect((await provider.getKey()).version).toBe(2);
    const [first, second] = await Promise.all([provider.getVersion(1), provider.getVersion(1)]);
    expect(first?.value).toBe(SECRET_A);
    expect(second).toBe(first);
    await provider.getVersion(1);
    expect(source.readCount("s")).toBe(2);
  });

  it("rejects nonsense options with config_invalid", () => {
    const source = new ControlledSource(SECRET_A);
    expect(() => new JwtSecretProvider({ source, cacheTtlSeconds: -1 })).toThrow(
      expect.objectContaining({ code: "config_invalid" }),
    );
    expect(
      () => new JwtSecretProvider({ source, cacheTtlSeconds: 10, refreshAheadSeconds: 10 }),
    ).toThrow(expect.objectContaining({ code: "config_invalid" }));
  });
});
