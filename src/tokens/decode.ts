import { createDecoder } from "fast-jwt";
import { AuthError } from "../errors.js";
import { DEFAULT_MAX_TOKEN_BYTES, type TokenHeader } from "./claims.js";

const decode = createDecoder({ complete: true });

/**
 * Header and payload WITHOUT verifying anything: for `tokens inspect` and diagnostics only,
 * never for an access decision.
 */
export function decodeUnverified(
  token: string,
  maxBytes: number = DEFAULT_MAX_TOKEN_BYTES,
): { header: TokenHeader; payload: Record<string, unknown> } {
  if (typeof token !== "string" || token === "") {
    throw new AuthError("token_missing", "No token was given");
  }
  if (token.length > maxBytes) {
    throw new AuthError("token_too_large", `The token is longer than ${maxBytes} bytes`);
  }
  try {
    const { header, payload } = decode(token) as { header: TokenHeader; payload: unknown };
    // Stryker disable next-line ConditionalExpression,LogicalOperator: fast-jwt's decoder already refuses a payload that is not an object; a second guard
    if (typeof payload !== "object" || payload === null || Array.isArray(payload))
      throw new Error();
    return { header, payload: payload as Record<string, unknown> };
  } catch {
    throw new AuthError("token_malformed", "The token could not be decoded", {
      hint: "pass the whole token: three base64url parts separated by dots",
    });
  }
}
