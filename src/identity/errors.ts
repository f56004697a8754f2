/**
 * jose's verification errors and key set failures as {@link AuthError}s. Messages name the
 * claim or the key set URL, never the token or its claims (jose's claim errors carry the
 * whole payload, so they are never attached as a cause).
 */
import { AuthError } from "../errors.js";
import { JwksUnavailable } from "./jwks.js";

/** The AuthError for a failed `jwtVerify`; non-jose errors (bugs) are returned unchanged. */
export function verificationError(error: unknown, jwksUrl: string): unknown {
  if (error instanceof JwksUnavailable) return keysUnavailable(error, jwksUrl);
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("ERR_J")) return error;
  const details = { joseCode: code };
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new AuthError("token_expired", "The Vault identity token has expired", {
        hint: "fetch a new one: GET identity/oidc/token/<role>",
        details,
      });
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return claimError(error as { claim?: unknown; reason?: unknown }, details);
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
      return new AuthError("token_malformed", "The Vault identity token could not be decoded", {
        details,
      });
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new AuthError("token_invalid", "The token's algorithm (alg) is not accepted here", {
        hint: "the verifier's algorithms list must match the Vault key's algorithm",
        details,
      });
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return new AuthError("token_invalid", "The token's key (kid) is not one Vault publishes", {
        details,
      });
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new AuthError("token_invalid", "The Vault identity token signature does not match", {
        details,
      });
    default:
      return new AuthError("token_invalid", "The Vault identity token could not be verified", {
        details,
      });
  }
}

function claimError(
  error: { claim?: unknown; reason?: unknown },
  details: Record<string, unknown>,
): AuthError {
  const claim = String(error.claim);
  const all = { ...details, claim };
  if (error.reason !== "check_failed") {
    return new AuthError("token_invalid", `The token's ${claim} claim is missing or invalid`, {
      details: all,
    });
  }
  if (claim === "aud") {
    return new AuthError("audience_mismatch", "The token is not for this service's audience", {
      hint: "ask Vault for a token of the role whose client_id this service expects",
      details: all,
    });
  }
  if (claim === "iss") {
    return new AuthError("issuer_untrusted", "The token's issuer is not the Vault trusted here", {
      hint: "the issuer is <api_addr or identity/oidc/config issuer>/v1/identity/oidc",
      details: all,
    });
  }
  if (claim === "nbf" || claim === "iat") {
    return new AuthError("token_not_yet_valid", `The token is not valid yet (${claim})`, {
      details: all,
    });
  }
  return new AuthError("token_invalid", `The token's ${claim} claim is not accepted`, {
    details: all,
  });
}

function keysUnavailable(error: JwksUnavailable, jwksUrl: string): AuthError {
  const details = { jwksUrl, reason: error.reason, status: error.status };
  if (error.kind === "bad_response") {
    return new AuthError(
      "vault_bad_response",
      `The Vault identity keys at ${jwksUrl} are not a usable key set: ${error.reason}`,
      { hint: "check that the URL is Vault's identity/oidc/.well-known/keys", details },
    );
  }
  return new AuthError(
    "vault_unreachable",
    `The Vault identity keys at ${jwksUrl} could not be fetched: ${error.reason}`,
    { hint: "check that Vault is reachable and unsealed; tokens are refused until then", details },
  );
}
