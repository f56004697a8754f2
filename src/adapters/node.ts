/**
 * `gofr-auth/node`: authentication for plain `node:http` servers (and anything built on
 * `IncomingMessage`), plus the service-to-service client {@link createAuthFetch}.
 *
 * ```ts
 * import { createServer } from "node:http";
 * import { requireAuth } from "gofr-auth/node";
 *
 * createServer(requireAuth({ auth, groups: ["admin"] }, (req, res, who) => {
 *   res.end(`hello ${who.subject}`);
 * })).listen(8080);
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthContext } from "../auth-context.js";
import { type Authenticator, createCoreAuthenticator } from "./shared/authenticator.js";
import { authorizationOf } from "./shared/headers.js";
import type { AuthOptions } from "./shared/options.js";
import { toAuthResponse } from "./shared/response.js";
import { pathOf, writeNodeResponse } from "./shared/write-node.js";

export {
  type AuthFetch,
  type AuthFetchOptions,
  createAuthFetch,
  type TokenSource,
} from "./auth-fetch.js";
export { readBearerToken } from "./shared/bearer.js";
export { authorizationOf } from "./shared/headers.js";
export type { AuthEvent, AuthOptions, TokenVerifier } from "./shared/options.js";
export { type AuthErrorBody, type AuthResponse, toAuthResponse } from "./shared/response.js";

/** Options of the node adapter: the common {@link AuthOptions}. */
export type NodeAuthOptions = AuthOptions;

type Optional = { optional: true };
type Handler<C> = (req: IncomingMessage, res: ServerResponse, auth: C) => unknown;

/**
 * Builds once, then authenticates each request: resolves to the `AuthContext` (or null in
 * optional mode without a header), rejects with an `AuthError` (send it with
 * {@link sendAuthError}).
 */
export function createAuthenticator(
  options: NodeAuthOptions & Optional,
): (req: IncomingMessage) => Promise<AuthContext | null>;
export function createAuthenticator(
  options: NodeAuthOptions,
): (req: IncomingMessage) => Promise<AuthContext>;
export function createAuthenticator(
  options: NodeAuthOptions,
): (req: IncomingMessage) => Promise<AuthContext | null> {
  const core = createCoreAuthenticator(options);
  return (req) => core.authenticate(authorizationOf(req));
}

const cores = new WeakMap<NodeAuthOptions, Authenticator>();

/**
 * One-off form of {@link createAuthenticator}. The set-up is cached per options object,
 * so pass the same object each time (a module-level constant).
 */
export function authenticate(
  req: IncomingMessage,
  options: NodeAuthOptions & Optional,
): Promise<AuthContext | null>;
export function authenticate(req: IncomingMessage, options: NodeAuthOptions): Promise<AuthContext>;
export function authenticate(
  req: IncomingMessage,
  options: NodeAuthOptions,
): Promise<AuthContext | null> {
  let core = cores.get(options);
  if (!core) {
    core = createCoreAuthenticator(options);
    cores.set(options, core);
  }
  return core.authenticate(authorizationOf(req));
}

export interface SendAuthErrorOptions {
  /** `Retry-After` for 503. Default 5. */
  retryAfterSeconds?: number;
}

/**
 * Answers a request with the response for `error`: 401 + `WWW-Authenticate` for a bad or
 * missing token, 403 for missing groups, 503 + `Retry-After` when the secret or token
 * store is down, 500 (no details) for anything else. Body `{ error, code }`.
 */
export function sendAuthError(
  res: ServerResponse,
  error: unknown,
  options: SendAuthErrorOptions = {},
): void {
  writeNodeResponse(res, toAuthResponse(error, options));
}

/**
 * Wraps a `(req, res)` handler: it runs only for an authenticated (and authorised)
 * request and receives the context as a third argument; refusals are answered, logged
 * and audited here. Errors thrown by the handler are the handler's to deal with: the
 * returned promise rejects with them.
 */
export function requireAuth(
  options: NodeAuthOptions & Optional,
  handler: Handler<AuthContext | null>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export function requireAuth(
  options: NodeAuthOptions,
  handler: Handler<AuthContext>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export function requireAuth(
  options: NodeAuthOptions,
  handler: Handler<AuthContext>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const core = createCoreAuthenticator(options);
  return async (req, res) => {
    const result = await core.guard(authorizationOf(req), {
      method: req.method,
      path: pathOf(req.url),
    });
    if (!result.ok) {
      writeNodeResponse(res, result.response);
      return;
    }
    await handler(req, res, result.context as AuthContext);
  };
}
