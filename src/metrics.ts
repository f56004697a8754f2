/**
 * The library's counters as metric families with documented names (docs/metrics.md), in
 * a plain shape any exporter can publish (prom-client, OpenTelemetry, a JSON endpoint):
 * no metrics library is imported here. Everything is read from stats the library already
 * keeps, at the moment {@link authMetricSamples} is called: a scrape never reads a store,
 * and publishing the absolute values each time counts nothing twice.
 */
import type { AuthEvent } from "./adapters/shared/options.js";
import { type Clock, systemClock } from "./clock.js";
import type { PropagationStats } from "./propagation/stats.js";
import type { KeyRing } from "./secrets/keyring.js";
import type { JwtSecretProvider, SecretProviderStats } from "./secrets/provider.js";
import type { AuthStore } from "./store/store.js";

export type AuthMetricType = "counter" | "gauge";

/** A metric family's fixed description: what an exporter registers up front. */
export interface AuthMetricDefinition {
  /** Prometheus style: `gofr_auth_` prefix, `_total` for counters, seconds for durations. */
  readonly name: string;
  readonly help: string;
  readonly type: AuthMetricType;
  /** The label names every sample of the family carries (possibly none). */
  readonly labelNames: readonly string[];
}

export interface AuthMetricSample {
  labels: Record<string, string>;
  value: number;
}

/** A family with its current samples. A gauge with nothing to say (yet) has no sample. */
export interface AuthMetric extends AuthMetricDefinition {
  samples: AuthMetricSample[];
}

/** What a token store counts about the per-request revocation check (`getToken`). */
export interface AuthStoreStats {
  /** Lookups that read the store: cache misses (or every lookup with the cache off). */
  recordReads: number;
  /** Lookups answered from the process's record cache. */
  recordCacheHits: number;
  /** SQLite only: `PRAGMA data_version` checks made by lookups. */
  dataVersionChecks?: number;
}

/** Anything that keeps {@link PropagationStats}: the change poller. */
export interface PropagationStatsHolder {
  readonly stats: PropagationStats;
}

/** Where the samples come from; each source is optional and adds its own families. */
export interface AuthMetricSources {
  /** Every provider the ring holds: the shared one and issuers' own (`heldProviders()`). */
  keyRing?: KeyRing;
  /** More secret providers (a provider given twice is counted once). */
  providers?: readonly JwtSecretProvider[];
  /** A store keeping {@link AuthStoreStats} (`SqliteAuthStore`, `VaultAuthStore`); others add nothing. */
  store?: AuthStore | { readonly stats: AuthStoreStats };
  /** The change poller (Vault with propagation on). */
  propagation?: PropagationStatsHolder;
  /** Verification outcomes counted by an adapter's `audit` hook. */
  verify?: VerifyOutcomes;
  /** For the age of the last successful poll: the poller's clock. Default: the system clock. */
  clock?: Clock;
}

const SECRET = ["secret"] as const;
const NONE = [] as const;

function define(
  name: string,
  type: AuthMetricType,
  help: string,
  labelNames: readonly string[] = NONE,
): AuthMetricDefinition {
  return { name, type, help, labelNames };
}

