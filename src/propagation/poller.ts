/**
 * The reader side of change propagation: each service process reads the change marker once
 * per interval (one GET) and applies what changed since the version it saw last.
 *
 * - Same version: nothing. Newer entries: a `secret` entry refreshes that secret's provider
 *   (the old key keeps serving until the new one is loaded), a `token` entry forgets that
 *   cached record (the next use reads it).
 * - Entries missed (the window no longer reaches back), the marker gone backwards or
 *   re-created, or entries this code cannot read: resync, i.e. refresh every held key and
 *   forget every cached record.
 * - A failed poll (or a failed refresh) keeps the last good state and does not advance, so
 *   it is retried next interval; one WARNING when an outage starts, one INFO when it ends.
 *   Requests are never refused because of it.
 * - Polls never overlap: the next is scheduled when the previous one has finished.
 */
import { type Clock, systemClock } from "../clock.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { realTimers, type TimerHandle, type VaultTimers } from "../vault/timers.js";
import {
  type ChangeEntry,
  type ChangeMarker,
  entryId,
  type MarkerState,
  parseEntry,
  sequenceOf,
} from "./marker.js";
import type { PropagationStats } from "./stats.js";

/** Default `<P>_PROPAGATION_SECONDS`. */
export const DEFAULT_PROPAGATION_SECONDS = 2;

/** What `secret` changes reach: the key ring (`KeyRing` fits). */
export interface SecretChangeTarget {
  /** The secret `name` changed: re-read it if held (the old key serves meanwhile). */
  secretChanged(name: string): Promise<void>;
  /** Re-read every held secret. */
  refreshAll(): Promise<void>;
}

/** What `token` changes reach: a store's record cache (`VaultAuthStore` fits). */
export interface RecordChangeTarget {
  /** The next use of this token id reads the store. */
  forgetToken(id: string): void;
  /** The next use of every token id reads the store. */
  forgetAllTokens(): void;
}

export interface ChangePollerOptions {
  marker: ChangeMarker;
  /** Whose providers `secret` changes refresh. */
  keyRing?: SecretChangeTarget;
  /**
   * EdDSA issuers' public keys (`PublicKeySet` fits): `secret` entries named
   * `jwt-<issuer>` re-read that issuer's keys; a resync re-reads every held issuer.
   */
  publicKeys?: SecretChangeTarget;
  /** Whose cached records `token` changes forget. */
  records?: RecordChangeTarget;
  /** Seconds between the end of one poll and the start of the next. Default 2; must be > 0. */
  intervalSeconds?: number;
  /** Schedules polls. Default: unref'd `setTimeout` (never holds a process open). */
  timers?: VaultTimers;
  clock?: Clock;
  logger?: Logger;
}

type Plan =
  | { kind: "none" }
  | { kind: "apply"; entries: ChangeEntry[] }
  | { kind: "resync"; reason: string };

/** The version and newest entry id last applied. */
interface Seen {
  version: number;
  lastId: unknown;
}

/** Follows the change marker of one auth store; see the module comment. */
export class ChangePoller {
  readonly intervalMs: number;
  private readonly marker: ChangeMarker;
  private readonly keyRing: SecretChangeTarget | undefined;
  private readonly publicKeys: SecretChangeTarget | undefined;
  private readonly records: RecordChangeTarget | undefined;
  private readonly timers: VaultTimers;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private seen: Seen | undefined;
  private running: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private started = false;
  private stopped = false;
  private failuresInRow = 0;
  private outageSince = 0;
  private readonly counters: Omit<PropagationStats, "markerWriteFailures"> = {
    polls: 0,
    pollFailures: 0,
    changesApplied: 0,
    resyncs: 0,
    markerVersion: 0,
    lastChangeLagMs: undefined,
    lastPollOkAt: undefined,
    outage: false,
  };

  constructor(options: ChangePollerOptions) {
    const seconds = options.intervalSeconds ?? DEFAULT_PROPAGATION_SECONDS;
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new AuthError("config_invalid", `intervalSeconds must be > 0, got ${seconds}`, {
        hint: `use ${DEFAULT_PROPAGATION_SECONDS}; to turn propagation off, create no poller`,
      });
    }
    this.intervalMs = seconds * 1000;
    this.marker = options.marker;
    this.keyRing = options.keyRing;
    this.publicKeys = options.publicKeys;
    this.records = options.records;
    this.timers = options.timers ?? realTimers;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Counters and state (a snapshot); `markerWriteFailures` is the marker's writer side. */
  get stats(): PropagationStats {
    return { ...this.counters, markerWriteFailures: this.marker.stats.writeFailures };
  }

