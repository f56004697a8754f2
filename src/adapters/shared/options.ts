import type { AuthContext } from "../../auth-context.js";
import type { VerifyTokenOptions } from "../../auth-service.js";
import type { Logger } from "../../log.js";
import type { GroupRequirementOptions } from "./groups.js";

/**
 * Anything that verifies a token: an `AuthService`, or a test double. Adapters only ever
 * call this method, so users can wrap or replace the service (caching, tracing, fakes).
 */
export interface TokenVerifier {
  verifyToken(token: string, options?: VerifyTokenOptions): Promise<AuthContext>;
}

/** What an adapter reports to {@link AuthOptions.audit} for every request it guards. */
export type AuthEvent =
  | {
      outcome: "allowed";
      context: AuthContext;
    }
  | {
      /** Optional mode and no `Authorization` header: the handler runs with a null context. */
      outcome: "anonymous";
    }
  | {
      outcome: "denied";
      /** The HTTP status sent (401, 403, 503 or 500). */
      status: number;
      /** An `AuthError` code, or `internal_error` for anything else. */
      code: string;
      error: unknown;
    };

/** Options every adapter accepts. Set up once per middleware, not per request. */
export interface AuthOptions extends GroupRequirementOptions {
  /** The verifier: usually an `AuthService`. */
  auth: TokenVerifier;
  /**
   * Mixed endpoints: without an `Authorization` header the request goes on with a null
   * context. A header that is present but bad is still refused (401). Default false.
   */
  optional?: boolean;
  /**
   * Skip the token-store check (signature and claims only): faster, but a revoked token
   * stays valid until it expires. Default false.
   */
  stateless?: boolean;
  /** Denials are logged here (code and status, never the token). Default: silent. */
  logger?: Logger;
  /** Called once per guarded request with the outcome: metrics, audit trails. Must not throw. */
  audit?: (event: AuthEvent) => void;
  /** `Retry-After` seconds sent with a 503 when the secret or token store is unavailable. Default 5. */
  retryAfterSeconds?: number;
}

const OPTION_NAMES: readonly string[] = [
  "auth",
  "groups",
  "allGroups",
  "anyGroup",
  "optional",
  "stateless",
  "logger",
  "audit",
  "retryAfterSeconds",
];

/**
 * Refuses adapter options that look like protection but would not be: an unknown name (a
 * typo such as `group` or `scopes` from untyped code would leave the route open to any valid
 * token) and an `optional` or `stateless` that is not a boolean (the string "false" is
 * truthy, and would let requests without a token through or skip the revocation check).
 */
export function checkAuthOptions(options: object, extraNames: readonly string[] = []): void {
  const known = [...OPTION_NAMES, ...extraNames];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new TypeError(
        `gofr-auth: unknown adapter option '${name}' (known options: ${known.join(", ")})`,
      );
    }
  }
  const values = options as Record<string, unknown>;
  for (const name of ["optional", "stateless"]) {
    if (values[name] !== undefined && typeof values[name] !== "boolean") {
      throw new TypeError(`gofr-auth: option '${name}' must be true or false`);
    }
  }
  const retry = values.retryAfterSeconds;
  if (retry !== undefined && !(Number.isSafeInteger(retry) && (retry as number) >= 0)) {
    throw new TypeError("gofr-auth: option 'retryAfterSeconds' must be a whole number >= 0");
  }
}
