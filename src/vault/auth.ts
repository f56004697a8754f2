/**
 * Who the client is to Vault: a static token, or an AppRole login whose token is renewed
 * in the background and replaced by a fresh login when it can no longer be renewed.
 *
 * Renewal runs at about two thirds of the lease (jittered so a fleet started together does
 * not renew together). When Vault grants less than asked, the token is at its max TTL: the
 * session logs in again before it expires instead of losing Vault. A failed renewal is
 * retried with backoff; an AppRole token that Vault refuses (expired, revoked) is replaced
 * by one new login. Credentials Vault refused wait (see {@link LoginBackoffOptions}) before
 * they are sent again, so the client never locks its own role_id; meanwhile callers fail
 * fast with Vault's last answer, and a changed creds file is tried at once.
 */
import type { Clock } from "../clock.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import type { Logger } from "../log.js";
import { fingerprint } from "../secrets/fingerprint.js";
import { readAppRoleCredentials } from "./approle-creds.js";
import { loginBackoffError } from "./errors.js";
import {
  type BackoffPolicy,
  backoffDelay,
  LoginBackoff,
  type LoginBackoffOptions,
} from "./retry.js";
import { authResponse, lookupSelfResponse, parseShape } from "./schemas.js";
import type { TimerHandle, VaultTimers } from "./timers.js";

export interface TokenAuthOptions {
  method: "token";
  token: string;
  /**
   * Look the token up and renew it before it expires (long-lived service tokens). Default
   * false: dev and root tokens do not expire, and a static token cannot log in again.
   */
  renew?: boolean;
}

export interface AppRoleAuthOptions {
  method: "approle";
  roleId?: string;
  secretId?: string;
  /**
   * JSON `{ "role_id", "secret_id" }`, read at every login (so a rotated secret_id is picked
   * up) for whichever of `roleId`/`secretId` is not given. Default `/run/secrets/vault_creds`.
   */
  credsFile?: string;
  /** Mount path of the AppRole auth method. Default `approle`. */
  mount?: string;
}

export type VaultAuthOptions = TokenAuthOptions | AppRoleAuthOptions;

export interface RenewalOptions {
  /** Renew tokens before they expire. Default true (AppRole; static tokens need `renew`). */
  enabled?: boolean;
  /** Fraction of the lease after which to renew. Default 2/3. */
  fraction?: number;
  /** Random spread of the renewal time, as a fraction of it (+-). Default 0.1. */
  jitter?: number;
  /** First wait after a failed renewal or background login; doubles per failure. Default 1 s. */
  retryBaseDelayMs?: number;
  /** Longest wait between renewal attempts. Default 60 s. */
  retryMaxDelayMs?: number;
}

/** The client's transport as the session needs it: one mapped, retried exchange. */
export interface SessionTransport {
  exchange(
    method: string,
    apiPath: string,
    init: { body?: unknown; token?: string; kind?: "login" | "api"; secrets?: string[] },
  ): Promise<unknown>;
}

export interface SessionDeps {
  transport: SessionTransport;
  clock: Clock;
  timers: VaultTimers;
  random: () => number;
  logger: Logger;
  renewal?: RenewalOptions;
  loginBackoff?: LoginBackoffOptions;
}

/** Counters for operators and tests. */
export interface SessionStats {
  logins: number;
  renewals: number;
  renewalFailures: number;
}

type NextAction = "renew" | "login";

export class TokenSession {
  readonly stats: SessionStats = { logins: 0, renewals: 0, renewalFailures: 0 };
  private token: string | undefined;
  private expiresAt: number | undefined;
  private renewable = false;
  /** The lease granted at login: what each renewal asks for. */
  private increment = 0;
  private timer: TimerHandle | undefined;
  private loginFlight: Promise<string> | undefined;
  private failures = 0;
  private lookupDone = false;
  private lookupFlight: Promise<void> | undefined;
  private closed = false;
  private readonly renewal: Required<RenewalOptions>;
  private readonly backoff: BackoffPolicy;
  private readonly refusals: LoginBackoff<AuthError>;

  constructor(
    private readonly auth: VaultAuthOptions,
    private readonly deps: SessionDeps,
  ) {
    if (auth.method === "token") {
      if (typeof auth.token !== "string" || auth.token.trim() === "") {
        throw new AuthError("config_invalid", "The Vault token is empty", {
          hint: "set a token, or use AppRole (role_id and secret_id)",
        });
      }
      this.token = auth.token.trim();
    }
    const renewal = deps.renewal ?? {};
    this.renewal = {
      enabled: renewal.enabled ?? true,
      fraction: renewal.fraction ?? 2 / 3,
      jitter: renewal.jitter ?? 0.1,
      retryBaseDelayMs: renewal.retryBaseDelayMs ?? 1000,
      retryMaxDelayMs: renewal.retryMaxDelayMs ?? 60_000,
    };
    this.backoff = {
      baseDelayMs: this.renewal.retryBaseDelayMs,
      maxDelayMs: this.renewal.retryMaxDelayMs,
      random: deps.random,
    };
    this.refusals = new LoginBackoff(deps.loginBackoff ?? {}, deps.clock, deps.random);
  }

