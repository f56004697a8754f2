/**
 * A small typed Vault HTTP client: one place for authentication, the namespace header,
 * timeouts, retries with backoff and the mapping of every failure to an {@link AuthError}.
 * KV v2 lives in {@link KvV2} (`client.kv("secret")`).
 */
import type { Dispatcher } from "undici";
import { systemClock } from "../clock.js";
import { DEFAULT_KV_MOUNT } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import { consoleLogger, type Logger } from "../log.js";
import { type SessionStats, TokenSession } from "./auth.js";
import {
  DEFAULT_VAULT_MAX_RESPONSE_BYTES,
  DEFAULT_VAULT_MAX_RETRIES,
  DEFAULT_VAULT_TIMEOUT_MS,
  isLoopbackHost,
  nonNegative,
  positive,
  type VaultClientOptions,
} from "./client-options.js";
import {
  badResponseError,
  errorFromResponse,
  isSealedAnswer,
  responseTooLargeError,
  standbyRedirectError,
  unreachableError,
  type VaultCall,
} from "./errors.js";
import { KvV2 } from "./kv.js";
import { normalizeMount } from "./paths.js";
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_RATE_LIMIT_BASE_DELAY_MS,
  parseRetryAfter,
  RETRYABLE_STATUSES,
} from "./retry.js";
import {
  HEALTH_STATES,
  lookupSelfResponse,
  parseHealth,
  parseShape,
  type VaultHealth,
} from "./schemas.js";
import { realSleep, realTimers, type Sleep } from "./timers.js";
import {
  createAgent,
  parseAddress,
  parseJson,
  queryString,
  type RawResponse,
  RedirectRefused,
  ResponseTooLarge,
  sendFollowingStandby,
  TransportError,
} from "./transport.js";

export {
  DEFAULT_VAULT_MAX_RESPONSE_BYTES,
  DEFAULT_VAULT_MAX_RETRIES,
  DEFAULT_VAULT_TIMEOUT_MS,
  type VaultClientOptions,
} from "./client-options.js";
export type { VaultHealth, VaultNodeState } from "./schemas.js";

export interface VaultRequestOptions {
  /** JSON body. */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
}

/** The current token as `lookup-self` describes it (never the token itself). */
export interface VaultTokenInfo {
  policies: string[];
  /** Seconds left; 0 for a token that never expires. */
  ttlSeconds: number;
  renewable: boolean;
  expireTime: Date | null;
  displayName: string;
}

export interface VaultClientStats extends SessionStats {
  /** HTTP attempts sent (retries included). */
  attempts: number;
  /** Attempts that were retries. */
  retries: number;
}

/** How a retryable answer changes the next wait. */
interface RetryWait {
  retryAfterMs?: number;
  baseDelayMs?: number;
}

interface ExchangeInit {
  body?: unknown;
  query?: VaultRequestOptions["query"];
  token?: string;
  kind?: "login" | "api";
  secrets?: string[];
  retry?: boolean;
  acceptStatus?: (status: number) => boolean;
}

/**
 * One client per Vault (and per identity). Safe to share: concurrent requests reuse
 * connections, and AppRole logins are shared by every request waiting on one.
 */
export class VaultClient {
  /** Vault's address without credentials, as shown in messages. */
  readonly address: string;
  readonly namespace: string | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxResponseBytes: number;
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly session: TokenSession;
  private readonly backoff: BackoffPolicy;
  private readonly rateLimitBaseDelayMs: number;
  private readonly sleep: Sleep;
  private readonly logger: Logger;
  private readonly kvMounts = new Map<string, KvV2>();
  private readonly counters = { attempts: 0, retries: 0 };
  private closed = false;

