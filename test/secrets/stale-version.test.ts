/**
 * A stale store must not roll a rotation back. When the store answers an older version
 * than one already loaded (a stale replica behind a load balancer, a restored backup), the
 * rotated-away key would become current again: minted with, and accepted. Versions only
 * move forward in a running process; the older answer is logged once as an error.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import type { SecretSource, SecretVersion } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { captureLogger } from "../support/capture-logger.js";
import { forgeToken } from "../support/forge.js";

const V1 = "first-version-of-the-secret-0123456789-abcdefgh";
const V2 = "second-version-of-the-secret-0123456789-abcdefg";
const V3 = "third-version-of-the-secret-0123456789-abcdefgh";
const DAY = 86_400_000;

/** A secret store whose "latest" answer the test picks: the primary's, or a stale one. */
class ReplicaSource implements SecretSource {
  readonly description = "replica test source";
  readonly versions: SecretVersion[] = [];
  /** The version latest reads answer; undefined: the newest. */
  answering: number | undefined;

  write(value: string, createdAt: number): void {
    this.versions.push({
      value,
      version: this.versions.length + 1,
      createdAt: new Date(createdAt),
    });
  }

  async read(_name: string, version?: number): Promise<SecretVersion> {
    const chosen = version ?? this.answering ?? this.versions.length;
    const found = this.versions[chosen - 1];
    if (!found) throw new Error(`test source has no version ${chosen}`);
    return { ...found };
  }
}

function setup() {
  const clock = new ManualClock();
  const logger = captureLogger();
  const source = new ReplicaSource();
  source.write(V1, clock.now() - 2 * DAY);
  source.write(V2, clock.now() - DAY);
  const provider = new JwtSecretProvider({ source, cacheTtlSeconds: 60, clock: clock.now, logger });
  const tokens = new TokenService({ secretProvider: provider, clock: clock.now });
  const errors = () => logger.entries.filter((entry) => entry.level === "error");
  return { clock, source, provider, tokens, errors };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("JwtSecretProvider against a stale store", () => {
  it("keeps the newer version when the store answers an older one, and says so once", async () => {
    const { clock, source, provider, errors } = setup();
    expect((await provider.getKey()).version).toBe(2);
    source.answering = 1; // a replica restored from last week's backup
    for (let i = 0; i < 3; i += 1) {
      clock.advanceSeconds(61);
      const key = await provider.getKey();
      expect(key.version).toBe(2);
      expect(key.value).toBe(V2);
    }
    expect(provider.stats.staleReads).toBe(3);
    expect(provider.stats.rotations).toBe(0);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]?.fields).toMatchObject({ version_read: 1, version_kept: 2 });
    expect(JSON.stringify(errors())).not.toContain(V1);
    expect(JSON.stringify(errors())).not.toContain(V2);
  });

  it("the rotated-away key never signs nor verifies again; the store catching up is taken", async () => {
    const { clock, source, provider, tokens } = setup();
    const current = await tokens.mint({ groups: ["public"] });
    expect(current.kid).toBe("shared.v2");
    source.answering = 1;
    clock.advanceSeconds(61);
    expect((await tokens.mint({ groups: ["public"] })).kid).toBe("shared.v2");
    expect(await codeOf(tokens.verify(current.token))).toBe("resolved");
    const now = Math.floor(clock.now() / 1000);
    const claims = { jti: "j-1", groups: ["public"], iat: now, nbf: now, exp: now + 60 };
    const old = forgeToken(
      { alg: "HS256", typ: "JWT", kid: "shared.v1" },
      { ...claims, aud: "gofr-api", iss: "gofr-auth" },
      V1,
    );
    expect(await codeOf(tokens.verify(old))).toBe("token_invalid");

    source.answering = undefined;
    source.write(V3, clock.now());
    clock.advanceSeconds(61);
    expect((await provider.getKey()).version).toBe(3);
    expect(provider.stats.rotations).toBe(1);
  });

  it("serves the kept key for another TTL instead of reading the stale store per call", async () => {
    const { clock, source, provider } = setup();
    await provider.getKey();
    source.answering = 1;
    clock.advanceSeconds(61);
    await provider.getKey();
    const reads = provider.stats.reads;
    for (let i = 0; i < 10; i += 1) expect(provider.current()).toBe(V2);
    expect(provider.stats.reads).toBe(reads);
  });

  it("a secret deleted and written anew (version 1, created later) is taken, old versions forgotten", async () => {
    const { clock, source, provider, errors } = setup();
    await provider.getKey();
    await provider.getVersion(1);
    expect(provider.heldVersion(1)?.value).toBe(V1);
    source.versions.length = 0; // vault kv metadata delete, then a new write
    source.write(V3, clock.now());
    clock.advanceSeconds(61);
    const key = await provider.getKey();
    expect(key.version).toBe(1);
    expect(key.value).toBe(V3);
    expect(provider.heldVersion(1)?.value).toBe(V3);
    expect(provider.heldVersion(2)).toBeUndefined();
    expect(errors()).toEqual([]);
  });

  it("the same version with another value is taken only if it is not older", async () => {
    const { clock, source, provider } = setup();
    await provider.getKey();
    const stale = { value: V3, version: 2, createdAt: new Date(clock.now() - 3 * DAY) };
    source.versions[1] = stale; // a re-created store's old copy, from before the re-creation
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V2);
    source.versions[1] = { ...stale, createdAt: new Date(clock.now()) };
    clock.advanceSeconds(61);
    expect((await provider.getKey()).value).toBe(V3);
  });
});
