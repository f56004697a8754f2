/**
 * Vault's HTTP API as the double serves it: routes from the contract in
 * `vault-api.md` mapped onto the KV engines, the token and AppRole stores and the policies.
 * Every route that needs a token checks it and the policy capability first.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import { type Capability, type PolicyStore, parseHclPolicy } from "./acl.js";
import { parseDurationSeconds } from "./durations.js";
import {
  denied,
  envelope,
  fail,
  noContent,
  noRoute,
  ok,
  type Reply,
  SEALED_BODY,
  unsupported,
  VaultHttpError,
} from "./http.js";
import type { KvEngine } from "./kv-engine.js";
import type { AppRoleStore, TokenState, TokenStore } from "./tokens.js";

export interface DoubleState {
  clock: Clock;
  tokens: TokenStore;
  appRoles: AppRoleStore;
  /** Mount paths where AppRole is enabled (usually `approle`). */
  appRoleMounts: Set<string>;
  policies: PolicyStore;
  kv: Map<string, KvEngine>;
  newKvEngine: () => KvEngine;
  sealed: boolean;
  version: string;
  clusterId: string;
}

export interface RouteRequest {
  method: string;
  /** Path after `/v1/`, decoded. */
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  body: Record<string, unknown>;
}

export function route(state: DoubleState, request: RouteRequest): Reply {
  const { path, method } = request;
  if (path === "sys/health") return health(state, method);
  if (path === "sys/seal-status") return sealStatus(state, method);
  if (state.sealed) throw new VaultHttpError(503, SEALED_BODY);

  const login = /^auth\/(.+)\/login$/.exec(path);
  if (login && state.appRoleMounts.has(login[1] ?? "")) {
    if (method !== "POST" && method !== "PUT") throw unsupported();
    return appRoleLogin(state, login[1] ?? "", request.body);
  }

  const token = state.tokens.lookup(request.token);
  if (!token) throw denied();
  const guard = (capability: Capability | Capability[], target = path) =>
    authorize(state, token, target, capability);

  if (path.startsWith("auth/token/")) return tokenRoute(state, token, request, guard);
  const appRole = /^auth\/(.+?)\/role\/([^/]+)(?:\/(role-id|secret-id))?$/.exec(path);
  if (appRole && state.appRoleMounts.has(appRole[1] ?? "")) {
    return appRoleAdmin(state, request, appRole[2] ?? "", appRole[3], guard);
  }
  const policy = /^sys\/(?:policies\/acl|policy)\/([^/]+)$/.exec(path);
  if (policy) return policyRoute(state, request, policy[1] ?? "", guard);
  const mount = /^sys\/mounts\/(.+)$/.exec(path);
  if (mount) return mountRoute(state, request, mount[1] ?? "", guard);
  const authMount = /^sys\/auth\/(.+)$/.exec(path);
  if (authMount) return authMountRoute(state, request, authMount[1] ?? "", guard);

  const kvMount = [...state.kv.keys()]
    .sort((a, b) => b.length - a.length)
    .find((name) => path === name || path.startsWith(`${name}/`));
  if (kvMount) return kvRoute(state.kv.get(kvMount) as KvEngine, kvMount, request, guard);
  throw noRoute(path);
}

type Guard = (capability: Capability | Capability[], target?: string) => void;

function authorize(
  state: DoubleState,
  token: TokenState,
  path: string,
  capability: Capability | Capability[],
): void {
  const wanted = Array.isArray(capability) ? capability : [capability];
  if (!wanted.some((cap) => state.policies.allows(token.policies, path, cap))) throw denied();
}

function health(state: DoubleState, method: string): Reply {
  if (method !== "GET" && method !== "HEAD") throw unsupported();
  return {
    status: state.sealed ? 503 : 200,
    body: {
      initialized: true,
      sealed: state.sealed,
      standby: false,
      performance_standby: false,
      replication_performance_mode: "disabled",
      replication_dr_mode: "disabled",
      server_time_utc: Math.floor(state.clock() / 1000),
      version: state.version,
      cluster_name: "vault-double",
      cluster_id: state.clusterId,
    },
  };
}

