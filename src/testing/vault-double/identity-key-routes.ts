/**
 * OIDC named keys over HTTP: `identity/oidc/key/<name>` (create or update, read, delete)
 * and `identity/oidc/key/<name>/rotate` (hashicorp `vault/identity_store_oidc.go`
 * `pathOIDCCreateUpdateKey`, `pathOIDCReadKey`, `pathOIDCDeleteKey`, `pathOIDCRotateKey`).
 */
import { parseDurationSeconds } from "./durations.js";
import { fail, noContent, notFound, ok, type Reply, unsupported } from "./http.js";
import { commaList, stringField, writeCapability } from "./identity-fields.js";
import {
  generateCurrentAndNext,
  isOidcAlgorithm,
  type NamedKey,
  rotateKey,
} from "./identity-keys.js";
import { defaultKey, flushCache, type IdentityState } from "./identity-store.js";
import { type DoubleState, type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";

const DAY_SECONDS = 86_400;

export function keyRoute(
  state: DoubleState,
  identity: IdentityState,
  request: RouteRequest,
  guard: Guard,
  name: string,
): Reply {
  const { method } = request;
  const existing = identity.keys.get(name);
  if (method === "POST" || method === "PUT") {
    guard(writeCapability(existing !== undefined));
    identity.keys.set(name, updatedKey(state, identity, name, existing, request.body));
    flushCache(identity);
    return noContent();
  }
  guard(OPERATION_CAPABILITY[method] ?? []);
  if (method === "GET") {
    if (!existing) throw notFound();
    return ok(
      {
        algorithm: existing.algorithm,
        allowed_client_ids: existing.allowedClientIds,
        rotation_period: existing.rotationPeriodSeconds,
        verification_ttl: existing.verificationTtlSeconds,
      },
      "identity",
    );
  }
  if (method === "DELETE") return deleteKey(identity, name);
  throw unsupported();
}

/** `pathOIDCCreateUpdateKey`: the key as it will be stored; nothing changes on a 400. */
function updatedKey(
  state: DoubleState,
  identity: IdentityState,
  name: string,
  existing: NamedKey | undefined,
  body: Record<string, unknown>,
): NamedKey {
  const now = state.clock();
  const blank = { ...defaultKey(now), allowedClientIds: [], nextRotation: 0 };
  const key: NamedKey = existing ? { ...existing, ring: [...existing.ring] } : blank;
  const create = existing === undefined;
  const rotation = parseDurationSeconds(body.rotation_period, "rotation_period");
  if (rotation !== undefined || create) key.rotationPeriodSeconds = rotation ?? DAY_SECONDS;
  if (key.rotationPeriodSeconds < 60) {
    throw fail(400, "rotation_period must be at least one minute");
  }
  const verification = parseDurationSeconds(body.verification_ttl, "verification_ttl");
  if (verification !== undefined || create) {
    key.verificationTtlSeconds = verification ?? DAY_SECONDS;
  }
  if (key.verificationTtlSeconds > 10 * key.rotationPeriodSeconds) {
    throw fail(400, "verification_ttl cannot be longer than 10x rotation_period");
  }
  const tooLong = [...identity.roles.values()].some(
    (role) => role.key === name && role.ttlSeconds > key.verificationTtlSeconds,
  );
  if (!create && tooLong) {
    throw fail(
      400,
      `unable to update key "${name}" because it is currently referenced by one or more roles with a token ttl greater than ${key.verificationTtlSeconds} seconds`,
    );
  }
  const allowed = commaList(body, "allowed_client_ids");
  if (allowed !== undefined || create) key.allowedClientIds = allowed ?? [];
  const previous = existing?.algorithm;
  const algorithm = stringField(body, "algorithm") ?? (create ? "RS256" : key.algorithm);
  if (!isOidcAlgorithm(algorithm)) throw fail(400, `unknown signing algorithm "${algorithm}"`);
  key.algorithm = algorithm;
  const nextRotation = now + key.rotationPeriodSeconds * 1000;
  if (key.nextRotation === 0 || nextRotation < key.nextRotation) key.nextRotation = nextRotation;
  if (algorithm !== previous) generateCurrentAndNext(key);
  return key;
}

/** `pathOIDCDeleteKey`: never `default`, never a key a role uses. */
function deleteKey(identity: IdentityState, name: string): Reply {
  if (name === "default") throw fail(400, `deletion of key "default" not allowed`);
  const users = [...identity.roles]
    .filter(([, role]) => role.key === name)
    .map(([roleName]) => roleName)
    .sort();
  if (users.length > 0) {
    throw fail(
      400,
      `unable to delete key "${name}" because it is currently referenced by these roles: ${users.join(", ")}`,
    );
  }
  identity.keys.delete(name);
  flushCache(identity);
  return noContent();
}

/** `pathOIDCRotateKey`: an optional `verification_ttl` overrides the key's for this rotation. */
export function rotateRoute(
  state: DoubleState,
  identity: IdentityState,
  request: RouteRequest,
  guard: Guard,
  name: string,
): Reply {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  if (request.method !== "POST" && request.method !== "PUT") throw unsupported();
  const key = identity.keys.get(name);
  if (!key) throw fail(400, `no named key found at "${name}"`);
  const override = parseDurationSeconds(request.body.verification_ttl, "verification_ttl");
  rotateKey(key, state.clock(), override ?? -1);
  flushCache(identity);
  return noContent();
}
