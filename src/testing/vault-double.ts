/**
 * An in-process HTTP double of HashiCorp Vault for tests: a real `node:http` (or `https`)
 * server on 127.0.0.1 with an ephemeral port, speaking the subset of Vault's API that
 * gofr-auth uses with Vault's JSON shapes, status codes and error bodies.
 *
 * - KV v2 (mount `secret`): versions, metadata, check-and-set, list, soft delete,
 *   undelete, destroy, delete-metadata, `max_versions`.
 * - Tokens with policies (path rules with capabilities, set in code or as HCL over HTTP),
 *   TTLs judged against an injectable clock, renew-self up to a max TTL, lookup-self.
 * - AppRole: roles, role-id, secret-id, login.
 * - `sys/health`, `sys/seal-status`, sealed mode, policy and mount admin.
 * - Faults: latency, failing the next N requests with a status, dropped connections,
 *   malformed JSON; and a request log to count reads.
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
 * Not supported: the `LIST` HTTP verb (Node's HTTP parser rejects unknown methods; use
 * `GET ...?list=true`, which Vault treats the same), namespaces (the header is recorded,
 * not enforced), response wrapping, leases of dynamic secrets.
 */
import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type Clock, systemClock } from "../clock.js";
import { type CapabilityInput, expandCapabilities, PolicyStore } from "./vault-double/acl.js";
import { type FaultMatch, FaultPlan } from "./vault-double/faults.js";
import { fail, type Reply, VaultHttpError } from "./vault-double/http.js";
import { KvEngine } from "./vault-double/kv-engine.js";
import { type DoubleState, route } from "./vault-double/router.js";
import { AppRoleStore, TokenStore } from "./vault-double/tokens.js";

export type { Capability, CapabilityInput } from "./vault-double/acl.js";
export type { FaultMatch } from "./vault-double/faults.js";
export { PERMISSION_DENIED_BODY, SEALED_BODY } from "./vault-double/http.js";
export { ManualTimers } from "./vault-double/manual-timers.js";

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
}

/** One request as the double saw it. */
export interface RequestLogEntry {
  method: string;
  /** URL path without the query, e.g. `/v1/secret/data/gofr/config/jwt-signing-secret`. */
  path: string;
  /** Query string including `?`, or `""`. */
  query: string;
  /** Status answered; 0 while in progress or when the connection was dropped. */
  status: number;
  /** `X-Vault-Namespace` header, if sent. */
  namespace: string | undefined;
  /** The double's clock when the request arrived (epoch ms). */
  time: number;
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

const MAX_BODY_BYTES = 1024 * 1024;

export class VaultDouble {
  private readonly state: DoubleState;
  private readonly faults = new FaultPlan();
  private readonly log: RequestLogEntry[] = [];
  private readonly options: VaultDoubleOptions;
  private server: Server | undefined;
  private listenPort: number;
  private root: string;
  private sequence = 0;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(options: VaultDoubleOptions = {}) {
    this.options = options;
    const clock = options.clock ?? systemClock;
    this.listenPort = options.port ?? 0;
    this.state = {
      clock,
      tokens: new TokenStore(clock),
      appRoles: new AppRoleStore(),
      appRoleMounts: new Set(),
      policies: new PolicyStore(),
      kv: new Map(),
      newKvEngine: () => new KvEngine(() => this.vaultTime()),
      sealed: false,
      version: options.version ?? "1.18.0+double",
      clusterId: randomUUID(),
    };
    for (const mount of options.kvMounts ?? ["secret"]) this.mountKv(mount);
    this.root = options.rootToken ?? "root";
    this.state.tokens.setRoot(this.root);
  }

