/**
 * The last step of the migration to per-issuer keys: `acceptSharedKey: false`. Strict mode
 * and `trustedIssuers` both let a shared-key token WITHOUT `iss` through (that is how the
 * Python fleet's tokens keep working during the migration); once every issuer has its own
 * key, this switch is what stops the shared key from verifying or minting anything.
 */
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/clock.js";
import { TokenService } from "../../src/tokens/token-service.js";
import { captureLogger } from "../support/capture-logger.js";
import { forgeToken } from "../support/forge.js";

const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
const DEPOSITO = "deposito-own-secret-0123456789-abcdefghijkl";

function fleet(ring: { strict?: boolean; acceptSharedKey?: boolean }) {
  const clock = new ManualClock();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("deposito")]: DEPOSITO },
    clock: clock.now,
  });
  const keyRing = new KeyRing({ source, ...ring, clock: clock.now, logger: captureLogger() });
  const service = (issuer: string) =>
    new TokenService({ keyRing, issuer, trustedIssuers: ["deposito"], clock: clock.now });
  /** A token signed with the shared secret, as the Python fleet (or a forger) makes them. */
  const sharedToken = (header: Record<string, unknown>, claims: Record<string, unknown> = {}) => {
    const now = Math.floor(clock.now() / 1000);
    const payload = {
      jti: "j-1",
      groups: ["public"],
      iat: now,
      nbf: now,
      exp: now + 60,
      aud: "gofr-api",
    };
    return forgeToken({ alg: "HS256", typ: "JWT", ...header }, { ...payload, ...claims }, SHARED);
  };
  return { source, keyRing, service, sharedToken };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("acceptSharedKey", () => {
  it("strict mode and trustedIssuers still accept a shared-key token without iss (the gap)", async () => {
    const { service, sharedToken } = fleet({ strict: true });
    const verifier = service("deposito");
    expect(await codeOf(verifier.verify(sharedToken({})))).toBe("resolved");
    expect(await codeOf(verifier.verify(sharedToken({ kid: "shared.v1" })))).toBe("resolved");
  });

  it("false: no shared-key token verifies, with or without kid or iss", async () => {
    const { service, sharedToken } = fleet({ acceptSharedKey: false });
    const verifier = service("deposito");
    for (const token of [
      sharedToken({}),
      sharedToken({ kid: "shared.v1" }),
      sharedToken({ kid: "shared.v1" }, { iss: "deposito" }),
      sharedToken({}, { iss: "deposito" }),
    ]) {
      expect(await codeOf(verifier.verify(token))).toBe("issuer_untrusted");
    }
  });

  it("false: refuses before any store read, also when the shared key was already loaded", async () => {
    const { source, keyRing, service, sharedToken } = fleet({ acceptSharedKey: false });
    const verifier = service("deposito");
    expect(await codeOf(verifier.verify(sharedToken({ kid: "shared.v1" })))).toBe(
      "issuer_untrusted",
    );
    expect(source.readCount(SHARED_SECRET_NAME)).toBe(0);
    await keyRing.shared.getKey(); // warm: the synchronous path must refuse as well
    expect(await codeOf(verifier.verify(sharedToken({})))).toBe("issuer_untrusted");
  });

  it("false: an issuer without its own key cannot mint, one with its own key works as before", async () => {
    const { keyRing, service } = fleet({ acceptSharedKey: false });
    expect(keyRing.strict).toBe(true);
    expect(await codeOf(service("negocio").mint({ groups: ["public"] }))).toBe(
      "secret_unavailable",
    );
    const own = await service("deposito").mint({ groups: ["public"] });
    expect(own.kid).toBe("deposito.v1");
    expect(await codeOf(service("deposito").verify(own.token))).toBe("resolved");
  });

  it("true (the default) changes nothing: shared-key tokens with an iss follow strict mode", async () => {
    const { service, sharedToken } = fleet({});
    const token = sharedToken({ kid: "shared.v1" }, { iss: "deposito" });
    expect(await codeOf(service("deposito").verify(token))).toBe("resolved");
    const strict = fleet({ strict: true, acceptSharedKey: true });
    expect(await codeOf(strict.service("deposito").verify(token))).toBe("token_invalid");
  });
});
