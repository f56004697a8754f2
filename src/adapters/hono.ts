/**
 * `gofr-auth/hono`: middleware that verifies the bearer token and sets `c.get("auth")`.
 *
 * ```ts
 * import { Hono } from "hono";
 * import { type AuthVariables, requireAuth } from "gofr-auth/hono";
 *
 * const app = new Hono<{ Variables: AuthVariables }>();
 * app.get("/admin", requireAuth({ auth, groups: ["admin"] }), (c) => c.json(c.get("auth").toJSON()));
 * ```
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuthContext } from "../auth-context.js";
import { createCoreAuthenticator } from "./shared/authenticator.js";
import { authorizationOf, hasRawHeaders } from "./shared/headers.js";
import type { AuthOptions } from "./shared/options.js";

export type { AuthEvent, AuthOptions, TokenVerifier } from "./shared/options.js";
export type { AuthErrorBody } from "./shared/response.js";

/** Options of the Hono middleware: the common {@link AuthOptions}. */
export type HonoAuthOptions = AuthOptions;

/** Context variables set by {@link requireAuth}. */
export type AuthVariables = { auth: AuthContext };
/** Context variables set by {@link requireAuth} with `optional: true`. */
export type OptionalAuthVariables = { auth: AuthContext | null };

/**
 * Middleware: verifies `Authorization: Bearer <token>`, checks groups and sets
 * `c.set("auth", context)`. Refusals are returned as JSON `{ error, code }` with
 * 401/403/503/500 (the handler does not run). More than one `Authorization` header is
 * refused (401 `token_malformed`): see {@link authorizationHeader}.
 */
export function requireAuth(
  options: HonoAuthOptions & { optional: true },
): MiddlewareHandler<{ Variables: OptionalAuthVariables }>;
export function requireAuth(
  options: HonoAuthOptions,
): MiddlewareHandler<{ Variables: AuthVariables }>;
export function requireAuth(options: HonoAuthOptions): MiddlewareHandler {
  const core = createCoreAuthenticator(options);
  const middleware: MiddlewareHandler<{ Variables: OptionalAuthVariables }> = async (c, next) => {
    const result = await core.guard(authorizationHeader(c), {
      method: c.req.method,
      path: c.req.path,
    });
    if (!result.ok) {
      const { status, headers, body } = result.response;
      return c.json(body, status, headers);
    }
    c.set("auth", result.context);
    await next();
  };
  return middleware;
}

/**
 * The `Authorization` header(s) of a Hono request. On `@hono/node-server`, read from the
 * Node request in `c.env.incoming`, where every copy of the header is still visible. Other
 * runtimes give only the Fetch `Request`, whose `Headers` join repeated headers with ", ":
 * `Bearer a, Bearer b` is not one `Bearer <token>` and is refused as malformed, so two
 * headers are refused there too.
 */
function authorizationHeader(c: Context): string | string[] | undefined {
  const incoming: unknown = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return hasRawHeaders(incoming) ? authorizationOf(incoming) : c.req.header("authorization");
}
