/**
 * The verified-token cache remembers WHICH key verified a token, not its version number.
 * A secret store that is wiped and re-initialised (a new SQLite file, or a Vault KV path
 * whose metadata was deleted: KV v2 starts again at version 1) has a new secret under the
 * old version number; tokens signed with the old secret must stop verifying at once.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import type { SecretSource, SecretVersion } from "../../src/secrets/source.js";
import { ManualClock, TEST_SECRET } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const NEW_SECRET = "a-new-secret-after-the-store-was-re-created-0123456789";

/** A store holding one secret at version 1 that can be wiped and created again. */
class ReinitialisableSource implements SecretSource {
  readonly description = "re-initialisable test source";
  readonly allowsWeakSecrets = true; // holds the public TEST_SECRET
  constructor(private value: string) {}

  /** The store is gone and created afresh: a new value, and the version count restarts. */
  reinitialise(value: string): void {
    this.value = value;
  }

  async read(): Promise<SecretVersion> {
    return { value: this.value, version: 1, createdAt: new Date(0) };
  }
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

function setup(verifiedCacheSize: number) {
  const clock = new ManualClock();
  const source = new ReinitialisableSource(TEST_SECRET);
  const provider = new JwtSecretProvider({ source, clock: clock.now, logger: silentLogger });
  const tokens = new TokenService({
    secretProvider: provider,
    clock: clock.now,
    verifiedCacheSize,
  });
  return { clock, source, provider, tokens };
}

describe("verified-token cache across a re-initialised store", () => {
  for (const size of [1000, 0]) {
    it(`an old token (kid shared.v1) stops verifying once the store holds a new v1 secret (cache ${size})`, async () => {
      const { clock, source, provider, tokens } = setup(size);
      const { token, kid } = await tokens.mint({ groups: ["admin"] });
      expect(kid).toBe("shared.v1");
      expect(await codeOf(tokens.verify(token))).toBe("resolved");
      expect(await codeOf(tokens.verify(token))).toBe("resolved"); // now a cache hit

      source.reinitialise(NEW_SECRET);
      clock.advanceSeconds(provider.cacheTtlMs / 1000 + 1); // the provider reads the store again
      expect(await codeOf(tokens.verify(token))).toBe("token_invalid");
      expect(provider.currentKey()?.version).toBe(1);

      const fresh = await tokens.mint({ groups: ["admin"] });
      expect(fresh.kid).toBe("shared.v1");
      expect(await codeOf(tokens.verify(fresh.token))).toBe("resolved");
    });
  }

  it("the same holds for a Python-fleet token without kid", async () => {
    const { clock, source, provider, tokens } = setup(1000);
    const now = Math.floor(clock.now() / 1000);
    const python = forgeToken(
      { alg: "HS256", typ: "JWT" },
      {
        jti: "2c1b0a99-8877-4665-9443-322110ffeedd",
        groups: ["admin"],
        iat: now,
        nbf: now,
        exp: now + 3600,
        aud: "gofr-api",
      },
      TEST_SECRET,
    );
    expect(await codeOf(tokens.verify(python))).toBe("resolved");
    expect(await codeOf(tokens.verify(python))).toBe("resolved");
    source.reinitialise(NEW_SECRET);
    provider.invalidate();
    expect(await codeOf(tokens.verify(python))).toBe("token_invalid");
  });
});
