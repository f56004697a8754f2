import { AuthError } from "../errors.js";

/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 section 3.2). */
export const MIN_SECRET_BYTES = 32;

/**
 * Refuses values that must never become an HMAC key: empty, PEM (a public key used as an
 * HMAC secret is the classic algorithm-confusion attack) or shorter than 32 bytes.
 * Errors name the secret, never its value.
 */
export function assertUsableSecret(name: string, value: unknown): asserts value is string {
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
}
