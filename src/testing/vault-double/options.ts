/** The public option and spec shapes of {@link VaultDouble}. */
import type { Clock } from "../../clock.js";
import type { FaultMatch } from "./faults.js";
import type { UserLockoutOptions } from "./lockout.js";

export interface VaultDoubleOptions {
  /** The token with every permission (`vault server -dev -dev-root-token-id`). Default `root`. */
  rootToken?: string;
  /** Judges token TTLs and stamps `created_time` and the `Date` header. Default `Date.now`. */
  clock?: Clock;
  /** Port to listen on. Default 0 (an ephemeral port, kept across `close()` and `start()`). */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** KV v2 mounts. Default `["secret"]`, as in dev mode. */
  kvMounts?: readonly string[];
  /** Reported by `sys/health`. */
  version?: string;
  /**
   * The active node a standby redirects to: with `setHealth("standby")`, every request but
   * `sys/health` and `sys/seal-status` answers 307 with `Location: <activeAddress><path>`.
   * Without it a standby only changes what `sys/health` says.
   */
  activeAddress?: string;
  /** Request bodies above this answer 413 `error parsing JSON`. Default 32 MiB, as Vault. */
  maxRequestBytes?: number;
  /** Vault's AppRole user lockout (on by default: 5 failures, 15 min). */
  userLockout?: UserLockoutOptions;
}

export interface RequestFilter {
  method?: string;
  /** A path prefix (`/v1/secret/data/`) or a pattern. */
  path?: string | RegExp;
  status?: number;
}

export interface FailOptions {
  /** Body to answer with. Default `{"errors":["injected failure"]}`. */
  body?: unknown;
  match?: FaultMatch;
  /** Adds `Retry-After` (seconds), as a rate-limiting Vault does on 429. */
  retryAfterSeconds?: number;
}

export interface TokenSpec {
  policies: readonly string[];
  /** Default 768h (Vault's system default). */
  ttlSeconds?: number;
  /** Renewals stop extending past this (from creation). Default 768h. */
  maxTtlSeconds?: number;
  /** Default true. */
  renewable?: boolean;
}

export interface AppRoleSpec {
  policies: readonly string[];
  /** Lease of the tokens issued at login. Default 768h. */
  tokenTtlSeconds?: number;
  /** Renewals stop extending past this. Default 768h. */
  tokenMaxTtlSeconds?: number;
}