function sealStatus(state: DoubleState, method: string): Reply {
  if (method !== "GET") throw unsupported();
  return {
    status: 200,
    body: {
      type: "shamir",
      initialized: true,
      sealed: state.sealed,
      t: 1,
      n: 1,
      progress: 0,
      nonce: "",
      version: state.version,
      build_date: "2026-01-01T00:00:00Z",
      migration: false,
      recovery_seal: false,
      storage_type: "inmem",
      ...(state.sealed ? {} : { cluster_name: "vault-double", cluster_id: state.clusterId }),
    },
  };
}

function authBlock(token: TokenState, leaseSeconds: number) {
  return {
    client_token: token.id,
    accessor: token.accessor,
    policies: token.policies,
    token_policies: token.policies,
    metadata: token.meta,
    lease_duration: leaseSeconds,
    renewable: token.renewable,
    entity_id: "",
    token_type: "service",
    orphan: token.orphan,
    mfa_requirement: null,
    num_uses: 0,
  };
}

function authReply(
  token: TokenState,
  leaseSeconds: number,
  mountType: string,
  warnings: string[] | null = null,
): Reply {
  return {
    status: 200,
    body: envelope(null, mountType, { auth: authBlock(token, leaseSeconds), warnings }),
  };
}

function lookupData(state: DoubleState, token: TokenState) {
  return {
    accessor: token.accessor,
    creation_time: Math.floor(token.createdAt / 1000),
    creation_ttl: token.creationTtl,
    display_name: token.displayName,
    entity_id: "",
    expire_time: token.expiresAt === undefined ? null : new Date(token.expiresAt).toISOString(),
    explicit_max_ttl: token.explicitMaxTtl,
    id: token.id,
    issue_time: new Date(token.createdAt).toISOString(),
    meta: token.meta,
    num_uses: 0,
    orphan: token.orphan,
    path: token.path,
    policies: token.policies,
    renewable: token.renewable,
    ttl: state.tokens.ttl(token),
    type: "service",
  };
}

function policyList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value === "string") {
    return value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return [];
}

function tokenRoute(state: DoubleState, token: TokenState, request: RouteRequest, guard: Guard) {
  const { method, body } = request;
  const write = method === "POST" || method === "PUT";
  switch (request.path) {
    case "auth/token/lookup-self":
      if (method !== "GET" && !write) throw unsupported();
      return ok(lookupData(state, token), "token");
    case "auth/token/renew-self": {
      if (!write) throw unsupported();
      const asked = parseDurationSeconds(body.increment, "increment");
      const { ttl, capped } = state.tokens.renew(token, asked);
      const warnings = capped
        ? [
            `TTL of "${asked ?? token.creationTtl}s" exceeded the effective max_ttl of "${ttl}s"; TTL value is capped accordingly`,
          ]
        : null;
      return authReply(token, ttl, "token", warnings);
    }
    case "auth/token/revoke-self":
      if (!write) throw unsupported();
      state.tokens.revoke(token.id);
      return noContent();
    case "auth/token/create": {
      if (!write) throw unsupported();
      guard(["create", "update"]);
      const root = token.policies.includes("root");
      let policies = policyList(body.policies);
      if (policies.length === 0) policies = token.policies.filter((name) => name !== "root");
      if (!root && policies.some((name) => name !== "default" && !token.policies.includes(name))) {
        throw fail(400, "child policies must be subset of parent");
      }
      if (body.no_default_policy !== true && !policies.includes("root")) {
        policies = ["default", ...policies.filter((name) => name !== "default")];
      }
      const ttl = parseDurationSeconds(body.ttl, "ttl");
      const created = state.tokens.create({
        policies,
        ttlSeconds: ttl,
        maxTtlSeconds: parseDurationSeconds(body.explicit_max_ttl, "explicit_max_ttl"),
        renewable: body.renewable === undefined ? true : Boolean(body.renewable),
        displayName: typeof body.display_name === "string" ? `token-${body.display_name}` : "token",
        meta: (body.meta as Record<string, string> | undefined) ?? null,
      });
      return authReply(created, created.creationTtl, "token");
    }
    case "auth/token/lookup": {
      if (!write) throw unsupported();
      guard("update");
      const target = state.tokens.lookup(String(body.token ?? ""));
      if (!target) throw fail(403, "bad token");
      return ok(lookupData(state, target), "token");
    }
    case "auth/token/revoke":
      if (!write) throw unsupported();
      guard("update");
      state.tokens.revoke(String(body.token ?? ""));
      return noContent();
    default:
      throw noRoute(request.path);
  }
}

