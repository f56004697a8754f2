/**
 * Vault's identity secrets engine (mount `identity/`) as the double serves it: OIDC named
 * keys, roles, the issuer config, signed identity tokens for the caller's entity, and the
 * unauthenticated discovery document and JWKS; plus `identity/group` (identity-groups.ts).
 * Facts from hashicorp/vault `vault/identity_store_oidc.go` (`oidcPaths` and the handlers
 * named below; `PathsSpecial.Unauthenticated` `oidc/.well-known/*` in
 * `vault/identity_store.go`), cross-checked with OpenBao
 * `internal/vault/identity/store_oidc.go` (inherited). Vault's periodic key rotation and
 * public key expiry run lazily before each identity request, against the double's clock.
 */
import { randomInt } from "node:crypto";
import {
  envelope,
  fail,
  noContent,
  notFound,
  ok,
  plainError,
  type Reply,
  unsupported,
} from "./http.js";
import { stringField } from "./identity-fields.js";
import { groupByNameRoute, groupRoute } from "./identity-groups.js";
import { keyRoute, rotateRoute } from "./identity-key-routes.js";
import { OIDC_ALGORITHMS, type PublicJwk, publicKeys, runPeriodic } from "./identity-keys.js";
import { roleRoute, tokenRoute } from "./identity-roles.js";
import { effectiveIssuer, flushCache, type IdentityState, identityOf } from "./identity-store.js";
import { type DoubleState, type Guard, OPERATION_CAPABILITY, type RouteRequest } from "./state.js";
import type { TokenState } from "./tokens.js";

/** `framework.GenericNameRegex`. */
const NAME = String.raw`\w(?:[\w.-]*\w)?`;
const KEY = new RegExp(`^identity/oidc/key/(${NAME})$`);
const ROTATE = new RegExp(`^identity/oidc/key/(${NAME})/rotate/?$`);
const ROLE = new RegExp(`^identity/oidc/role/(${NAME})$`);
const TOKEN = new RegExp(`^identity/oidc/token/(${NAME})$`);
const WELL_KNOWN = "identity/oidc/.well-known/";

/**
 * `identity/oidc/.well-known/*`: unauthenticated (no token is looked up), so the router
 * calls this before its token check. `undefined` for every other path.
 */
export function identityPublicRoute(state: DoubleState, request: RouteRequest): Reply | undefined {
  if (!request.path.startsWith(WELL_KNOWN)) return undefined;
  const identity = current(state);
  const rest = request.path.slice(WELL_KNOWN.length).replace(/\/$/, "");
  if (rest !== "keys" && rest !== "openid-configuration") throw plainError(404, "unsupported path");
  if (request.method !== "GET") throw unsupported();
  return rest === "keys" ? jwks(identity) : discovery(identity);
}

/** The authenticated `identity/` routes (the caller's token is `token`). */
export function identityRoute(
  state: DoubleState,
  request: RouteRequest,
  guard: Guard,
  token: TokenState,
): Reply {
  const identity = current(state);
  const { path } = request;
  if (path === "identity/group" || path === "identity/group/") {
    return groupRoute(identity, request, guard);
  }
  const groupName = /^identity\/group\/name\/(.+)$/.exec(path);
  if (groupName) return groupByNameRoute(identity, request, guard, groupName[1] ?? "");
  if (path === "identity/oidc/config" || path === "identity/oidc/config/") {
    return configRoute(identity, request, guard);
  }
  if (path === "identity/oidc/key/" || path === "identity/oidc/key") {
    return listRoute(request, guard, identity.keys);
  }
  if (path === "identity/oidc/role/" || path === "identity/oidc/role") {
    return listRoute(request, guard, identity.roles);
  }
  const rotate = ROTATE.exec(path);
  if (rotate) return rotateRoute(state, identity, request, guard, rotate[1] ?? "");
  const key = KEY.exec(path);
  if (key) return keyRoute(state, identity, request, guard, key[1] ?? "");
  const role = ROLE.exec(path);
  if (role) return roleRoute(state, identity, request, guard, role[1] ?? "");
  const signed = TOKEN.exec(path);
  if (signed) return tokenRoute(state, identity, request, guard, signed[1] ?? "", token);
  // A path of the identity backend that none of its patterns matches: ErrUnsupportedPath.
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  throw plainError(404, "unsupported path");
}

