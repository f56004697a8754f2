/**
 * OIDC roles and the identity tokens they sign: `identity/oidc/role/<name>` (create or
 * update, read, delete) and `GET identity/oidc/token/<role>` (hashicorp
 * `vault/identity_store_oidc.go` `pathOIDCCreateUpdateRole`, `pathOIDCReadRole`,
 * `pathOIDCDeleteRole`, `pathOIDCGenerateToken`; `lazyGenerateDefaultKey` in
 * `vault/identity_store_oidc_provider.go`).
 */
import { randomInt } from "node:crypto";
import { parseDurationSeconds } from "./durations.js";
import { fail, noContent, notFound, ok, plainError, type Reply, unsupported } from "./http.js";
import { stringField, writeCapability } from "./identity-fields.js";
import { generateCurrentAndNext, signJwt } from "./identity-keys.js";
import {
  defaultKey,
  effectiveIssuer,
  flushCache,
  groupsOf,
  type IdentityState,
} from "./identity-store.js";
import { EMPTY_ENTITY, populateJsonTemplate, TemplateError } from "./identity-template.js";
import { type DoubleState, type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";
import type { TokenState } from "./tokens.js";

/** `reservedClaims`: template keys that may not replace the token's own claims. */
const RESERVED_CLAIMS = [
  "iat",
  "aud",
  "exp",
  "iss",
  "sub",
  "namespace",
  "nonce",
  "auth_time",
  "at_hash",
  "c_hash",
];

/** The root namespace's ID, the `namespace` claim of every token Vault CE signs. */
const ROOT_NAMESPACE_ID = "root";
const DAY_SECONDS = 86_400;

export function roleRoute(
  state: DoubleState,
  identity: IdentityState,
  request: RouteRequest,
  guard: Guard,
  name: string,
): Reply {
  const { method } = request;
  const existing = identity.roles.get(name);
  if (method === "POST" || method === "PUT") {
    guard(writeCapability(existing !== undefined));
    writeRole(state, identity, name, request.body);
    return noContent();
  }
  guard(OPERATION_CAPABILITY[method] ?? []);
  if (method === "GET") {
    if (!existing) throw notFound();
    const { clientId, key, template, ttlSeconds } = existing;
    return ok({ client_id: clientId, key, template, ttl: ttlSeconds }, "identity");
  }
  if (method === "DELETE") {
    // pathOIDCDeleteRole does not flush the cache: the key set still lists the role's keys.
    identity.roles.delete(name);
    return noContent();
  }
  throw unsupported();
}

/** `pathOIDCCreateUpdateRole`. */
function writeRole(
  state: DoubleState,
  identity: IdentityState,
  name: string,
  body: Record<string, unknown>,
): void {
  const existing = identity.roles.get(name);
  const create = existing === undefined;
  const role = { ...(existing ?? { key: "", template: "", ttlSeconds: 0, clientId: "" }) };
  role.key = stringField(body, "key") ?? role.key;
  if (role.key === "") throw fail(400, "the key parameter is required");
  if (role.key === "default") lazyGenerateDefaultKey(state, identity);
  role.template = decodedTemplate(stringField(body, "template") ?? role.template);
  checkTemplate(role.template, state);
  const ttl = parseDurationSeconds(body.ttl, "ttl");
  if (ttl !== undefined || create) role.ttlSeconds = ttl ?? DAY_SECONDS;
  const key = identity.keys.get(role.key);
  if (!key) throw fail(400, `cannot find key "${role.key}"`);
  if (role.ttlSeconds > key.verificationTtlSeconds) {
    throw fail(
      400,
      "a role's token ttl cannot be longer than the verification_ttl of the key it references",
    );
  }
  role.clientId = stringField(body, "client_id") || role.clientId || base62(26);
  identity.roles.set(name, role);
  flushCache(identity);
}

/** `lazyGenerateDefaultKey`: the `default` key gets its key material on first use. */
function lazyGenerateDefaultKey(state: DoubleState, identity: IdentityState): void {
  const key = identity.keys.get("default") ?? defaultKey(state.clock());
  if (!key.signing) generateCurrentAndNext(key);
  identity.keys.set("default", key);
}

/** A template that is valid standard base64 is decoded and used (`base64.StdEncoding`). */
function decodedTemplate(template: string): string {
  if (template.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(template)) return template;
  return Buffer.from(template, "base64").toString("utf8");
}

/** Filled with an empty entity, it must be a JSON object without reserved top-level keys. */
function checkTemplate(template: string, state: DoubleState): void {
  if (template === "") return;
  let filled: string;
  try {
    filled = populateJsonTemplate(template, {
      entity: EMPTY_ENTITY,
      groups: [],
      nowSeconds: Math.floor(state.clock() / 1000),
    });
  } catch (error) {
    throw fail(400, `error parsing template: ${(error as Error).message}`);
  }
  const parsed = parseObject(filled);
  if (typeof parsed === "string") throw fail(400, `error parsing template JSON: ${parsed}`);
  for (const key of Object.keys(parsed)) {
    if (RESERVED_CLAIMS.includes(key)) {
      throw fail(
        400,
        `top level key "${key}" not allowed. Restricted keys: ${RESERVED_CLAIMS.join(", ")}`,
      );
    }
  }
}

/** A JSON object, or the reason it is not one. */
function parseObject(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    return "json: cannot unmarshal into Go value of type map[string]interface {}";
  } catch (error) {
    return (error as Error).message;
  }
}

