/**
 * When and how long to wait before trying a Vault request again. Only failures that a
 * second attempt can fix are retried: network errors, timeouts, rate limiting and the
 * 5xx answers of an overloaded or restarting server. A sealed Vault and every 4xx (auth,
 * bad request, not found, CAS) fail at once: waiting does not change those answers.
 */

/** Statuses retried with backoff (429 and the transient 5xx). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

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
