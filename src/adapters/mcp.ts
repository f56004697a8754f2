/**
 * `gofr-auth/mcp`: protects an MCP server on Streamable HTTP the SDK's own way, with an
 * `OAuthTokenVerifier` for `@modelcontextprotocol/sdk`'s `requireBearerAuth`.
 *
 * ```ts
 * import { mcpBearerAuth, authContextOf } from "gofr-auth/mcp";
 *
 * app.use("/mcp", mcpBearerAuth({ auth }));           // strict header check + requireBearerAuth
 * // or, with the SDK middleware directly:
 * app.use("/mcp", requireBearerAuth({ verifier: createMcpTokenVerifier({ auth }) }));
 * // in a tool: authContextOf(extra.authInfo)?.groups
 * ```
 *
 * Mapping: groups -> `AuthInfo.scopes`, token id -> `clientId`, `exp` -> `expiresAt`
 * (seconds), the `AuthContext` -> `extra.auth`. Credential errors become
 * `InvalidTokenError` (401), missing groups `InsufficientScopeError` (403), and a secret or
 * token store outage `ServerError`: the SDK answers that with **500** (it has no path to a
 * 503 or `Retry-After`), which at least never blames the caller's token. Every body also
 * carries our `code`, e.g. `{ "error": "invalid_token", "error_description": "...", "code": "token_expired" }`.
 */
import type { IncomingMessage } from "node:http";
import {
  InsufficientScopeError,
  InvalidTokenError,
  type OAuthError,
  ServerError,
} from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { OAuthTokenVerifier } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { RequestHandler } from "express";
import { AuthContext } from "../auth-context.js";
import { type Authenticator, createCoreAuthenticator } from "./shared/authenticator.js";
import { readBearerToken } from "./shared/bearer.js";
import type { AuthOptions } from "./shared/options.js";
import { type AuthResponse, headerSafe } from "./shared/response.js";
import { type JsonResponse, pathOf, writeNodeResponse } from "./shared/write-node.js";

export type { AuthEvent, TokenVerifier } from "./shared/options.js";

/** MCP requests always need a token, so there is no `optional` mode here. */
export type McpAuthOptions = Omit<AuthOptions, "optional" | "retryAfterSeconds">;

export interface McpBearerAuthOptions extends McpAuthOptions {
  /** Passed to the SDK: advertised in `WWW-Authenticate` as `resource_metadata`. */
  resourceMetadataUrl?: string;
}

/** The SDK's OAuth error body plus our stable code. */
export interface McpAuthErrorBody {
  error: string;
  error_description: string;
  code: string;
}

/** Adds our stable `code` to the body the SDK writes for `error` (its class keeps the status). */
function withCode<E extends OAuthError>(error: E, code: string): E {
  const body = error.toResponseObject.bind(error);
  error.toResponseObject = () => ({ ...body(), code });
  return error;
}

function mcpCore(options: McpAuthOptions): Authenticator {
  // `optional` is not offered, but a caller passing it through `any` must not open the server.
  return createCoreAuthenticator({ ...options, optional: false }, { unavailableStatus: 500 });
}

/** The SDK error to throw for one of our refusals (the SDK picks the status from its class). */
function toSdkError(response: AuthResponse): Error {
  // The SDK writes the message into `WWW-Authenticate` unquoted-escaped, so make it header-safe.
  const message = headerSafe(response.body.error);
  const { code } = response.body;
  if (response.status === 401) return withCode(new InvalidTokenError(message), code);
  if (response.status === 403) return withCode(new InsufficientScopeError(message), code);
  return withCode(new ServerError(message), code);
}

/** `AuthInfo` for a verified context. */
export function toAuthInfo(token: string, context: AuthContext): AuthInfo {
  return {
    token,
    clientId: context.tokenId,
    scopes: [...context.groups],
    expiresAt: Math.floor(context.expiresAt.getTime() / 1000),
    extra: { auth: context, subject: context.subject },
  };
}

function verifierFor(core: Authenticator): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const result = await core.check(token);
      if (!result.ok) throw toSdkError(result.response);
      return toAuthInfo(token, result.context as AuthContext);
    },
  };
}

/**
 * An `OAuthTokenVerifier` for the SDK's `requireBearerAuth`. Group requirements in the
 * options are checked here (all/any), so `requiredScopes` is not needed.
 *
 * Used alone, the SDK parses the header itself and accepts `Bearer a b` as token `a`;
 * {@link mcpBearerAuth} adds our strict header check in front.
 */
export function createMcpTokenVerifier(options: McpAuthOptions): OAuthTokenVerifier {
  return verifierFor(mcpCore(options));
}

/**
 * Express middleware for an MCP endpoint: our strict `Authorization: Bearer <token>`
 * check, then the SDK's own `requireBearerAuth` with {@link createMcpTokenVerifier}, which
 * sets `req.auth` (the SDK's `AuthInfo`) for the Streamable HTTP transport.
 */
export function mcpBearerAuth(options: McpBearerAuthOptions): RequestHandler {
  const core = mcpCore(options);
  const sdk = requireBearerAuth({
    verifier: verifierFor(core),
    resourceMetadataUrl: options.resourceMetadataUrl,
  });
  return (req, res, next) => {
    const result = precheck(core, req, options.resourceMetadataUrl);
    if (result) {
      writeNodeResponse(res, result);
      return;
    }
    return sdk(req, res, next);
  };
}

/** Refuses a missing or malformed header with the SDK's body shape; undefined when fine. */
function precheck(
  core: Authenticator,
  req: IncomingMessage,
  resourceMetadataUrl: string | undefined,
): JsonResponse | undefined {
  try {
    // Throws token_missing / token_malformed; the token itself is verified on the SDK path.
    readBearerToken(req.headers.authorization);
    return undefined;
  } catch (error) {
    const response = core.deny(error, { method: req.method, path: pathOf(req.url) });
    let challenge = `Bearer error="invalid_token", error_description="${headerSafe(response.body.error)}"`;
    if (resourceMetadataUrl)
      challenge += `, resource_metadata="${headerSafe(resourceMetadataUrl)}"`;
    const body: McpAuthErrorBody = {
      error: "invalid_token",
      error_description: response.body.error,
      code: response.body.code,
    };
    return {
      status: response.status,
      headers: { ...response.headers, "www-authenticate": challenge },
      body,
    };
  }
}

/** The `AuthContext` gofr-auth put in `AuthInfo.extra.auth`, e.g. from a tool's `extra.authInfo`. */
export function authContextOf(authInfo: AuthInfo | undefined): AuthContext | null {
  const value = authInfo?.extra?.auth;
  return value instanceof AuthContext ? value : null;
}