/** Every family {@link authMetricSamples} can return, by source. */
export const AUTH_METRICS = {
  secretReads: define(
    "gofr_auth_secret_reads_total",
    "counter",
    "Reads of the latest version of a signing secret from its store (completed or failed).",
    SECRET,
  ),
  secretReadFailures: define(
    "gofr_auth_secret_read_failures_total",
    "counter",
    "Reads of a signing secret that failed (foreground and background).",
    SECRET,
  ),
  secretRefreshFailures: define(
    "gofr_auth_secret_refresh_failures_total",
    "counter",
    "Background refresh-ahead reads that failed; the cached secret stayed in use.",
    SECRET,
  ),
  secretRotations: define(
    "gofr_auth_secret_rotations_total",
    "counter",
    "Changes of a signing secret's value seen by this process.",
    SECRET,
  ),
  secretStaleReads: define(
    "gofr_auth_secret_stale_reads_total",
    "counter",
    "Reads that answered an older version than the one loaded (ignored; the newer key stayed).",
    SECRET,
  ),
  recordReads: define(
    "gofr_auth_token_record_reads_total",
    "counter",
    "Token record lookups (the revocation check) that read the store: cache misses.",
  ),
  recordCacheHits: define(
    "gofr_auth_token_record_cache_hits_total",
    "counter",
    "Token record lookups answered from this process's cache.",
  ),
  dataVersionChecks: define(
    "gofr_auth_store_data_version_checks_total",
    "counter",
    "SQLite store: PRAGMA data_version checks made by token record lookups.",
  ),
  polls: define(
    "gofr_auth_propagation_polls_total",
    "counter",
    "Reads of the change marker attempted (one per interval in steady state).",
  ),
  pollFailures: define(
    "gofr_auth_propagation_poll_failures_total",
    "counter",
    "Change marker reads (or the refreshes they started) that failed.",
  ),
  changesApplied: define(
    "gofr_auth_propagation_changes_applied_total",
    "counter",
    "Change entries applied: a signing secret re-read or a token record forgotten.",
  ),
  resyncs: define(
    "gofr_auth_propagation_resyncs_total",
    "counter",
    "Full cache drops: entries missed, or the change marker deleted and re-created.",
  ),
  markerWriteFailures: define(
    "gofr_auth_propagation_marker_write_failures_total",
    "counter",
    "Change marker appends that failed after the change itself was committed.",
  ),
  markerVersion: define(
    "gofr_auth_propagation_marker_version",
    "gauge",
    "Last change marker version seen (the change sequence; 0 = no marker).",
  ),
  lastChangeLag: define(
    "gofr_auth_propagation_last_change_lag_seconds",
    "gauge",
    "For the last change applied: seconds from its write to its application here.",
  ),
  outage: define(
    "gofr_auth_propagation_outage",
    "gauge",
    "1 while change marker polls fail (the last good state is kept), else 0.",
  ),
  lastPollAge: define(
    "gofr_auth_propagation_last_poll_age_seconds",
    "gauge",
    "Seconds since the last successful poll of the change marker.",
  ),
  lastPollTimestamp: define(
    "gofr_auth_propagation_last_poll_success_timestamp_seconds",
    "gauge",
    "Unix time of the last successful poll of the change marker.",
  ),
  verifications: define(
    "gofr_auth_verifications_total",
    "counter",
    "Guarded requests by outcome: allowed, anonymous, or the refusal's error code.",
    ["outcome"],
  ),
} as const satisfies Record<string, AuthMetricDefinition>;

/**
 * Counts verification outcomes by code. Pass {@link audit} as an adapter's `audit` option
 * (or call it from yours). Label values stay bounded: `allowed`, `anonymous`, an
 * `AuthError` code, or `internal_error`.
 */
export class VerifyOutcomes {
  readonly #counts = new Map<string, number>();

  /** The adapters' `audit` hook; never throws. */
  readonly audit = (event: AuthEvent): void => {
    const outcome = event.outcome === "denied" ? event.code : event.outcome;
    this.#counts.set(outcome, (this.#counts.get(outcome) ?? 0) + 1);
  };