/** `base62.Random`: a role's generated client_id. */
function base62(length: number): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/**
 * `pathOIDCGenerateToken` (GET only): a JWT for the caller's entity, signed by the role's
 * key: `iss`, `namespace`, `sub` (entity ID), `aud` (the role's client_id), `iat`, `exp`
 * (the role's TTL, capped at the key's verification TTL) and the template's claims.
 */
export function tokenRoute(
  state: DoubleState,
  identity: IdentityState,
  request: RouteRequest,
  guard: Guard,
  roleName: string,
  caller: TokenState,
): Reply {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  if (request.method !== "GET") throw unsupported();
  const role = identity.roles.get(roleName);
  if (!role) throw fail(400, `role "${roleName}" not found`);
  const key = identity.keys.get(role.key);
  if (!key) throw fail(400, `key "${role.key}" not found`);
  if (!key.allowedClientIds.includes("*") && !key.allowedClientIds.includes(role.clientId)) {
    throw fail(
      400,
      `the key "${role.key}" does not list the client ID of the role "${roleName}" as an allowed client ID`,
    );
  }
  if (caller.entityId === "") throw fail(400, "no entity associated with the request's token");
  const entity = identity.entities.get(caller.entityId);
  if (!entity) throw plainError(500, `error loading entity ID "${caller.entityId}"`);
  const now = Math.floor(state.clock() / 1000);
  const claims = templateClaims(role.template, {
    entity,
    groups: groupsOf(identity, entity.id),
    nowSeconds: now,
  });
  const payload = {
    ...claims,
    iss: effectiveIssuer(identity),
    namespace: ROOT_NAMESPACE_ID,
    sub: entity.id,
    aud: role.clientId,
    exp: now + Math.min(role.ttlSeconds, key.verificationTtlSeconds),
    iat: now,
  };
  if (!key.signing) {
    throw plainError(
      500,
      "error signing OIDC token: signing key is nil; rotate the key and try again",
    );
  }
  const token = signJwt(key, payload);
  return ok({ client_id: role.clientId, token, ttl: role.ttlSeconds }, "identity");
}

/**
 * The template's claims for this entity. As in Vault, a template that fails to fill in or
 * to parse adds nothing (the error is only logged), and reserved keys are skipped.
 */
function templateClaims(
  template: string,
  input: Parameters<typeof populateJsonTemplate>[1],
): Record<string, unknown> {
  let filled = "";
  try {
    filled = populateJsonTemplate(template, input);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
  }
  const parsed = filled === "" ? {} : parseObject(filled);
  if (typeof parsed === "string") return {};
  return Object.fromEntries(
    Object.entries(parsed).filter(([key]) => !RESERVED_CLAIMS.includes(key)),
  );
}
