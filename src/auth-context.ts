import { PUBLIC_GROUP } from "./groups/group.js";
import type { TokenClaims } from "./tokens/claims.js";

/**
 * Which verifier accepted a token: `gofr-auth` for ours (HS256 or EdDSA, with a stored
 * record), `vault-identity` for a Vault identity token (`identity/oidc/token/<role>`).
 */
export type TokenKind = "gofr-auth" | "vault-identity";

/** Who made a request, after verification. `groups` always includes `public`. */
export class AuthContext {
  readonly tokenId: string;
  readonly subject: string;
  readonly issuer: string | undefined;
  readonly groups: readonly string[];
  readonly issuedAt: Date | undefined;
  readonly expiresAt: Date;
  readonly name: string | undefined;
  /** `kid` of the key that verified the token (undefined for Python-fleet tokens). */
  readonly keyId: string | undefined;
  readonly claims: Readonly<TokenClaims>;
  /**
   * Which kind of token it was. For `vault-identity`, `subject` is the Vault entity ID,
   * `issuer` Vault's, `groups` the mapped groups our registry knows (and `public`),
   * `tokenId` `vault-identity:<entity id>:<iat>` (Vault's tokens have no `jti`: it names
   * the token in logs, is not unique within a second, and revokes nothing), and `claims`
   * Vault's verified claims with `jti` and `groups` set to those.
   */
  readonly kind: TokenKind;

  constructor(claims: TokenClaims, keyId?: string, kind: TokenKind = "gofr-auth") {
    this.claims = claims;
    this.kind = kind;
    this.tokenId = claims.jti;
    this.subject = claims.sub ?? claims.name ?? claims.jti;
    this.issuer = claims.iss;
    this.groups = claims.groups.includes(PUBLIC_GROUP)
      ? [...claims.groups]
      : [...claims.groups, PUBLIC_GROUP];
    this.issuedAt = claims.iat === undefined ? undefined : new Date(claims.iat * 1000);
    this.expiresAt = new Date(claims.exp * 1000);
    this.name = claims.name;
    this.keyId = keyId;
  }

  hasGroup(group: string): boolean {
    return this.groups.includes(group);
  }

  hasAnyGroup(groups: readonly string[]): boolean {
    return groups.some((group) => this.groups.includes(group));
  }

  /** True for an empty list. */
  hasAllGroups(groups: readonly string[]): boolean {
    return groups.every((group) => this.groups.includes(group));
  }

  /** A log-safe summary (no token, no signature). */
  toJSON() {
    return {
      tokenId: this.tokenId,
      subject: this.subject,
      issuer: this.issuer,
      groups: this.groups,
      expiresAt: isoString(this.expiresAt),
      keyId: this.keyId,
      kind: this.kind,
    };
  }
}

/**
 * `date.toISOString()`, remembering the last answer: a service sees the same few tokens (and
 * so the same expiry) request after request, and formatting a date costs more than the rest
 * of `toJSON`. Keyed on the time value, so a changed or invalid date is formatted (or throws)
 * as before.
 */
let lastIsoTime = Number.NaN;
let lastIsoText = "";
function isoString(date: Date): string {
  const time = date.getTime();
  if (time !== lastIsoTime) {
    lastIsoText = date.toISOString();
    lastIsoTime = time;
  }
  return lastIsoText;
}