function appRoleLogin(state: DoubleState, mount: string, body: Record<string, unknown>): Reply {
  if (!body.role_id) throw fail(400, "missing role_id");
  const role = state.appRoles.match(body.role_id, body.secret_id);
  if (!role) throw fail(400, "invalid role or secret ID");
  const token = state.tokens.create({
    policies: ["default", ...role.policies.filter((name) => name !== "default")],
    ttlSeconds: role.tokenTtlSeconds,
    maxTtlSeconds: role.tokenMaxTtlSeconds,
    renewable: true,
    displayName: mount,
    meta: { role_name: role.name },
    orphan: true,
    path: `auth/${mount}/login`,
  });
  return authReply(token, token.creationTtl, "approle");
}

function appRoleAdmin(
  state: DoubleState,
  request: RouteRequest,
  name: string,
  sub: string | undefined,
  guard: Guard,
): Reply {
  const { method, body } = request;
  const write = method === "POST" || method === "PUT";
  if (sub === "role-id") {
    if (method !== "GET") throw unsupported();
    guard("read");
    const role = state.appRoles.roles.get(name);
    if (!role) throw fail(400, `role "${name}" does not exist`);
    return ok({ role_id: role.roleId }, "approle");
  }
  if (sub === "secret-id") {
    if (!write) throw unsupported();
    guard(["create", "update"]);
    const secretId = state.appRoles.newSecretId(name);
    return ok(
      {
        secret_id: secretId,
        secret_id_accessor: randomUUID(),
        secret_id_ttl: 0,
        secret_id_num_uses: 0,
      },
      "approle",
    );
  }
  if (write) {
    guard(["create", "update"]);
    state.appRoles.upsert(name, {
      policies:
        body.token_policies !== undefined || body.policies !== undefined
          ? policyList(body.token_policies ?? body.policies)
          : undefined,
      tokenTtlSeconds: parseDurationSeconds(body.token_ttl, "token_ttl"),
      tokenMaxTtlSeconds: parseDurationSeconds(body.token_max_ttl, "token_max_ttl"),
    });
    return noContent();
  }
  if (method === "GET") {
    guard("read");
    const role = state.appRoles.roles.get(name);
    if (!role) throw fail(404);
    return ok(
      {
        token_policies: role.policies,
        token_ttl: role.tokenTtlSeconds,
        token_max_ttl: role.tokenMaxTtlSeconds,
        bind_secret_id: true,
      },
      "approle",
    );
  }
  if (method === "DELETE") {
    guard("delete");
    state.appRoles.roles.delete(name);
    return noContent();
  }
  throw unsupported();
}

function policyRoute(state: DoubleState, request: RouteRequest, name: string, guard: Guard) {
  const { method, body } = request;
  if (method === "GET") {
    guard("read");
    const text = state.policies.get(name);
    if (text === undefined) throw fail(404);
    return ok({ name, policy: text, rules: text }, "system");
  }
  if (method === "PUT" || method === "POST") {
    guard(["create", "update"]);
    const text = body.policy ?? body.rules;
    if (typeof text !== "string") throw fail(400, "'policy' parameter not supplied or empty");
    state.policies.set(name, parseHclPolicy(text), text);
    return noContent();
  }
  if (method === "DELETE") {
    guard("delete");
    state.policies.delete(name);
    return noContent();
  }
  throw unsupported();
}

