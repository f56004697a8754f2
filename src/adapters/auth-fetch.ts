import { AuthError, describeError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";

/**
 * Where the client's token comes from: a fixed string, or a function. A function is
 * called with `forceRefresh: false` before each request (cache inside it) and with
 * `forceRefresh: true` at most once per request, after the server refused the token in a
 * way a new token can fix (e.g. the signing key was rotated).
 */
export type TokenSource =
  | string
  | ((options: { forceRefresh: boolean }) => string | Promise<string>);

/** The `code`s of a 401 body after which one refresh is attempted. */
export const DEFAULT_REFRESH_CODES: readonly string[] = ["token_invalid", "token_expired"];

export interface AuthFetchOptions {
  tokenSource: TokenSource;
  /**
   * Where the token may go: origins such as `https://billing.internal` or
   * `http://127.0.0.1:8080` (scheme, host and port; no path). Required, with no default
   * such as "the first URL fetched": a request to any other origin is refused before the
   * token is read or anything is sent (the promise rejects with an `AuthError`,
   * `invalid_input`), so a URL built from input, a wrong base URL or a link taken from a
   * response cannot carry the token elsewhere. Redirects to another origin are followed
   * without the token (fetch drops `Authorization` on cross-origin redirects).
   */
  allowedOrigins: readonly string[];
  /**
   * Allow plain `http:` origins that are not loopback (`localhost`, `127.0.0.0/8`, `[::1]`).
   * Default false: a bearer token sent in clear can be read and replayed by anyone on the
   * path. Set it only for a network you trust end to end (e.g. a private Docker network).
   */
  allowInsecureHttp?: boolean;
  /** The underlying fetch. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * 401 body codes worth one refresh. Default `token_invalid` (covers "key version N is
   * superseded/unknown" after a rotation) and `token_expired`. Codes that a new token
   * cannot fix (`token_revoked`, `audience_mismatch`, `token_malformed`, ...) are not
   * retried. A 401 without a JSON `code` (a server that is not gofr-auth) is retried when
   * its `WWW-Authenticate` says `error="invalid_token"`.
   */
  refreshOn?: readonly string[];
  logger?: Logger;
}

export type AuthFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` that sends `Authorization: Bearer <token>` from `tokenSource`, only to
 * `allowedOrigins`, and, on a 401 that a fresh token can fix, refreshes the token once and
 * retries once. Never more: a server that keeps refusing gets its 401 passed back to the
 * caller, not a loop. Concurrent requests that all hit the same rotation share one refresh.
 *
 * Request bodies are buffered by `Request.clone()` so the retry can resend them.
 *
 * Throws `AuthError` `config_invalid` for missing or malformed `allowedOrigins`, and for a
 * non-loopback `http:` origin without `allowInsecureHttp`.
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const source = options.tokenSource;
  if (typeof source !== "string" && typeof source !== "function") {
    throw new TypeError("createAuthFetch needs a tokenSource (a string or a function)");
  }
  const origins = allowedOriginsOf(options);
  const baseFetch = options.fetch ?? globalThis.fetch;
  const refreshCodes = new Set(options.refreshOn ?? DEFAULT_REFRESH_CODES);
  const logger = options.logger ?? silentLogger;
  let refreshing: Promise<string> | undefined;

  const getToken = async (): Promise<string> =>
    typeof source === "string" ? source : source({ forceRefresh: false });

  const refreshToken = (): Promise<string> => {
    if (typeof source === "string") throw new Error("unreachable: a fixed token cannot refresh");
    if (!refreshing) {
      refreshing = Promise.resolve()
        .then(() => source({ forceRefresh: true }))
        .finally(() => {
          refreshing = undefined;
        });
    }
    return refreshing;
  };

  const send = (request: Request, token: string): Promise<Response> => {
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer ${token}`);
    return baseFetch(new Request(request, { headers }));
  };

  return async (input, init) => {
    const request = new Request(input, init);
    const origin = new URL(request.url).origin;
    if (!origins.has(origin)) {
      throw new AuthError(
        "invalid_input",
        `createAuthFetch will not send the token to ${origin}: it is not in allowedOrigins`,
        {
          hint: "add the origin to allowedOrigins, or use plain fetch for requests without a token",
        },
      );
    }
    // Keep an unread copy of the body for the single retry.
    const spare = typeof source === "function" ? request.clone() : undefined;
    const first = await send(request, await getToken());
    if (!spare || first.status !== 401 || !(await worthRefreshing(first, refreshCodes))) {
      return first;
    }
    let fresh: string;
    try {
      fresh = await refreshToken();
    } catch (error) {
      logger.warn("Token refresh after a 401 failed; returning the 401", {
        error: describeError(error),
      });
      return first;
    }
    await first.body?.cancel();
    logger.info("Retrying once with a refreshed token after a 401", {
      url: redactedUrl(request.url),
    });
    return send(spare, fresh);
  };
}

/** Whether the 401 says something a new token could fix. Reads a clone; `response` stays unread. */
async function worthRefreshing(response: Response, codes: ReadonlySet<string>): Promise<boolean> {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await response.clone().json()) as { code?: unknown };
      if (typeof body?.code === "string") return codes.has(body.code);
    } catch {
      // Not JSON after all: fall back to the challenge header.
    }
  }
  const challenge = response.headers.get("www-authenticate") ?? "";
  return /^\s*bearer\b/i.test(challenge) && /error\s*=\s*"?invalid_token"?/i.test(challenge);
}

/** Origin and path only: a query string may hold secrets. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(unparsable url)";
  }
}

/** The normalised allowed origins; throws `config_invalid` for anything that is not one. */
function allowedOriginsOf(options: AuthFetchOptions): Set<string> {
  const list: unknown = options.allowedOrigins;
  if (!Array.isArray(list) || list.length === 0) {
    throw new AuthError(
      "config_invalid",
      "createAuthFetch needs allowedOrigins: the origins the token may be sent to",
      { hint: "e.g. allowedOrigins: ['https://billing.internal']" },
    );
  }
  const origins = new Set<string>();
  for (const entry of list) {
    const url = parseUrl(String(entry));
    if (
      !url ||
      (url.protocol !== "https:" && url.protocol !== "http:") ||
      url.username !== "" ||
      url.password !== "" ||
      url.pathname !== "/" ||
      url.search !== "" ||
      url.hash !== ""
    ) {
      throw new AuthError(
        "config_invalid",
        `allowedOrigins: '${String(entry).slice(0, 100)}' is not an origin`,
        { hint: "give scheme, host and port only, e.g. https://billing.internal:8443" },
      );
    }
    if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecureHttp) {
      throw new AuthError(
        "config_invalid",
        `allowedOrigins: ${url.origin} is plain http; the bearer token would cross the network in clear`,
        { hint: "use https, or set allowInsecureHttp: true for a network you trust end to end" },
      );
    }
    origins.add(url.origin);
  }
  return origins;
}

/** `localhost`, `127.0.0.0/8` and `[::1]`: traffic that never leaves the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
