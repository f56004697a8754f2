/**
 * When and how long to wait before trying a Vault request again. Only failures that a
 * second attempt can fix are retried: network errors, timeouts, rate limiting and the
 * 5xx answers of an overloaded or restarting server. A sealed Vault and every 4xx (auth,
 * bad request, not found, CAS) fail at once: waiting does not change those answers.
 *
 * Refused AppRole logins get their own, much slower clock ({@link LoginBackoff}): Vault
 * locks a role_id after repeated refusals, so hammering it with stale credentials turns a
 * fixable mistake into a 15-minute outage.
 */
import type { Clock } from "../clock.js";

/** Statuses retried with backoff (429 and the transient 5xx). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * Backoff base for a 429 that carries no `Retry-After`, Vault's default: the header is sent
 * only with `enable_rate_limit_response_headers` (hashicorp `http/util.go`
 * `rateLimitQuotaWrapping`; docs/vault-contract.md row 40). With the default 2 retries the waits are
 * 0.4-0.8 s and 0.8-1.6 s, 1.2-2.4 s in all: past a rate-limit quota's 1 s interval.
 */
export const DEFAULT_RATE_LIMIT_BASE_DELAY_MS = 800;

export interface BackoffPolicy {
  /** Delay ceiling before the first retry; doubles per retry. 0 retries immediately. */
  baseDelayMs: number;
  /** No single wait exceeds this. */
  maxDelayMs: number;
  /** Uniform in [0, 1). Injected so tests get exact delays. */
  random: () => number;
}

/**
 * Equal-jitter exponential backoff: half the ceiling fixed, half random, so concurrent
 * clients spread out but none retries at once. A server's `Retry-After` raises the wait
 * (never above `maxDelayMs`).
 */
export function backoffDelay(policy: BackoffPolicy, retry: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = ceiling / 2 + (policy.random() * ceiling) / 2;
  if (retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs)));
}

/** `Retry-After` in milliseconds (seconds form only; Vault never sends the date form). */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/**
 * How soon refused AppRole credentials may be tried again. Vault's user lockout (on by
 * default) counts refused logins (wrong secret_id) per role_id: the count restarts only when
 * a refusal comes more than `lockout_counter_reset` (15 min) after the previous one, and at
 * `lockout_threshold` (5) the role_id is locked for `lockout_duration` (15 min), during which
 * even correct credentials get 403 (hashicorp `internalshared/configutil/userlockout.go`
 * defaults; `vault/request_handling.go` `handleLoginRequest`, `failedUserLoginProcess`,
 * `isUserLocked`; docs/vault-contract.md row 20).
 *
 * The defaults make at most 3 refused logins in a row for one role_id, then wait more than
 * 15 minutes between refusals, so Vault's count never passes 3 and no 15-minute window holds
 * more than 3 of this client's refusals: two below the threshold, left for an operator's
 * manual try or a second replica. (A creds file changed meanwhile is tried at once and adds
 * one refusal if it is wrong too.) Keep `maxRefusals` below Vault's
 * `lockout_threshold` and `pauseMs` above its `lockout_counter_reset` if those are tuned.
 */
export interface LoginBackoffOptions {
  /** Refused logins in a row for one role_id before the long pause. Default 3. */
  maxRefusals?: number;
  /** Wait after the first refusal; doubles after each, up to `pauseMs`. Default 5000 ms. */
  baseDelayMs?: number;
  /**
   * Wait after `maxRefusals` refusals and after every later one. Default 16 min: longer than
   * Vault's 15-minute `lockout_counter_reset`, so its count starts again at 1.
   */
  pauseMs?: number;
}

/** What the client remembers of a refusal: never the credentials, only fingerprints. */
export interface LoginRefusal<E> {
  /** Fingerprint of the role_id: Vault counts refusals per role_id. */
  role: string;
  /** Fingerprint of the role_id and secret_id that were refused. */
  credentials: string;
  /** Refusals in a row for this role_id. */
  count: number;
  /** Epoch ms before which these credentials are not sent again. */
  retryAt: number;
  /** Vault's last answer, for the callers turned away meanwhile. */
  error: E;
}

/**
 * Remembers the last refused credentials (by fingerprint) and says when they may be sent
 * again. Other credentials (a fixed creds file) may be tried at once, but their refusal
 * still counts against the same role_id, as it does in Vault.
 */
export class LoginBackoff<E> {
  private last: LoginRefusal<E> | undefined;
  private readonly maxRefusals: number;
  private readonly baseDelayMs: number;
  private readonly pauseMs: number;

  constructor(
    options: LoginBackoffOptions,
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {
    this.maxRefusals = Math.max(1, Math.floor(options.maxRefusals ?? 3));
    this.pauseMs = Math.max(0, options.pauseMs ?? 16 * 60_000);
    this.baseDelayMs = Math.min(this.pauseMs, Math.max(0, options.baseDelayMs ?? 5000));
  }

  /** The refusal that still bars these credentials, or `undefined` when a login may go. */
  barred(credentials: string): LoginRefusal<E> | undefined {
    const last = this.last;
    if (!last || last.credentials !== credentials || this.clock() >= last.retryAt) return undefined;
    return last;
  }

  /** Vault refused these credentials: plans the earliest next try with them. */
  refused(role: string, credentials: string, error: E): LoginRefusal<E> {
    const count = this.last?.role === role ? this.last.count + 1 : 1;
    const nominal =
      count >= this.maxRefusals
        ? this.pauseMs
        : Math.min(this.pauseMs, this.baseDelayMs * 2 ** (count - 1));
    // Jitter only lengthens the wait: a shorter pause could let Vault's count go on.
    const delay = Math.round(nominal * (1 + 0.1 * this.random()));
    this.last = { role, credentials, count, retryAt: this.clock() + delay, error };
    return this.last;
  }

  /** A login succeeded: forget refusals. */
  succeeded(): void {
    this.last = undefined;
  }
}
