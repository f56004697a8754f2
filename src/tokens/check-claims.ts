/**
 * The claims checks of a signed payload, against the injected clock, so that every refusal
 * has a precise code.
 */
import { type Clock, epochSeconds } from "../clock.js";
import { AuthError } from "../errors.js";
import { SHARED_KEY_LABEL, type TokenClaims } from "./claims.js";
import type { IssuerPolicy } from "./issuer-policy.js";

/** Year 9999: later "dates" are garbage, not long-lived tokens. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/** A verifier's fixed rules (per-call options come separately). */
export interface ClaimRules {
  audience: string;
  trustedIssuers: ReadonlySet<string> | undefined;
  toleranceSeconds: number;
  clock: Clock;
  policy: IssuerPolicy;
  /** Strict issuer keys: a shared-key token may not claim an issuer. */
  strict: boolean;
  /**
   * False for an issuer whose algorithm list leaves out HS256 (it signs only EdDSA): a
   * shared-key token claiming it is refused, strict mode or not.
   */
  issuerSignsHs256: (issuer: string) => boolean;
}

export interface ClaimOptions {
  audience?: string;
  fingerprint?: string;
  allowExpired?: boolean;
}

/** Checks a signed payload and returns it as claims; `label` is the verifying key's. */
export function checkClaims(
  payload: unknown,
  label: string,
  rules: ClaimRules,
  options: ClaimOptions,
): TokenClaims {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new AuthError("token_malformed", "The token payload is not a JSON object");
  }
  const claims = payload as Record<string, unknown>;
  checkTimes(claims, rules, options.allowExpired === true);

  const audience = options.audience ?? rules.audience;
  const aud = claims.aud;
  const audOk =
    aud === audience ||
    (Array.isArray(aud) && aud.every((item) => typeof item === "string") && aud.includes(audience));
  if (!audOk) {
    throw new AuthError("audience_mismatch", `The token is not for audience '${audience}'`, {
      hint: `mint tokens with aud '${audience}' (the shared default is 'gofr-api')`,
    });
  }

  const iss = claims.iss;
  if (iss !== undefined && typeof iss !== "string") {
    throw new AuthError("token_invalid", "The token's iss claim is not a string");
  }
  if (iss !== undefined && rules.trustedIssuers && !rules.trustedIssuers.has(iss)) {
    throw new AuthError("issuer_untrusted", `Tokens issued by '${iss}' are not trusted here`, {
      hint: "add the issuer to trustedIssuers if this service should accept it",
    });
  }

  if (typeof claims.jti !== "string" || claims.jti === "") {
    throw new AuthError("token_invalid", "The token has no jti claim");
  }
  const groups = claims.groups;
  if (!isNonEmptyNameList(groups)) {
    throw new AuthError(
      "token_invalid",
      "The token's groups claim is not a non-empty list of names",
    );
  }
  optionalString(claims, "sub");
  optionalString(claims, "fp");
  optionalString(claims, "name");
  if (
    options.fingerprint !== undefined &&
    claims.fp !== undefined &&
    claims.fp !== options.fingerprint
  ) {
    throw new AuthError("token_invalid", "The token is bound to another client (fp mismatch)");
  }
  checkKeyMatchesIssuer(label, iss, rules);
  const forbidden = rules.policy.forbiddenGroup(iss, groups);
  if (forbidden !== undefined) {
    throw new AuthError(
      "issuer_untrusted",
      `Issuer '${iss}' may not grant group '${forbidden.slice(0, 64)}'`,
      { hint: "list the issuer in adminIssuers or issuerGroups if it should" },
    );
  }
  return claims as TokenClaims;
}

function checkTimes(claims: Record<string, unknown>, rules: ClaimRules, allowExpired: boolean) {
  const now = epochSeconds(rules.clock);
  const tolerance = rules.toleranceSeconds;
  const exp = numericDate(claims, "exp");
  if (!allowExpired && now >= exp + tolerance) {
    throw new AuthError("token_expired", "The token has expired", {
      hint: "mint a new token",
      details: { expired_at: new Date(exp * 1000).toISOString() },
    });
  }
  const nbf = numericDate(claims, "nbf");
  if (nbf > now + tolerance) {
    throw new AuthError("token_not_yet_valid", "The token is not valid yet (nbf in the future)", {
      hint: "check the clocks of the minting and verifying machines",
    });
  }
  const iat = numericDate(claims, "iat");
  if (iat > now + tolerance) {
    throw new AuthError("token_not_yet_valid", "The token was issued in the future (iat)", {
      hint: "check the clocks of the minting and verifying machines",
    });
  }
}

/** Plain loops and calls: this runs on every verification (no closure or array per call). */
function isNonEmptyNameList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (let i = 0; i < value.length; i += 1) {
    const item: unknown = value[i];
    if (typeof item !== "string" || item === "") return false;
  }
  return true;
}

function optionalString(claims: Record<string, unknown>, name: "sub" | "fp" | "name"): void {
  if (claims[name] !== undefined && typeof claims[name] !== "string") {
    throw new AuthError("token_invalid", `The token's ${name} claim is not a string`);
  }
}

/** An issuer's own key signs only that issuer's tokens; strict mode forbids shared-key ones. */
function checkKeyMatchesIssuer(label: string, iss: unknown, rules: ClaimRules): void {
  if (label !== SHARED_KEY_LABEL && iss !== label) {
    throw new AuthError(
      "token_invalid",
      `The token claims issuer '${iss ?? "(none)"}' but is signed with '${label}' key`,
      { hint: "a service's key signs only its own tokens" },
    );
  }
  if (label === SHARED_KEY_LABEL && typeof iss === "string" && !rules.issuerSignsHs256(iss)) {
    throw new AuthError(
      "token_invalid",
      // Stryker disable next-line MethodExpression: only a configured label (at most 64 characters) fails issuerSignsHs256
      `Issuer '${iss.slice(0, 64)}' does not sign HS256 tokens, so a shared-key token cannot claim it`,
      { hint: "the issuer's algorithm list (issuerAlgorithms) leaves out HS256" },
    );
  }
  if (label === SHARED_KEY_LABEL && iss !== undefined && rules.strict) {
    throw new AuthError(
      "token_invalid",
      `Issuer '${iss}' must sign with its own key (strict mode)`,
      {
        hint: "mint a new token after the issuer's secret exists",
      },
    );
  }
}

/**
 * A NumericDate claim (each one is required) as whole seconds within a sane range (strings,
 * floats and 1e300 refused).
 */
function numericDate(claims: Record<string, unknown>, name: "exp" | "nbf" | "iat"): number {
  const value = claims[name];
  if (
    typeof value !== "number" ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    value > MAX_NUMERIC_DATE
  ) {
    const what = value === undefined ? "missing" : "not a whole number of seconds";
    throw new AuthError("token_invalid", `The token's ${name} claim is ${what}`);
  }
  return value;
}
