/**
 * AppRole as the double serves it: login (with Vault's user lockout) and the role and
 * secret_id admin paths that `docker/vault-init.sh` and tests use. Facts from approle
 * `path_login.go` `pathLoginUpdate` and `path_role.go` (hashicorp/vault
 * `builtin/credential/approle`; OpenBao inherited), docs/vault-contract.md rows 18-20 and 32.
 */
import { parseDurationSeconds } from "./durations.js";
import {
  envelope,
  fail,
  noContent,
  notFound,
  ok,
  plainError,
  type Reply,
  unsupported,
  VaultHttpError,
} from "./http.js";
import { entityForLogin } from "./identity-store.js";
import type { DoubleState, Guard, RouteRequest } from "./state.js";
import type { AppRoleState, TokenState } from "./tokens.js";

/** Login refused while the role_id is locked out: plain `logical.ErrPermissionDenied`. */
const LOCKED_BODY = { errors: ["permission denied"] };

export function authBlock(token: TokenState, leaseSeconds: number) {
  return {
    client_token: token.id,
    accessor: token.accessor,
    policies: token.policies,
    token_policies: token.policies,
    metadata: token.meta,
    lease_duration: leaseSeconds,
    renewable: token.renewable,
    entity_id: token.entityId,
    token_type: "service",
    orphan: token.orphan,
    mfa_requirement: null,
    num_uses: 0,
  };
}

export function authReply(
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

/** `POST auth/<mount>/login {role_id, secret_id}`. */
export function appRoleLogin(state: DoubleState, mount: string, request: RouteRequest): Reply {
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  const body = request.body;
  const roleId = typeof body.role_id === "string" ? body.role_id.trim() : "";
  if (!roleId) throw fail(400, "missing role_id");
  // handleLoginRequest asks isUserLocked (keyed by the alias name, the role_id) before
  // the backend sees the credentials.
  const accessor = state.authMounts.get(mount)?.accessor ?? mount;
  if (state.lockout.isLocked(accessor, roleId)) throw new VaultHttpError(403, LOCKED_BODY);
  const role = state.appRoles.byRoleId(roleId);
  if (!role) throw fail(400, "invalid role or secret ID"); // ErrorResponse, nil: not counted
  const secretId = typeof body.secret_id === "string" ? body.secret_id.trim() : "";
  if (!secretId) throw fail(400, "missing secret_id");
  if (!role.secretIds.has(secretId)) {
    // ErrorResponse + logical.ErrInvalidCredentials: counted by failedUserLoginProcess.
    state.lockout.recordFailure(accessor, roleId);
    throw fail(400, "invalid role or secret ID");
  }
  state.lockout.recordSuccess(accessor, roleId);
  // The login's alias (name: the role_id; metadata: role_name) has an entity, made on first
  // login (approle `path_login.go`; hashicorp `vault/identity_store.go` CreateOrFetchEntity).
  const entity = entityForLogin(state, mount, role.roleId, { role_name: role.name });
  const token = state.tokens.create({
    policies: ["default", ...role.policies.filter((name) => name !== "default")],
    ttlSeconds: role.tokenTtlSeconds,
    maxTtlSeconds: role.tokenMaxTtlSeconds,
    renewable: true,
    displayName: mount,
    meta: { role_name: role.name },
    orphan: true,
    path: `auth/${mount}/login`,
    entityId: entity.id,
  });
  return authReply(token, token.creationTtl, "approle");
}

export function policyList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value === "string") {
    return value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  }
  return [];
}

const ROLE_PATH =
  /^role\/([^/]+)(?:\/(role-id|secret-id|secret-id\/lookup|secret-id\/destroy|secret-id-accessor\/destroy))?\/?$/;

/** Paths under `auth/<mount>/` other than login; `undefined` when none matches. */
export function appRoleAdmin(
  state: DoubleState,
  request: RouteRequest,
  rest: string,
  guard: Guard,
): Reply | undefined {
  if (rest === "role" || rest === "role/") {
    if (request.method !== "LIST") throw unsupported();
    guard("list");
    const names = [...state.appRoles.roles.keys()].sort();
    if (names.length === 0) throw notFound();
    return ok({ keys: names }, "approle");
  }
  const match = ROLE_PATH.exec(rest);
  if (!match) return undefined;
  const name = match[1] ?? "";
  switch (match[2]) {
    case undefined:
      return roleRoute(state, request, name, guard);
    case "role-id":
      return roleIdRoute(state, request, name, guard);
    case "secret-id":
      return secretIdRoute(state, request, name, guard);
    case "secret-id/lookup":
      return secretIdLookup(state, request, name, guard);
    default:
      return secretIdDestroy(state, request, name, match[2], guard);
  }
}

