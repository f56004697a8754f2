/** The claims and the record of a token being minted, from checked {@link MintOptions}. */
import { randomUUID } from "node:crypto";
import type { TokenClaims } from "./claims.js";
import type { CheckedMint } from "./mint-options.js";
import type { TokenRecord } from "./record.js";
import type { MintOptions } from "./token-service.js";

/** A fresh token id, stamped at `nowMs` for `minter`'s audience and issuer. */
export function stampClaims(
  options: MintOptions,
  checked: CheckedMint,
  minter: { audience: string; issuer: string },
  nowMs: number,
): TokenClaims {
  const iat = Math.floor(nowMs / 1000);
  const id = randomUUID();
  const claims: TokenClaims = {
    ...options.extraClaims,
    jti: id,
    groups: checked.groups,
    iat,
    nbf: iat,
    exp: iat + checked.lifetime,
    aud: minter.audience,
    iss: minter.issuer,
    sub: options.subject ?? options.name ?? id,
  };
  if (options.name) claims.name = options.name;
  if (options.fingerprint) claims.fp = options.fingerprint;
  return claims;
}

/** The record to store for `claims`, minted by `issuer` with the key labelled `label`. */
export function recordOf(
  options: MintOptions,
  claims: TokenClaims,
  { issuer, label }: { issuer: string; label: string },
  nowMs: number,
): TokenRecord {
  return {
    id: claims.jti,
    name: options.name ?? null,
    groups: claims.groups,
    status: "active",
    createdAt: new Date(nowMs),
    expiresAt: new Date(claims.exp * 1000),
    revokedAt: null,
    fingerprint: options.fingerprint ?? null,
    issuer,
    keyLabel: label,
  };
}
