/**
 * Issue 14 item 7: with a rotation grace on, tokens naming old key versions must not drive
 * secret-store reads. Before, a token naming `shared.v<n>` made the verifier read version
 * n+1 and n from the store before its signature could be checked: unsigned tokens caused
 * store reads (759 for 1,000 requests in the attack run), and a version the store no longer
 * keeps turned a forged token into a 503: Vault KV v2 keeps `max_versions` (default 10, kv
 * `path_data.go:729-735`) and answers 404 for an unknown, deleted or destroyed version (kv
 * `path_data.go:190-229`; vault-api.md rows 2, 4, 11), which the source maps to
 * `secret_unavailable`.
 *
 * Now only the version just before the current one is accepted, within the window, and only
 * from a key the verifier already holds: a provider reads that version once when it loads
 * the current one (not when a token asks), and old-version tokens are checked against held
 * keys or refused with `token_invalid`, never with a store error.
 */
import { describe, expect, it } from "vitest";
import { AuthError, type AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import {
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/index.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { forgeToken } from "../support/forge.js";

const SECRETS = [1, 2, 3].map((v) => `shared-secret-version-${v}-of-the-fleet-0123456789`);
const GRACE_SECONDS = 3600;

/** A store holding versions 1-3; reads of old versions are counted and can be purged. */
class VersionedStore implements SecretSource {
  readonly description = "versioned test store";
  readonly memory: MemorySecretSource;
  versionReads = 0;
  /** Versions below this are gone, as after Vault's max_versions trimmed them. */
  keptFrom = 1;

  constructor(clock: ManualClock) {
    this.memory = new MemorySecretSource({ clock: clock.now });
    for (const secret of SECRETS) {
      this.memory.set(SHARED_SECRET_NAME, secret);
      clock.advanceSeconds(60);
    }
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    if (version !== undefined) {
      this.versionReads += 1;
      if (version < this.keptFrom) {
        throw new AuthError("secret_unavailable", `Version ${version} of ${name} was purged`);
      }
    }
    return this.memory.read(name, version);
  }
}

function verifier(graceSeconds: number) {
  const clock = new ManualClock();
  const store = new VersionedStore(clock); // v3 created 60 s ago
  const provider = new JwtSecretProvider({ source: store, clock: clock.now, logger: silentLogger });
  const tokens = new TokenService({
    secretProvider: provider,
    rotationGraceSeconds: graceSeconds,
    clock: clock.now,
  });
  const now = Math.floor(clock.now() / 1000);
  const token = (version: number, secret: string, jti = "j") =>
    forgeToken(
      { alg: "HS256", typ: "JWT", kid: `shared.v${version}` },
      { jti, groups: ["public"], iat: now - 120, nbf: now - 120, exp: now + 3600, aud: "gofr-api" },
      secret,
    );
  return { clock, store, provider, tokens, token };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

/** Outcome counts of verifying each token. */
async function tally(tokens: TokenService, list: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const token of list) {
    const code = await codeOf(tokens.verify(token));
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

const FORGED = "not-the-fleet-secret-but-long-enough-0123456789";

describe("rotation grace checks old tokens only against held keys", () => {
  it("1,000 forged tokens naming old versions: no store read, token_invalid, never a store error", async () => {
    const { store, provider, tokens, token } = verifier(GRACE_SECONDS);
    store.keptFrom = 3; // Vault no longer keeps v1 and v2
    await provider.getKey(); // a warm verifier: v3 (and its attempt to hold v2)
    const readsAtLoad = store.versionReads;
    expect(readsAtLoad).toBeLessThanOrEqual(1);
    const forged = Array.from({ length: 1000 }, (_, i) => token(1 + (i % 2), FORGED, `j${i}`));
    expect(await tally(tokens, forged)).toEqual({ token_invalid: 1000 });
    expect(store.versionReads).toBe(readsAtLoad);
  });

  it("a verifier started after the rotation holds the previous version and accepts its tokens", async () => {
    const { store, tokens, token } = verifier(GRACE_SECONDS);
    const v2 = Array.from({ length: 100 }, (_, i) => token(2, SECRETS[1] as string, `v2-${i}`));
    expect(await tally(tokens, v2)).toEqual({ resolved: 100 });
    // One read of v2, made when v3 was loaded; none per token.
    expect(store.versionReads).toBe(1);
    // Two versions back: refused with no read of v1, although the store still has it.
    expect(await codeOf(tokens.verify(token(1, SECRETS[0] as string)))).toBe("token_invalid");
    expect(store.versionReads).toBe(1);
  });

  it("forged tokens naming the held previous version are refused by its signature check", async () => {
    const { store, tokens, token } = verifier(GRACE_SECONDS);
    const forged = Array.from({ length: 100 }, (_, i) => token(2, FORGED, `f${i}`));
    expect(await tally(tokens, forged)).toEqual({ token_invalid: 100 });
    expect(store.versionReads).toBe(1);
  });

  it("once the window has passed, previous-version tokens are refused and nothing is read", async () => {
    const { clock, store, tokens, token } = verifier(GRACE_SECONDS);
    clock.advanceSeconds(GRACE_SECONDS); // v3 is now older than the grace
    expect(await codeOf(tokens.verify(token(2, SECRETS[1] as string)))).toBe("token_invalid");
    expect(store.versionReads).toBe(0);
  });

  it("without a grace no old version is ever read", async () => {
    const { store, tokens, token } = verifier(0);
    expect(await codeOf(tokens.verify(token(3, SECRETS[2] as string)))).toBe("resolved");
    expect(await codeOf(tokens.verify(token(2, SECRETS[1] as string)))).toBe("token_invalid");
    expect(store.versionReads).toBe(0);
  });
});
