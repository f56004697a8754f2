/**
 * HS256 primitives. Verification is node:crypto directly (one HMAC, one constant-time
 * comparison): on the hot path fast-jwt decoded and parsed header and payload a second time,
 * which cost more than the HMAC itself (docs/performance.md). Signing stays fast-jwt's.
 */
import { hash, timingSafeEqual } from "node:crypto";
import { createSigner } from "fast-jwt";
import { AuthError } from "../errors.js";

/** True when `signature` is exactly the base64url (unpadded) HMAC-SHA256 of `signingInput`. */
export type Hs256SignatureCheck = (signingInput: string, signature: string) => boolean;
export type Hs256Signer = (payload: Record<string, unknown>) => string;

/** base64url of a 32-byte HMAC: 43 characters. */
export const HS256_SIGNATURE_LENGTH = 43;
/** Compact JWS: three non-empty base64url parts separated by dots. */
export const TOKEN_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** SHA-256 works on 64-byte blocks: HMAC pads (or first hashes) the key to one block. */
const SHA256_BLOCK_BYTES = 64;
const SHA256_BYTES = 32;

function keyBytes(key: string | Buffer): Buffer {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key);
  if (bytes.length === 0) {
    throw new AuthError("config_invalid", "An HS256 key must not be empty");
  }
  return bytes;
}

/**
 * HMAC-SHA256 (RFC 2104) as two one-shot `crypto.hash` calls, with the key's pads computed
 * once: `H((K ^ opad) || H((K ^ ipad) || message))`. `createHmac` builds a native Hmac
 * object on every call, and on the bench's tokens that set-up cost as much as the hashing
 * (docs/performance.md, docs/decisions.md). Checked against `createHmac` and the RFC 4231
 * vectors in test/tokens/hmac-sha256.test.ts. Returns the MAC in base64url.
 *
 * Each key has its two message buffers, reused by every call (each call fills and hashes
 * them synchronously): the inner one starts with the inner pad, the outer one with the
 * outer pad.
 */
function createHmacSha256(key: string | Buffer): (message: string) => string {
  const bytes = keyBytes(key);
  // RFC 2104 section 2: a key longer than the block is replaced by its hash.
  const block = bytes.length > SHA256_BLOCK_BYTES ? hash("sha256", bytes, "buffer") : bytes;
  const padded = (pad: number, size: number) => {
    const buffer = Buffer.alloc(size, pad);
    for (const [i, byte] of block.entries()) buffer[i] = byte ^ pad;
    return buffer;
  };
  const innerPad = padded(0x36, SHA256_BLOCK_BYTES);
  const outerMessage = padded(0x5c, SHA256_BLOCK_BYTES + SHA256_BYTES);
  let innerMessage = Buffer.alloc(0);
  return (message) => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const room = SHA256_BLOCK_BYTES + 3 * message.length;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing when not needed (a new buffer, same pad and message bytes) changes no MAC
    if (innerMessage.length < room) {
      // Stryker disable next-line ArithmeticOperator: any size >= room holds the message; the 3 KiB floor only spares regrowing
      innerMessage = Buffer.alloc(Math.max(room, SHA256_BLOCK_BYTES + 3 * 1024));
      innerPad.copy(innerMessage);
    }
    const length = SHA256_BLOCK_BYTES + innerMessage.write(message, SHA256_BLOCK_BYTES, "utf8");
    // "binary" is latin1: one character per byte, so the 32 digest bytes round-trip exactly.
    const inner = hash("sha256", innerMessage.subarray(0, length), "binary");
    outerMessage.write(inner, SHA256_BLOCK_BYTES, "binary");
    return hash("sha256", outerMessage, "base64url");
  };
}

/** The two sides of the signature compare, reused by every call (filled synchronously). */
const expectedSignature = Buffer.alloc(HS256_SIGNATURE_LENGTH);
const givenSignature = Buffer.alloc(HS256_SIGNATURE_LENGTH);

/**
 * Compares encoded forms, which is cheaper than decoding the given signature: Node's
 * base64url digest is canonical, so equal strings mean equal MAC bytes, and a non-canonical
 * spelling of the right MAC (which a lenient decoder would accept) never matches. Both sides
 * are compared as UTF-8 bytes in constant time (`timingSafeEqual`), in two buffers reused
 * across calls. A given signature with a non-ASCII character either does not fill its 43
 * bytes or puts a byte >= 0x80 among them, which no base64url digest has.
 */
export function createHs256SignatureCheck(key: string | Buffer): Hs256SignatureCheck {
  const mac = createHmacSha256(key);
  return (signingInput, signature) => {
    if (signature.length !== HS256_SIGNATURE_LENGTH) return false;
    if (givenSignature.write(signature, 0, "utf8") !== HS256_SIGNATURE_LENGTH) return false;
    expectedSignature.write(mac(signingInput), 0, "latin1");
    return timingSafeEqual(expectedSignature, givenSignature);
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