  get method(): "token" | "approle" {
    return this.auth.method;
  }

  /** When the current token expires (epoch ms), or `undefined` if it does not or is unknown. */
  get tokenExpiresAt(): number | undefined {
    return this.expiresAt;
  }

  /** Values that must never appear in a message. */
  get secrets(): string[] {
    const out = this.token ? [this.token] : [];
    if (this.auth.method === "approle" && this.auth.secretId) out.push(this.auth.secretId);
    return out;
  }

  /** A token to send: the static one, or the AppRole one (logging in when none is valid). */
  async current(): Promise<string> {
    this.assertOpen();
    if (this.auth.method === "token") {
      await this.startStaticRenewal();
      return this.token as string;
    }
    if (this.token && !this.isExpired()) return this.token;
    return this.login();
  }

  /**
   * Called after Vault answered 403 to `rejected`. For AppRole, logs in again (once, shared
   * by every request that saw the same token refused) and returns true so the caller
   * retries; for a static token there is nothing to do.
   */
  async recover(rejected: string): Promise<boolean> {
    if (this.auth.method !== "approle" || this.closed) return false;
    if (this.token !== undefined && this.token !== rejected) return true; // already replaced
    if (this.loginFlight) {
      await this.loginFlight;
      return true;
    }
    this.deps.logger.warn("Vault refused the AppRole token; logging in again", {
      expires_at: this.expiresAt === undefined ? undefined : new Date(this.expiresAt).toISOString(),
    });
    await this.login();
    return true;
  }

  /** Logs in with AppRole now (joining a login in flight). Rejects for a static token. */
  login(): Promise<string> {
    this.assertOpen();
    if (this.auth.method !== "approle") {
      return Promise.reject(
        new AuthError("config_invalid", "A static Vault token cannot log in again", {
          hint: "use AppRole for services that must outlive their token",
        }),
      );
    }
    const auth = this.auth;
    this.loginFlight ??= this.doLogin(auth).finally(() => {
      this.loginFlight = undefined;
    });
    return this.loginFlight;
  }

  /** Stops background renewal. The token is left to expire on its own. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new AuthError("vault_unreachable", "The Vault client is closed", {
        hint: "create a new client; close() is final",
      });
    }
  }

  private isExpired(): boolean {
    return this.expiresAt !== undefined && this.deps.clock() >= this.expiresAt;
  }

  private async doLogin(auth: AppRoleAuthOptions): Promise<string> {
    const creds = await readAppRoleCredentials(auth);
    const role = fingerprint(creds.roleId);
    const key = fingerprint(`${creds.roleId}\n${creds.secretId}`);
    const barred = this.refusals.barred(key);
    if (barred) throw loginBackoffError(barred.error, barred.count, barred.retryAt);
    const mount = (auth.mount ?? "approle").replace(/^\/+|\/+$/g, "");
    let body: unknown;
    try {
      body = await this.deps.transport.exchange("POST", `auth/${mount}/login`, {
        body: { role_id: creds.roleId, secret_id: creds.secretId },
        kind: "login",
        secrets: [creds.secretId],
      });
    } catch (error) {
      if (isAuthError(error, "vault_permission_denied")) this.noteRefusal(role, key, error);
      throw error;
    }
    const parsed = parseShape(authResponse, body);
    if (!parsed.ok) {
      throw new AuthError(
        "vault_bad_response",
        `Unexpected answer to POST /v1/auth/${mount}/login: ${parsed.problem}`,
        { hint: "check that the URL points at Vault and the AppRole method is mounted there" },
      );
    }
    if (this.closed) throw new AuthError("vault_unreachable", "The Vault client is closed");
    const { client_token, lease_duration, renewable, token_policies, policies } = parsed.value.auth;
    this.token = client_token;
    this.increment = lease_duration;
    this.failures = 0;
    this.refusals.succeeded();
    this.stats.logins += 1;
    this.applyLease(lease_duration, renewable);
    this.deps.logger.info("Logged in to Vault with AppRole", {
      policies: token_policies ?? policies ?? [],
      lease_seconds: lease_duration,
      renewable,
    });
    this.scheduleAfterLease("renew");
    return client_token;
  }

  /** Remembers a refusal (fingerprints only) so these credentials wait before the next try. */
  private noteRefusal(role: string, key: string, error: AuthError): void {
    const refusal = this.refusals.refused(role, key, error);
    this.deps.logger.warn("Vault refused the AppRole login; these credentials wait", {
      status: error.details.status,
      refusals: refusal.count,
      credentials: key,
      retry_at: new Date(refusal.retryAt).toISOString(),
    });
  }

  private applyLease(leaseSeconds: number, renewable: boolean): void {
    this.renewable = renewable;
    this.expiresAt = leaseSeconds > 0 ? this.deps.clock() + leaseSeconds * 1000 : undefined;
  }

