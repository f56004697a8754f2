/**
 * A small read-through cache for records that are read far more often than written
 * (token records on the verify path). Hits expire after a TTL, misses after a shorter
 * one; concurrent misses for one id share one load; a write through {@link set} wins over
 * a load that was already in flight, so a revocation is never undone by a stale read, and
 * {@link delete} / {@link clear} (a change signalled by another process) detach such loads:
 * their result is not stored, and the next `get` reads again.
 */
import { type Clock, systemClock } from "../clock.js";
import { AuthError } from "../errors.js";

export interface RecordCacheOptions {
  /** How long a found record is served without reading the store. */
  ttlMs: number;
  /** How long "not found" is remembered. */
  negativeTtlMs: number;
  /** Oldest entries are dropped beyond this. */
  maxEntries: number;
  clock: Clock;
}

interface Entry<T> {
  value: T | undefined;
  expiresAt: number;
  /** Write sequence when stored, to detect loads that raced with a write. */
  sequence: number;
}

export class RecordCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inflight = new Map<string, Promise<T | undefined>>();
  private sequence = 0;
  readonly stats = { hits: 0, loads: 0 };

  constructor(private readonly options: RecordCacheOptions) {}

  /** The cached value while fresh, else one shared `load()`. */
  get(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const entry = this.entries.get(id);
    if (entry && this.options.clock() < entry.expiresAt) {
      this.stats.hits += 1;
      return Promise.resolve(entry.value);
    }
    const pending = this.inflight.get(id);
    if (pending) {
      this.stats.hits += 1;
      return pending;
    }
    const startedAt = this.sequence;
    this.stats.loads += 1;
    const loading: Promise<T | undefined> = load()
      .then((value) => {
        const current = this.entries.get(id);
        // A write since the load started holds newer data than this read: keep it. A load
        // detached by delete/clear may have read from before the change: drop its result.
        const attached = this.inflight.get(id) === loading;
        if (attached && (!current || current.sequence <= startedAt)) this.store(id, value);
        return value;
      })
      .finally(() => {
        if (this.inflight.get(id) === loading) this.inflight.delete(id);
      });
    this.inflight.set(id, loading);
    return loading;
  }

  /** Records a value just written (or `undefined` for a removal): fresh at once. */
  set(id: string, value: T | undefined): void {
    this.sequence += 1;
    this.store(id, value);
  }

  /** Forgets `id`: the next `get` loads it, even if a load started earlier is still running. */
  delete(id: string): void {
    this.sequence += 1;
    this.entries.delete(id);
    this.inflight.delete(id);
  }

  /** Forgets everything, as {@link delete} for each id. */
  clear(): void {
    this.sequence += 1;
    this.entries.clear();
    this.inflight.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(id: string, value: T | undefined): void {
    const ttl = value === undefined ? this.options.negativeTtlMs : this.options.ttlMs;
    this.entries.delete(id); // re-insert so eviction order follows recency of writes
    if (ttl <= 0) return;
    this.entries.set(id, {
      value,
      expiresAt: this.options.clock() + ttl,
      sequence: this.sequence,
    });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/** The token-record cache settings of `VaultAuthStoreOptions`. */
export interface TokenCacheSettings {
  /** How long a found token record is served from memory. Default 30 s; 0 disables. */
  tokenCacheTtlSeconds?: number;
  /** How long a missing token id is remembered. Default 5 s; 0 disables. */
  negativeCacheTtlSeconds?: number;
  /** Cached token ids kept at most. Default 10,000. */
  maxCachedTokens?: number;
  clock?: Clock;
}

/** A {@link RecordCache} from the store's settings in seconds, checked. */
export function tokenRecordCache<T>(settings: TokenCacheSettings): RecordCache<T> {
  return new RecordCache<T>({
    ttlMs: seconds(settings.tokenCacheTtlSeconds, 30, "tokenCacheTtlSeconds") * 1000,
    negativeTtlMs: seconds(settings.negativeCacheTtlSeconds, 5, "negativeCacheTtlSeconds") * 1000,
    maxEntries: settings.maxCachedTokens ?? 10_000,
    clock: settings.clock ?? systemClock,
  });
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0) {
    throw new AuthError("config_invalid", `${name} must be >= 0, got ${value}`);
  }
  return chosen;
}
