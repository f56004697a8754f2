/**
 * Issue 13 (mutation testing): behaviours of JwtSecretProvider that surviving mutants showed
 * no test pinned down: exact refusal texts, log lines and their fields, and the edges of
 * version ordering and of the rotation grace.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
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
/** Long enough, but one character repeated: weak (see `weakSecretReason`). */
const WEAK = "a".repeat(48);

/** A store whose answers the test scripts: which version "latest" is, and what fails. */
class ScriptedSource implements SecretSource {
  readonly description = "scripted test source";
  readonly versions: SecretVersion[] = [];
  /** The version latest reads answer; undefined: the newest. */
  answering: number | undefined;
  /** A failure thrown by every read from now on. */
  failure: unknown;
  /** Versions whose explicit reads fail. */
  readonly unreadable = new Set<number>();
  readonly versionReads: number[] = [];

  constructor(readonly allowsWeakSecrets?: boolean) {}

  write(value: string, createdAt: number, version = this.versions.length + 1): void {
    this.versions.push({ value, version, createdAt: new Date(createdAt) });
  }

  async read(_name: string, version?: number): Promise<SecretVersion> {
    if (this.failure !== undefined) throw this.failure;
    if (version !== undefined) {
      this.versionReads.push(version);
      if (this.unreadable.has(version)) {
        throw new AuthError("secret_unavailable", `version ${version} destroyed`);
      }
    }
    const chosen = version ?? this.answering ?? this.versions.at(-1)?.version;
    const found = this.versions.findLast((entry) => entry.version === chosen);
    if (!found) throw new AuthError("secret_unavailable", `no version ${chosen}`);
    return { ...found };
  }
}

