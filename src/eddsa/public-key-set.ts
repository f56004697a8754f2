import { EventEmitter } from "node:events";
import { type Clock, systemClock } from "../clock.js";
import { EDDSA_KEY_PREFIX, transitKeyName } from "../defaults.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import { consoleLogger, type Logger } from "../log.js";
import { AbsentIssuers } from "../secrets/absent-issuers.js";
import { DEFAULT_SECRET_TTL_SECONDS } from "../secrets/provider.js";
import { EdDsaPublicKey, type PublicKeyReader, type StoredIssuerKeys } from "./public-key.js";

/** How many issuers without an EdDSA key are remembered as absent (oldest forgotten first). */
export const ABSENT_EDDSA_ISSUERS_REMEMBERED = 1024;

export interface PublicKeySetOptions {
  reader: PublicKeyReader;
  /** How long an issuer's keys are used before the store is read again. Default 300 s. */
  cacheTtlSeconds?: number;
  /** Near expiry, the next access starts one background read. Default: 10% of the TTL. */
  refreshAheadSeconds?: number;
  /** How long "this issuer has no EdDSA key" is remembered. Default: the cache TTL. */
  absentTtlSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

/** An issuer's loaded public keys: every version from `minVersion` to `latest` held. */
export interface IssuerPublicKeys {
  issuer: string;
  latest: number;
  minVersion: number;
  keys: ReadonlyMap<number, EdDsaPublicKey>;
}

export interface PublicKeyRotatedEvent {
  issuer: string;
  oldLatest: number;
  newLatest: number;
  oldMinVersion: number;
  newMinVersion: number;
}

export interface PublicKeySetStats {
  /** Store reads started (TTL, refresh-ahead, forced, change marker). */
  reads: number;
  /** Reads that failed with an outage (not "no key"). */
  failures: number;
  /** Background refresh-ahead reads that failed (the cached keys stayed in use). */
  refreshFailures: number;
  /** Reads that changed an issuer's latest version or floor. */
  rotations: number;
  /** Reads that answered an older latest version than the one held: ignored. */
  staleReads: number;
}

interface Entry {
  keys: IssuerPublicKeys;
  expiresAt: number;
  /** The reader's generation when these keys were read. */
  generation: number;
}

interface PublicKeySetEvents {
  rotated: [PublicKeyRotatedEvent];
  refreshFailed: [AuthError];
}

/**
 * EdDSA issuers' public keys, cached per issuer with the semantics of `JwtSecretProvider`:
 * a TTL with refresh-ahead, one read per issuer however many callers wait (single flight),
 * a WARNING on rotation or retirement, a change counter (`generation`) checked on each
 * access, and "no key" remembered (bounded) so absent issuers cost no read per request.
 * An issuer is held only once its keys were found. Old versions stay verifiable until the
 * floor is raised: public keys can be held without risk, retirement is the floor.
 */
export class PublicKeySet extends EventEmitter<PublicKeySetEvents> {
  readonly reader: PublicKeyReader;
  readonly cacheTtlMs: number;
  readonly stats: PublicKeySetStats = {
    reads: 0,
    failures: 0,
    refreshFailures: 0,
    rotations: 0,
    staleReads: 0,
  };
  private readonly refreshAheadMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly generationOf: (() => number) | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<IssuerPublicKeys>>();
  /** Issuers known to have no key of their own, for a while (bounded). */
  private readonly absent: AbsentIssuers;
  /** The stale latest version last reported per issuer: one error per stale version. */
  private readonly reportedStale = new Map<string, number>();

  constructor(options: PublicKeySetOptions) {
    super();
    const ttl = options.cacheTtlSeconds ?? DEFAULT_SECRET_TTL_SECONDS;
    const ahead = options.refreshAheadSeconds ?? ttl / 10;
    const absent = options.absentTtlSeconds ?? ttl;
    if (!Number.isFinite(ttl) || ttl < 0 || !Number.isFinite(absent) || absent < 0) {
      throw new AuthError("config_invalid", "cacheTtlSeconds and absentTtlSeconds must be >= 0");
    }
    if (!Number.isFinite(ahead) || ahead < 0 || (ttl > 0 && ahead >= ttl)) {
      throw new AuthError(
        "config_invalid",
        `refreshAheadSeconds must be >= 0 and below cacheTtlSeconds (${ttl}), got ${ahead}`,
      );
    }
    this.reader = options.reader;
    this.cacheTtlMs = ttl * 1000;
    this.refreshAheadMs = ahead * 1000;
    this.clock = options.clock ?? systemClock;
    this.absent = new AbsentIssuers(this.clock, absent * 1000, ABSENT_EDDSA_ISSUERS_REMEMBERED);
    this.logger = options.logger ?? consoleLogger({ name: "eddsa-public-keys", level: "warn" });
    this.generationOf = options.reader.generation?.bind(options.reader);
  }

