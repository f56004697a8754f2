import { EventEmitter } from "node:events";
import { type Clock, systemClock } from "../clock.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import { consoleLogger, type Logger } from "../log.js";
import { SigningKey } from "./signing-key.js";
import { type SecretSource, SHARED_SECRET_NAME } from "./source.js";
import { assertUsableSecret } from "./validate.js";

export const DEFAULT_SECRET_TTL_SECONDS = 300;

export interface JwtSecretProviderOptions {
  source: SecretSource;
  /** Secret name (store path). Default: the shared `gofr/config/jwt-signing-secret`. */
  name?: string;
  /** How long a read value is used before the source is read again. Default 300 s; 0 = always read. */
  cacheTtlSeconds?: number;
  /**
   * When a cached value is this close to expiry, the next access starts one background read
   * so callers never wait for the store in steady state. Default: 10% of the TTL.
   */
  refreshAheadSeconds?: number;
  /** How many old versions `getVersion` keeps. Default 8. */
  maxCachedVersions?: number;
  /**
   * Accept weak values (see `weakSecretReason`: placeholders, low variety, repeated
   * patterns, the public test secret). Default: what the source says (`allowsWeakSecrets`,
   * true only for the memory source of tests), else false. Never in production.
   */
  allowWeakSecrets?: boolean;
  clock?: Clock;
  logger?: Logger;
}

export interface SecretRotatedEvent {
  name: string;
  oldFingerprint: string;
  newFingerprint: string;
  oldVersion: number;
  newVersion: number;
}

export interface SecretProviderStats {
  /** Completed or failed reads of the latest version. */
  reads: number;
  /** Reads that failed (foreground and background). */
  failures: number;
  /** Background refresh-ahead reads that failed (the cached value stayed in use). */
  refreshFailures: number;
  rotations: number;
  /**
   * Reads that answered an older version than one already loaded (a stale replica, a
   * restored backup): ignored, the newer key stayed in use.
   */
  staleReads: number;
}

interface ProviderEvents {
  rotated: [SecretRotatedEvent];
  refreshFailed: [AuthError];
}

/**
 * Reads a signing secret from a {@link SecretSource} at run time and caches it.
 *
 * - `get()` returns the cached value while fresh; otherwise exactly one source read runs,
 *   shared by every concurrent caller (single flight).
 * - `current()` is the synchronous hot path: the cached value, or `undefined` when cold or
 *   expired. Near expiry it starts a background refresh (refresh-ahead).
 * - A changed value logs a WARNING with old and new fingerprints and emits `rotated`.
 * - Versions only move forward: a read answering an older version than the one loaded (a
 *   stale replica, a restored backup) is logged once as an error and ignored, so a
 *   rotation is never rolled back. A lower version created after the loaded one is a
 *   secret deleted and written anew, and is taken.
 * - A failed read rejects with a typed {@link AuthError}; there is no fallback secret.
 */
export class JwtSecretProvider extends EventEmitter<ProviderEvents> {
  readonly name: string;
  readonly source: SecretSource;
  readonly cacheTtlMs: number;
  private readonly refreshAheadMs: number;
  private readonly maxCachedVersions: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly allowWeak: boolean;
  /** The source's change counter (SQLite), checked on each access; undefined = none. */
  private readonly generationOf: (() => number) | undefined;
  /** {@link generationOf} when the latest version was last read. */
  private seenGeneration = Number.NaN;

  private key: SigningKey | undefined;
  private expiresAt = 0;
  private inflight: Promise<SigningKey> | undefined;
  private readonly versions = new Map<number, SigningKey>();
  private readonly versionReads = new Map<number, Promise<SigningKey>>();
  private previousGraceMs = 0;
  /** The stale version last reported, so a store stuck on it logs one error, not one per read. */
  private reportedStale: number | undefined;
  readonly stats: SecretProviderStats = {
    reads: 0,
    failures: 0,
    refreshFailures: 0,
    rotations: 0,
    staleReads: 0,
  };

