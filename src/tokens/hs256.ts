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

/** Each base64url character's 6-bit value by char code; 64 for anything else. */
const BASE64URL_VALUES = (() => {
  const table = new Uint8Array(128).fill(64);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < 64; i += 1) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * True when `segment` is the one unpadded base64url spelling of its bytes (RFC 7515 section 2,
 * RFC 4648 section 3.5): its length is not 1 mod 4 (no byte count gives that) and the bits
 * left over after the last byte are zero. `Buffer.from(..., "base64url")` accepts both
 * (dropping the stray character or bits), so one token would have several spellings; PyJWT
 * refuses them. Arithmetic and one table lookup: no re-encoding. The alphabet itself is
 * the caller's check (`TOKEN_SHAPE`).
 */
export function isCanonicalBase64url(segment: string): boolean {
  const tail = segment.length & 3;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const value = BASE64URL_VALUES[segment.charCodeAt(segment.length - 1)] ?? 64;
  // 2 characters after the last full group carry 1 byte and 4 unused bits; 3 carry 2 and 2.
  return value < 64 && (value & (tail === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * One strict UTF-8 decoder for every segment: invalid bytes throw instead of becoming
 * U+FFFD, and a leading BOM is kept (`ignoreBOM`), so JSON.parse refuses it as Python does.
 */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes one base64url token segment to text. Throws `token_malformed` when the segment is
 * not canonical base64url or its bytes are not valid UTF-8.
 */
export function decodeSegment(segment: string): string {
  if (!isCanonicalBase64url(segment)) {
    throw new AuthError("token_malformed", "A token part is not canonical base64url");
  }
  try {
    return STRICT_UTF8.decode(Buffer.from(segment, "base64url"));
  } catch {
    throw new AuthError("token_malformed", "A token part is not valid UTF-8");
  }
}

/** fast-jwt keeps the `iat` we put in the payload (from the injected clock). */
export function createHs256Signer(key: string | Buffer, kid: string): Hs256Signer {
  return createSigner({ key, algorithm: "HS256", kid });
}
