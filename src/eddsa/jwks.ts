/** The JWK Set (RFC 7517 section 5) of EdDSA issuers' verifiable public keys. */
import { isAuthError } from "../errors.js";
import type { PublicKeySet } from "./public-key-set.js";

/**
 * How long a JWKS answer may be cached (`Cache-Control: max-age`) by default: 60 s. A
 * client caching it longer keeps accepting a retired version that much longer.
 */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 60;

/**
 * The `max-age` to serve a JWKS with: `preferred`, but never more than the key set's own
 * cache TTL (a client must not hold keys longer than the service does), whole seconds.
 */
export function jwksMaxAgeSeconds(
  publicKeys: PublicKeySet,
  preferred: number = DEFAULT_JWKS_MAX_AGE_SECONDS,
): number {
  return Math.max(0, Math.floor(Math.min(preferred, publicKeys.cacheTtlMs / 1000)));
}

/** One Ed25519 public key as a JWK (RFC 8037 section 2). */
export interface Ed25519Jwk {
  kty: "OKP";
  crv: "Ed25519";
  /** The 32 raw public key bytes, base64url. */
  x: string;
  /** `<issuer>.v<version>`, as in the tokens' `kid`. */
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

/**
 * Every version from each issuer's floor to its latest, issuers in the order given, oldest
 * version first. Issuers without an EdDSA key are left out; outages reject.
 */
export async function jwks(
  publicKeys: PublicKeySet,
  issuers: readonly string[],
): Promise<{ keys: Ed25519Jwk[] }> {
  const keys: Ed25519Jwk[] = [];
  for (const issuer of issuers) {
    let loaded: Awaited<ReturnType<PublicKeySet["get"]>>;
    try {
      loaded = await publicKeys.get(issuer);
    } catch (error) {
      if (isAuthError(error, "secret_unavailable")) continue;
      throw error;
    }
    for (const key of [...loaded.keys.values()].sort((a, b) => a.version - b.version)) {
      const x = key.raw.toString("base64url");
      keys.push({
        kty: "OKP",
        crv: "Ed25519",
        x,
        kid: `${issuer}.v${key.version}`,
        alg: "EdDSA",
        use: "sig",
      });
    }
  }
  return { keys };
}
