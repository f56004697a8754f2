/**
 * Limits the secret-store reads that unauthenticated tokens can cause. A token's `kid` is
 * read before its signature can be checked, so a label the verifier does not hold (a new
 * issuer, a newer version) may make it ask the store; these limits keep a flood of made-up
 * labels from turning into a flood of store reads or into state that is never freed.
 */
import type { Clock } from "../clock.js";
import type { SigningKey } from "../secrets/signing-key.js";

export interface ForcedReadLimits {
  /** At most one forced read per key label in this many milliseconds. */
  perLabelIntervalMs: number;
  /** Forced reads allowed at once across all labels (the token bucket's size). */
  burst: number;
  /** Forced reads regained per second across all labels (the bucket's refill rate). */
  perSecond: number;
  /** How many labels' last-read times are remembered (oldest forgotten first). */
  labelsRemembered: number;
}

/**
 * One read per label and second; across all labels a burst of 10, then 1 per second. A
 * fleet needs one read per issuer it meets and per rotation, far below this; a flood of
 * made-up labels costs the store at most one read a second.
 */
export const DEFAULT_FORCED_READ_LIMITS: Readonly<ForcedReadLimits> = Object.freeze({
  perLabelIntervalMs: 1000,
  burst: 10,
  perSecond: 1,
  labelsRemembered: 1024,
});

/**
 * Runs forced store reads per key label within {@link ForcedReadLimits}: a read already
 * running for a label is joined (so a burst of tokens for a new key waits for one read
 * instead of being refused); otherwise a new one starts only if both the label's interval
 * and the global token bucket allow it. All state is bounded: reads in flight (at most the
 * bucket's worth) and the last-read times of the most recent labels. `T` is what a read
 * resolves to (an HS256 key, or an EdDSA issuer's public keys).
 */
export class ForcedReads<T = SigningKey | undefined> {
  private readonly limits: Readonly<ForcedReadLimits>;
  private available: number;
  private refilledAt: number;
  /** Last forced read per label, oldest first (a Map keeps insertion order). */
  private readonly lastRead = new Map<string, number>();
  private readonly running = new Map<string, Promise<T>>();

  constructor(
    private readonly clock: Clock,
    limits: Readonly<ForcedReadLimits> = DEFAULT_FORCED_READ_LIMITS,
  ) {
    this.limits = limits;
    this.available = limits.burst;
    this.refilledAt = clock();
  }

  /**
   * The running read for `label`, or a new one started with `read`, or `undefined` when the
   * limits refuse one now (the caller refuses the token without asking the store).
   */
  run(label: string, read: () => Promise<T>): Promise<T> | undefined {
    const running = this.running.get(label);
    if (running) return running;
    if (!this.allow(label)) return undefined;
    const started = read().finally(() => this.running.delete(label));
    this.running.set(label, started);
    return started;
  }

  /** Reads in flight and labels remembered: what this object holds (for tests and metrics). */
  get size(): { running: number; labels: number } {
    return { running: this.running.size, labels: this.lastRead.size };
  }

  private allow(label: string): boolean {
    const now = this.clock();
    const last = this.lastRead.get(label);
    if (last !== undefined && now - last < this.limits.perLabelIntervalMs) return false;
    this.refill(now);
    if (this.available < 1) return false;
    this.available -= 1;
    this.lastRead.delete(label); // re-inserted last: the map stays oldest first
    this.lastRead.set(label, now);
    if (this.lastRead.size > this.limits.labelsRemembered) {
      this.lastRead.delete(this.lastRead.keys().next().value as string);
    }
    return true;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.refilledAt = now;
    this.available = Math.min(
      this.limits.burst,
      this.available + (elapsed * this.limits.perSecond) / 1000,
    );
  }
}