function mountRoute(state: DoubleState, request: RouteRequest, path: string, guard: Guard) {
  const mount = path.replace(/\/+$/, "");
  if (request.method === "POST" || request.method === "PUT") {
    guard(["create", "update", "sudo"]);
    const options = (request.body.options ?? {}) as { version?: unknown };
    const kv2 =
      request.body.type === "kv-v2" ||
      (request.body.type === "kv" && String(options.version ?? "") === "2");
    if (!kv2) throw fail(400, "the Vault double only mounts KV version 2 (type kv, version 2)");
    if (state.kv.has(mount)) throw fail(400, `path is already in use at ${mount}/`);
    state.kv.set(mount, state.newKvEngine());
    return noContent();
  }
  if (request.method === "DELETE") {
    guard(["delete", "sudo"]);
    state.kv.delete(mount);
    return noContent();
  }
  throw unsupported();
}

function authMountRoute(state: DoubleState, request: RouteRequest, path: string, guard: Guard) {
  const mount = path.replace(/\/+$/, "");
  if (request.method === "POST" || request.method === "PUT") {
    guard(["create", "update", "sudo"]);
    if (request.body.type !== "approle") {
      throw fail(400, "the Vault double only enables the approle auth method");
    }
    if (state.appRoleMounts.has(mount)) throw fail(400, `path is already in use at ${mount}/`);
    state.appRoleMounts.add(mount);
    return noContent();
  }
  if (request.method === "DELETE") {
    guard(["delete", "sudo"]);
    state.appRoleMounts.delete(mount);
    return noContent();
  }
  throw unsupported();
}

function kvRoute(engine: KvEngine, mount: string, request: RouteRequest, guard: Guard): Reply {
  const { method, body, query } = request;
  const rest = request.path.slice(mount.length + 1);
  const slash = rest.indexOf("/");
  const operation = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
  const write = method === "POST" || method === "PUT";

  if (operation === "config" && key === "") {
    if (method === "GET") {
      guard("read");
      return ok(
        {
          max_versions: engine.config.maxVersions,
          cas_required: engine.config.casRequired,
          delete_version_after: engine.config.deleteVersionAfter,
        },
        "kv",
      );
    }
    if (!write) throw unsupported();
    guard("update");
    engine.configure(body);
    return noContent();
  }

  if (operation === "metadata") {
    if (method === "GET" && query.get("list") === "true") {
      guard("list", `${mount}/metadata/${key ? `${key}/` : ""}`);
      return ok({ keys: engine.list(key) }, "kv");
    }
    if (key === "") throw noRoute(request.path);
    if (method === "GET") {
      guard("read");
      return ok(engine.metadata(key), "kv");
    }
    if (write) {
      guard(engine.exists(key) ? "update" : "create");
      engine.writeMetadata(key, body);
      return noContent();
    }
    if (method === "DELETE") {
      guard("delete");
      engine.deleteMetadata(key);
      return noContent();
    }
    throw unsupported();
  }

  if (key === "") throw noRoute(request.path);
  if (operation === "data") {
    if (method === "GET") {
      guard("read");
      const raw = query.get("version");
      const version = raw === null ? undefined : Number(raw);
      if (version !== undefined && (!Number.isInteger(version) || version < 0)) {
        throw fail(400, "version must be an integer");
      }
      const result = engine.read(key, version);
      return { status: result.status, body: envelope(result.data, "kv") };
    }
    if (write) {
      guard(engine.exists(key) ? "update" : "create");
      return ok(engine.write(key, body.data, body.options), "kv");
    }
    if (method === "PATCH") {
      guard("patch");
      return ok(engine.patch(key, body.data, body.options), "kv");
    }
    if (method === "DELETE") {
      guard("delete");
      engine.softDeleteLatest(key);
      return noContent();
    }
    throw unsupported();
  }
  if (operation === "delete" || operation === "undelete" || operation === "destroy") {
    if (!write) throw unsupported();
    guard("update");
    if (operation === "delete") engine.deleteVersions(key, body.versions);
    else if (operation === "undelete") engine.undelete(key, body.versions);
    else engine.destroy(key, body.versions);
    return noContent();
  }
  throw noRoute(request.path);
}
