/**
 * One error type for the whole library. Callers branch on `code` (stable strings), never on
 * messages. Messages say what went wrong and what to do; they never contain a secret or a
 * full token (fingerprints only).
 */

/** Every code an {@link AuthError} can carry, grouped by who has to act. */
export const AUTH_ERROR_CODES = {
  // The caller's token is bad: HTTP adapters answer 401.
  token_invalid: "credentials",
  token_malformed: "credentials",
  token_too_large: "credentials",
  token_expired: "credentials",
  token_not_yet_valid: "credentials",
  token_revoked: "credentials",
  token_not_found: "credentials",
  token_missing: "credentials",
  token_issuer_mismatch: "credentials",
  audience_mismatch: "credentials",
  issuer_untrusted: "credentials",
  // The token is good but lacks a group: 403.
  insufficient_groups: "forbidden",
  // Bad input to a library call or the CLI (not a request credential).
  invalid_input: "input",
  group_not_found: "input",
  group_defunct: "input",
  group_exists: "input",
  group_reserved: "input",
  group_name_invalid: "input",
  token_name_invalid: "input",
  token_name_taken: "input",
  claims_reserved: "input",
  // Our side is broken or unreachable: 503, never blamed on the caller's token.
  secret_unavailable: "unavailable",
  store_unavailable: "unavailable",
  vault_unreachable: "unavailable",
  vault_sealed: "unavailable",
  vault_permission_denied: "unavailable",
  vault_bad_response: "unavailable",
  // Reads that found nothing / lost a race (store internals; callers usually see a wrapper).
  vault_not_found: "input",
  vault_cas_mismatch: "conflict",
  // Operator configuration is wrong: fail fast at start-up.
  secret_too_weak: "config",
  secret_invalid: "config",
  config_invalid: "config",
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERROR_CODES;
export type AuthErrorCategory = (typeof AUTH_ERROR_CODES)[AuthErrorCode];

export interface AuthErrorOptions {
  /** What the operator or caller should do about it. Appended to the message. */
  hint?: string;
  cause?: unknown;
  /** Structured, non-secret context (paths, fingerprints, statuses) for logs. */
  details?: Record<string, unknown>;
}

export class AuthError extends Error {
  override readonly name = "AuthError";
  readonly code: AuthErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(options.hint ? `${message} (hint: ${options.hint})` : message, {
      cause: options.cause,
    });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** Who has to act: `credentials` (401), `forbidden` (403), `unavailable` (503), ... */
  get category(): AuthErrorCategory {
    return AUTH_ERROR_CODES[this.code];
  }
}

export function isAuthError(value: unknown, code?: AuthErrorCode): value is AuthError {
  return value instanceof AuthError && (code === undefined || value.code === code);
}

/** A short, secret-free description of any thrown value, for wrapping foreign errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
