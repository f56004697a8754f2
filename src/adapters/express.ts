/**
 * `gofr-auth/express`: `requireAuth()` middleware for Express 4 and 5.
 *
 * ```ts
 * import { authOf, requireAuth } from "gofr-auth/express";
 *
 * app.get("/admin", requireAuth({ auth, groups: ["admin"] }), (req, res) => {
 *   res.json({ hello: authOf(req).subject });
 * });
 * ```
 *
 * The context is put on `req.auth`, as express-jwt does. Like express-jwt we do not
 * augment Express's global `Request` type: `@modelcontextprotocol/sdk` already declares
 * `req.auth` as its own `AuthInfo`, and two global declarations of one property with
 * different types do not compile (TS2717) in any program that loads both. Read it with
 * {@link authOf} / {@link optionalAuthOf}, which are typed and check what they return.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { AuthContext } from "../auth-context.js";
import { AuthError } from "../errors.js";
import { createCoreAuthenticator } from "./shared/authenticator.js";
import { authorizationOf } from "./shared/headers.js";
import type { AuthOptions } from "./shared/options.js";
import { pathOf, writeNodeResponse } from "./shared/write-node.js";

export type { AuthEvent, AuthOptions, TokenVerifier } from "./shared/options.js";
export type { AuthErrorBody } from "./shared/response.js";

/** Options of the Express middleware: the common {@link AuthOptions}. */
export type ExpressAuthOptions = AuthOptions;

/**
 * Middleware: verifies `Authorization: Bearer <token>`, checks groups, sets `req.auth`,
 * and calls `next()`. Refusals are answered here (401/403/503/500 with `{ error, code }`)
 * and never reach your error handler.
 */
export function requireAuth(options: ExpressAuthOptions): RequestHandler {
  const core = createCoreAuthenticator(options);
  return (req: Request, res: Response, next: NextFunction) => {
    core
      .guard(authorizationOf(req), { method: req.method, path: pathOf(req.originalUrl) })
      .then((result) => {
        if (!result.ok) {
          writeNodeResponse(res, result.response);
          return;
        }
        (req as unknown as { auth: AuthContext | null }).auth = result.context;
        next();
      }, next);
  };
}

/** The context `requireAuth` put on the request. Throws if the middleware did not run. */
export function authOf(req: Request): AuthContext {
  const context = optionalAuthOf(req);
  if (!context) {
    throw new AuthError("token_missing", "No authenticated context on this request", {
      hint: "mount requireAuth() (without optional) before this handler",
    });
  }
  return context;
}

/** The context, or null (optional mode without a token, or no `requireAuth` at all). */
export function optionalAuthOf(req: Request): AuthContext | null {
  const value = (req as { auth?: unknown }).auth;
  return isContext(value) ? value : null;
}

function isContext(value: unknown): value is AuthContext {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AuthContext).tokenId === "string" &&
    typeof (value as AuthContext).hasGroup === "function"
  );
}
