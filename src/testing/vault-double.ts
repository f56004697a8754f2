/**
 * An in-process HTTP double of HashiCorp Vault for tests: a real TCP (or TLS) server on
 * 127.0.0.1 with an ephemeral port, speaking the subset of Vault 1.20's API that gofr-auth
 * uses with Vault's JSON shapes, status codes and error bodies. Each behaviour cites the row
 * of the Vault contract (`docs/vault-contract.md`, design notes) and the Vault source it follows.
 *
 * - KV v2 (mount `secret`): versions, metadata, check-and-set, list, soft delete,
 *   undelete, destroy, delete-metadata, `max_versions` (Vault's pruning window and
 *   `oldest_version`), keys of stored data sorted as Go's `encoding/json` writes them.
 * - Transit (mounted with `POST sys/mounts/<path> {"type":"transit"}` or `mountTransit`):
 *   ed25519 keys only, create, read, list, rotate, config, delete and sign (single and
 *   `batch_input`); private keys never leave the double (`transitKeys` shows public keys).
 * - Lists through `GET ...?list=<bool>` and the `LIST` verb that the Vault CLI, hvac and the
 *   Go client send (over HTTP and HTTPS).
 * - Tokens with policies (path rules set in code or as HCL over HTTP, evaluated with Vault's
 *   ACL algorithm), TTLs judged against an injectable clock, renew-self up to a max TTL,
 *   lookup-self.
 * - AppRole: roles, role-id, secret-id (issue, list accessors, lookup, destroy), login, and
 *   Vault's user lockout (5 bad secret_ids lock a role_id for 15 min), `sys/locked-users`.
 * - `sys/health` for every node state (`setHealth`), standby redirects, `sys/seal-status`,
 *   sealed mode, `GET sys/auth`, policy and mount admin, the 32 MiB request limit (413).
 * - Faults: latency, failing the next N requests with a status, dropped connections, lost
 *   answers, malformed JSON; and a request log to count reads.
 *
 * ```ts
 * const vault = new VaultDouble({ rootToken: "root" });
 * const url = await vault.start();
 * vault.putSecret("gofr/config/jwt-signing-secret", { value: "..." });
 * // ... point the code under test at `url` ...
 * expect(vault.countRequests({ method: "GET", path: "/v1/secret/data/" })).toBe(1);
 * await vault.close();
 * ```
 *
 * Not supported: HTTP methods other than the standard ones and `LIST` (Node's parser
 * answers 400 where Vault answers 405), namespaces (the header is recorded, not enforced),
 * response wrapping, leases of dynamic secrets, request forwarding between nodes.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock } from "../clock.js";
import { type CapabilityInput, expandCapabilities, PolicyStore } from "./vault-double/acl.js";
import { type FaultKind, type FaultMatch, FaultPlan } from "./vault-double/faults.js";
import { handleRequest, type RequestLogEntry } from "./vault-double/handler.js";
import { HEALTH_MODES, type VaultHealthMode } from "./vault-double/health.js";
import { VaultHttpError } from "./vault-double/http.js";
import { KvEngine } from "./vault-double/kv-engine.js";
import { type LockedUser, LockoutTracker } from "./vault-double/lockout.js";
import type {
  AppRoleSpec,
  FailOptions,
  RequestFilter,
  TokenSpec,
  VaultDoubleOptions,
} from "./vault-double/options.js";
import { DoubleServer } from "./vault-double/server.js";
import type { DoubleState } from "./vault-double/state.js";
import { newAuthMount } from "./vault-double/sys.js";
import { AppRoleStore, TokenStore } from "./vault-double/tokens.js";
import { TransitEngine, type TransitKeyView } from "./vault-double/transit-engine.js";
import { vaultClock } from "./vault-double/vault-time.js";

export type { Capability, CapabilityInput } from "./vault-double/acl.js";
export type { FaultMatch } from "./vault-double/faults.js";
export type { RequestLogEntry } from "./vault-double/handler.js";
export type { VaultHealthMode } from "./vault-double/health.js";
export { PERMISSION_DENIED_BODY, SEALED_BODY } from "./vault-double/http.js";
export type { LockedUser, UserLockoutOptions } from "./vault-double/lockout.js";
export { ManualTimers } from "./vault-double/manual-timers.js";
export type {
  AppRoleSpec,
  FailOptions,
  RequestFilter,
  TokenSpec,
  VaultDoubleOptions,
} from "./vault-double/options.js";
export type { TransitKeyView } from "./vault-double/transit-engine.js";

/** `http/handler.go` `DefaultMaxRequestSize` (docs/vault-contract.md row 38). */
const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export class VaultDouble {
  private readonly state: DoubleState;
  private readonly faults = new FaultPlan();
  private readonly log: RequestLogEntry[] = [];
  private readonly options: VaultDoubleOptions;
  private server: DoubleServer | undefined;
  private listenPort: number;
  private root: string;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(options: VaultDoubleOptions = {}) {
    this.options = options;
    const clock = options.clock ?? systemClock;
    this.listenPort = options.port ?? 0;
    const now = vaultClock(clock);
    this.state = {
      clock,
      now,
      tokens: new TokenStore(clock),
      appRoles: new AppRoleStore(now),
      authMounts: new Map([["token", newAuthMount("token")]]),
      policies: new PolicyStore(),
      kv: new Map(),
      newKvEngine: () => new KvEngine(now),
      transit: new Map(),
      sealed: false,
      health: "active",
      activeAddress: options.activeAddress,
      lockout: new LockoutTracker(clock, options.userLockout),
      version: options.version ?? "1.20.4+double",
      clusterId: randomUUID(),
    };
    for (const mount of options.kvMounts ?? ["secret"]) this.mountKv(mount);
    this.root = options.rootToken ?? "root";
    this.state.tokens.setRoot(this.root);
  }

  /** Starts listening on 127.0.0.1 and resolves to the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const server: DoubleServer = new DoubleServer({
      tls: this.options.tls,
      handler: (req: IncomingMessage, res: ServerResponse) => {
        void handleRequest(
          {
            state: this.state,
            faults: this.faults,
            log: this.log,
            maxRequestBytes: this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
            listMarker: server.listMarker,
            running: () => this.server === server,
            wait: (ms) => this.wait(ms),
          },
          req,
          res,
        );
      },
    });
    this.listenPort = await server.listen(this.listenPort);
    this.server = server;
    return this.url;
  }

  /**
   * Stops listening and drops every open connection (requests held by latency end at
   * once). State is kept: `start()` again serves the same data on the same port.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.resolve();
    }
    this.waits.clear();
    await server.close();
  }

  /** Base URL; throws before the first `start()`. */
  get url(): string {
    if (this.listenPort === 0) throw new Error("VaultDouble: call start() first");
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${this.listenPort}`;
  }

  get port(): number {
    return this.listenPort;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The root token (every permission, never expires). Setting it replaces the old one. */
  get rootToken(): string {
    return this.root;
  }

  set rootToken(token: string) {
    this.root = token;
    this.state.tokens.setRoot(token);
  }

  // ---- KV, directly (no HTTP, not logged) -------------------------------------------

  /** Mounts another KV v2 engine (as `vault secrets enable -version=2 -path=<mount> kv`). */
  mountKv(mount: string): void {
    if (!this.state.kv.has(mount)) this.state.kv.set(mount, this.state.newKvEngine());
  }

  /** Writes a new version of `path` (no check-and-set). Returns the version number. */
  putSecret(path: string, data: Record<string, unknown>, options: { mount?: string } = {}): number {
    return this.engine(options.mount).write(trim(path), data, undefined).version;
  }

  /** The data of the latest (or given) readable version, or `undefined`. */
  readSecret(
    path: string,
    options: { mount?: string; version?: number } = {},
  ): Record<string, unknown> | undefined {
    try {
      const result = this.engine(options.mount).read(trim(path), options.version);
      return result.status === 200
        ? (result.data as { data: Record<string, unknown> }).data
        : undefined;
    } catch (error) {
      if (error instanceof VaultHttpError) return undefined;
      throw error;
    }
  }

  /** Every key path stored in a mount (for assertions), sorted. */
  secretPaths(options: { mount?: string } = {}): string[] {
    return [...this.engine(options.mount).keys.keys()].sort();
  }

  /** Removes `path` with all versions and metadata. */
  deleteSecret(path: string, options: { mount?: string } = {}): void {
    this.engine(options.mount).deleteMetadata(trim(path));
  }

  // ---- transit, directly (no HTTP, not logged) --------------------------------------

  /** Mounts a transit engine (as `vault secrets enable -path=<mount> transit`). */
  mountTransit(mount = "transit"): void {
    if (this.state.transit.has(mount)) return;
    this.state.transit.set(mount, new TransitEngine(this.state.now));
  }

  /** The keys of a transit mount with their public parts only, sorted by name. */
  transitKeys(options: { mount?: string } = {}): TransitKeyView[] {
    const engine = this.state.transit.get(options.mount ?? "transit");
    if (!engine) throw new Error(`VaultDouble: no transit mount '${options.mount ?? "transit"}'`);
    return engine.describe();
  }

  // ---- tokens, policies, AppRole ----------------------------------------------------

  /**
   * Sets a policy from path rules, e.g.
   * `{ "secret/data/gofr/config/*": ["read"], "secret/metadata/gofr/auth/*": ["list"] }`.
   * A trailing `*` matches a prefix, `+` one segment; `write` means create + update + patch.
   */
  setPolicy(name: string, rules: Record<string, readonly CapabilityInput[]>): void {
    this.state.policies.set(
      name,
      Object.entries(rules).map(([path, caps]) => ({
        path,
        capabilities: expandCapabilities(caps),
      })),
    );
  }

  /** Creates a token (policies plus `default`) and returns it. */
  createToken(spec: TokenSpec): string {
    return this.state.tokens.create({
      policies: ["default", ...spec.policies.filter((name) => name !== "default")],
      ttlSeconds: spec.ttlSeconds,
      maxTtlSeconds: spec.maxTtlSeconds,
      renewable: spec.renewable ?? true,
    }).id;
  }

  revokeToken(token: string): void {
    this.state.tokens.revoke(token);
  }

  /** Whether `token` is live now (not unknown, revoked or expired). */
  isTokenValid(token: string): boolean {
    return this.state.tokens.lookup(token) !== undefined;
  }

  /**
   * Enables AppRole at `approle` if needed, creates or updates role `name` and issues a new
   * secret_id for it.
   */
  addAppRole(name: string, spec: AppRoleSpec): { roleId: string; secretId: string } {
    if (!this.state.authMounts.has("approle")) {
      this.state.authMounts.set("approle", newAuthMount("approle"));
    }
    const role = this.state.appRoles.upsert(name, {
      policies: spec.policies,
      tokenTtlSeconds: spec.tokenTtlSeconds ?? 0,
      tokenMaxTtlSeconds: spec.tokenMaxTtlSeconds ?? 0,
    });
    return { roleId: role.roleId, secretId: this.state.appRoles.newSecretId(name).secretId };
  }

  /**
   * Users locked out now (AppRole: the role_id on the mount's accessor), as
   * `GET sys/locked-users` reports them.
   */
  lockedUsers(): LockedUser[] {
    return this.state.lockout.locked();
  }

  /** Clears every failed-login record, as `sys/locked-users/.../unlock` for each user. */
  unlockUsers(): void {
    this.state.lockout.unlockAll();
  }

  /** The accessor of an auth mount (`approle`, `token`), as `GET sys/auth` shows it. */
  authMountAccessor(path = "approle"): string | undefined {
    return this.state.authMounts.get(path.replace(/\/+$/, ""))?.accessor;
  }

  // ---- seal ---------------------------------------------------------------------------

  /** Every request except `sys/health` and `sys/seal-status` answers 503 `Vault is sealed`. */
  seal(): void {
    this.state.sealed = true;
  }

  unseal(): void {
    this.state.sealed = false;
  }

  get sealed(): boolean {
    return this.state.sealed;
  }

  // ---- HA state -----------------------------------------------------------------------

  /**
   * What kind of node the double pretends to be: `sys/health` answers 200 (active), 429
   * (standby), 473 (performance standby), 472 (DR secondary), 474 (HA unhealthy), 530
   * (removed: also sealed), 501 (uninitialized: also sealed), honouring the query overrides
   * (hashicorp `http/sys_health.go`). A standby with `activeAddress` redirects requests.
   */
  setHealth(mode: VaultHealthMode): void {
    if (!HEALTH_MODES.includes(mode)) throw new Error(`VaultDouble: unknown health mode '${mode}'`);
    this.state.health = mode;
  }

  get health(): VaultHealthMode {
    return this.state.health;
  }

  // ---- faults -------------------------------------------------------------------------

  /** Delays every matching request by `ms` (real time) before answering. 0 turns it off. */
  setLatency(ms: number, match?: FaultMatch): void {
    this.faults.setLatency(ms, match);
  }

  /** The next `count` matching requests answer `status` without reaching Vault's engine. */
  failNext(count: number, status: number, options: FailOptions = {}): void {
    this.faults.add({
      kind: "fail",
      remaining: count,
      status,
      body: options.body ?? { errors: ["injected failure"] },
      retryAfterSeconds: options.retryAfterSeconds,
      match: options.match,
    });
  }

  /** The next `count` matching requests get their connection destroyed with no answer. */
  dropNext(count: number, match?: FaultMatch): void {
    this.addFault("drop", count, match);
  }

  /**
   * The next `count` matching requests are applied (a write commits) and then their
   * connection is destroyed before the answer is sent: the client cannot tell whether the
   * request landed, so only an idempotent retry is safe.
   */
  loseAnswerNext(count: number, match?: FaultMatch): void {
    this.addFault("lose-answer", count, match);
  }

  /** The next `count` matching requests get 200 with a truncated JSON body. */
  malformedNext(count: number, match?: FaultMatch): void {
    this.addFault("malformed", count, match, 200);
  }

  private addFault(kind: FaultKind, count: number, match?: FaultMatch, status = 0): void {
    this.faults.add({
      kind,
      remaining: count,
      status,
      body: undefined,
      retryAfterSeconds: undefined,
      match,
    });
  }

  /** Injected faults not yet used. */
  get pendingFaults(): number {
    return this.faults.pending;
  }

  /** Removes latency and pending faults. */
  clearFaults(): void {
    this.faults.clear();
  }

  // ---- request log --------------------------------------------------------------------

  /** Every request received, oldest first. */
  get requests(): readonly RequestLogEntry[] {
    return this.log;
  }

  /** Requests matching every given field. */
  countRequests(filter: RequestFilter = {}): number {
    return this.log.filter((entry) => {
      if (filter.method && entry.method !== filter.method.toUpperCase()) return false;
      if (filter.status !== undefined && entry.status !== filter.status) return false;
      if (filter.path === undefined) return true;
      return typeof filter.path === "string"
        ? entry.path.startsWith(filter.path)
        : filter.path.test(entry.path);
    }).length;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  // ---- HTTP ---------------------------------------------------------------------------

  private engine(mount = "secret"): KvEngine {
    const engine = this.state.kv.get(mount);
    if (!engine) throw new Error(`VaultDouble: no KV mount '${mount}'`);
    return engine;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        resolve,
      };
      this.waits.add(wait);
    });
  }
}

function trim(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
