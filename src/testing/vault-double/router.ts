/**
 * Vault's HTTP API as the double serves it: routes from the Vault contract (`docs/vault-contract.md`,
 * cited by row) mapped onto the KV engines, the token and AppRole stores and the policies.
 * As in Vault, a request's token and ACL are checked before routing, so an unknown route is
 * 403 for a token without rights there and 404 for root (row 37).
 */
import type { Capability } from "./acl.js";
import { appRoleAdmin, appRoleLogin, authReply, policyList } from "./approle.js";
import { parseDurationSeconds } from "./durations.js";
import { effectivelySealed, health, parseGoBool, sealStatus } from "./health.js";
import {
  bare,
  denied,
  envelope,
  fail,
  noContent,
  noRoute,
  ok,
  plainError,
  type Reply,
  SEALED_BODY,
  unsupported,
  VaultHttpError,
} from "./http.js";
import { identityPublicRoute, identityRoute } from "./identity.js";
import type { KvEngine } from "./kv-engine.js";
import { type DoubleState, type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";
import { sysRoute } from "./sys.js";
import type { TokenState } from "./tokens.js";
import { transitRoute } from "./transit.js";
import type { TransitEngine } from "./transit-engine.js";

export type { DoubleState, RouteRequest } from "./state.js";

const KV_OPERATIONS = new Set(["config", "data", "metadata", "delete", "undelete", "destroy"]);

/** Paths Vault serves outside the logical router (hashicorp `http/handler.go`). */
export const UNFORWARDED_PATHS: ReadonlySet<string> = new Set(["sys/health", "sys/seal-status"]);

export function route(state: DoubleState, incoming: RouteRequest): Reply {
  if (incoming.path === "sys/health") return health(state, incoming.method, incoming.query);
  if (incoming.path === "sys/seal-status") return sealStatus(state, incoming.method);
  const request = asLogicalRequest(incoming);
  if (effectivelySealed(state)) throw new VaultHttpError(503, SEALED_BODY);
  const { path, method } = request;

  const login = /^auth\/(.+)\/login$/.exec(path);
  const loginMount = login?.[1] ?? "";
  if (state.authMounts.get(loginMount)?.type === "approle") {
    return appRoleLogin(state, loginMount, request);
  }
  // identity/oidc/.well-known/* is unauthenticated (identity store PathsSpecial).
  const open = identityPublicRoute(state, request);
  if (open) return open;

  const token = state.tokens.lookup(request.token);
  if (!token) throw denied();
  const guard: Guard = (capability, target = path) =>
    authorize(state, token, target, capability, method === "LIST");

  if (path.startsWith("auth/token/")) return tokenRoute(state, token, request, guard);
  const auth = /^auth\/(.+?)\/(role.*)$/.exec(path);
  if (auth && state.authMounts.get(auth[1] ?? "")?.type === "approle") {
    const reply = appRoleAdmin(state, request, auth[2] ?? "", guard);
    if (reply) return reply;
  }
  const sys = path.startsWith("sys/") ? sysRoute(state, request, guard, token.policies) : undefined;
  if (sys) return sys;
  if (path.startsWith("identity/")) return identityRoute(state, request, guard, token);

  const kvMount = mountOf(state.kv.keys(), path);
  if (kvMount) return kvRoute(state.kv.get(kvMount) as KvEngine, kvMount, request, guard);
  const transit = mountOf(state.transit.keys(), path);
  if (transit) {
    const engine = state.transit.get(transit) as TransitEngine;
    return transitRoute(engine, transit, request, guard) ?? unsupportedPath(request, guard);
  }
  return unknownRoute(request, guard);
}

/** The longest mount path that `path` is in, if any. */
function mountOf(mounts: Iterable<string>, path: string): string | undefined {
  return [...mounts]
    .sort((a, b) => b.length - a.length)
    .find((name) => path === name || path.startsWith(`${name}/`));
}

/** CheckToken runs before the router: without rights on the path the answer is 403. */
function unknownRoute(request: RouteRequest, guard: Guard): never {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  throw noRoute(request.path.replace(/\/$/, ""));
}

/**
 * A path inside a mount that none of its backend's patterns matches: the framework's
 * `logical.ErrUnsupportedPath`, 404 (hashicorp `sdk/framework/backend.go` `HandleRequest`).
 */
function unsupportedPath(request: RouteRequest, guard: Guard): never {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  throw plainError(404, "unsupported path");
}

/**
 * The operation as Vault's `buildLogicalRequestNoAuth` builds it: the `LIST` verb, or `GET`
 * with `list` true by Go's `strconv.ParseBool` (anything unparseable is 400
 * `{"errors":[]}`), is a list whose path gets a trailing `/` (rows 8, 15).
 */
function asLogicalRequest(request: RouteRequest): RouteRequest {
  let list = request.method === "LIST";
  const raw = request.query.get("list");
  if (request.method === "GET" && raw !== null && raw !== "") {
    const parsed = parseGoBool(raw);
    if (parsed === undefined) throw bare(400);
    list = parsed;
  }
  if (!list) return request;
  const path = request.path.endsWith("/") ? request.path : `${request.path}/`;
  return { ...request, method: "LIST", path };
}

function authorize(
  state: DoubleState,
  token: TokenState,
  path: string,
  capability: Capability | Capability[],
  list: boolean,
): void {
  if (token.policies.includes("root")) return; // AllowOperation's root fast path
  // An empty list (an operation no capability grants, like HEAD) is refused to others.
  const wanted = Array.isArray(capability) ? capability : [capability];
  if (!wanted.some((cap) => state.policies.allows(token.policies, path, cap, list))) {
    throw denied();
  }
}

function lookupData(state: DoubleState, token: TokenState) {
  return {
    accessor: token.accessor,
    creation_time: Math.floor(token.createdAt / 1000),
    creation_ttl: token.creationTtl,
    display_name: token.displayName,
    entity_id: token.entityId,
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

function tokenRoute(
  state: DoubleState,
  token: TokenState,
  request: RouteRequest,
  guard: Guard,
): Reply {
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
        entityId: token.entityId, // a child token inherits its parent's entity (token_store.go)
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
      return unknownRoute(request, guard);
  }
}

/**
 * KV v2 under `mount` (vault-plugin-secrets-kv v0.24.0 `path_data.go`, `path_metadata.go`,
 * `path_delete.go`, `path_destroy.go`, `path_config.go`).
 */
function kvRoute(engine: KvEngine, mount: string, request: RouteRequest, guard: Guard): Reply {
  const { method, body, query } = request;
  const rest = request.path.slice(mount.length + 1);
  const slash = rest.indexOf("/");
  const operation = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
  const write = method === "POST" || method === "PUT";

  if (method === "LIST" && operation !== "metadata") {
    // Only metadata/ has a list handler: elsewhere a list is 405 once the ACL allows it
    // (row 15: GET data/...?list=true).
    if (!KV_OPERATIONS.has(operation)) throw noRoute(request.path.replace(/\/$/, ""));
    guard("list");
    throw unsupported();
  }

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
    if (method === "LIST") {
      guard("list"); // the path ends in "/" (row 8)
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
      // `version` is a TypeInt: 0 or negative reads the current version (row 2).
      const raw = query.get("version");
      const version = raw === null || raw === "" ? undefined : Number(raw);
      if (version !== undefined && !Number.isInteger(version)) {
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