/** The identity store after Vault's periodic rotation and expiry (`OidcPeriodicFunc`). */
function current(state: DoubleState): IdentityState {
  const identity = identityOf(state);
  if (runPeriodic(identity.keys.values(), state.clock())) flushCache(identity);
  return identity;
}

/** `pathOIDCDiscovery`: a raw JSON body, `Cache-Control: max-age=3600`. */
function discovery(identity: IdentityState): Reply {
  const issuer = effectiveIssuer(identity);
  return {
    status: 200,
    headers: { "cache-control": "max-age=3600" },
    body: {
      issuer,
      jwks_uri: `${issuer}/.well-known/keys`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: OIDC_ALGORITHMS,
    },
  };
}

/**
 * `pathOIDCReadPublicKeys` / `generatePublicJWKS`: the public keys of every named key a
 * role uses (current, next and rotated ones until their verification TTL ends), as a raw
 * `{"keys": [...]}`, cached until a flush. While keys exist, `Cache-Control: max-age=` a
 * random time below the shortest verification TTL or rotation period
 * (`GetKeysCacheControlHeader`).
 */
function jwks(identity: IdentityState): Reply {
  identity.jwksCache ??= roleKeys(identity);
  const keys = [...identity.keys.values()];
  const reply: Reply = { status: 200, body: { keys: identity.jwksCache } };
  if (keys.some((key) => key.ring.length > 0)) {
    const bound = Math.min(
      ...keys.map((key) => Math.min(key.verificationTtlSeconds, key.rotationPeriodSeconds)),
    );
    reply.headers = { "cache-control": `max-age=${randomInt(Math.max(bound, 1))}` };
  }
  return reply;
}

function roleKeys(identity: IdentityState): PublicJwk[] {
  const byKid = new Map<string, PublicJwk>();
  for (const role of identity.roles.values()) {
    const key = identity.keys.get(role.key);
    for (const jwk of key ? publicKeys(key) : []) byKid.set(jwk.kid as string, jwk);
  }
  return [...byKid.values()];
}

/** `pathOIDCReadConfig` / `pathOIDCUpdateConfig`. */
function configRoute(identity: IdentityState, request: RouteRequest, guard: Guard): Reply {
  if (request.method === "GET") {
    guard("read");
    const warnings =
      identity.issuer === "" && identity.apiAddress === ""
        ? [
            `Both "issuer" and Vault's "api_addr" are empty. The issuer claim in generated tokens will not be network reachable.`,
          ]
        : null;
    return { status: 200, body: envelope({ issuer: identity.issuer }, "identity", { warnings }) };
  }
  if (request.method !== "POST" && request.method !== "PUT") {
    guard(OPERATION_CAPABILITY[request.method] ?? []);
    throw unsupported();
  }
  guard("update");
  const issuer = stringField(request.body, "issuer");
  if (issuer === undefined) return noContent();
  // Only a scheme (http/https), a host and an optional port: Go's url.URL must equal
  // url.URL{Scheme, Host}.
  if (issuer !== "" && !/^https?:\/\/[^/?#@\s]+$/i.test(issuer)) {
    throw fail(
      400,
      "invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)",
    );
  }
  identity.issuer = issuer;
  flushCache(identity);
  if (issuer === "") return noContent();
  const warnings = [
    `If "issuer" is set explicitly, all tokens must be validated against that address, including those issued by secondary clusters. Setting issuer to "" will restore the default behavior of using the cluster's api_addr as the issuer.`,
  ];
  return { status: 200, body: envelope(null, "identity", { warnings }) };
}

/** `LIST identity/oidc/key/` and `.../role/`: names, 404 when none. */
function listRoute(request: RouteRequest, guard: Guard, items: Map<string, unknown>): Reply {
  guard(OPERATION_CAPABILITY[request.method] ?? []);
  if (request.method !== "LIST") throw unsupported();
  const keys = [...items.keys()].sort();
  if (keys.length === 0) throw notFound();
  return ok({ keys }, "identity");
}
