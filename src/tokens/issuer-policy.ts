/**
 * Who may grant what. A per-issuer key limits the damage of a leaked secret only if the
 * tokens it signs cannot claim more than that issuer should hand out: these rules bound the
 * groups an issuer may put in a token, and tie each stored record to the issuer and key
 * that minted it, so that a token ids (which are not secret) cannot be replayed under
 * another key.
 */
import type { AuthErrorCode } from "../errors.js";
import { ADMIN_GROUP, PUBLIC_GROUP } from "../groups/group.js";
import { OPERATOR_ISSUER, SHARED_KEY_LABEL } from "./claims.js";
import type { TokenRecord } from "./record.js";

export interface IssuerPolicyOptions {
  /**
   * Issuers whose tokens may carry the `admin` group. Default: only the operator issuer
   * (`gofr-auth`, the CLI). Tokens without `iss` (the Python fleet's) can only be signed
   * with the shared key and are not limited by this list.
   */
  adminIssuers?: readonly string[];
  /**
   * Per issuer, the only groups its tokens may carry (`public` is always allowed). An issuer
   * not listed may carry any group except `admin` (see `adminIssuers`). Example:
   * `{ deposito: ["deposito", "billing"] }`.
   */
  issuerGroups?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The groups each issuer may grant: `admin` only by the `adminIssuers` (default the
 * operator issuer), and, for issuers listed in `issuerGroups`, only their listed groups.
 * Checked when minting (`invalid_input`) and on every verification (`issuer_untrusted`), so
 * that a service's own key, if it leaks, cannot make an admin token even statelessly.
 */
export class IssuerPolicy {
  private readonly adminIssuers: ReadonlySet<string>;
  private readonly issuerGroups: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(options: IssuerPolicyOptions = {}) {
    this.adminIssuers = new Set(options.adminIssuers ?? [OPERATOR_ISSUER]);
    this.issuerGroups = new Map(
      Object.entries(options.issuerGroups ?? {}).map(([issuer, groups]) => [
        issuer,
        new Set([...groups, PUBLIC_GROUP]),
      ]),
    );
  }

  /** The first of `groups` that `iss` may not grant, or undefined when all are allowed. */
  forbiddenGroup(iss: string | undefined, groups: readonly string[]): string | undefined {
    // No `iss`: a Python-fleet token, which only the shared key can sign (an issuer's own
    // key signs only tokens naming that issuer).
    if (iss === undefined) return undefined;
    const allowed = this.issuerGroups.get(iss);
    const mayAdmin = this.adminIssuers.has(iss);
    if (allowed === undefined) {
      return mayAdmin || !groups.includes(ADMIN_GROUP) ? undefined : ADMIN_GROUP;
    }
    for (const group of groups) {
      if (group === ADMIN_GROUP ? !mayAdmin : !allowed.has(group)) {
        return group;
      }
    }
    return undefined;
  }
}

/** The code of a token refused because its record was minted by another issuer or key (401). */
export const RECORD_MISMATCH_CODE: AuthErrorCode = "token_issuer_mismatch";

/**
 * Why `record` does not belong to a token with this `iss`, signed with the key labelled
 * `keyLabel`, or undefined when it does. A record names the issuer and key label that
 * minted it; a record without them (written by the Python fleet, or before records carried
 * them) belongs to the shared key, with any `iss` the shared key signed.
 */
export function recordMismatch(
  record: TokenRecord,
  iss: string | undefined,
  keyLabel: string,
): string | undefined {
  const recordLabel = record.keyLabel ?? SHARED_KEY_LABEL;
  if (keyLabel !== recordLabel) {
    return `it is signed with the '${keyLabel}' key, its record with the '${recordLabel}' key`;
  }
  if (record.issuer !== undefined && iss !== record.issuer) {
    return `it claims issuer '${iss ?? "(none)"}', its record was minted by '${record.issuer}'`;
  }
  return undefined;
}
