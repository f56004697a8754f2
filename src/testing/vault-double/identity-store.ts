/**
 * The double's identity store: entities (made at login from the auth method's alias, as
 * Vault's `CreateOrFetchEntity` does), internal groups, and the OIDC keys, roles and issuer.
 * Kept per double in a WeakMap, so the shared `DoubleState` needs no field of its own.
 * Facts from hashicorp/vault `vault/identity_store.go` (`CreateOrFetchEntity`),
 * `vault/identity_store_util.go` (`generateName`: `entity_<8 hex>`, `group_<8 hex>`) and
 * `vault/identity_store_oidc.go`; OpenBao `internal/vault/identity/` (inherited).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { NamedKey, PublicJwk } from "./identity-keys.js";
import type { TemplateEntity, TemplateGroup } from "./identity-template.js";
import type { DoubleState } from "./state.js";

export interface EntityAlias {
  id: string;
  /** The login's alias name: AppRole's is the role_id (approle `path_login.go`). */
  name: string;
  mountAccessor: string;
  metadata: Record<string, string> | null;
}

export interface Entity extends TemplateEntity {
  aliases: EntityAlias[];
}

export interface IdentityGroup extends TemplateGroup {
  memberEntityIds: string[];
}

export interface OidcRole {
  key: string;
  template: string;
  ttlSeconds: number;
  clientId: string;
}

export interface IdentityState {
  entities: Map<string, Entity>;
  groups: Map<string, IdentityGroup>;
  /** OIDC named keys by name; `default` exists from the start, without key material. */
  keys: Map<string, NamedKey>;
  roles: Map<string, OidcRole>;
  /** `identity/oidc/config` `issuer`; "" means Vault's `api_addr`. */
  issuer: string;
  /**
   * Vault's `api_addr`. The double is a Vault started without one (its address is not known
   * to the router), so the issuer is `/v1/identity/oidc` until `identity/oidc/config` sets one.
   */
  apiAddress: string;
  /**
   * The key set as last served (Vault's `oidcCache` `jwksResponse`): kept until a flush,
   * which key, role and config writes, rotation and expiry cause; a role delete does not.
   */
  jwksCache: PublicJwk[] | undefined;
}

/** `defaultOIDCKey` (store_oidc_provider.go): RS256, 24h, 24h, every client ID. */
export function defaultKey(now: number): NamedKey {
  return {
    algorithm: "RS256",
    rotationPeriodSeconds: 86_400,
    verificationTtlSeconds: 86_400,
    allowedClientIds: ["*"],
    ring: [],
    signing: undefined,
    next: undefined,
    nextRotation: now + 86_400_000,
  };
}

const stores = new WeakMap<DoubleState, IdentityState>();

/** The identity store of this double, created on first use (`initialize` writes `default`). */
export function identityOf(state: DoubleState): IdentityState {
  let store = stores.get(state);
  if (!store) {
    store = {
      entities: new Map(),
      groups: new Map(),
      keys: new Map([["default", defaultKey(state.clock())]]),
      roles: new Map(),
      issuer: "",
      apiAddress: "",
      jwksCache: undefined,
    };
    stores.set(state, store);
  }
  return store;
}

/** `generateName`: `<kind>_<8 hex>`, unique among its kind. */
function generatedName(kind: "entity" | "group", taken: (name: string) => boolean): string {
  for (;;) {
    const name = `${kind}_${randomBytes(4).toString("hex")}`;
    if (!taken(name)) return name;
  }
}

/**
 * The entity of a login's alias (`CreateOrFetchEntity`): found by mount accessor and alias
 * name, its alias metadata refreshed; otherwise a new entity with that one alias.
 */
export function entityForLogin(
  state: DoubleState,
  mount: string,
  aliasName: string,
  metadata: Record<string, string>,
): Entity {
  const identity = identityOf(state);
  const accessor = state.authMounts.get(mount)?.accessor ?? mount;
  for (const entity of identity.entities.values()) {
    const alias = entity.aliases.find(
      (item) => item.mountAccessor === accessor && item.name === aliasName,
    );
    if (alias) {
      alias.metadata = { ...metadata };
      return entity;
    }
  }
  const names = new Set([...identity.entities.values()].map((entity) => entity.name));
  const entity: Entity = {
    id: randomUUID(),
    name: generatedName("entity", (name) => names.has(name)),
    metadata: null,
    aliases: [
      { id: randomUUID(), name: aliasName, mountAccessor: accessor, metadata: { ...metadata } },
    ],
  };
  identity.entities.set(entity.id, entity);
  return entity;
}

/** The groups an entity is a direct member of (group hierarchies are not modelled). */
export function groupsOf(identity: IdentityState, entityId: string): IdentityGroup[] {
  return [...identity.groups.values()].filter((group) => group.memberEntityIds.includes(entityId));
}

/** `oidcCache.Flush`: the next key set read is computed afresh. */
export function flushCache(identity: IdentityState): void {
  identity.jwksCache = undefined;
}

/** A new group's generated name. */
export function newGroupName(identity: IdentityState): string {
  const names = new Set([...identity.groups.values()].map((group) => group.name));
  return generatedName("group", (name) => names.has(name));
}

/** `<issuer or api_addr>/v1/identity/oidc` (`getOIDCConfig`, root namespace). */
export function effectiveIssuer(identity: IdentityState): string {
  return `${identity.issuer || identity.apiAddress}/v1/identity/oidc`;
}