  /**
   * The issuer's keys, synchronously, when held and fresh (else undefined; never awaits).
   * Near expiry it starts one background read.
   */
  current(issuer: string): IssuerPublicKeys | undefined {
    const entry = this.entries.get(issuer);
    if (!entry) return undefined;
    const now = this.clock();
    if (now >= entry.expiresAt) return undefined;
    if (this.generationOf && this.readGeneration() !== entry.generation) return undefined;
    if (now >= entry.expiresAt - this.refreshAheadMs && !this.inflight.has(issuer)) {
      this.refreshInBackground(issuer);
    }
    return entry.keys;
  }

  /** True when the issuer's keys were found (and not dropped since). */
  isHeld(issuer: string): boolean {
    return this.entries.has(issuer);
  }

  /** True while the issuer is known to have no EdDSA key (no store read). */
  isKnownAbsent(issuer: string): boolean {
    return this.absent.has(issuer);
  }

  /** The issuers held now (for metrics and JWKS). */
  heldIssuers(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The issuer's keys: fresh ones, else one shared read. Rejects `secret_unavailable` when
   * the issuer has no key (remembered for `absentTtlSeconds`: no read meanwhile).
   */
  get(issuer: string): Promise<IssuerPublicKeys> {
    const keys = this.current(issuer);
    if (keys) return Promise.resolve(keys);
    if (this.isKnownAbsent(issuer)) return Promise.reject(this.absentError(issuer));
    return this.refresh(issuer);
  }

  /** Like {@link get}, ignoring a remembered absence (callers limit how often). */
  lookup(issuer: string): Promise<IssuerPublicKeys> {
    this.absent.forget(issuer);
    return this.get(issuer);
  }

  /** Reads the issuer's keys now (joining a read already in flight). */
  refresh(issuer: string): Promise<IssuerPublicKeys> {
    let pending = this.inflight.get(issuer);
    if (!pending) {
      pending = this.read(issuer).finally(() => this.inflight.delete(issuer));
      this.inflight.set(issuer, pending);
    }
    return pending;
  }

  /** The next access reads the store. */
  invalidate(issuer: string): void {
    const entry = this.entries.get(issuer);
    if (entry) entry.expiresAt = 0;
  }

  /**
   * The key `name` (`jwt-<issuer>`, a `secret` entry of the change marker) changed: a held
   * issuer is read now (its keys serve meanwhile; deleted, it is dropped and its tokens are
   * refused), an issuer remembered as absent is looked up on its next use. Other names are
   * not EdDSA keys and are ignored. Outages reject.
   */
  async secretChanged(name: string): Promise<void> {
    if (!name.startsWith(EDDSA_KEY_PREFIX)) return;
    const issuer = name.slice(EDDSA_KEY_PREFIX.length);
    this.absent.forget(issuer);
    if (this.entries.has(issuer)) await this.reload(issuer);
  }

  /** Every held issuer is read again (a resync after missed changes). */
  async refreshAll(): Promise<void> {
    this.absent.clear();
    await Promise.all([...this.entries.keys()].map((issuer) => this.reload(issuer)));
  }

  private async reload(issuer: string): Promise<void> {
    try {
      await this.refresh(issuer);
    } catch (error) {
      if (!isAuthError(error, "secret_unavailable")) throw error;
    }
  }

  private readGeneration(): number {
    try {
      return this.generationOf?.() ?? Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  private refreshInBackground(issuer: string): void {
    this.refresh(issuer).catch((error: unknown) => {
      this.stats.refreshFailures += 1;
      const authError = this.toAuthError(error, issuer);
      this.logger.warn("Background refresh of EdDSA public keys failed", {
        key: transitKeyName(issuer),
        code: authError.code,
        error: authError.message,
      });
      this.emit("refreshFailed", authError);
    });
  }

  private async read(issuer: string): Promise<IssuerPublicKeys> {
    this.stats.reads += 1;
    // Taken before the read: a change committed while it runs makes the next access read.
    const generation = this.readGeneration();
    let keys: IssuerPublicKeys;
    let held: IssuerPublicKeys | undefined;
    try {
      const stored = await this.reader.read(issuer);
      held = this.entries.get(issuer)?.keys;
      keys = this.loaded(issuer, stored, held);
    } catch (error) {
      const authError = this.toAuthError(error, issuer);
      if (authError.code !== "secret_unavailable") {
        this.stats.failures += 1;
        throw authError;
      }
      this.entries.delete(issuer);
      this.absent.remember(issuer);
      throw authError;
    }
    if (held && this.isStale(keys, held)) keys = held;
    else if (held) this.reportChange(held, keys);
    this.absent.forget(issuer);
    this.entries.set(issuer, { keys, expiresAt: this.clock() + this.cacheTtlMs, generation });
    return keys;
  }

  /**
   * Checks a store's answer and builds the loaded keys, keeping the objects of versions
   * already held with the same bytes (caches keyed by them stay warm). Versions outside
   * `minVersion..latest` are dropped: below the floor nothing verifies, whatever the store.
   */
  private loaded(
    issuer: string,
    stored: StoredIssuerKeys,
    held: IssuerPublicKeys | undefined,
  ): IssuerPublicKeys {
    const { latest, minVersion } = stored;
    if (!isVersion(latest) || !isVersion(minVersion) || minVersion > latest) {
      throw new AuthError(
        "secret_invalid",
        `EdDSA key '${transitKeyName(issuer)}' has an invalid version range`,
        { details: { issuer, latest, min_version: minVersion, from: this.reader.description } },
      );
    }
    const keys = new Map<number, EdDsaPublicKey>();
    for (const [version, { key, createdAt }] of stored.keys) {
      if (!isVersion(version) || version < minVersion || version > latest) continue;
      const fresh = new EdDsaPublicKey(issuer, version, key, createdAt);
      const old = held?.keys.get(version);
      const same = old?.raw.equals(fresh.raw) && old.createdAt.getTime() === createdAt.getTime();
      keys.set(version, same && old ? old : fresh);
    }
    return { issuer, latest, minVersion, keys };
  }

  /**
   * A read answering a lower latest version, its newest key created no later than the one
   * held, is a stale replica or a restored backup: the held keys stay (re-checked after
   * another TTL), said once per stale version. A lower latest created later is the key
   * deleted and created anew, and is taken.
   */
  private isStale(read: IssuerPublicKeys, held: IssuerPublicKeys): boolean {
    if (read.latest >= held.latest) return false;
    const readAt = read.keys.get(read.latest)?.createdAt.getTime() ?? 0;
    const heldAt = held.keys.get(held.latest)?.createdAt.getTime() ?? 0;
    if (readAt > heldAt) return false;
    this.stats.staleReads += 1;
    if (this.reportedStale.get(held.issuer) !== read.latest) {
      this.reportedStale.set(held.issuer, read.latest);
      this.logger.error("Key store answered an older EdDSA key version; kept the newer", {
        key: transitKeyName(held.issuer),
        version_read: read.latest,
        version_kept: held.latest,
      });
    }
    return true;
  }

  private reportChange(held: IssuerPublicKeys, keys: IssuerPublicKeys): void {
    this.reportedStale.delete(keys.issuer);
    if (held.latest === keys.latest && held.minVersion === keys.minVersion) return;
    this.stats.rotations += 1;
    const event: PublicKeyRotatedEvent = {
      issuer: keys.issuer,
      oldLatest: held.latest,
      newLatest: keys.latest,
      oldMinVersion: held.minVersion,
      newMinVersion: keys.minVersion,
    };
    this.logger.warn("EdDSA public keys changed", {
      key: transitKeyName(keys.issuer),
      old_version: event.oldLatest,
      new_version: event.newLatest,
      old_min_version: event.oldMinVersion,
      new_min_version: event.newMinVersion,
      new_fingerprint: keys.keys.get(keys.latest)?.fingerprint,
    });
    this.emit("rotated", event);
  }

  private absentError(issuer: string): AuthError {
    return new AuthError("secret_unavailable", `Issuer '${issuer}' has no EdDSA key`, {
      hint: "create one (Vault: a Transit key of type ed25519), or wait for the absence to expire",
      details: { issuer, key: transitKeyName(issuer) },
    });
  }

  /** A reader's own `AuthError` as is; anything else is an outage, never "not found". */
  private toAuthError(error: unknown, issuer: string): AuthError {
    if (isAuthError(error)) return error;
    return new AuthError(
      "store_unavailable",
      `Could not read EdDSA key '${transitKeyName(issuer)}' from ${this.reader.description}: ${describeError(error)}`,
      { cause: error, hint: "check that the key store is reachable", details: { issuer } },
    );
  }
}

function isVersion(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}
