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
 * 503 or `Retry-After`), which at least never blames the caller's token. Every body is the
 * one the other adapters send, `{ "error": "<fixed text>", "code": "token_expired" }`; the
 * OAuth fields (`error="invalid_token"`, `error_description`) are in `WWW-Authenticate`,
 * where RFC 6750 section 3 puts them and where the SDK's client reads them.
 *
 * Audience: by default an MCP server accepts what its verifier accepts, for an
 * `AuthService` on the fleet configuration any token minted for the fleet-wide audience
 * (`gofr-api`). That is a deliberate choice: one token per caller for the whole fleet. The
 * MCP authorization spec asks more: a token must be issued for this very server (RFC 8707
 * resource indicators), so that a token stolen from, or handed to, one MCP server cannot be
 * replayed against another service. Set {@link McpAuthOptions.audience} for that.
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
import { AuthError } from "../errors.js";
import { type Authenticator, createCoreAuthenticator } from "./shared/authenticator.js";
import { readBearerToken } from "./shared/bearer.js";
import { authorizationOf } from "./shared/headers.js";
import type { AuthOptions, TokenVerifier } from "./shared/options.js";
import { type AuthErrorBody, type AuthResponse, headerSafe } from "./shared/response.js";
import { type JsonResponse, pathOf, writeNodeResponse } from "./shared/write-node.js";

export type { AuthEvent, TokenVerifier } from "./shared/options.js";

/** MCP requests always need a token, so there is no `optional` mode here. */
export interface McpAuthOptions extends Omit<AuthOptions, "optional" | "retryAfterSeconds"> {
  /**
   * This server's own audience, its RFC 8707 resource indicator (usually its URL, such as
   * `https://mcp.example.com/mcp`). When set, a token is accepted only if its `aud` claim
   * names this value, instead of the fleet-wide audience: a token minted for the fleet
   * (`gofr-api`) or for another server gets 401 `audience_mismatch`, and `AuthInfo.resource`
   * is set (when the value is a URL) for the SDK's `expectedResource` check.
   *
   * The verifier must accept such tokens too: an `AuthService` checks its own `audience`,
   * so give the server one created with this audience (for a service configured from the
   * environment, `<PREFIX>_AUDIENCE`), and mint its tokens with it. An `AuthService` whose
   * audience differs could accept no token at all and is refused here at start-up.
   *
   * Default: unset, the verifier's audience applies (fleet-wide; see the module comment).
   */
  audience?: string;
}

export interface McpBearerAuthOptions extends McpAuthOptions {
  /** Passed to the SDK: advertised in `WWW-Authenticate` as `resource_metadata`. */
  resourceMetadataUrl?: string;
}

/** The body of a refusal: the same `{ error, code }` as every other adapter's. */
export type McpAuthErrorBody = AuthErrorBody;

/**
 * Makes the SDK write our body for `error`; its class still picks the status and the
 * `WWW-Authenticate` challenge (with the OAuth error code and description).
 */
function withBody<E extends OAuthError>(error: E, body: AuthErrorBody): E {
  const shaped: McpAuthErrorBody = { error: body.error, code: body.code };
  error.toResponseObject = () => shaped;
  return error;
}

interface McpCore {
  core: Authenticator;
  /** `AuthInfo.resource`: the audience, when it is an absolute URL. */
  resource: URL | undefined;
}

function mcpCore(options: McpAuthOptions & { resourceMetadataUrl?: string }): McpCore {
  const { audience, resourceMetadataUrl: _metadata, ...common } = options;
  if (audience === undefined) {
    // `optional` is not offered, but a caller passing it through `any` must not open the server.
    const core = createCoreAuthenticator(
      { ...common, optional: false },
      { unavailableStatus: 500 },
    );
    return { core, resource: undefined };
  }
  if (typeof audience !== "string" || audience.trim() === "") {
    throw new TypeError("gofr-auth/mcp: audience must be a non-empty string (this server's URL)");
  }
  checkVerifierAudience(common.auth, audience);
  const core = createCoreAuthenticator(
    { ...common, auth: boundTo(common.auth, audience), optional: false },
    { unavailableStatus: 500 },
  );
  return { core, resource: absoluteUrl(audience) };
}

/**
 * `verifier`, accepting only tokens whose `aud` names `audience`. Checked on the verified
 * claims, so it holds whatever the verifier itself accepts.
 */
