/**
 * A small EdDSA fleet for the tests of test/eddsa: a shared HS256 secret, issuer
 * `deposito` minting EdDSA with keys in memory, issuer `billing` on HS256 with its own
 * secret, every store read counted.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { MemoryEdDsaKeys } from "../../src/eddsa/memory.js";
import { PublicKeySet, type PublicKeySetOptions } from "../../src/eddsa/public-key-set.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { ManualClock } from "../../src/testing/index.js";
import type { TokenAlgorithm } from "../../src/tokens/algorithms.js";
import { TokenService, type TokenServiceOptions } from "../../src/tokens/token-service.js";

export const SHARED = "shared-secret-for-the-whole-fleet-0123456789";
export const BILLING = "billing-own-secret-0123456789-abcdefghijkl";

export interface FleetOptions {
  issuerAlgorithms?: Record<string, readonly TokenAlgorithm[]>;
  tokens?: Partial<TokenServiceOptions>;
  publicKeys?: Partial<PublicKeySetOptions>;
}

export function fleet(options: FleetOptions = {}) {
  const clock = new ManualClock();
  const source = new MemorySecretSource({
    secrets: { [SHARED_SECRET_NAME]: SHARED, [issuerSecretName("billing")]: BILLING },
    clock: clock.now,
  });
  const keys = new MemoryEdDsaKeys({ clock: clock.now });
  /** deposito's version 1 (tests sign with its private key by hand). */
  const pair = generateKeyPairSync("ed25519");
  keys.create("deposito", pair);
  const publicKeys = new PublicKeySet({
    reader: keys,
    clock: clock.now,
    logger: silentLogger,
    ...options.publicKeys,
  });
  const keyRing = new KeyRing({ source, clock: clock.now, logger: silentLogger });
  const tokens = new TokenService({
    keyRing,
    clock: clock.now,
    issuerAlgorithms: options.issuerAlgorithms ?? { deposito: ["EdDSA"] },
    publicKeys,
    eddsaSigner: keys,
    ...options.tokens,
  });
  /** Every read of either store so far (secrets and public keys). */
  const reads = () =>
    [...source.reads.values(), ...keys.reads.values()].reduce((sum, n) => sum + n, 0);
  return { clock, source, keys, pair, publicKeys, keyRing, tokens, reads };
}

/** Valid claims for `iss` at the clock's time, one minute long. */
export function claimsAt(clock: ManualClock, iss: string, jti = "j1") {
  const now = Math.floor(clock.now() / 1000);
  return { jti, groups: ["public"], iat: now, nbf: now, exp: now + 60, aud: "gofr-api", iss };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JWT built by hand (not with the library under test), signed with Ed25519. */
export function forgeEdDsa(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

/** A JWT built by hand with an HMAC signature (`hash` over `secret`). */
export function forgeHmac(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
  hash: "sha256" | "sha512" = "sha256",
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest("base64url")}`;
}

export async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

/** The refusal's code and message (before any hint), or "resolved". */
export async function answerOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (error: { code: AuthErrorCode; message: string; hint?: string }) => {
      const message = error.hint
        ? error.message.slice(0, -` (hint: ${error.hint})`.length)
        : error.message;
      return `${error.code}: ${message}`;
    },
  );
}