  /** Outcome -> requests so far, in the order outcomes were first seen. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }
}

/**
 * The current value of every family the given sources provide. Reads counters only: no
 * store read, no refresh, no side effect (a provider's cached key is not even looked at).
 */
export function authMetricSamples(sources: AuthMetricSources): AuthMetric[] {
  const metrics: AuthMetric[] = [];
  const providers = distinctProviders(sources);
  if (providers.length > 0) metrics.push(...secretMetrics(providers));
  const storeStats = statsOfStore(sources.store);
  if (storeStats) metrics.push(...storeMetrics(storeStats));
  if (sources.propagation) {
    metrics.push(...propagationMetrics(sources.propagation.stats, sources.clock ?? systemClock));
  }
  if (sources.verify) {
    const samples = [...sources.verify.counts].map(([outcome, value]) => ({
      labels: { outcome },
      value,
    }));
    metrics.push({ ...AUTH_METRICS.verifications, samples });
  }
  return metrics;
}

/** The ring's providers, then the extra ones, each object once. */
function distinctProviders(sources: AuthMetricSources): JwtSecretProvider[] {
  const all = new Set<JwtSecretProvider>(sources.keyRing?.heldProviders());
  for (const provider of sources.providers ?? []) all.add(provider);
  return [...all];
}

/** One sample per secret name: two providers of one secret add up (no duplicate series). */
function secretMetrics(providers: readonly JwtSecretProvider[]): AuthMetric[] {
  const bySecret = new Map<string, SecretProviderStats>();
  for (const { name, stats } of providers) {
    const sum = bySecret.get(name);
    bySecret.set(name, sum ? addStats(sum, stats) : { ...stats });
  }
  const family = (
    definition: AuthMetricDefinition,
    pick: (stats: SecretProviderStats) => number,
  ): AuthMetric => ({
    ...definition,
    samples: [...bySecret].map(([secret, stats]) => ({ labels: { secret }, value: pick(stats) })),
  });
  return [
    family(AUTH_METRICS.secretReads, (s) => s.reads),
    family(AUTH_METRICS.secretReadFailures, (s) => s.failures),
    family(AUTH_METRICS.secretRefreshFailures, (s) => s.refreshFailures),
    family(AUTH_METRICS.secretRotations, (s) => s.rotations),
    family(AUTH_METRICS.secretStaleReads, (s) => s.staleReads),
  ];
}

function addStats(a: SecretProviderStats, b: SecretProviderStats): SecretProviderStats {
  return {
    reads: a.reads + b.reads,
    failures: a.failures + b.failures,
    refreshFailures: a.refreshFailures + b.refreshFailures,
    rotations: a.rotations + b.rotations,
    staleReads: a.staleReads + b.staleReads,
  };
}

/** The store's stats when it keeps them (the memory store of tests does not). */
function statsOfStore(store: AuthMetricSources["store"]): AuthStoreStats | undefined {
  const stats = (store as { stats?: unknown } | undefined)?.stats;
  if (typeof stats !== "object" || stats === null) return undefined;
  const { recordReads, recordCacheHits } = stats as Partial<AuthStoreStats>;
  if (typeof recordReads !== "number" || typeof recordCacheHits !== "number") return undefined;
  return stats as AuthStoreStats;
}

function storeMetrics(stats: AuthStoreStats): AuthMetric[] {
  const metrics = [
    single(AUTH_METRICS.recordReads, stats.recordReads),
    single(AUTH_METRICS.recordCacheHits, stats.recordCacheHits),
  ];
  if (stats.dataVersionChecks !== undefined) {
    metrics.push(single(AUTH_METRICS.dataVersionChecks, stats.dataVersionChecks));
  }
  return metrics;
}

function propagationMetrics(stats: PropagationStats, clock: Clock): AuthMetric[] {
  const lastOk = stats.lastPollOkAt;
  return [
    single(AUTH_METRICS.polls, stats.polls),
    single(AUTH_METRICS.pollFailures, stats.pollFailures),
    single(AUTH_METRICS.changesApplied, stats.changesApplied),
    single(AUTH_METRICS.resyncs, stats.resyncs),
    single(AUTH_METRICS.markerWriteFailures, stats.markerWriteFailures),
    single(AUTH_METRICS.markerVersion, stats.markerVersion),
    single(AUTH_METRICS.lastChangeLag, seconds(stats.lastChangeLagMs)),
    single(AUTH_METRICS.outage, stats.outage ? 1 : 0),
    // Never negative, even if the clock stepped back since.
    single(
      AUTH_METRICS.lastPollAge,
      lastOk === undefined ? undefined : seconds(Math.max(0, clock() - lastOk)),
    ),
    single(AUTH_METRICS.lastPollTimestamp, seconds(lastOk)),
  ];
}

/** An unlabelled family; no sample while the value is unknown. */
function single(definition: AuthMetricDefinition, value: number | undefined): AuthMetric {
  return { ...definition, samples: value === undefined ? [] : [{ labels: {}, value }] };
}

/** A lag may be negative: the writer's clock is ahead of this one (worth seeing). */
function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
