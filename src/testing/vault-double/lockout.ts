/**
 * Vault's user lockout for AppRole logins (docs/vault-contract.md row 20, M2; hashicorp
 * `vault/request_handling.go` `handleLoginRequest`, `isUserLocked`,
 * `failedUserLoginProcess`, `RegisterAuth`; docs `concepts/user-lockout`).
 *
 * - On by default: 5 failed logins, 15 min lockout, counter reset after 15 min.
 * - Only `logical.ErrInvalidCredentials` counts as a failure; for AppRole that is a wrong
 *   secret_id for an existing role_id. An unknown role_id or a missing secret_id is a
 *   plain error response and is not counted.
 * - The user is the login's alias name (AppRole: the role_id) on one auth mount accessor.
 * - While locked, every login of that user is refused with permission denied before the
 *   credentials are looked at, so a correct secret_id is refused too.
 * - A successful login removes the user's failure record.
 * - Times are whole Unix seconds, as Vault stores them.
 */
import type { Clock } from "../../clock.js";

/** Vault's `user_lockout` settings (names as in the server config and `auth tune`). */
export interface UserLockoutOptions {
  /** `lockout_threshold`: failed logins that lock the user. Default 5. */
  threshold?: number;
  /** `lockout_duration`: how long a locked user stays locked. Default 900 s. */
  durationSeconds?: number;
  /** `lockout_counter_reset`: failures older than this start the count again. Default 900 s. */
  counterResetSeconds?: number;
  /** `disable_lockout`. Default false. */
  disable?: boolean;
}

/** A locked user as `sys/locked-users` reports it. */
export interface LockedUser {
  mountAccessor: string;
  /** For AppRole, the role_id. */
  aliasIdentifier: string;
}

interface FailedLogins {
  count: number;
  /** Unix seconds of the last failure. */
  lastFailure: number;
}

export class LockoutTracker {
  private readonly failures = new Map<string, FailedLogins>();
  private readonly threshold: number;
  private readonly duration: number;
  private readonly counterReset: number;
  readonly disabled: boolean;

  constructor(
    private readonly clock: Clock,
    options: UserLockoutOptions = {},
  ) {
    this.threshold = options.threshold ?? 5;
    this.duration = options.durationSeconds ?? 900;
    this.counterReset = options.counterResetSeconds ?? 900;
    this.disabled = options.disable ?? false;
  }

  isLocked(mountAccessor: string, alias: string): boolean {
    if (this.disabled) return false;
    const entry = this.failures.get(key(mountAccessor, alias));
    if (!entry) return false;
    return entry.count >= this.threshold && this.nowSeconds() - entry.lastFailure < this.duration;
  }

  /** A login refused with invalid credentials (`failedUserLoginProcess`). */
  recordFailure(mountAccessor: string, alias: string): void {
    if (this.disabled) return;
    const id = key(mountAccessor, alias);
    const entry = this.failures.get(id);
    const now = this.clock();
    const reset = entry && now > (entry.lastFailure + this.counterReset) * 1000;
    const count = entry && !reset ? entry.count + 1 : 1;
    this.failures.set(id, { count, lastFailure: Math.floor(now / 1000) });
  }

  /** A successful login clears the user's failures (`RegisterAuth`). */
  recordSuccess(mountAccessor: string, alias: string): void {
    this.failures.delete(key(mountAccessor, alias));
  }

  /** Users locked now, sorted. */
  locked(): LockedUser[] {
    return [...this.failures.keys()]
      .map((id) => JSON.parse(id) as [string, string])
      .filter(([mountAccessor, alias]) => this.isLocked(mountAccessor, alias))
      .map(([mountAccessor, aliasIdentifier]) => ({ mountAccessor, aliasIdentifier }))
      .sort((a, b) =>
        `${a.mountAccessor}/${a.aliasIdentifier}`.localeCompare(
          `${b.mountAccessor}/${b.aliasIdentifier}`,
        ),
      );
  }

  /** `sys/locked-users/:mount_accessor/unlock/:alias_identifier`: idempotent. */
  unlock(mountAccessor: string, alias: string): void {
    this.failures.delete(key(mountAccessor, alias));
  }

  unlockAll(): void {
    this.failures.clear();
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }
}

function key(mountAccessor: string, alias: string): string {
  return JSON.stringify([mountAccessor, alias]);
}
