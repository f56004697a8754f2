import { AuthError } from "../errors.js";

export type TokenStatus = "active" | "revoked";

/** The server-side record of a minted token (Vault `<prefix>/tokens/<uuid>`). */
export interface TokenRecord {
  /** UUID, equal to the token's `jti`. */
  id: string;
  name: string | null;
  groups: string[];
  status: TokenStatus;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Optional device/client binding (the `fp` claim). Not a secret fingerprint. */
  fingerprint: string | null;
  /**
   * The `iss` of the token minted for this record. The store-checked verify refuses a token
   * claiming another issuer. Absent on records written by the Python fleet or before
   * records carried it: then any `iss` the shared key signed (see `recordMismatch`).
   */
  issuer?: string;
  /**
   * The `kid` label of the key that signed it (`shared` or the issuer's name). The
   * store-checked verify refuses a token signed with another key. Absent means `shared`.
   */
  keyLabel?: string;
}

const TOKEN_NAME = /^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/;

/** Longest invalid name quoted back in full; a longer one is cut (it may be a pasted token). */
const QUOTED_NAME_CHARS = 64;

/** Token names are trimmed and lower-cased, then must be 3-64 characters of `[a-z0-9-]`. */
export function normalizeTokenName(name: string): string {
  const normalized = name.trim().toLowerCase();
  if (!TOKEN_NAME.test(normalized)) {
    throw new AuthError("token_name_invalid", `Invalid token name ${quotedName(name)}`, {
      hint: "use 3-64 characters of a-z, 0-9 and '-', e.g. 'billing-api'",
    });
  }
  return normalized;
}

/**
 * The name for an error message: a token pasted where a name belongs (`tokens revoke
 * --name <JWT>`) must never be printed whole, so anything with a dot (never in a name) is
 * not quoted at all and anything longer than a name is cut.
 */
function quotedName(name: string): string {
  if (name.includes(".")) return `(${name.length} characters with a dot; not quoted)`;
  if (name.length <= QUOTED_NAME_CHARS) return JSON.stringify(name);
  return `${JSON.stringify(name.slice(0, QUOTED_NAME_CHARS))}... (${name.length} characters)`;
}

export function isTokenActive(record: TokenRecord, nowMs: number): boolean {
  return (
    record.status === "active" && (record.expiresAt === null || record.expiresAt.getTime() > nowMs)
  );
}

/**
 * A copy sharing nothing mutable with `record`: a new object, `groups` array and `Date`s
 * (strings and nulls are immutable). Several times cheaper than `structuredClone`, which
 * dominated `getToken` on the verification path. Freezing instead would not do: a frozen
 * `Date` can still be `setTime()`d, and the store contract lets callers mutate results.
 */
export function copyTokenRecord(record: TokenRecord): TokenRecord {
  return {
    ...record,
    groups: [...record.groups],
    createdAt: new Date(record.createdAt.getTime()),
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt.getTime()),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt.getTime()),
  };
}
