/**
 * The options of {@link VaultClient} with their defaults, and the checks applied to the
 * numeric ones (kept apart from the client so that its file holds only the exchange logic).
 */
import type { Dispatcher } from "undici";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RenewalOptions, VaultAuthOptions } from "./auth.js";
import type { LoginBackoffOptions } from "./retry.js";
import type { Sleep, VaultTimers } from "./timers.js";

export const DEFAULT_VAULT_TIMEOUT_MS = 5000;
export const DEFAULT_VAULT_MAX_RETRIES = 2;
/**
 * The largest answer the client reads: 4 MiB. A gofr-auth KV record (a signing secret, a
 * token record, a name index) is a few KiB, and Vault's own request limit is 32 MiB
 * (hashicorp `http/handler.go` `DefaultMaxRequestSize`), so a bigger answer is a
 * misconfigured URL, a proxy's error page or a hostile server, never data we asked for.
 */
export const DEFAULT_VAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface VaultClientOptions {
  /** Vault's address, e.g. `https://vault.internal:8200` (the `VAULT_ADDR` form). */
  address: string;
  /** A static token, or AppRole credentials. */
  auth: VaultAuthOptions;
  /** Sent as `X-Vault-Namespace` (Vault Enterprise / HCP). */
  namespace?: string;
  /** PEM file with the CA that signed Vault's certificate (`VAULT_CACERT`). */
  caFile?: string;
  /** Accept any TLS certificate. Development only; logged as a warning. */
  tlsSkipVerify?: boolean;
  /** Deadline per attempt (connect, headers and body). Default 5000 ms. */
  timeoutMs?: number;
  /**
   * Largest answer body read, in bytes. A longer answer is refused (`vault_bad_response`
   * naming the path and the limit) and its connection closed without reading the rest.
   * Default {@link DEFAULT_VAULT_MAX_RESPONSE_BYTES} (4 MiB).
   */
  maxResponseBytes?: number;
  /** Retries after network errors, timeouts, 429, 500, 502, 503, 504. Default 2. */
  maxRetries?: number;
  /** Backoff ceiling before the first retry, doubling per retry. Default 200 ms; 0 = none. */
  retryBaseDelayMs?: number;
  /** Longest single backoff. Default 3000 ms. */
  retryMaxDelayMs?: number;
  /**
   * Backoff base after a 429 without `Retry-After` (Vault's default), doubling per retry.
   * Default 800 ms: with 2 retries, 1.2-2.4 s in all, past a 1 s rate-limit interval. A
   * `Retry-After` is honoured instead (capped by `retryMaxDelayMs`). 0 = none (tests).
   */
  rateLimitBaseDelayMs?: number;
  /**
   * How long refused AppRole credentials wait before they are sent again, so the client
   * never trips Vault's user lockout on its own (defaults: 3 refusals, then 16 min apart).
   */
  loginBackoff?: LoginBackoffOptions;
  /** Token renewal timing (AppRole tokens, and static tokens with `renew: true`). */
  renewal?: RenewalOptions;
  /** Token expiry is judged against this clock. Default `Date.now`. */
  clock?: Clock;
  /** Schedules background renewal. Default: unref'ed `setTimeout`. */
  timers?: VaultTimers;
  /** Waits between retries. Default: `setTimeout`. */
  sleep?: Sleep;
  /** Jitter source, uniform in [0, 1). Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  /** An undici dispatcher to use instead of the client's own pool (not closed by `close()`). */
  dispatcher?: Dispatcher;
}

/** `value` (or `fallback` when undefined), refused unless a finite number >= 0. */
export function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0) {
    throw new AuthError("config_invalid", `${name} must be a number >= 0, got ${value}`);
  }
  return chosen;
}

/** Like {@link nonNegative}, and above 0. */
export function positive(value: number | undefined, fallback: number, name: string): number {
  const chosen = nonNegative(value, fallback, name);
  if (chosen === 0) throw new AuthError("config_invalid", `${name} must be above 0`);
  return chosen;
}

/**
 * True for names that never leave this machine: `localhost`, 127.0.0.0/8 and `[::1]` (as
 * `URL.hostname` spells them). Plain HTTP to anything else crosses a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
