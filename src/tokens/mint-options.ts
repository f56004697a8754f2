import { AuthError } from "../errors.js";
import { DEFAULT_TOKEN_LIFETIME_SECONDS, RESERVED_CLAIMS } from "./claims.js";
import type { IssuerPolicy } from "./issuer-policy.js";
import { jsonShapeProblem } from "./json-keys.js";
import type { MintOptions } from "./token-service.js";

/** Mint options once checked: groups without repeats, lifetime in seconds. */
export interface CheckedMint {
  groups: string[];
  lifetime: number;
}

/**
 * Checks what a caller asks to mint before any key is loaded: groups (at least one, each
 * one `issuer` may grant), lifetime, and extra claims (no reserved or prototype names).
 * Returns the groups without repeats and the lifetime in seconds.
 */
export function checkMintOptions(
  options: MintOptions,
  issuer: string,
  policy: IssuerPolicy,
): CheckedMint {
  const groups = [...new Set(options.groups)];
  if (groups.length === 0) {
    throw new AuthError("invalid_input", "A token needs at least one group", {
      hint: "pass groups such as ['admin'] or ['public']",
    });
  }
  if (groups.some((group) => typeof group !== "string" || group === "")) {
    throw new AuthError("invalid_input", "Every group must be a non-empty string", {
      hint: "pass group names such as ['admin'] or ['public']",
    });
  }
  const forbidden = policy.forbiddenGroup(issuer, groups);
  if (forbidden !== undefined) {
    throw new AuthError("invalid_input", `Issuer '${issuer}' may not grant group '${forbidden}'`, {
      hint: "mint it as the operator issuer, or list the issuer in adminIssuers or issuerGroups",
    });
  }
  const lifetime = options.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0) {
    throw new AuthError(
      "invalid_input",
      `expiresInSeconds must be a positive integer, got ${lifetime}`,
    );
  }
  if (options.extraClaims !== undefined) checkExtraClaims(options.extraClaims);
  return { groups, lifetime };
}

function checkExtraClaims(extra: Record<string, unknown>): void {
  for (const claim of Object.keys(extra)) {
    if (RESERVED_CLAIMS.has(claim)) {
      throw new AuthError("claims_reserved", `extraClaims may not set the '${claim}' claim`, {
        hint: "use the matching mint option (groups, name, subject, fingerprint, expiresInSeconds)",
      });
    }
  }
  // The claims as the token will carry them: the same scan as verification, so nothing is
  // minted that verifiers refuse.
  let text: string;
  try {
    text = JSON.stringify(extra);
  } catch {
    throw new AuthError("invalid_input", "extraClaims must be JSON (no cycles or BigInt)");
  }
  const problem = jsonShapeProblem(text, JSON.parse(text));
  if (problem === "forbidden key name") {
    throw new AuthError(
      "claims_reserved",
      "extraClaims may not use the names __proto__, constructor or prototype",
      { hint: "rename the claim; these names change prototypes in code that merges claims" },
    );
  }
  if (problem) throw new AuthError("invalid_input", `extraClaims has a ${problem}`);
}