function boundTo(verifier: TokenVerifier, audience: string): TokenVerifier {
  return {
    async verifyToken(token, options) {
      const context = await verifier.verifyToken(token, options);
      const aud: unknown = context.claims?.aud;
      if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) {
        throw new AuthError(
          "audience_mismatch",
          `The token is not for this MCP server: its aud does not name '${audience}'`,
          {
            hint: "mint a token for this server's audience",
            details: { token_id: context.tokenId },
          },
        );
      }
      return context;
    },
  };
}

/**
 * A verifier that names the one audience it accepts (an `AuthService`) must name this
 * one: any other would refuse every token this server accepts. (`AuthService.verifyToken`
 * takes no per-call audience; with one, the server could share the fleet's service.)
 */
function checkVerifierAudience(verifier: TokenVerifier, audience: string): void {
  const own: unknown = (verifier as { audience?: unknown }).audience;
  if (typeof own === "string" && own !== audience) {
    throw new AuthError(
      "config_invalid",
      `The MCP server's audience is '${audience}' but its verifier accepts only '${own}' tokens: no token could pass`,
      { hint: `verify with an AuthService whose audience is '${audience}' (<PREFIX>_AUDIENCE)` },
    );
  }
}

function absoluteUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined; // a plain name such as "billing-mcp": no AuthInfo.resource
  }
}

/** The SDK error to throw for one of our refusals (the SDK picks the status from its class). */
function toSdkError(response: AuthResponse): Error {
  // The SDK writes the message into `WWW-Authenticate` unquoted-escaped, so make it header-safe.
  const message = headerSafe(response.body.error);
  const { body } = response;
  if (response.status === 401) return withBody(new InvalidTokenError(message), body);
  if (response.status === 403) return withBody(new InsufficientScopeError(message), body);
  return withBody(new ServerError(message), body);
}

/** `AuthInfo` for a verified context; `resource` is the server's audience, when bound to one. */
export function toAuthInfo(token: string, context: AuthContext, resource?: URL): AuthInfo {
  const info: AuthInfo = {
    token,
    clientId: context.tokenId,
    scopes: [...context.groups],
    expiresAt: Math.floor(context.expiresAt.getTime() / 1000),
    extra: { auth: context, subject: context.subject },
  };
  if (resource) info.resource = resource;
  return info;
}

function verifierFor({ core, resource }: McpCore): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const result = await core.check(token);
      if (!result.ok) throw toSdkError(result.response);
      return toAuthInfo(token, result.context as AuthContext, resource);
    },
  };
}

/**
 * An `OAuthTokenVerifier` for the SDK's `requireBearerAuth`. Group requirements in the
 * options are checked here (all/any), so `requiredScopes` is not needed.
 *
 * Used alone, the SDK parses the header itself: it accepts `Bearer a b` as token `a` and
 * sees only the first of two `Authorization` headers; {@link mcpBearerAuth} adds our strict
 * header check in front.
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
  const bound = mcpCore(options);
  const sdk = requireBearerAuth({
    verifier: verifierFor(bound),
    resourceMetadataUrl: options.resourceMetadataUrl,
  });
  return (req, res, next) => {
    const result = precheck(bound.core, req, options.resourceMetadataUrl);
    if (result) {
      writeNodeResponse(res, result);
      return;
    }
    // Refusals are not cached, as from every other adapter: the header is set before the
    // SDK answers, and taken off again when it lets the request through.
    res.setHeader("cache-control", "no-store");
    return sdk(req, res, (error?: unknown) => {
      res.removeHeader("cache-control");
      next(error);
    });
  };
}

/** Refuses a missing or malformed header as the SDK path does; undefined when fine. */
function precheck(
  core: Authenticator,
  req: IncomingMessage,
  resourceMetadataUrl: string | undefined,
): JsonResponse | undefined {
  try {
    // Throws token_missing / token_malformed; the token itself is verified on the SDK path.
    readBearerToken(authorizationOf(req));
    return undefined;
  } catch (error) {
    const response = core.deny(error, { method: req.method, path: pathOf(req.url) });
    let challenge = `Bearer error="invalid_token", error_description="${headerSafe(response.body.error)}"`;
    if (resourceMetadataUrl)
      challenge += `, resource_metadata="${headerSafe(resourceMetadataUrl)}"`;
    const body: McpAuthErrorBody = { error: response.body.error, code: response.body.code };
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
