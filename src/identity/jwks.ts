/**
 * Vault's published identity keys (`GET /v1/identity/oidc/.well-known/keys`, unauthenticated)
 * through jose's `createRemoteJWKSet`, fetched over undici like every other Vault call:
 * a deadline, a body size cap, one standby redirect at most, the Vault client's TLS options.
 * A failure to get the keys is a {@link JwksUnavailable}, never a verdict on a token.
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import type { Dispatcher } from "undici";
import { describeError } from "../errors.js";
import { ResponseTooLarge, sendFollowingStandby } from "../vault/transport.js";

/** The keys could not be fetched or read: Vault (or the path to it) is the problem. */
export class JwksUnavailable extends Error {
  override readonly name = "JwksUnavailable";
  constructor(
    /** `unreachable`: no answer or not 200; `bad_response`: an answer that is not a key set. */
    readonly kind: "unreachable" | "bad_response",
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
  }
}

export interface JwksFetchOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  maxResponseBytes: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
}

/** Key resolver errors that speak about the token, not about Vault. */
const TOKEN_SIDE_CODES: ReadonlySet<string> = new Set([
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
]);

/**
 * A key resolver for `jwtVerify`. jose refetches on an unknown `kid` at most once per
 * `cooldownMs`, so a flood of tokens with made-up key IDs cannot flood Vault.
 */
export function vaultKeyResolver(url: URL, options: JwksFetchOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [customFetch]: (href: string, init: { headers: Headers }) => fetchKeys(href, init, options),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof JwksUnavailable) throw error;
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && TOKEN_SIDE_CODES.has(code)) throw error;
      if (code === "ERR_JWKS_TIMEOUT") throw new JwksUnavailable("unreachable", "timed out");
      // A malformed set (JWKSInvalid), a body that is not JSON, a key that will not import.
      throw new JwksUnavailable("bad_response", describeError(error));
    }
  };
}

/** jose's fetch, done with undici; anything but a 200 is refused here with its status. */
async function fetchKeys(
  href: string,
  init: { headers: Headers },
  options: JwksFetchOptions,
): Promise<Response> {
  let answer: Awaited<ReturnType<typeof sendFollowingStandby>>;
  try {
    answer = await sendFollowingStandby(options.dispatcher, href, {
      method: "GET",
      headers: Object.fromEntries(init.headers),
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    });
  } catch (error) {
    if (error instanceof ResponseTooLarge) {
      throw new JwksUnavailable("bad_response", error.message, error.status);
    }
    throw new JwksUnavailable("unreachable", describeError(error));
  }
  if (answer.status !== 200) {
    throw new JwksUnavailable("unreachable", `answered ${answer.status}`, answer.status);
  }
  return new Response(answer.text, { status: 200 });
}