  /** Plans the next renewal (or login) at ~2/3 of the remaining lease. */
  private scheduleAfterLease(action: NextAction): void {
    if (!this.renewal.enabled || this.expiresAt === undefined) return;
    const remaining = this.expiresAt - this.deps.clock();
    const spread = 1 + this.renewal.jitter * (2 * this.deps.random() - 1);
    const delay = Math.max(0, Math.round(remaining * this.renewal.fraction * spread));
    if (action === "renew" && !this.renewable) action = "login";
    if (action === "login" && this.auth.method !== "approle") {
      this.deps.logger.warn("The static Vault token cannot be renewed further", {
        expires_at: new Date(this.expiresAt).toISOString(),
      });
      return;
    }
    this.schedule(action, delay);
  }

  private schedule(action: NextAction, delayMs: number): void {
    this.timer?.cancel();
    if (this.closed) return;
    this.timer = this.deps.timers.schedule(
      () => (action === "renew" ? this.renewInBackground() : this.loginInBackground()),
      delayMs,
    );
  }

  private async renewInBackground(): Promise<void> {
    this.timer = undefined;
    if (this.closed || !this.token) return;
    const token = this.token;
    try {
      const body = await this.deps.transport.exchange("POST", "auth/token/renew-self", {
        body: { increment: `${this.increment}s` },
        token,
      });
      const parsed = parseShape(authResponse, body);
      if (!parsed.ok) throw new Error(`unexpected renew-self answer: ${parsed.problem}`);
      if (this.closed || this.token !== token) return; // replaced meanwhile
      const { lease_duration, renewable } = parsed.value.auth;
      this.stats.renewals += 1;
      this.failures = 0;
      this.applyLease(lease_duration, renewable);
      const capped = lease_duration < this.increment;
      this.deps.logger.debug("Renewed the Vault token", {
        lease_seconds: lease_duration,
        at_max_ttl: capped,
      });
      if (capped) {
        this.deps.logger.info("The Vault token reached its max TTL; will log in again", {
          lease_seconds: lease_duration,
        });
      }
      this.scheduleAfterLease(capped ? "login" : "renew");
    } catch (error) {
      if (this.closed) return;
      this.stats.renewalFailures += 1;
      const denied = isAuthError(error, "vault_permission_denied");
      this.deps.logger.warn("Renewing the Vault token failed", {
        error: isAuthError(error) ? error.message : describeError(error),
        code: isAuthError(error) ? error.code : undefined,
      });
      if (denied || this.isExpired()) {
        // The token is gone: renewing again cannot help.
        if (this.auth.method === "approle") await this.loginInBackground();
        return;
      }
      this.retryLater("renew");
    }
  }

  private async loginInBackground(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    try {
      await this.login();
    } catch (error) {
      if (this.closed) return;
      this.deps.logger.warn("Logging in to Vault again failed; will retry", {
        error: isAuthError(error) ? error.message : describeError(error),
        code: isAuthError(error) ? error.code : undefined,
      });
      this.retryLater("login");
    }
  }

  private retryLater(action: NextAction): void {
    const delay = backoffDelay(this.backoff, this.failures);
    this.failures += 1;
    // Never wait past expiry to renew: once the token is gone only a login helps.
    if (action === "renew" && this.expiresAt !== undefined) {
      const left = this.expiresAt - this.deps.clock();
      if (delay >= left) {
        if (this.auth.method === "approle") this.schedule("login", Math.max(0, left));
        return;
      }
    }
    this.schedule(action, delay);
  }

  /**
   * Static token with `renew: true`: learn its TTL once (the first request waits for that
   * one lookup), then renew it like a login token. A failed lookup is logged and retried on
   * the next request; it never fails the request itself.
   */
  private async startStaticRenewal(): Promise<void> {
    if (this.auth.method !== "token" || !this.auth.renew || this.lookupDone) return;
    if (!this.renewal.enabled) return;
    this.lookupFlight ??= this.lookupStaticToken().finally(() => {
      this.lookupFlight = undefined;
    });
    await this.lookupFlight;
  }

  private async lookupStaticToken(): Promise<void> {
    try {
      const body = await this.deps.transport.exchange("GET", "auth/token/lookup-self", {
        token: this.token as string,
      });
      const parsed = parseShape(lookupSelfResponse, body);
      if (!parsed.ok) throw new Error(`unexpected lookup-self answer: ${parsed.problem}`);
      this.lookupDone = true;
      const { ttl, renewable, creation_ttl } = parsed.value.data;
      if (ttl <= 0 || this.closed) return; // a token that never expires needs no renewal
      this.increment = creation_ttl > 0 ? creation_ttl : ttl;
      this.applyLease(ttl, renewable);
      this.scheduleAfterLease("renew");
    } catch (error) {
      this.deps.logger.warn("Could not look up the Vault token for renewal; will retry", {
        error: isAuthError(error) ? error.message : describeError(error),
      });
    }
  }
}