  /**
   * Runs the first poll (it only records where the marker is; call this before the first
   * secret read) and then one poll per interval until {@link stop}. Never rejects: a failed
   * first poll is an outage like any other. Idempotent.
   */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    await this.pollNow();
  }

  /** No more polls after the one running (if any). Final. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Polls now, or joins the poll already running; never rejects. The next scheduled poll
   * comes one interval after this one ends.
   */
  pollNow(): Promise<void> {
    if (!this.running) {
      this.timer?.cancel();
      this.timer = undefined;
      this.running = this.poll().finally(() => {
        this.running = undefined;
        this.scheduleNext();
      });
    }
    return this.running;
  }

  private scheduleNext(): void {
    if (!this.started || this.stopped || this.timer) return;
    this.timer = this.timers.schedule(() => {
      this.timer = undefined;
      return this.pollNow();
    }, this.intervalMs);
  }

  private async poll(): Promise<void> {
    this.counters.polls += 1;
    try {
      const state = await this.marker.read();
      await this.follow(state);
      this.succeeded();
    } catch (error) {
      this.failed(error);
    }
  }

  private async follow(state: MarkerState): Promise<void> {
    if (!this.seen) {
      // Where the marker stands at start-up. If earlier polls failed, keys and records may
      // have been cached meanwhile, and changes made then are unknown: resync.
      if (this.counters.polls > 1) await this.resync("the first polls failed");
      this.advance(state);
      return;
    }
    const plan = planFor(state, this.seen);
    if (plan.kind === "none") return;
    if (plan.kind === "resync") await this.resync(plan.reason);
    else await this.apply(plan.entries);
    this.advance(state);
  }

  private async apply(entries: readonly ChangeEntry[]): Promise<void> {
    const secrets = new Set<string>();
    for (const entry of entries) {
      if (entry.kind === "token") this.records?.forgetToken(entry.token_id);
      else secrets.add(entry.name);
    }
    // One refresh per secret, however many entries name it.
    for (const name of secrets) {
      await this.keyRing?.secretChanged(name);
      await this.publicKeys?.secretChanged(name);
    }
    this.counters.changesApplied += entries.length;
    const at = Date.parse(entries.at(-1)?.at ?? "");
    if (Number.isFinite(at)) this.counters.lastChangeLagMs = Math.max(0, this.clock() - at);
    this.logger.debug("Applied changes from the change marker", {
      marker: this.marker.where,
      changes: entries.length,
      secrets: [...secrets],
    });
  }

  private async resync(reason: string): Promise<void> {
    this.records?.forgetAllTokens();
    await this.keyRing?.refreshAll();
    await this.publicKeys?.refreshAll();
    this.counters.resyncs += 1;
    this.logger.info("Re-read every cached signing secret and token record", {
      marker: this.marker.where,
      reason,
    });
  }

  private advance(state: MarkerState): void {
    this.seen = { version: state.version, lastId: entryId(state.entries?.at(-1)) };
    this.counters.markerVersion = state.version;
  }

  private succeeded(): void {
    this.counters.lastPollOkAt = this.clock();
    if (this.counters.outage) {
      this.counters.outage = false;
      this.logger.info("Change marker polls succeed again", {
        marker: this.marker.where,
        failed_polls: this.failuresInRow,
        outage_ms: this.clock() - this.outageSince,
      });
    }
    this.failuresInRow = 0;
  }

  private failed(error: unknown): void {
    this.counters.pollFailures += 1;
    this.failuresInRow += 1;
    if (this.counters.outage) return; // one WARNING per outage, not per poll
    this.counters.outage = true;
    this.outageSince = this.clock();
    this.logger.warn("Change marker poll failed; serving from the last known state", {
      marker: this.marker.where,
      code: isAuthError(error) ? error.code : undefined,
      error: describeError(error),
      hint: "until polls succeed, changes made elsewhere are seen within the cache TTLs (signing secrets, token records); the service policy must allow reading the marker",
    });
  }
}

/** What to do with a marker read, given what was seen last. */
function planFor(state: MarkerState, seen: Seen): Plan {
  if (state.version < seen.version) {
    return { kind: "resync", reason: "the marker went back (deleted and re-created)" };
  }
  const entries = state.entries;
  if (entries === undefined) {
    return state.version === seen.version
      ? { kind: "none" }
      : { kind: "resync", reason: "the marker holds data this version cannot read" };
  }
  const first = sequenceOf(state, 0);
  // The entry seen last, still in the window, must be the same one: else it was re-created.
  const held = seen.version - first;
  if (seen.lastId !== undefined && held >= 0 && held < entries.length) {
    if (entryId(entries[held]) !== seen.lastId) {
      return { kind: "resync", reason: "the marker was re-created" };
    }
  }
  if (state.version === seen.version) return { kind: "none" };
  if (first > seen.version + 1) {
    return { kind: "resync", reason: "changes were missed (the marker window moved past them)" };
  }
  const newer = entries.slice(seen.version + 1 - first).map(parseEntry);
  if (newer.some((entry) => entry === undefined)) {
    return { kind: "resync", reason: "the marker holds entries this version cannot read" };
  }
  return { kind: "apply", entries: newer as ChangeEntry[] };
}