  constructor(options: VaultClientOptions) {
    const url = parseAddress(options.address);
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    this.address = this.base;
    this.namespace = options.namespace?.trim() || undefined;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_VAULT_TIMEOUT_MS, "timeoutMs");
    this.maxRetries = Math.floor(
      nonNegative(options.maxRetries, DEFAULT_VAULT_MAX_RETRIES, "maxRetries"),
    );
    this.maxResponseBytes = Math.floor(
      positive(options.maxResponseBytes, DEFAULT_VAULT_MAX_RESPONSE_BYTES, "maxResponseBytes"),
    );
    this.logger = options.logger ?? consoleLogger({ name: "vault", level: "warn" });
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
      // Once per client: the AppRole secret_id, Vault tokens and signing secrets would
      // cross the network unencrypted (loopback never leaves the machine).
      this.logger.warn(
        "Vault is reached over plain HTTP: tokens and secrets cross the network in clear",
        {
          vault: this.address,
          hint: "use an https:// Vault address (and caFile / VAULT_CACERT for a private CA)",
        },
      );
    }
    const random = options.random ?? Math.random;
    this.backoff = {
      baseDelayMs: nonNegative(options.retryBaseDelayMs, 200, "retryBaseDelayMs"),
      maxDelayMs: nonNegative(options.retryMaxDelayMs, 3000, "retryMaxDelayMs"),
      random,
    };
    this.rateLimitBaseDelayMs = nonNegative(
      options.rateLimitBaseDelayMs,
      DEFAULT_RATE_LIMIT_BASE_DELAY_MS,
      "rateLimitBaseDelayMs",
    );
    this.sleep = options.sleep ?? realSleep;
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = createAgent({
        caFile: options.caFile,
        tlsSkipVerify: options.tlsSkipVerify,
      });
      this.ownsDispatcher = true;
    }
    if (options.tlsSkipVerify) {
      this.logger.warn("TLS verification of Vault is off (tlsSkipVerify); development only", {
        vault: this.address,
      });
    }
    this.session = new TokenSession(options.auth, {
      transport: { exchange: (method, path, init) => this.exchange(method, path, init) },
      clock: options.clock ?? systemClock,
      timers: options.timers ?? realTimers,
      random,
      logger: this.logger,
      renewal: options.renewal,
      loginBackoff: options.loginBackoff,
    });
  }

  /** For messages: `vault https://vault:8200` (plus the namespace). */
  get description(): string {
    return `vault ${this.address}${this.namespace ? ` namespace ${this.namespace}` : ""}`;
  }

  get authMethod(): "token" | "approle" {
    return this.session.method;
  }

  get stats(): VaultClientStats {
    return { ...this.session.stats, ...this.counters };
  }

  /** KV v2 at `mount` (default `secret`). */
  kv(mount = DEFAULT_KV_MOUNT): KvV2 {
    const key = normalizeMount(mount);
    let kv = this.kvMounts.get(key);
    if (!kv) {
      kv = new KvV2(this, key);
      this.kvMounts.set(key, kv);
    }
    return kv;
  }

  /**
   * Authenticates now: an AppRole login, or (static token) a `lookup-self`. Use at start-up
   * to fail fast with a clear error instead of on the first request.
   */
  async login(): Promise<void> {
    if (this.session.method === "approle") {
      await this.session.login();
      return;
    }
    await this.lookupSelf();
  }

  /**
   * An authenticated call to `/v1/<path>`; resolves to the parsed JSON body (`undefined` for
   * 204). `path` is used as given: encode segments yourself. For AppRole, a 403 triggers one
   * new login and one retry.
   */
  async request(method: string, path: string, options: VaultRequestOptions = {}): Promise<unknown> {
    const apiPath = path.replace(/^\/+/, "").replace(/^v1\//, "");
    let recovered = false;
    for (;;) {
      const token = await this.session.current();
      try {
        return await this.exchange(method, apiPath, { ...options, token });
      } catch (error) {
        const denied =
          isAuthError(error, "vault_permission_denied") && error.details.status === 403;
        if (denied && !recovered && (await this.session.recover(token))) {
          recovered = true;
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * `GET /v1/sys/health` (no token, not retried). Every state of a node (standby, sealed,
   * uninitialised, removed...) is an answer, not an error; see {@link VaultHealth.state}.
   */
  async health(): Promise<VaultHealth> {
    const { status, body } = await this.exchangeRaw("GET", "sys/health", {
      retry: false,
      acceptStatus: (code) => HEALTH_STATES.has(code),
    });
    const parsed = parseHealth(status, body);
    if (!parsed.ok) {
      throw badResponseError(this.call("GET", "/v1/sys/health", 1, "api"), status, parsed.problem);
    }
    return parsed.value;
  }

  /** What Vault says about the current token. */
  async lookupSelf(): Promise<VaultTokenInfo> {
    const body = await this.request("GET", "auth/token/lookup-self");
    const parsed = parseShape(lookupSelfResponse, body);
    if (!parsed.ok) {
      throw badResponseError(
        this.call("GET", "/v1/auth/token/lookup-self", 1, "api"),
        200,
        parsed.problem,
      );
    }
    const data = parsed.value.data;
    return {
      policies: data.policies,
      ttlSeconds: data.ttl,
      renewable: data.renewable,
      expireTime: data.expire_time ? new Date(data.expire_time) : null,
      displayName: data.display_name,
    };
  }

  /** Stops renewal and releases connections. Requests after this reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    if (this.ownsDispatcher) await this.dispatcher.destroy();
  }

  /** @internal One mapped, retried exchange; the session and KV layer build on it. */
  async exchange(method: string, apiPath: string, init: ExchangeInit = {}): Promise<unknown> {
    return (await this.exchangeRaw(method, apiPath, init)).body;
  }

  private async exchangeRaw(
    method: string,
    apiPath: string,
    init: ExchangeInit,
  ): Promise<{ status: number; body: unknown }> {
    const path = `/v1/${apiPath}${queryString(init.query)}`;
    const headers: Record<string, string> = {
      accept: "application/json",
      "x-vault-request": "true",
    };
    if (init.token) headers["x-vault-token"] = init.token;
    if (this.namespace) headers["x-vault-namespace"] = this.namespace;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers["content-type"] = "application/json";
    }
    const secrets = [...this.session.secrets, ...(init.secrets ?? [])];
    const maxRetries = init.retry === false ? 0 : this.maxRetries;
    const kind = init.kind ?? "api";

    for (let attempt = 1; ; attempt += 1) {
      this.assertOpen();
      const call = this.call(method, path, attempt, kind);
      let response: RawResponse;
      this.counters.attempts += 1;
      if (attempt > 1) this.counters.retries += 1;
      try {
        response = await sendFollowingStandby(this.dispatcher, this.base + path, {
          method,
          headers,
          body,
          timeoutMs: this.timeoutMs,
          maxResponseBytes: this.maxResponseBytes,
        });
      } catch (error) {
        this.assertOpen();
        if (error instanceof ResponseTooLarge) {
          // Not retried: the same request would get the same oversized answer.
          throw responseTooLargeError(call, error.status, error.limitBytes, error.declaredBytes);
        }
        if (error instanceof RedirectRefused) {
          throw standbyRedirectError(call, error.location, error.reason);
        }
        const failure = error instanceof TransportError ? error : new TransportError(false, error);
        if (attempt <= maxRetries) {
          await this.pause(call, attempt, failure.timedOut ? "timeout" : "network error");
          continue;
        }
        throw unreachableError(call, failure.cause, failure.timedOut ? this.timeoutMs : undefined);
      }

      const json = parseJson(response.text);
      const { status } = response;
      if (status >= 200 && status < 300) {
        if (response.text.trim() === "") return { status, body: undefined };
        if (!json.ok) throw badResponseError(call, status, "the body is not JSON");
        return { status, body: json.value };
      }
      if (init.acceptStatus?.(status) && json.ok) return { status, body: json.value };
      const answer = json.ok ? json.value : undefined;
      if (RETRYABLE_STATUSES.has(status) && !isSealedAnswer(status, answer)) {
        if (attempt <= maxRetries) {
          await this.pause(call, attempt, `status ${status}`, this.answerDelay(status, response));
          continue;
        }
      }
      throw errorFromResponse(call, status, answer, secrets);
    }
  }

  /** What a retryable answer asks of the wait: its Retry-After, or a rate-limit floor. */
  private answerDelay(status: number, response: RawResponse): RetryWait {
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
    if (status !== 429 || retryAfterMs !== undefined) return { retryAfterMs };
    // No Retry-After (Vault's default): back off long enough to outlast the quota interval.
    return { baseDelayMs: Math.max(this.backoff.baseDelayMs, this.rateLimitBaseDelayMs) };
  }

  private async pause(
    call: VaultCall,
    attempt: number,
    reason: string,
    wait: RetryWait = {},
  ): Promise<void> {
    const policy = { ...this.backoff, baseDelayMs: wait.baseDelayMs ?? this.backoff.baseDelayMs };
    const delay = backoffDelay(policy, attempt - 1, wait.retryAfterMs);
    this.logger.debug("Retrying a Vault request", {
      method: call.method,
      path: call.path,
      reason,
      attempt,
      delay_ms: delay,
    });
    if (delay > 0) await this.sleep(delay);
  }

  private call(method: string, path: string, attempts: number, kind: "login" | "api"): VaultCall {
    return {
      method,
      path,
      address: this.address,
      attempts,
      kind,
      authMethod: this.session.method,
    };
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new AuthError("vault_unreachable", `The Vault client for ${this.address} is closed`, {
        hint: "create a new client; close() is final",
      });
    }
  }
}
