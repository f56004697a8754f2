/**
 * Issue 13 (mutation testing), second pass: JwtSecretProvider behaviours that surviving
 * mutants showed no test pinned down: the TTL and refresh-ahead bounds, the refresh-ahead
 * instant, the "loaded" debug line, and which read replaces the held key.
 */
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { fingerprint } from "../../src/secrets/fingerprint.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import type { SecretSource, SecretVersion } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { captureLogger } from "../support/capture-logger.js";

const V1 = "first-version-of-the-secret-0123456789-abcdefgh";
const V2 = "second-version-of-the-secret-0123456789-abcdefg";
const NAME = "gofr/config/jwt-signing-secret";

/** A store whose versions the test writes by hand (number, value and creation time). */
class ScriptedSource implements SecretSource {
  readonly description = "scripted test source";
  versions: SecretVersion[] = [];
  readonly versionReads: number[] = [];

  write(value: string, createdAt: number, version = this.versions.length + 1): void {
    this.versions.push({ value, version, createdAt: new Date(createdAt) });
  }

  async read(_name: string, version?: number): Promise<SecretVersion> {
    if (version !== undefined) this.versionReads.push(version);
    const chosen = version ?? this.versions.at(-1)?.version;
    const found = this.versions.findLast((entry) => entry.version === chosen);
    if (!found) throw new AuthError("secret_unavailable", `no version ${chosen}`);
    return { ...found };
  }
}

function setup(source: SecretSource, options: { ttl?: number; ahead?: number } = {}) {
  const clock = new ManualClock();
  const logger = captureLogger();
  const provider = new JwtSecretProvider({
    source,
    name: NAME,
    cacheTtlSeconds: options.ttl ?? 60,
    refreshAheadSeconds: options.ahead ?? 0,
    clock: clock.now,
    logger,
  });
  return { clock, logger, provider };
}

function constructionError(build: () => unknown): AuthError {
  try {
    build();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error("expected the constructor to throw");
}

describe("JwtSecretProvider TTL bounds", () => {
  it("a cache TTL of 0 is accepted (with the default refresh-ahead) and reads on every access", async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [NAME]: V1 }, clock: clock.now });
    const provider = new JwtSecretProvider({ source, name: NAME, cacheTtlSeconds: 0 });
    await provider.get();
    await provider.get();
    expect(provider.stats.reads).toBe(2);
  });

  it("a negative refresh-ahead is refused naming the TTL and the value", () => {
    const source = new MemorySecretSource();
    const error = constructionError(
      () => new JwtSecretProvider({ source, cacheTtlSeconds: 60, refreshAheadSeconds: -1 }),
    );
    expect(error.code).toBe("config_invalid");
    expect(error.message).toBe(
      "refreshAheadSeconds must be >= 0 and below cacheTtlSeconds (60), got -1",
    );
  });
});

describe("JwtSecretProvider refresh-ahead", () => {
  it("starts the background read exactly when the value enters the refresh-ahead window", async () => {
    const source = new ScriptedSource();
    source.write(V1, 0);
    const { clock, provider } = setup(source, { ttl: 60, ahead: 10 });
    await provider.getKey();
    clock.advance(49_999);
    provider.current();
    expect(provider.stats.reads).toBe(1);
    clock.advance(1); // now = expiry - refresh-ahead
    expect(provider.current()).toBe(V1);
    expect(provider.stats.reads).toBe(2);
    await provider.refresh(); // joins the background read
  });
});

describe("JwtSecretProvider 'loaded' log line", () => {
  it("logs the secret, fingerprint, version and TTL in seconds at debug", async () => {
    const source = new ScriptedSource();
    source.write(V1, 0);
    const { logger, provider } = setup(source, { ttl: 90 });
    await provider.getKey();
    expect(logger.entries).toEqual([
      {
        level: "debug",
        message: "JWT signing secret loaded",
        fields: { secret: NAME, fingerprint: fingerprint(V1), version: 1, ttl_seconds: 90 },
      },
    ]);
  });
});

describe("JwtSecretProvider rotation grace at version 1", () => {
  it("a first version has no previous version to read, whatever the grace", async () => {
    const source = new ScriptedSource();
    const { clock, provider } = setup(source);
    source.write(V1, clock.now()); // young: inside the grace
    provider.holdPreviousVersionFor(60_000);
    await provider.getKey();
    expect(source.versionReads).toEqual([]);
  });
});

describe("JwtSecretProvider takes the read key when it is not the held one", () => {
  it("the same version and value re-created later is taken with its new creation time", async () => {
    const source = new ScriptedSource();
    source.write(V1, 1_000, 1);
    const { provider } = setup(source);
    await provider.getKey();
    source.versions = [];
    source.write(V1, 5_000, 1); // deleted and written anew with the same value
    provider.invalidate();
    const key = await provider.getKey();
    expect(key.createdAt.getTime()).toBe(5_000);
  });

  it("a new version with the same value and creation time is taken with its own number", async () => {
    const source = new ScriptedSource();
    source.write(V1, 1_000, 1);
    const { provider } = setup(source);
    await provider.getKey();
    source.write(V1, 1_000, 2);
    provider.invalidate();
    expect((await provider.getKey()).version).toBe(2);
  });

  it("a higher version created before the held one is a rotation, not a stale answer", async () => {
    const source = new ScriptedSource();
    source.write(V1, 5_000, 1);
    const { provider } = setup(source);
    await provider.getKey();
    source.write(V2, 1_000, 2); // the store's clock went back between the writes
    provider.invalidate();
    const key = await provider.getKey();
    expect(key.version).toBe(2);
    expect(key.value).toBe(V2);
    expect(provider.stats).toMatchObject({ rotations: 1, staleReads: 0 });
  });
});
