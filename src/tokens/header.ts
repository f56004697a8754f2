/**
 * The unauthenticated first look at a token: size, shape, canonical signature spelling and
 * the JOSE header, all before any key is fetched or signature computed.
 */
import { AuthError } from "../errors.js";
import { type KeyId, parseKeyId, type TokenHeader } from "./claims.js";
import {
  decodeSegment,
  HS256_SIGNATURE_LENGTH,
  isCanonicalBase64url,
  TOKEN_SHAPE,
} from "./hs256.js";
import { jsonShapeProblem } from "./json-keys.js";

/** Header fields we understand. Anything else (jku, jwk, x5u, x5c, crit, b64, ...) is refused. */
const HEADER_FIELDS: ReadonlySet<string> = new Set(["alg", "typ", "kid"]);

/** base64url of a 64-byte Ed25519 signature: 86 characters. */
export const EDDSA_SIGNATURE_LENGTH = 86;

/** A checked header with its `kid` parsed (undefined when absent or not `<label>.v<n>`). */
export interface PeekedHeader {
  header: TokenHeader;
  kid: KeyId | undefined;
}

/**
 * Checked headers by their encoded form: a fleet uses a handful of headers. Bounded, and
 * the parsed `kid` lives in the entry rather than in a side table keyed by the header: a
 * WeakMap's table stays as large as the most headers it ever held (a flood of made-up
 * labels grew it by megabytes).
 */
const headerCache = new Map<string, PeekedHeader>();
const HEADER_CACHE_SIZE = 256;

/** Size, shape and header checks, before any key is fetched or signature computed. */
export function peekHeader(token: unknown, maxBytes: number): PeekedHeader {
  if (typeof token !== "string" || token.length === 0) {
    throw new AuthError("token_missing", "No token was given");
  }
  if (token.length > maxBytes) {
    throw new AuthError("token_too_large", `The token is longer than ${maxBytes} bytes`);
  }
  return knownHeader(token) ?? checkedHeader(token);
}

/**
 * After a header already checked: the payload, a dot and a canonical signature of the
 * header's algorithm: HS256, 43 characters whose last carries 2 unused bits (zero only in
 * `AEIMQUYcgkosw048`); EdDSA, 86 characters whose last carries 4 (zero only in `AQgw`).
 * Sticky, matched from `lastIndex`: the character after the header's dot.
 */
const REST_AFTER_HS256_HEADER = /[\w-]+\.[\w-]{42}[AEIMQUYcgkosw048]$/y;
const REST_AFTER_EDDSA_HEADER = /[\w-]+\.[\w-]{85}[AQgw]$/y;

/**
 * The fast path of {@link checkedHeader}, which repeats its checks: a cached header passed
 * the shape check and every header check when it was first seen, so one regex over the
 * rest of the token (instead of the shape regex over all of it, a slice and the signature
 * check) gives the same answer. Undefined sends the token to the full checks, which also
 * pick the error to throw.
 */
function knownHeader(token: string): PeekedHeader | undefined {
  // Mutants of these lines can only miss the cache (or start the regex on the header's last
  // character, which it matches the same), and checkedHeader then gives the same verdict.
  // Stryker disable StringLiteral,ConditionalExpression,EqualityOperator,MethodExpression,BooleanLiteral,ArithmeticOperator: fast path only; the full checks give the same verdict (test/tokens/known-header.test.ts)
  const dot = token.indexOf(".");
  if (dot <= 0) return undefined;
  const known = headerCache.get(token.slice(0, dot));
  if (!known) return undefined;
  const rest = known.header.alg === "EdDSA" ? REST_AFTER_EDDSA_HEADER : REST_AFTER_HS256_HEADER;
  rest.lastIndex = dot + 1;
  // Stryker restore StringLiteral,ConditionalExpression,EqualityOperator,MethodExpression,BooleanLiteral,ArithmeticOperator
  return rest.test(token) ? known : undefined;
}

/**
 * Shape, header and signature spelling, in that order, each with its own error. The
 * header comes before the signature because its algorithm says how long a signature is.
 */
function checkedHeader(token: string): PeekedHeader {
  if (!TOKEN_SHAPE.test(token)) {
    throw new AuthError(
      "token_malformed",
      "The token is not three base64url parts separated by dots",
    );
  }
  const peeked = cachedHeader(token.slice(0, token.indexOf(".")));
  const alg = peeked.header.alg;
  const signature = token.slice(token.lastIndexOf(".") + 1);
  // A second spelling of the same signature bytes (non-zero unused bits) is a different
  // token and must not verify.
  const length = alg === "EdDSA" ? EDDSA_SIGNATURE_LENGTH : HS256_SIGNATURE_LENGTH;
  if (signature.length !== length || !isCanonicalBase64url(signature)) {
    throw new AuthError("token_invalid", `The token signature is not a canonical ${alg} signature`);
  }
  return peeked;
}

/** The checked header of `encoded`, from the cache or parsed and cached. */
function cachedHeader(encoded: string): PeekedHeader {
  const known = headerCache.get(encoded);
  if (known) return known;
  // Frozen: the object is shared by every token with this header (and by callers' results).
  const header = Object.freeze(parseHeader(encoded));
  const kid = typeof header.kid === "string" ? parseKeyId(header.kid) : undefined;
  // An EdDSA key is always an issuer's own, named with its version: no kid-less EdDSA.
  if (header.alg === "EdDSA" && !kid) {
    throw new AuthError(
      "token_invalid",
      "An EdDSA token needs a kid of the form <issuer>.v<version>",
    );
  }
  const peeked: PeekedHeader = { header, kid };
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(encoded, peeked);
  return peeked;
}

/**
 * Decodes and checks a header: JSON object, known fields only, HS256 or EdDSA, typ JWT, no
 * repeats. Which algorithm a token's issuer may use is checked later (`IssuerAlgorithms`).
 */
function parseHeader(encoded: string): TokenHeader {
  const text = decodeSegment(encoded);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new AuthError("token_malformed", "The token header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new AuthError("token_malformed", "The token header is not a JSON object");
  }
  for (const field of Object.keys(header)) {
    if (!HEADER_FIELDS.has(field)) {
      throw new AuthError(
        "token_invalid",
        `The token header field '${field.slice(0, 20)}' is not supported`,
      );
    }
  }
  const { alg, typ } = header as TokenHeader;
  if (alg !== "HS256" && alg !== "EdDSA") {
    throw new AuthError(
      "token_invalid",
      `Algorithm ${String(JSON.stringify(alg) ?? "missing").slice(0, 20)} is not allowed; only HS256 and EdDSA are`,
    );
  }
  if (typ !== undefined && (typeof typ !== "string" || typ.toUpperCase() !== "JWT")) {
    throw new AuthError("token_invalid", "The token type (typ) is not JWT");
  }
  const problem = jsonShapeProblem(text, header);
  if (problem) throw new AuthError("token_invalid", `The token header has a ${problem}`);
  return header as TokenHeader;
}
