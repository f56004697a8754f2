/**
 * A small read-through cache for records that are read far more often than written
 * (token records on the verify path). Hits expire after a TTL, misses after a shorter
 * one; concurrent misses for one id share one load; a write through {@link set} wins over
 * a load that was already in flight, so a revocation is never undone by a stale read.
 */
import type { Clock } from "../clock.js";

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
    const loading = load()
      .then((value) => {
        const current = this.entries.get(id);
        // A write since the load started holds newer data than this read: keep it.
        if (!current || current.sequence <= startedAt) this.store(id, value);
        return value;
      })
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, loading);
    return loading;
  }

  /** Records a value just written (or `undefined` for a removal): fresh at once. */
  set(id: string, value: T | undefined): void {
    this.sequence += 1;
    this.store(id, value);
  }

  delete(id: string): void {
    this.sequence += 1;
    this.entries.delete(id);
  }

  clear(): void {
    this.sequence += 1;
    this.entries.clear();
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
