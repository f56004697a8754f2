/**
 * `GET /.well-known/jwks.json`: the JWK Set (RFC 7517) of the EdDSA issuers' public keys,
 * every version that verifies (floor to latest), so that other implementations (jose's
 * `createRemoteJWKSet`, ...) can verify the fleet's EdDSA tokens. Public keys only; no auth.
 *
 * - 200 `application/jwk-set+json` with `Cache-Control: public, max-age=<n>`, n =
 *   `jwksMaxAgeSeconds`: 60 s, or the public key cache TTL (`<P>_JWT_SECRET_TTL`) if lower,
 *   so no client holds a retired key longer than the service itself.
 * - 404 when the service has no EdDSA issuer (`<P>_ISSUER_ALGORITHMS` lists none): a
 *   client pointed here by mistake fails at once instead of finding no key for each token.
 * - 503 with `Retry-After` and `Cache-Control: no-store` when the key store cannot be read.
 *   An issuer listed but without a key yet is left out of the set.
 */
import type { FastifyReply } from "fastify";
import { jwks, jwksMaxAgeSeconds } from "../../src/eddsa/jwks.js";
import type { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import { isAuthError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";

/** RFC 7517 section 8.5.1. */
export const JWK_SET_CONTENT_TYPE = "application/jwk-set+json";

/** The route's handler for `source` (see the module comment). */
export function jwksRoute(
  source: { publicKeys: PublicKeySet; issuers: readonly string[] } | undefined,
  retryAfter: string,
  logger: Logger,
) {
  return async (_request: unknown, reply: FastifyReply) => {
    if (!source || source.issuers.length === 0) {
      return reply.code(404).send({ status: "not_found", reason: "no EdDSA issuer is configured" });
    }
    try {
      const set = await jwks(source.publicKeys, source.issuers);
      return reply
        .type(JWK_SET_CONTENT_TYPE)
        .header("cache-control", `public, max-age=${jwksMaxAgeSeconds(source.publicKeys)}`)
        .send(JSON.stringify(set));
    } catch (error) {
      const code = isAuthError(error) ? error.code : "internal_error";
      logger.warn("JWKS unavailable: EdDSA public keys cannot be read", {
        code,
        error: isAuthError(error) ? error.message : String(error),
      });
      return reply
        .code(503)
        .header("retry-after", retryAfter)
        .header("cache-control", "no-store")
        .send({ status: "unavailable", code });
    }
  };
}
