import { createHash } from "node:crypto";
import { AuthError } from "../errors.js";

/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 section 3.2). */
export const MIN_SECRET_BYTES = 32;

/** A value with fewer distinct characters than this is weak, however long it is. */
export const MIN_DISTINCT_CHARACTERS = 8;

/** Phrases that ship in templates and examples: a value containing one never signs a token. */
export const PLACEHOLDER_PATTERN = /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?secret|placeholder/i;

/**
 * SHA-256 (hex) of secrets published in code: `TEST_SECRET` of `gofr-auth/testing` (the
 * Python fleet's test secret). Kept as digests so production code never imports testing.
 */
const PUBLIC_SECRET_DIGESTS: ReadonlySet<string> = new Set([
  "a377bc85b01ec62464bc79d2fdb7afc435578ff47080ec0efb512ae8e14c711f",
]);

export interface UsableSecretOptions {
  /**
   * Skip the weak-value rules ({@link weakSecretReason}); the 32-byte minimum and the PEM
   * check still apply. For tests that use fixed values; never in production.
   */
  allowWeak?: boolean;
}

/**
 * Why `value` is a weak signing secret, or undefined when it is not. Weak means any of:
 * - it contains a template phrase ({@link PLACEHOLDER_PATTERN}: "change me", "replace me",
 *   "your secret", "placeholder", in any case, with `-`, `_`, a space or nothing between);
 * - it has fewer than {@link MIN_DISTINCT_CHARACTERS} distinct characters;
 * - it repeats a shorter pattern: the value is a string of at most half its length written
 *   again and again (the last copy may be cut short), e.g. `abcdabcdabcd`;
 * - it is a publicly known secret (the test secret of `gofr-auth/testing`).
 * The reason never contains the value or a part of it.
 */
export function weakSecretReason(value: string): string | undefined {
  if (PLACEHOLDER_PATTERN.test(value)) return "it contains a template placeholder phrase";
  const distinct = new Set(value).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) {
    return `it has only ${distinct} distinct characters (at least ${MIN_DISTINCT_CHARACTERS} are required)`;
  }
  const period = shortestPeriod(value);
  if (period * 2 <= value.length) return `it repeats a ${period}-character pattern`;
  if (PUBLIC_SECRET_DIGESTS.has(createHash("sha256").update(value, "utf8").digest("hex"))) {
    return "it is a publicly known test secret";
  }
  return undefined;
}

/**
 * Refuses values that must never become an HMAC key: empty, PEM (a public key used as an
 * HMAC secret is the classic algorithm-confusion attack), shorter than 32 bytes, or weak
 * ({@link weakSecretReason}) unless `allowWeak`. Errors name the secret, never its value.
 */
export function assertUsableSecret(
  name: string,
  value: unknown,
  options: UsableSecretOptions = {},
): asserts value is string {
  if (typeof value !== "string" || value.length === 0) {
    throw new AuthError("secret_invalid", `Signing secret '${name}' is empty or not a string`, {
      hint: "store a random value of at least 32 bytes, e.g. `gofr-auth secrets rotate`",
      details: { secret: name },
    });
  }
  if (value.includes("-----BEGIN")) {
    throw new AuthError("secret_invalid", `Signing secret '${name}' looks like a PEM key`, {
      hint: "HS256 needs a random shared secret, not a public or private key",
      details: { secret: name },
    });
  }
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes < MIN_SECRET_BYTES) {
    throw new AuthError(
      "secret_too_weak",
      `Signing secret '${name}' is ${bytes} bytes; at least ${MIN_SECRET_BYTES} are required`,
      {
        hint: "generate one with `openssl rand -base64 32` or `gofr-auth secrets rotate`",
        details: { secret: name, bytes },
      },
    );
  }
  const weak = options.allowWeak ? undefined : weakSecretReason(value);
  if (weak !== undefined) {
    throw new AuthError("secret_too_weak", `Signing secret '${name}' is weak: ${weak}`, {
      hint: "replace it with a random value: `openssl rand -base64 32` or `gofr-auth secrets rotate`",
      details: { secret: name, reason: weak },
    });
  }
}

/** The length of the shortest string whose repetition makes `value` (KMP failure function). */
function shortestPeriod(value: string): number {
  const border = new Array<number>(value.length).fill(0);
  for (let i = 1, k = 0; i < value.length; i += 1) {
    while (k > 0 && value[i] !== value[k]) k = border[k - 1] as number;
    if (value[i] === value[k]) k += 1;
    border[i] = k;
  }
  return value.length - (border[value.length - 1] ?? 0);
}
