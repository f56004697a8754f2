import { PUBLIC_GROUP } from "./groups/group.js";
import type { TokenClaims } from "./tokens/claims.js";

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

  constructor(claims: TokenClaims, keyId?: string) {
    this.claims = claims;
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