  constructor(options: JwtSecretProviderOptions) {
    super();
    const ttl = options.cacheTtlSeconds ?? DEFAULT_SECRET_TTL_SECONDS;
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new AuthError("config_invalid", `cacheTtlSeconds must be >= 0, got ${ttl}`, {
        hint: "use 300 (the default) unless you have a reason",
      });
    }
    const ahead = options.refreshAheadSeconds ?? ttl / 10;
    if (!Number.isFinite(ahead) || ahead < 0 || (ttl > 0 && ahead >= ttl)) {
      throw new AuthError(
        "config_invalid",
        `refreshAheadSeconds must be >= 0 and below cacheTtlSeconds (${ttl}), got ${ahead}`,
      );
    }
    this.source = options.source;
    this.name = options.name ?? SHARED_SECRET_NAME;
    this.cacheTtlMs = ttl * 1000;
    this.refreshAheadMs = ahead * 1000;
    this.maxCachedVersions = options.maxCachedVersions ?? 8;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger({ name: "jwt-secret-provider", level: "warn" });
    this.allowWeak = options.allowWeakSecrets ?? options.source.allowsWeakSecrets ?? false;
    this.generationOf = options.source.generation?.bind(options.source);
  }

  /** The secret value: cached while fresh, else one shared read of the source. */
  async get(): Promise<string> {
    return (await this.getKey()).value;
  }

  /** Like {@link get} with version, creation time and fingerprint. */
  getKey(): Promise<SigningKey> {
    const key = this.currentKey();
    if (key) return Promise.resolve(key);
    return this.refresh();
  }

  /** The cached value, synchronously, or `undefined` when cold or expired. */
  current(): string | undefined {
    return this.currentKey()?.value;
  }

  /**
   * The cached key, synchronously, or `undefined` when cold or expired. Never awaits. With a
   * source that reports a `generation` (SQLite), a change to the store since the last read
   * counts as expired: a rotation by another process is used on the next access.
   */
  currentKey(): SigningKey | undefined {
    const key = this.key;
    if (!key) return undefined;
    const now = this.clock();
    if (now >= this.expiresAt) return undefined;
    if (this.generationOf && this.readGeneration() !== this.seenGeneration) return undefined;
    if (now >= this.expiresAt - this.refreshAheadMs && !this.inflight) this.refreshInBackground();
    return key;
  }

  /** Fingerprint of the cached value, or `undefined` when nothing was read yet. No store read. */
  get fingerprint(): string | undefined {
    return this.key?.fingerprint;
  }

  /** The next access reads the source. The old value is kept only to detect rotation. */
  invalidate(): void {
    this.expiresAt = 0;
  }

  /**
   * From now on, whenever a new latest version is loaded while it is younger than `graceMs`
   * and the version before it is not held, that version is read too (once, with the latest),
   * so the rotation grace can check old tokens against a key already held: a token is never
   * what makes the store be read for an old version. The longest grace asked for wins.
   */
  holdPreviousVersionFor(graceMs: number): void {
    this.previousGraceMs = Math.max(this.previousGraceMs, graceMs);
  }

  /** A version this provider holds (latest or kept), without reading the store. */
  heldVersion(version: number): SigningKey | undefined {
    return this.key?.version === version ? this.key : this.versions.get(version);
  }

  /**
   * A specific version (Vault KV v2 `?version=`). Versions never change, so each is read once
   * and kept (the newest `maxCachedVersions`).
   */
  getVersion(version: number): Promise<SigningKey> {
    if (this.key?.version === version) return Promise.resolve(this.key);
    const cached = this.versions.get(version);
    if (cached) return Promise.resolve(cached);
    let pending = this.versionReads.get(version);
    if (!pending) {
      pending = this.readVersion(version).finally(() => this.versionReads.delete(version));
      this.versionReads.set(version, pending);
    }
    return pending;
  }

  /** Reads the latest version now (joining a read already in flight). */
  refresh(): Promise<SigningKey> {
    if (!this.inflight) {
      this.inflight = this.readLatest().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** The source's generation; NaN (never equal: the next access reads) when none or failing. */
  private readGeneration(): number {
    try {
      return this.generationOf?.() ?? Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  private refreshInBackground(): void {
    this.refresh().catch((error: unknown) => {
      // The still-fresh cached value stays in use; the failure must not break requests.
      this.stats.refreshFailures += 1;
      const authError = toAuthError(error, this.name, this.source);
      this.logger.warn("Background refresh of the JWT signing secret failed", {
        secret: this.name,
        code: authError.code,
        error: authError.message,
        fingerprint: this.key?.fingerprint,
      });
      this.emit("refreshFailed", authError);
    });
  }

  private async readLatest(): Promise<SigningKey> {
    this.stats.reads += 1;
    // Taken before the read: a change committed while it runs makes the next access read again.
    const generation = this.readGeneration();
    let key: SigningKey;
    try {
      const read = await this.source.read(this.name);
      assertUsableSecret(this.name, read.value, { allowWeak: this.allowWeak });
      key = new SigningKey(this.name, read.value, read.version, read.createdAt);
    } catch (error) {
      this.stats.failures += 1;
      throw toAuthError(error, this.name, this.source);
    }
    this.seenGeneration = generation;
    const previous = this.key;
    if (previous && isStale(key, previous)) return this.keepAfterStaleRead(previous, key);
    // The same version read again keeps its object: caches keyed by the key stay warm.
    if (previous && sameVersion(key, previous)) key = previous;
    this.reportedStale = undefined;
    if (previous && previous.fingerprint !== key.fingerprint) {
      this.stats.rotations += 1;
      if (key.version > previous.version) this.rememberVersion(previous);
      else this.forgetOldGeneration(previous, key);
      const event: SecretRotatedEvent = {
        name: this.name,
        oldFingerprint: previous.fingerprint,
        newFingerprint: key.fingerprint,
        oldVersion: previous.version,
        newVersion: key.version,
      };
      this.logger.warn("JWT signing secret rotated", {
        secret: this.name,
        old_fingerprint: event.oldFingerprint,
        new_fingerprint: event.newFingerprint,
        old_version: event.oldVersion,
        new_version: event.newVersion,
      });
      this.emit("rotated", event);
    }
    this.key = key;
    this.expiresAt = this.clock() + this.cacheTtlMs;
    this.logger.debug("JWT signing secret loaded", {
      secret: this.name,
      fingerprint: key.fingerprint,
      version: key.version,
      ttl_seconds: this.cacheTtlMs / 1000,
    });
    await this.holdPrevious(key);
    return key;
  }

  /**
   * The store answered an older version than the one loaded: keep the loaded key for
   * another TTL (re-checked then), and say so once per stale version.
   */
  private keepAfterStaleRead(kept: SigningKey, stale: SigningKey): SigningKey {
    this.stats.staleReads += 1;
    this.expiresAt = this.clock() + this.cacheTtlMs;
    if (this.reportedStale !== stale.version) {
      this.reportedStale = stale.version;
      this.logger.error("Secret store answered an older signing secret version; kept the newer", {
        secret: this.name,
        version_read: stale.version,
        fingerprint_read: stale.fingerprint,
        version_kept: kept.version,
        fingerprint_kept: kept.fingerprint,
        hint: "a stale replica or a restored backup answers; a rotation is never rolled back in a running process (restart it to accept the older version on purpose)",
      });
    }
    return kept;
  }

  /**
   * The secret was deleted and written anew (its versions restart, created after the key
   * held): the versions kept from before belong to the old secret and must never verify.
   */
  private forgetOldGeneration(previous: SigningKey, key: SigningKey): void {
    this.versions.clear();
    this.logger.warn("JWT signing secret was re-created; older versions are forgotten", {
      secret: this.name,
      old_version: previous.version,
      new_version: key.version,
    });
  }

  /** See {@link holdPreviousVersionFor}. A failed read only means old tokens are refused. */
  private async holdPrevious(latest: SigningKey): Promise<void> {
    const previous = latest.version - 1;
    if (
      previous < 1 ||
      this.previousGraceMs <= 0 ||
      this.versions.has(previous) ||
      this.clock() - latest.createdAt.getTime() > this.previousGraceMs
    ) {
      return;
    }
    try {
      await this.getVersion(previous);
    } catch (error) {
      this.logger.debug("Previous signing secret version not readable; its tokens are refused", {
        secret: this.name,
        version: previous,
        code: toAuthError(error, this.name, this.source).code,
      });
    }
  }

  private async readVersion(version: number): Promise<SigningKey> {
    try {
      const read = await this.source.read(this.name, version);
      assertUsableSecret(this.name, read.value, { allowWeak: this.allowWeak });
      const key = new SigningKey(this.name, read.value, read.version, read.createdAt);
      this.rememberVersion(key);
      return key;
    } catch (error) {
      throw toAuthError(error, this.name, this.source);
    }
  }

  private rememberVersion(key: SigningKey): void {
    this.versions.set(key.version, key);
    while (this.versions.size > this.maxCachedVersions) {
      const oldest = Math.min(...this.versions.keys());
      this.versions.delete(oldest);
    }
  }
}

function sameVersion(read: SigningKey, held: SigningKey): boolean {
  const sameTime = read.createdAt.getTime() === held.createdAt.getTime();
  return read.version === held.version && read.fingerprint === held.fingerprint && sameTime;
}

/**
 * True when `read` must not replace `held` because it is older: a lower version not
 * created after `held` (a lower one created later is the secret deleted and written anew,
 * whose versions start again), or the same version with another value created before
 * `held` (the old secret of a store since re-created).
 */
function isStale(read: SigningKey, held: SigningKey): boolean {
  const readAt = read.createdAt.getTime();
  const heldAt = held.createdAt.getTime();
  if (read.version < held.version) return readAt <= heldAt;
  return read.version === held.version && read.fingerprint !== held.fingerprint && readAt < heldAt;
}

/**
 * A source's own `AuthError` as is (its `secret_unavailable` is the only "not found");
 * anything else it threw is an outage, `store_unavailable`, never "not found": a key ring
 * would otherwise read a failing custom source as "this issuer has no own key".
 */
function toAuthError(error: unknown, name: string, source: SecretSource): AuthError {
  if (isAuthError(error)) return error;
  return new AuthError(
    "store_unavailable",
    `Could not read signing secret '${name}' from ${source.description}: ${describeError(error)}`,
    { cause: error, hint: "check that the secret store is reachable", details: { secret: name } },
  );
}