function roleRoute(state: DoubleState, request: RouteRequest, name: string, guard: Guard): Reply {
  const { method, body } = request;
  if (method === "POST" || method === "PUT") {
    guard(state.appRoles.roles.has(name) ? "update" : "create");
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
    if (!role) throw notFound();
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

/** `pathRoleRoleIDRead`: a missing role returns nil, so a read answers 404 (row 32). */
function roleIdRoute(state: DoubleState, request: RouteRequest, name: string, guard: Guard) {
  if (request.method !== "GET") throw unsupported();
  guard("read");
  const role = state.appRoles.roles.get(name);
  if (!role) throw notFound();
  return ok({ role_id: role.roleId }, "approle");
}

/**
 * `secret-id`: POST issues one (`handleRoleSecretIDCommon`: a missing role is
 * `ErrUnsupportedPath`, 404); LIST answers the accessors (`pathRoleSecretIDList`: a missing
 * role is a plain error response, 400; none is an empty list, 404).
 */
function secretIdRoute(state: DoubleState, request: RouteRequest, name: string, guard: Guard) {
  if (request.method === "LIST") {
    guard("list");
    const role = state.appRoles.roles.get(name);
    if (!role) throw fail(400, `role "${name}" does not exist`);
    const keys = [...role.secretIds.values()].map((entry) => entry.accessor).sort();
    if (keys.length === 0) throw notFound();
    return ok({ keys }, "approle");
  }
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  guard(["create", "update"]);
  const { secretId, accessor } = state.appRoles.newSecretId(name);
  return ok(
    {
      secret_id: secretId,
      secret_id_accessor: accessor,
      secret_id_ttl: 0,
      secret_id_num_uses: 0,
    },
    "approle",
  );
}

/** The role for a secret_id admin call; Vault answers a plain error (500) when it is gone. */
function existingRole(state: DoubleState, name: string): AppRoleState {
  const role = state.appRoles.roles.get(name);
  if (!role) throw plainError(500, `role "${name}" does not exist`);
  return role;
}

function requiredField(body: Record<string, unknown>, field: string): string {
  const value = typeof body[field] === "string" ? (body[field] as string).trim() : "";
  if (!value) throw fail(400, `missing ${field}`);
  return value;
}

/** `pathRoleSecretIDLookupUpdate`: an unknown secret_id returns nil, so 204. */
function secretIdLookup(state: DoubleState, request: RouteRequest, name: string, guard: Guard) {
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  guard("update");
  const secretId = requiredField(request.body, "secret_id");
  const entry = existingRole(state, name).secretIds.get(secretId);
  if (!entry) return noContent();
  return ok(
    {
      cidr_list: [],
      creation_time: entry.createdTime,
      expiration_time: "0001-01-01T00:00:00Z", // Go's zero time: no secret_id_ttl
      last_updated_time: entry.createdTime,
      metadata: {},
      secret_id_accessor: entry.accessor,
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      token_bound_cidrs: [],
    },
    "approle",
  );
}

/**
 * `secret-id/destroy {secret_id}` (unknown: 204) and `secret-id-accessor/destroy
 * {secret_id_accessor}` (unknown: a plain error, 500), by POST or DELETE
 * (`pathRoleSecretIDDestroyUpdateDelete`, `pathRoleSecretIDAccessorDestroyUpdateDelete`).
 */
function secretIdDestroy(
  state: DoubleState,
  request: RouteRequest,
  name: string,
  what: string,
  guard: Guard,
): Reply {
  const write = request.method === "POST" || request.method === "PUT";
  if (!write && request.method !== "DELETE") throw unsupported();
  guard(write ? "update" : "delete");
  const byAccessor = what === "secret-id-accessor/destroy";
  // A DELETE carries its fields in the query (buildLogicalRequestNoAuth: parseQuery).
  const data = write ? request.body : Object.fromEntries(request.query);
  const wanted = requiredField(data, byAccessor ? "secret_id_accessor" : "secret_id");
  const role = existingRole(state, name);
  if (!byAccessor) {
    role.secretIds.delete(wanted);
    return noContent();
  }
  const found = [...role.secretIds].find(([, entry]) => entry.accessor === wanted);
  if (!found) {
    throw plainError(500, `failed to find accessor entry for secret_id_accessor: "${wanted}"`);
  }
  role.secretIds.delete(found[0]);
  return noContent();
}
