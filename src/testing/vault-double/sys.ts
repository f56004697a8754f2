/**
 * The `sys/` admin paths the double serves: ACL policies, KV and transit mounts, auth
 * mounts (enable, disable, `GET sys/auth`), the locked users of Vault's user lockout, and
 * `sys/capabilities-self`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { parseHclPolicy } from "./acl.js";
import { fail, noContent, ok, type Reply, unsupported } from "./http.js";
import type { AuthMount, DoubleState, Guard, RouteRequest } from "./state.js";
import { TransitEngine } from "./transit-engine.js";

/** A new auth mount entry; the accessor looks like Vault's `auth_approle_1a2b3c4d`. */
export function newAuthMount(type: AuthMount["type"]): AuthMount {
  return { type, accessor: `auth_${type}_${randomBytes(4).toString("hex")}`, uuid: randomUUID() };
}

/** The `sys/` routes; `undefined` when the path is not one of them. */
export function sysRoute(
  state: DoubleState,
  request: RouteRequest,
  guard: Guard,
  policies: readonly string[],
): Reply | undefined {
  const path = request.path.replace(/\/+$/, "");
  if (path === "sys/capabilities-self") return capabilitiesSelf(state, request, policies);
  const policy = /^sys\/(?:policies\/acl|policy)\/([^/]+)$/.exec(path);
  if (policy) return policyRoute(state, request, policy[1] ?? "", guard);
  if (path === "sys/mounts") return mountList(state, request, guard);
  const mount = /^sys\/mounts\/(.+)$/.exec(path);
  if (mount) return mountRoute(state, request, mount[1] ?? "", guard);
  if (path === "sys/auth") return authList(state, request, guard);
  const authMount = /^sys\/auth\/(.+)$/.exec(path);
  if (authMount) return authMountRoute(state, request, authMount[1] ?? "", guard);
  if (path === "sys/locked-users") return lockedUsers(state, request, guard);
  const unlock = /^sys\/locked-users\/(.+?)\/unlock\/(.+)$/.exec(path);
  if (unlock) return unlockUser(state, request, unlock[1] ?? "", unlock[2] ?? "", guard);
  return undefined;
}

/**
 * `POST sys/capabilities-self {paths}` (or the older `{path}`): the capabilities the
 * caller's own token has on each path, keyed by path, plus `capabilities` when one path is
 * asked; data also at the top level (hashicorp `vault/logical_system.go`
 * `handleCapabilities`, `http/handler.go` `injectDataIntoTopRoutes`). No ACL check: Vault's
 * `default` policy grants `update` on it to every token (docs/vault-contract.md row 28).
 */
function capabilitiesSelf(
  state: DoubleState,
  request: RouteRequest,
  policies: readonly string[],
): Reply {
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  const { paths, path } = request.body;
  const asked = [
    ...(Array.isArray(paths)
      ? paths.map(String)
      : typeof paths === "string"
        ? paths.split(",")
        : []),
    ...(typeof path === "string" && path !== "" ? [path] : []),
  ].filter((item) => item !== "");
  if (asked.length === 0) throw fail(400, "paths must be supplied");
  const data: Record<string, unknown> = {};
  for (const item of asked) data[item] = state.policies.capabilities(policies, item);
  if (asked.length === 1) data.capabilities = data[asked[0] as string];
  const answer = ok(data, "system");
  return { ...answer, body: { ...(answer.body as Record<string, unknown>), ...data } };
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
    const transit = request.body.type === "transit";
    if (!kv2 && !transit) {
      throw fail(400, "the Vault double only mounts KV version 2 (type kv, version 2) and transit");
    }
    if (state.kv.has(mount) || state.transit.has(mount)) {
      throw fail(400, `path is already in use at ${mount}/`);
    }
    if (transit) state.transit.set(mount, new TransitEngine(state.now));
    else state.kv.set(mount, state.newKvEngine());
    return noContent();
  }
  if (request.method === "DELETE") {
    guard(["delete", "sudo"]);
    state.kv.delete(mount);
    state.transit.delete(mount);
    return noContent();
  }
  throw unsupported();
}

/**
 * `GET sys/mounts` (what `vault secrets list` reads): the secrets engines keyed `<path>/`
 * with their `type` (hashicorp `vault/logical_system.go` `handleMountTable`, `mountInfo`),
 * the data also at the top level (`injectDataIntoTopRoutes`). The double lists what it
 * serves (sys, identity, its KV v2 and transit mounts) with type, description, options
 * and config; Vault also gives accessors, uuids and plugin versions, and `cubbyhole/`.
 */
