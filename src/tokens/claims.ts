/** The claims we mint and accept, as the Python fleet mints them plus `iss`, `sub`, `kid`. */

export const DEFAULT_AUDIENCE = "gofr-api";
/** `iss` of tokens minted by the operator CLI. */
export const OPERATOR_ISSUER = "gofr-auth";
/** The `kid` label of the shared secret. Issuers' own keys use the issuer name. */
export const SHARED_KEY_LABEL = "shared";
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

/** Claim names a caller may not set through `extraClaims`. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  "jti",
  "groups",
  "iat",
  "nbf",
  "exp",
  "aud",
  "iss",
  "sub",
  "fp",
  "name",
]);

export interface TokenClaims {
  /** The token record's id (UUID). */
  jti: string;
  /** Group names as minted, in order. */
  groups: string[];
  iat?: number;
  nbf?: number;
  exp: number;
  aud: string | string[];
  iss?: string;
  sub?: string;
  /** Optional client binding. */
  fp?: string;
  name?: string;
  [claim: string]: unknown;
}

export interface TokenHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [field: string]: unknown;
}

/** A parsed `kid`: `<key label>.v<version>`, e.g. `shared.v3` or `deposito.v1`. */
export interface KeyId {
  label: string;
  version: number;
}

const KID = /^([a-z0-9][a-z0-9_-]{0,63})\.v([1-9][0-9]{0,8})$/;

export function formatKeyId(label: string, version: number): string {
  return `${label}.v${version}`;
}

export function parseKeyId(kid: string): KeyId | undefined {
  const match = KID.exec(kid);
  return match ? { label: match[1] as string, version: Number(match[2]) } : undefined;
}
