/**
 * Which of our groups a verified Vault identity token carries. Vault puts what a role's
 * `template` says into the token (for instance `{"groups": {{identity.entity.groups.names}}}`,
 * or `{"role": {{identity.entity.aliases.<accessor>.metadata.role_name}}}`); the verifier's
 * `groupsFrom` turns those claims into group names.
 */
import { AuthError } from "../errors.js";

/** Verified claims of a Vault identity token. */
export interface VaultIdentityClaims {
  /** `<issuer or api_addr>/v1/[<namespace>/]identity/oidc`. */
  iss: string;
  /** The entity ID. */
  sub: string;
  /** The role's client_id. */
  aud: string | string[];
  exp: number;
  iat: number;
  /** The namespace ID (`root` on Vault CE). */
  namespace?: string;
  /** The role template's claims. */
  [claim: string]: unknown;
}

/**
 * How groups come from claims: a function, a claim holding the names (a list of strings,
 * or one string; absent or `null` is none), or a claim whose string value is looked up in
 * `map` (for instance `{ claim: "sub", map: { "<entity id>": ["admin"] } }`).
 */
export type GroupsFrom =
  | ((claims: Readonly<VaultIdentityClaims>) => readonly string[])
  | { claim: string; map?: Readonly<Record<string, readonly string[]>> };

export function groupsOf(from: GroupsFrom | undefined, claims: VaultIdentityClaims): string[] {
  if (from === undefined) return [];
  if (typeof from === "function")
    return checked(from(claims), "groupsFrom's answer", "config_invalid");
  const value = claims[from.claim];
  if (from.map) {
    if (value === undefined || value === null) return [];
    if (typeof value !== "string") throw notGroups(from.claim, "is not a string");
    if (!Object.hasOwn(from.map, value)) return [];
    return checked(from.map[value], "the group map", "config_invalid");
  }
  if (value === undefined || value === null) return [];
  const names = typeof value === "string" ? [value] : value;
  return checked(names, `the token's ${from.claim} claim`, "token_invalid");
}

/**
 * A list of non-empty strings, without repeats. Anything else refuses the token: as
 * `token_invalid` when the token's claim is wrong, `config_invalid` when our mapping is.
 */
function checked(value: unknown, what: string, code: "token_invalid" | "config_invalid"): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
    throw new AuthError(code, `The groups in ${what} are not a list of names`);
  }
  return [...new Set(value as string[])];
}

function notGroups(claim: string, problem: string): AuthError {
  return new AuthError("token_invalid", `The token's ${claim} claim ${problem}`);
}