function mountList(state: DoubleState, request: RouteRequest, guard: Guard): Reply {
  if (request.method !== "GET") throw unsupported();
  guard("read");
  const config = { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 };
  const entry = (type: string, description: string, options: Record<string, string> | null) => ({
    config,
    description,
    local: false,
    options,
    seal_wrap: false,
    type,
  });
  const data: Record<string, unknown> = {
    "identity/": entry("identity", "identity store", null),
    "sys/": entry("system", "system endpoints used for control, policy and debugging", null),
  };
  for (const path of state.kv.keys()) data[`${path}/`] = entry("kv", "", { version: "2" });
  for (const path of state.transit.keys()) data[`${path}/`] = entry("transit", "", null);
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  const answer = ok(sorted, "system");
  return { ...answer, body: { ...(answer.body as Record<string, unknown>), ...sorted } };
}

function authMountRoute(state: DoubleState, request: RouteRequest, path: string, guard: Guard) {
  const mount = path.replace(/\/+$/, "");
  if (request.method === "POST" || request.method === "PUT") {
    guard(["create", "update", "sudo"]);
    if (request.body.type !== "approle") {
      throw fail(400, "the Vault double only enables the approle auth method");
    }
    if (state.authMounts.has(mount)) throw fail(400, `path is already in use at ${mount}/`);
    state.authMounts.set(mount, newAuthMount("approle"));
    return noContent();
  }
  if (request.method === "DELETE") {
    guard(["delete", "sudo"]);
    if (mount !== "token") state.authMounts.delete(mount);
    return noContent();
  }
  throw unsupported();
}

/**
 * `GET sys/auth` (what `vault auth list` reads): mounts keyed `<path>/`. Vault injects the
 * data at the top level of the answer too (hashicorp `http/handler.go`
 * `injectDataIntoTopRoutes`).
 */
function authList(state: DoubleState, request: RouteRequest, guard: Guard): Reply {
  if (request.method !== "GET") throw unsupported();
  guard("read");
  const data: Record<string, unknown> = {};
  for (const [path, mount] of state.authMounts) {
    data[`${path}/`] = {
      accessor: mount.accessor,
      config: {
        default_lease_ttl: 0,
        force_no_cache: false,
        max_lease_ttl: 0,
        token_type: "default-service",
      },
      description: mount.type === "token" ? "token based credentials" : "",
      external_entropy_access: false,
      local: false,
      options: null,
      plugin_version: "",
      running_plugin_version: `v${state.version.split("+")[0]}+builtin.vault`,
      running_sha256: "",
      seal_wrap: false,
      type: mount.type,
      uuid: mount.uuid,
    };
  }
  const answer = ok(data, "system");
  return { ...answer, body: { ...(answer.body as Record<string, unknown>), ...data } };
}

/**
 * `GET sys/locked-users[?mount_accessor=]` (hashicorp `vault/logical_system_user_lockout.go`
 * `getLockedUsersResponses`): CE has only the root namespace. The double lists users locked
 * now; Vault also lists stale entries until its periodic cleanup.
 */
function lockedUsers(state: DoubleState, request: RouteRequest, guard: Guard): Reply {
  if (request.method !== "GET") throw unsupported();
  guard("read");
  const wanted = request.query.get("mount_accessor") ?? "";
  const byAccessor = new Map<string, string[]>();
  if (wanted) byAccessor.set(wanted, []);
  for (const user of state.lockout.locked()) {
    if (wanted && user.mountAccessor !== wanted) continue;
    byAccessor.set(user.mountAccessor, [
      ...(byAccessor.get(user.mountAccessor) ?? []),
      user.aliasIdentifier,
    ]);
  }
  const mountAccessors = [...byAccessor]
    .map(([accessor, aliases]) => ({
      mount_accessor: accessor,
      counts: aliases.length,
      // storage List of an empty prefix is nil
      alias_identifiers: aliases.length > 0 ? aliases : null,
    }))
    .sort((a, b) => b.counts - a.counts);
  const total = mountAccessors.reduce((sum, item) => sum + item.counts, 0);
  return ok(
    {
      by_namespace: [
        {
          namespace_id: "root",
          namespace_path: "",
          counts: total,
          mount_accessors: mountAccessors,
        },
      ],
      total,
    },
    "system",
  );
}

/** `POST sys/locked-users/:mount_accessor/unlock/:alias_identifier`: idempotent, 204. */
function unlockUser(
  state: DoubleState,
  request: RouteRequest,
  accessor: string,
  alias: string,
  guard: Guard,
): Reply {
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  guard("update");
  state.lockout.unlock(accessor, alias);
  return noContent();
}
