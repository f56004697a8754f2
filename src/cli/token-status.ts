/**
 * One status per token record, the same in `tokens list` (table, `--json` and `--status`),
 * `tokens inspect`, `init` and `secrets delete`: what a service would answer for the
 * token now, as far as the record tells.
 */
import type { AuthEnabled } from "../config/resolve.js";
import { isAuthError } from "../errors.js";
import { issuerSecretName, SHARED_SECRET_NAME } from "../secrets/source.js";
import { SHARED_KEY_LABEL } from "../tokens/claims.js";
import type { TokenRecord } from "../tokens/record.js";

export const TOKEN_STATUSES = ["active", "expired", "revoked", "superseded"] as const;
export type TokenState = (typeof TOKEN_STATUSES)[number];

/** For `--help`: what each status means and how `superseded` is worked out. */
export const TOKEN_STATUS_HELP = `
Status (the same in the table, --json and --status):
  active      services accept it (not revoked, not expired, signed with a key they accept)
  expired     past its expiry (services still accept it for their clock tolerance, 30 s)
  revoked     revoked with \`tokens revoke\`
  superseded  signed with a key version services no longer accept: the key was rotated
              (and the rotation grace, <PREFIX>_ROTATION_GRACE, is over) or deleted, or
              it is the shared key and <PREFIX>_ACCEPT_SHARED_KEY=0
Records store which key signed them (shared or the issuer's own) but not its version, so
superseded is derived from the record's created_at: a token created before the key's
current version was created was signed with an older version. A token a service minted
with a version it had cached past a rotation (up to the secret TTL, 300 s) shows active.
EdDSA issuers (<PREFIX>_ISSUER_ALGORITHMS here lists EdDSA for them): every version from
the retired floor up verifies, so superseded means created before the floor version.`;

interface KeyTimes {
  /** When the current version was created. */
  currentMs: number;
  /** When the version before it was created (undefined for version 1). */
  previousMs: number | undefined;
}

/** Derives {@link TokenState}s, reading each signing key's versions once. */
export class TokenStatusJudge {
  private readonly keys = new Map<string, Promise<KeyTimes | undefined>>();
  /** EdDSA issuers: when their floor version was created. */
  private readonly eddsaFloors = new Map<string, Promise<number | undefined>>();
  private readonly graceMs: number;

  constructor(
    private readonly plane: AuthEnabled,
    private readonly nowMs: number,
  ) {
    this.graceMs = plane.settings.rotationGraceSeconds * 1000;
  }

  async statusOf(record: TokenRecord): Promise<TokenState> {
    if (record.status === "revoked") return "revoked";
    if (record.expiresAt && record.expiresAt.getTime() <= this.nowMs) return "expired";
    return (await this.accepted(record)) ? "active" : "superseded";
  }

  /** Whether a key version services accept signed it (see {@link TOKEN_STATUS_HELP}). */
  private async accepted(record: TokenRecord): Promise<boolean> {
    const label = record.keyLabel ?? SHARED_KEY_LABEL;
    // <PREFIX>_ACCEPT_SHARED_KEY=0 ends the migration to per-issuer keys.
    if (label === SHARED_KEY_LABEL && !this.plane.keyRing.acceptSharedKey) return false;
    // Records do not say which algorithm signed them: either one the issuer accepts may have.
    const algorithms = this.plane.settings.issuerAlgorithms?.[label] ?? ["HS256"];
    if (algorithms.includes("EdDSA") && (await this.eddsaAccepts(label, record))) return true;
    if (!algorithms.includes("HS256")) return false;
    const key = await this.keyTimes(label);
    if (!key) return false; // the key is gone: nothing verifies its tokens
    const created = record.createdAt.getTime();
    if (created >= key.currentMs) return true;
    // Only the version just before the current one, and only within the grace.
    const inGrace = this.graceMs > 0 && this.nowMs - key.currentMs <= this.graceMs;
    return inGrace && key.previousMs !== undefined && created >= key.previousMs;
  }

  /**
   * EdDSA: every version from the floor up verifies, so a token created after the floor
   * version existed is accepted; one created before it was signed with a retired version.
   */
  private async eddsaAccepts(label: string, record: TokenRecord): Promise<boolean> {
    let floor = this.eddsaFloors.get(label);
    if (!floor) {
      floor = this.readEdDsaFloor(label);
      this.eddsaFloors.set(label, floor);
    }
    const floorMs = await floor;
    return floorMs !== undefined && record.createdAt.getTime() >= floorMs;
  }

  /** When the issuer's lowest verifying version was created; undefined without a key. */
  private async readEdDsaFloor(label: string): Promise<number | undefined> {
    try {
      const listing = await (await this.plane.admin.eddsaKeys()).list(label);
      const floor = listing.versions.find((version) => version.version === listing.minVersion);
      return floor?.createdAt.getTime();
    } catch (error) {
      if (isAuthError(error, "secret_unavailable")) return undefined;
      throw error;
    }
  }

  private keyTimes(label: string): Promise<KeyTimes | undefined> {
    let times = this.keys.get(label);
    if (!times) {
      times = this.readKeyTimes(
        label === SHARED_KEY_LABEL ? SHARED_SECRET_NAME : issuerSecretName(label),
      );
      this.keys.set(label, times);
    }
    return times;
  }

  private async readKeyTimes(name: string): Promise<KeyTimes | undefined> {
    // Where services read keys from (the store, or legacy env variables), not where operators write.
    const source = this.plane.secretProvider.source;
    try {
      const current = await source.read(name);
      let previousMs: number | undefined;
      if (current.version > 1) {
        // Pruned or deleted (secret_unavailable): no token signed with it verifies.
        previousMs = await source.read(name, current.version - 1).then(
          (previous) => previous.createdAt.getTime(),
          (error: unknown) => {
            if (isAuthError(error, "secret_unavailable")) return undefined;
            throw error;
          },
        );
      }
      return { currentMs: current.createdAt.getTime(), previousMs };
    } catch (error) {
      if (isAuthError(error, "secret_unavailable")) return undefined;
      throw error;
    }
  }
}

/** A record for `--json`, with its derived status (see `token-status.ts`). */
export function recordJson(record: TokenRecord, status: TokenState) {
  return {
    id: record.id,
    name: record.name,
    groups: record.groups,
    status,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}
