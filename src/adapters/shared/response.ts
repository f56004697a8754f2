import { type AUTH_ERROR_CODES, type AuthErrorCode, isAuthError } from "../../errors.js";

/** The JSON body of every refusal. `error` says what to do; `code` is for programs. */
export interface AuthErrorBody {
  error: string;
  code: AuthErrorCode | "internal_error";
}

/** A refusal, independent of any framework: adapters copy it onto their response. */
export interface AuthResponse {
  status: 401 | 403 | 500 | 503;
  headers: Record<string, string>;
  body: AuthErrorBody;
}

export interface AuthResponseOptions {
  /** `Retry-After` for 503. Default 5 seconds. */
  retryAfterSeconds?: number;
  /** The presented token, if any: scrubbed from every message as a last line of defence. */
  token?: string;
  /** Status for a store outage. Default 503; the MCP adapter uses 500 (see docs/adapters.md). */
  unavailableStatus?: 500 | 503;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** The codes answered 401. */
type CredentialCode = {
  [C in AuthErrorCode]: (typeof AUTH_ERROR_CODES)[C] extends "credentials" ? C : never;
}[AuthErrorCode];

/**
 * What a 401 says, per code: fixed text. The library's messages are for operators and name
 * issuers, key versions and strict mode ("Issuer 'x' has no signing key of its own", "signed
 * with key version 1, superseded by version 2"); sent to an unauthenticated caller they
 * would map the fleet's key layout. The full message goes to the server log, the precise
 * reason stays in `code`.
 */
const CREDENTIAL_MESSAGES: Record<CredentialCode, string> = {
  token_issuer_mismatch: "The token does not match its stored record; mint a new one",
  token_missing: "No bearer token: send 'Authorization: Bearer <token>'",
  token_malformed:
    "The bearer token is malformed: send exactly one 'Authorization: Bearer <token>' header with a JWT",
  token_too_large: "The bearer token is too large",
  token_invalid:
    "The token is not valid: its signature, signing key or claims are not accepted here; mint a new one",
  token_expired: "The token has expired; mint a new one",
  token_not_yet_valid:
    "The token is not valid yet; check the clocks of the minting and verifying machines",
  token_revoked: "The token has been revoked",
  token_not_found: "The token is not known to this service",
  audience_mismatch: "The token was not issued for this service (audience)",
  issuer_untrusted: "The token's issuer is not trusted by this service",
};

const UNAVAILABLE_MESSAGE =
  "Authentication is temporarily unavailable (the secret or token store cannot be reached); retry later";
const INTERNAL_MESSAGE = "Internal server error";

/**
 * Maps any error thrown while authenticating to a response: credential problems 401,
 * missing groups 403, our own outage 503 (never blamed on the caller's token), anything
 * else 500 without details. 401, outage and 500 messages are fixed texts: the detailed
 * ones name issuers, key versions, internal hosts and paths, and belong in the server log.
 */
export function toAuthResponse(error: unknown, options: AuthResponseOptions = {}): AuthResponse {
  if (isAuthError(error)) {
    switch (error.category) {
      case "credentials": {
        const message = CREDENTIAL_MESSAGES[error.code as CredentialCode];
        return {
          status: 401,
          headers: {
            "www-authenticate": bearerChallenge("invalid_token", message),
            "cache-control": "no-store",
          },
          body: { error: message, code: error.code },
        };
      }
      case "forbidden": {
        const message = publicMessage(error.message, options.token);
        const required = error.details.required_all;
        // An empty list joins to "", which bearerChallenge leaves out like no scope at all.
        const scope =
          Array.isArray(required) && !hasItems(error.details.required_any)
            ? required.join(" ")
            : undefined;
        return {
          status: 403,
          headers: {
            "www-authenticate": bearerChallenge("insufficient_scope", message, scope),
            "cache-control": "no-store",
          },
          body: { error: message, code: error.code },
        };
      }
      case "unavailable":
        return {
          status: options.unavailableStatus ?? 503,
          headers: {
            "retry-after": String(options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS),
            "cache-control": "no-store",
          },
          body: { error: UNAVAILABLE_MESSAGE, code: error.code },
        };
    }
  }
  return {
    status: 500,
    headers: { "cache-control": "no-store" },
    body: { error: INTERNAL_MESSAGE, code: "internal_error" },
  };
}

/** `Bearer error="...", error_description="..."[, scope="..."]` with RFC 6750 quoting rules. */
export function bearerChallenge(error: string, description: string, scope?: string): string {
  let header = `Bearer error="${error}", error_description="${headerSafe(description)}"`;
  if (scope) header += `, scope="${headerSafe(scope)}"`;
  return header;
}

const MAX_MESSAGE_LENGTH = 300;

/**
 * A message fit for a response: the token scrubbed (library messages never contain it, but
 * a custom verifier's might) and the length bounded.
 */
export function publicMessage(message: string, token?: string): string {
  let text = message;
  if (token && token.length >= 8) text = text.split(token).join("[token]");
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : text;
}

/**
 * RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E in `error_description`: no quotes, no
 * backslash, no control characters (a CR/LF would also make Node throw on `setHeader`).
 */
export function headerSafe(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