  /** Starts listening on 127.0.0.1 and resolves to the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    if (this.server) return this.url;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(req, res);
    };
    const server = this.options.tls
      ? createHttpsServer({ key: this.options.tls.key, cert: this.options.tls.cert }, handler)
      : createHttpServer(handler);
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.listenPort, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as AddressInfo).port;
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
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
    this.state.appRoleMounts.add("approle");
    const role = this.state.appRoles.upsert(name, {
      policies: spec.policies,
      tokenTtlSeconds: spec.tokenTtlSeconds ?? 0,
      tokenMaxTtlSeconds: spec.tokenMaxTtlSeconds ?? 0,
    });
    return { roleId: role.roleId, secretId: this.state.appRoles.newSecretId(name) };
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
    this.faults.add({
      kind: "drop",
      remaining: count,
      status: 0,
      body: undefined,
      retryAfterSeconds: undefined,
      match,
    });
  }

  /** The next `count` matching requests get 200 with a truncated JSON body. */
  malformedNext(count: number, match?: FaultMatch): void {
    this.faults.add({
      kind: "malformed",
      remaining: count,
      status: 200,
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const namespace = header(req, "x-vault-namespace");
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: url.search,
      status: 0,
      namespace,
      time: this.state.clock(),
    };
    this.log.push(entry);
    const send = (reply: Reply) => {
      entry.status = reply.status;
      this.respond(res, reply);
    };
    try {
      const raw = await readBody(req);
      const latency = this.faults.latencyFor(method, url.pathname);
      if (latency > 0) await this.wait(latency);
      if (!this.server || res.destroyed) return; // closed or client gone while we waited
      const fault = this.faults.take(method, url.pathname);
      if (fault?.kind === "drop") {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "fail") {
        if (fault.retryAfterSeconds !== undefined) {
          res.setHeader("retry-after", String(fault.retryAfterSeconds));
        }
        send({ status: fault.status, body: fault.body });
        return;
      }
      if (fault?.kind === "malformed") {
        entry.status = 200;
        this.writeRaw(res, 200, '{"request_id": "x", "data": {"data": {"value": ');
        return;
      }
      if (!url.pathname.startsWith("/v1/")) throw fail(404);
      send(
        route(this.state, {
          method,
          path: decodeURIComponent(url.pathname.slice(4)),
          query: url.searchParams,
          token: token(req),
          body: parseBody(raw),
        }),
      );
    } catch (error) {
      if (error instanceof VaultHttpError) send({ status: error.status, body: error.body });
      else
        send({ status: 500, body: { errors: [`vault double internal error: ${String(error)}`] } });
    }
  }

  private respond(res: ServerResponse, reply: Reply): void {
    if (reply.status === 204 || reply.body === undefined) {
      this.writeRaw(res, reply.status, undefined);
      return;
    }
    this.writeRaw(res, reply.status, JSON.stringify(reply.body));
  }

  private writeRaw(res: ServerResponse, status: number, text: string | undefined): void {
    if (res.destroyed || res.headersSent) return;
    res.setHeader("date", new Date(this.state.clock()).toUTCString());
    res.setHeader("cache-control", "no-store");
    if (text === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.setHeader("content-length", Buffer.byteLength(text));
    res.writeHead(status);
    res.end(text);
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

  /** RFC 3339 with nanoseconds, trailing zeros trimmed, as Go prints `created_time`. */
  private vaultTime(): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const iso = new Date(this.state.clock()).toISOString(); // 2026-01-15T10:30:00.123Z
    const nanos = `${iso.slice(20, 23)}${String(this.sequence).padStart(6, "0")}`.replace(
      /0+$/,
      "",
    );
    return `${iso.slice(0, 19)}${nanos ? `.${nanos}` : ""}Z`;
  }
}

function trim(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function token(req: IncomingMessage): string | undefined {
  const direct = header(req, "x-vault-token");
  if (direct) return direct;
  const bearer = /^Bearer\s+(.+)$/i.exec(header(req, "authorization") ?? "");
  return bearer?.[1];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(fail(413, "request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBody(raw: string): Record<string, unknown> {
  if (raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw fail(400, `failed to parse JSON input: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw fail(400, "failed to parse JSON input: expected an object");
  }
  return parsed as Record<string, unknown>;
}
