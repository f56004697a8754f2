/**
 * HS256 primitives. Verification is node:crypto directly (one HMAC, one constant-time
 * comparison): on the hot path fast-jwt decoded and parsed header and payload a second time,
 * which cost more than the HMAC itself (docs/performance.md). Signing stays fast-jwt's.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { createSigner } from "fast-jwt";
import { AuthError } from "../errors.js";

/** True when `signature` is exactly the base64url (unpadded) HMAC-SHA256 of `signingInput`. */
export type Hs256SignatureCheck = (signingInput: string, signature: string) => boolean;
export type Hs256Signer = (payload: Record<string, unknown>) => string;

/** base64url of a 32-byte HMAC: 43 characters. */
export const HS256_SIGNATURE_LENGTH = 43;
/** Compact JWS: three non-empty base64url parts separated by dots. */
export const TOKEN_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

function secretKey(key: string | Buffer): KeyObject {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key);
  if (bytes.length === 0) {
    throw new AuthError("config_invalid", "An HS256 key must not be empty");
  }
  return createSecretKey(bytes);
}

/**
 * Compares encoded forms, which is cheaper than decoding the given signature: Node's
 * base64url digest is canonical, so equal strings mean equal MAC bytes, and a non-canonical
 * spelling of the right MAC (which a lenient decoder would accept) never matches. Both sides
 * are compared as UTF-8 bytes in constant time; any non-ASCII character makes the given side
 * longer than 43 bytes, so it cannot alias an ASCII one.
 */
export function createHs256SignatureCheck(key: string | Buffer): Hs256SignatureCheck {
  const secret = secretKey(key);
  return (signingInput, signature) => {
    if (signature.length !== HS256_SIGNATURE_LENGTH) return false;
    const given = Buffer.from(signature, "utf8");
    if (given.length !== HS256_SIGNATURE_LENGTH) return false;
    const expected = createHmac("sha256", secret).update(signingInput).digest("base64url");
    return timingSafeEqual(Buffer.from(expected, "utf8"), given);
  };
}

/** Decodes one base64url token segment to text. */
export function decodeSegment(segment: string): string {
  return Buffer.from(segment, "base64url").toString("utf8");
}

/** fast-jwt keeps the `iat` we put in the payload (from the injected clock). */
export function createHs256Signer(key: string | Buffer, kid: string): Hs256Signer {
  return createSigner({ key, algorithm: "HS256", kid });
}
