import type { AuthContext } from "../../auth-context.js";
import type { VerifyTokenOptions } from "../../auth-service.js";
import { describeError, isAuthError } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import { readBearerToken } from "./bearer.js";
import { compileGroupRequirement, type GroupRequirement } from "./groups.js";
import { type AuthEvent, type AuthOptions, checkAuthOptions } from "./options.js";
import { type AuthResponse, publicMessage, toAuthResponse } from "./response.js";

/** Per-route overrides of the adapter-wide policy (compiled by the caller, once). */
export interface AuthPolicy {
  requirement?: GroupRequirement;
  optional?: boolean;
}

/** Request facts for log lines. Never the token or the header. */
export interface RequestInfo {
  method?: string;
  path?: string;
}

export type GuardResult =
  | { ok: true; context: AuthContext | null }
  | { ok: false; response: AuthResponse; error: unknown };

/** The framework-free core every adapter wraps. */
export interface Authenticator {
  readonly optional: boolean;
  readonly requirement: GroupRequirement;
  /**
   * Reads the bearer token from an `Authorization` header value, verifies it and checks
   * groups. Resolves to the context (or null in optional mode without a header); rejects
   * with an `AuthError`. Does not log or audit.
   */
  authenticate(
    header: string | readonly string[] | undefined,
    policy?: AuthPolicy,
  ): Promise<AuthContext | null>;
  /** Like {@link authenticate}, but never rejects: a refusal comes back as a response, logged and audited. */
  guard(
    header: string | readonly string[] | undefined,
    request?: RequestInfo,
    policy?: AuthPolicy,
  ): Promise<GuardResult>;
  /** Like {@link guard} for a token already taken from the request. */
  check(token: string, request?: RequestInfo, policy?: AuthPolicy): Promise<GuardResult>;
  /** The response for an error, logged and audited (for errors raised outside `guard`). */
  deny(error: unknown, request?: RequestInfo, token?: string): AuthResponse;
}

/** Settings for adapters, not users. */
export interface CoreSettings {
  /** Status for a store outage. 503 except where a framework cannot send it (the MCP SDK). */
  unavailableStatus?: 500 | 503;
  /** Option names the adapter adds to {@link AuthOptions} (anything else unknown is refused). */
  extraOptions?: readonly string[];
}

/** Builds the core once from adapter options. */
export function createCoreAuthenticator(
  options: AuthOptions,
  settings: CoreSettings = {},
): Authenticator {
  if (!options || typeof options.auth?.verifyToken !== "function") {
    throw new TypeError("gofr-auth adapters need { auth }: an AuthService or { verifyToken }");
  }
  checkAuthOptions(options, settings.extraOptions);
  const verifier = options.auth;
  const optional = options.optional ?? false;
  const requirement = compileGroupRequirement(options);
  const logger: Logger = options.logger ?? silentLogger;
  const verifyOptions: VerifyTokenOptions = { stateless: options.stateless ?? false };
  const responseOptions = {
    retryAfterSeconds: options.retryAfterSeconds,
    unavailableStatus: settings.unavailableStatus,
  };

  const audit = (event: AuthEvent) => {
    if (!options.audit) return;
    try {
      options.audit(event);
    } catch (error) {
      // An audit sink must never turn an answer into a 500.
      logger.warn("Auth audit hook threw", { error: describeError(error) });
    }
  };

  async function authenticate(
    header: string | readonly string[] | undefined,
    policy?: AuthPolicy,
  ): Promise<AuthContext | null> {
    if ((policy?.optional ?? optional) && isAbsent(header)) return null;
    const token = readBearerToken(header);
    const context = await verifier.verifyToken(token, verifyOptions);
    (policy?.requirement ?? requirement).check(context);
    return context;
  }

  function deny(error: unknown, request: RequestInfo = {}, token?: string): AuthResponse {
    const response = toAuthResponse(error, { ...responseOptions, token });
    const fields = {
      status: response.status,
      code: response.body.code,
      method: request.method,
      path: request.path,
      token_id: isAuthError(error) ? error.details.token_id : undefined,
    };
    if (isAuthError(error) && error.category === "unavailable") {
      logger.error("Authentication unavailable: the secret or token store failed", {
        ...fields,
        error: isAuthError(error) ? error.message : undefined,
      });
    } else if (response.status === 500) {
      logger.error("Authentication failed unexpectedly", {
        ...fields,
        error: publicMessage(describeError(error), token),
      });
    } else {
      // The response carries a fixed message per code; the detailed one is for operators.
      logger.info("Request refused", {
        ...fields,
        error: isAuthError(error) ? publicMessage(error.message, token) : undefined,
      });
    }
    audit({ outcome: "denied", status: response.status, code: response.body.code, error });
    return response;
  }

  /** A refusal known synchronously, as a promise (a throwing logger rejects it, as before). */
  function refuse(error: unknown, request?: RequestInfo, token?: string): Promise<GuardResult> {
    try {
      return Promise.resolve({ ok: false, response: deny(error, request, token), error });
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  // guard and check are plain functions over one `then` rather than async functions that
  // await each other: on the hot path (a valid token) that is one promise and one microtask
  // instead of several. Refusals are still produced synchronously where they were before
  // (a bad header, a verifier that throws), and the outcome is the same.
  function guard(
    header: string | readonly string[] | undefined,
    request?: RequestInfo,
    policy?: AuthPolicy,
  ): Promise<GuardResult> {
    if ((policy?.optional ?? optional) && isAbsent(header)) {
      audit({ outcome: "anonymous" });
      return Promise.resolve({ ok: true, context: null });
    }
    let token: string;
    try {
      token = readBearerToken(header);
    } catch (error) {
      return refuse(error, request);
    }
    return check(token, request, policy);
  }

  function check(token: string, request?: RequestInfo, policy?: AuthPolicy): Promise<GuardResult> {
    let pending: Promise<AuthContext>;
    try {
      // Promise.resolve: a custom verifier may return a thenable or (untyped) a plain value.
      pending = Promise.resolve(verifier.verifyToken(token, verifyOptions));
    } catch (error) {
      return refuse(error, request, token);
    }
    return pending.then(
      (context): GuardResult => {
        try {
          (policy?.requirement ?? requirement).check(context);
        } catch (error) {
          return { ok: false, response: deny(error, request, token), error };
        }
        audit({ outcome: "allowed", context });
        return { ok: true, context };
      },
      (error): GuardResult => ({ ok: false, response: deny(error, request, token), error }),
    );
  }

  return { optional, requirement, authenticate, guard, check, deny };
}

/** No header, or an empty one (string or list): "not logged in" for optional mode. */
function isAbsent(header: string | readonly string[] | undefined): boolean {
  return header === undefined || header.length === 0;
}