function setup(source: SecretSource, options: { ttl?: number } = {}) {
  const clock = new ManualClock();
  const logger = captureLogger();
  const provider = new JwtSecretProvider({
    source,
    name: NAME,
    cacheTtlSeconds: options.ttl ?? 60,
    refreshAheadSeconds: 0,
    clock: clock.now,
    logger,
  });
  const at = (level: string) => logger.entries.filter((entry) => entry.level === level);
  return { clock, logger, provider, at };
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${error}`);
  return error;
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

afterEach(() => {
  vi.restoreAllMocks();
});

describe("JwtSecretProvider refusals name the fault and the fix", () => {
  it("a negative cache TTL is refused with its own message and hint", () => {
    const source = new MemorySecretSource();
    const error = constructionError(() => new JwtSecretProvider({ source, cacheTtlSeconds: -5 }));
    expect(error.code).toBe("config_invalid");
    expect(error.message).toBe(
      "cacheTtlSeconds must be >= 0, got -5 (hint: use 300 (the default) unless you have a reason)",
    );
    expect(error.hint).toBe("use 300 (the default) unless you have a reason");
  });

  it("a refresh-ahead not below the TTL is refused naming both values", () => {
    const source = new MemorySecretSource();
    const error = constructionError(
      () => new JwtSecretProvider({ source, cacheTtlSeconds: 60, refreshAheadSeconds: 60 }),
    );
    expect(error.code).toBe("config_invalid");
    expect(error.message).toBe(
      "refreshAheadSeconds must be >= 0 and below cacheTtlSeconds (60), got 60",
    );
  });

  it("a source that throws a plain error is an outage with a hint and the secret's name", async () => {
    const source = new ScriptedSource();
    source.failure = new Error("socket hang up");
    const { provider } = setup(source);
    const error = await rejection(provider.getKey());
    expect(error.code).toBe("store_unavailable");
    expect(error.hint).toBe("check that the secret store is reachable");
    expect(error.details).toEqual({ secret: NAME });
    expect(error.message).toContain(`Could not read signing secret '${NAME}'`);
  });
});

describe("JwtSecretProvider log lines", () => {
  it("without a logger it writes WARNING lines to stderr as jwt-secret-provider, and no debug", async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const clock = new ManualClock();
    const source = new MemorySecretSource({ secrets: { [NAME]: V1 }, clock: clock.now });
    const provider = new JwtSecretProvider({ source, name: NAME, clock: clock.now });
    await provider.getKey(); // logs "loaded" at debug: below the default warn level
    source.set(NAME, V2);
    provider.invalidate();
    await provider.getKey(); // logs "rotated" at warn
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: "WARNING",
      logger: "jwt-secret-provider",
      msg: "JWT signing secret rotated",
    });
  });

  it("a failed background refresh is logged with the secret, code, error and held fingerprint", async () => {
    const source = new ScriptedSource();
    source.write(V1, 0);
    const clock = new ManualClock();
    const logger = captureLogger();
    const provider = new JwtSecretProvider({
      source,
      name: NAME,
      cacheTtlSeconds: 60,
      refreshAheadSeconds: 10,
      clock: clock.now,
      logger,
    });
    await provider.getKey();
    const failed = new Promise<AuthError>((resolve) => provider.once("refreshFailed", resolve));
    source.failure = new AuthError("vault_unreachable", "connection refused");
    clock.advanceSeconds(55);
    expect(provider.current()).toBe(V1); // starts the background read
    await failed;
    const warning = logger.entries.find((entry) => entry.level === "warn");
    expect(warning?.message).toBe("Background refresh of the JWT signing secret failed");
    expect(warning?.fields).toEqual({
      secret: NAME,
      code: "vault_unreachable",
      error: "connection refused",
      fingerprint: fingerprint(V1),
    });
  });

  it("a stale answer is logged as an error with both versions, fingerprints and the hint", async () => {
    const source = new ScriptedSource();
    source.write(V1, 1_000);
    source.write(V2, 2_000);
    const { clock, provider, at } = setup(source);
    await provider.getKey();
    source.answering = 1;
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V2);
    expect(at("error")).toEqual([
      {
        level: "error",
        message: "Secret store answered an older signing secret version; kept the newer",
        fields: {
          secret: NAME,
          version_read: 1,
          fingerprint_read: fingerprint(V1),
          version_kept: 2,
          fingerprint_kept: fingerprint(V2),
          hint: "a stale replica or a restored backup answers; a rotation is never rolled back in a running process (restart it to accept the older version on purpose)",
        },
      },
    ]);
  });

  it("a re-created secret logs a WARNING naming the old and new versions", async () => {
    const source = new ScriptedSource();
    source.write(V1, 1_000, 1);
    source.write(V2, 2_000, 2);
    const { clock, provider, at } = setup(source);
    await provider.getKey();
    source.versions.length = 0;
    source.write(V1, 3_000, 1); // deleted and written anew: version 1 again, created later
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V1);
    expect(at("warn")).toContainEqual({
      level: "warn",
      message: "JWT signing secret was re-created; older versions are forgotten",
      fields: { secret: NAME, old_version: 2, new_version: 1 },
    });
  });

  it("an unreadable previous version is logged at debug with its version and code", async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    source.write(V1, clock.now() - 10_000);
    source.write(V2, clock.now());
    source.unreadable.add(1);
    const { provider, at } = setup(source);
    provider.holdPreviousVersionFor(60_000);
    await provider.getKey();
    expect(at("debug")).toContainEqual({
      level: "debug",
      message: "Previous signing secret version not readable; its tokens are refused",
      fields: { secret: NAME, version: 1, code: "secret_unavailable" },
    });
  });
});

describe("JwtSecretProvider versions", () => {
  it("a secret re-created under the same version number forgets the versions kept before", async () => {
    const source = new ScriptedSource();
    source.write(V1, 1_000, 1);
    source.write(V2, 2_000, 2);
    const { clock, provider } = setup(source);
    await provider.getKey();
    await provider.getVersion(1);
    expect(provider.heldVersion(1)?.value).toBe(V1);
    source.versions.length = 0;
    source.write(V1, 3_000, 1);
    source.write(`${V2}-new`, 3_000, 2); // same version number, another value, created later
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(`${V2}-new`);
    expect(provider.heldVersion(1)).toBeUndefined();
  });

  it("a lower version created at the same instant as the held one is stale, not a re-creation", async () => {
    const source = new ScriptedSource();
    source.write(V1, 2_000);
    source.write(V2, 2_000);
    const { clock, provider } = setup(source);
    await provider.getKey();
    source.answering = 1;
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V2);
    expect(provider.stats.staleReads).toBe(1);
  });

  it("the same version and value with an earlier creation time is not a stale answer", async () => {
    const source = new ScriptedSource();
    source.write(V1, 2_000);
    const { clock, provider, at } = setup(source);
    await provider.getKey();
    source.versions.length = 0;
    source.write(V1, 1_000); // a clock difference between replicas, say: same key
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V1);
    expect(provider.stats.staleReads).toBe(0);
    expect(at("error")).toEqual([]);
  });

  it("an old version read explicitly may be weak when the source allows weak values", async () => {
    const source = new MemorySecretSource({ secrets: { [NAME]: WEAK } }); // allows weak values
    source.set(NAME, V2);
    const { provider } = setup(source);
    expect((await provider.getVersion(1)).value).toBe(WEAK);
  });

  it("a source that does not say it allows weak values gets weak ones refused", async () => {
    const source = new ScriptedSource(undefined);
    source.write(WEAK, 0);
    const provider = new JwtSecretProvider({ source, name: NAME, logger: captureLogger() });
    expect((await rejection(provider.getKey())).code).toBe("secret_too_weak");
  });
});

describe("JwtSecretProvider rotation grace", () => {
  it("without a grace asked for, the previous version is never read", async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    source.write(V1, clock.now());
    source.write(V2, clock.now()); // created this very instant
    const { provider } = setup(source);
    await provider.getKey();
    expect(source.versionReads).toEqual([]);
  });

  it("a latest version exactly as old as the grace still has its previous version read", async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    source.write(V1, clock.now() - 60_000);
    source.write(V2, clock.now() - 30_000);
    const { provider } = setup(source);
    provider.holdPreviousVersionFor(30_000);
    await provider.getKey();
    expect(source.versionReads).toEqual([1]);
    expect(provider.heldVersion(1)?.value).toBe(V1);
  });
});

describe("JwtSecretProvider cold access", () => {
  it("current() on a cold provider never starts a store read, even with a clock before 1970", async () => {
    let reads = 0;
    const source: SecretSource = {
      description: "counting source",
      read: async () => {
        reads += 1;
        return { value: V1, version: 1, createdAt: new Date(0) };
      },
    };
    const clock = new ManualClock(-1_000);
    const provider = new JwtSecretProvider({ source, clock: clock.now, logger: captureLogger() });
    expect(provider.current()).toBeUndefined();
    expect(reads).toBe(0);
  });
});
