/**
 * Only an explicit not-found (`secret_unavailable` from the source, see `SecretSource.read`)
 * means "this issuer has no own key". A custom source that fails with a plain `Error`
 * during an outage used to read as not-found: the issuer silently minted with the shared
 * key, and verifiers answered 401 (`token_invalid`) for its tokens instead of 503.
 */
import { describe, expect, it } from "vitest";
import { AuthError, type AuthErrorCode } from "../../src/errors.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import {
  issuerSecretName,
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
} from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { captureLogger } from "../support/capture-logger.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";

/** A custom source (not ours) whose issuer folder can go down with a plain Error. */
class CustomSource implements SecretSource {
  readonly description = "custom test source";
  readonly memory: MemorySecretSource;
  failure: Error | undefined;

  constructor(clock: ManualClock) {
    this.memory = new MemorySecretSource({
      secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("deposito")]: DEPOSITO },
      clock: clock.now,
    });
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    if (this.failure && name !== SHARED_SECRET_NAME) throw this.failure;
    return this.memory.read(name, version);
  }
}

function setup() {
  const clock = new ManualClock();
  const source = new CustomSource(clock);
  const ring = () =>
    new KeyRing({ source, cacheTtlSeconds: 60, clock: clock.now, logger: captureLogger() });
  const service = (issuer: string, keyRing = ring()) =>
    new TokenService({ keyRing, issuer, clock: clock.now });
  return { clock, source, ring, service };
}

async function errorOf(promise: Promise<unknown>): Promise<AuthError | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: AuthError) => error,
  );
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  const outcome = await errorOf(promise);
  return outcome === "resolved" ? outcome : outcome.code;
}

describe("a custom secret source that fails with a plain Error", () => {
  it("minting fails closed (503) instead of falling back to the shared key", async () => {
    const { source, service } = setup();
    source.failure = new Error("connection reset by peer");
    const outcome = await errorOf(service("deposito").mint({ groups: ["public"] }));
    expect(outcome).toBeInstanceOf(AuthError);
    expect((outcome as AuthError).code).toBe("store_unavailable");
    expect((outcome as AuthError).category).toBe("unavailable");
  });

  it("verifying the issuer's tokens answers 503, not 401 'no such key'", async () => {
    const { source, service } = setup();
    const minted = await service("deposito").mint({ groups: ["public"] });
    expect(minted.kid).toBe("deposito.v1");
    source.failure = new Error("connection reset by peer");
    const outcome = await errorOf(service("negocio").verify(minted.token));
    expect((outcome as AuthError).code).toBe("store_unavailable");
    expect((outcome as AuthError).category).toBe("unavailable");
  });

  it("an explicit not-found from the source still means 'no own key' (shared fallback)", async () => {
    const { source, service } = setup();
    source.failure = new AuthError("secret_unavailable", "no such secret in the custom store");
    expect((await service("deposito").mint({ groups: ["public"] })).kid).toBe("shared.v1");
  });

  it("after the outage, the issuer's own key is used again", async () => {
    const { source, ring, service } = setup();
    const keyRing = ring();
    source.failure = new TypeError("fetch failed");
    expect(await codeOf(service("deposito", keyRing).mint({ groups: ["public"] }))).toBe(
      "store_unavailable",
    );
    source.failure = undefined;
    expect((await service("deposito", keyRing).mint({ groups: ["public"] })).kid).toBe(
      "deposito.v1",
    );
  });
});
