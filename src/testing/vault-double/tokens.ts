/**
 * Tokens and AppRole for the double. Tokens carry policies and a TTL judged against the
 * double's clock; an expired token is gone (403, as in Vault). Renewal extends a token up
 * to its max TTL and no further.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { fail } from "./http.js";

/** Vault's system default and max TTL (768h). */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

export interface TokenState {
  id: string;
  accessor: string;
  policies: string[];
  createdAt: number;
  /** Seconds granted at creation; 0 = never expires. */
  creationTtl: number;
  expiresAt: number | undefined;
  maxExpiresAt: number | undefined;
  explicitMaxTtl: number;
  renewable: boolean;
  displayName: string;
  meta: Record<string, string> | null;
  orphan: boolean;
  path: string;
  /** The identity entity the token belongs to; "" for none (root, or a child of a token without one). */
  entityId: string;
}

export interface NewToken {
  policies: readonly string[];
  ttlSeconds?: number;
  maxTtlSeconds?: number;
  renewable?: boolean;
  displayName?: string;
  meta?: Record<string, string> | null;
  orphan?: boolean;
  path?: string;
  id?: string;
  entityId?: string;
}

function newTokenId(): string {
  return `hvs.${randomBytes(18).toString("base64url")}`;
}

export class TokenStore {
  private readonly tokens = new Map<string, TokenState>();

  constructor(private readonly now: () => number) {}

  /** A root token: every policy, never expires, not renewable. */
  setRoot(id: string): void {
    for (const [key, state] of this.tokens) {
      if (state.policies.includes("root") && state.path === "auth/token/root") {
        this.tokens.delete(key);
      }
    }
    this.create({
      id,
      policies: ["root"],
      ttlSeconds: 0,
      renewable: false,
      path: "auth/token/root",
    });
  }

  create(spec: NewToken): TokenState {
    const now = this.now();
    const root = spec.policies.includes("root");
    const max =
      spec.maxTtlSeconds && spec.maxTtlSeconds > 0 ? spec.maxTtlSeconds : SYSTEM_MAX_TTL_SECONDS;
    const ttl = root
      ? (spec.ttlSeconds ?? 0)
      : Math.min(spec.ttlSeconds || SYSTEM_MAX_TTL_SECONDS, max);
    const state: TokenState = {
      id: spec.id ?? newTokenId(),
      accessor: randomBytes(12).toString("base64url"),
      policies: [...new Set(spec.policies)],
      createdAt: now,
      creationTtl: ttl,
      expiresAt: ttl > 0 ? now + ttl * 1000 : undefined,
      maxExpiresAt: ttl > 0 ? now + max * 1000 : undefined,
      explicitMaxTtl: spec.maxTtlSeconds ?? 0,
      renewable: spec.renewable ?? !root,
      displayName: spec.displayName ?? "token",
      meta: spec.meta ?? null,
      orphan: spec.orphan ?? false,
      path: spec.path ?? "auth/token/create",
      entityId: spec.entityId ?? "",
    };
    this.tokens.set(state.id, state);
    return state;
  }

  /** The live token, or `undefined` (unknown, revoked or expired: expired ones are dropped). */
  lookup(id: string | undefined): TokenState | undefined {
    if (!id) return undefined;
    const state = this.tokens.get(id);
    if (!state) return undefined;
    if (state.expiresAt !== undefined && this.now() >= state.expiresAt) {
      this.tokens.delete(id);
      return undefined;
    }
    return state;
  }

  revoke(id: string): void {
    this.tokens.delete(id);
  }

  /** Extends the token by `increment` (default: its creation TTL), capped at its max TTL. */
  renew(state: TokenState, incrementSeconds: number | undefined): { ttl: number; capped: boolean } {
    if (!state.renewable) throw fail(400, "lease is not renewable");
    const now = this.now();
    const asked = incrementSeconds && incrementSeconds > 0 ? incrementSeconds : state.creationTtl;
    const left =
      state.maxExpiresAt === undefined ? asked : Math.floor((state.maxExpiresAt - now) / 1000);
    const ttl = Math.max(0, Math.min(asked, left));
    state.expiresAt = now + ttl * 1000;
    return { ttl, capped: ttl < asked };
  }

  /** Seconds left (0 for a token that never expires). */
  ttl(state: TokenState): number {
    return state.expiresAt === undefined
      ? 0
      : Math.max(0, Math.floor((state.expiresAt - this.now()) / 1000));
  }
}

/** One secret_id of a role (approle `secretIDStorageEntry`, the parts the double keeps). */
export interface SecretIdEntry {
  /** `secret_id_accessor`, as the secret-id creation returned it. */
  accessor: string;
  /** RFC 3339 with nanoseconds. */
  createdTime: string;
}

export interface AppRoleState {
  name: string;
  roleId: string;
  /** secret_id -> its entry. */
  secretIds: Map<string, SecretIdEntry>;
  policies: string[];
  tokenTtlSeconds: number;
  tokenMaxTtlSeconds: number;
}

export interface AppRoleSpec {
  policies?: readonly string[];
  tokenTtlSeconds?: number;
  tokenMaxTtlSeconds?: number;
}

export class AppRoleStore {
  readonly roles = new Map<string, AppRoleState>();

  /** `now()` returns Vault's RFC 3339 time with nanoseconds. */
  constructor(private readonly now: () => string) {}

  upsert(name: string, spec: AppRoleSpec): AppRoleState {
    const existing = this.roles.get(name);
    const role: AppRoleState = {
      name,
      roleId: existing?.roleId ?? randomUUID(),
      secretIds: existing?.secretIds ?? new Map(),
      policies: [...(spec.policies ?? existing?.policies ?? [])],
      tokenTtlSeconds: spec.tokenTtlSeconds ?? existing?.tokenTtlSeconds ?? 0,
      tokenMaxTtlSeconds: spec.tokenMaxTtlSeconds ?? existing?.tokenMaxTtlSeconds ?? 0,
    };
    this.roles.set(name, role);
    return role;
  }

  /** Issues a secret_id for role `name` (which must exist) and returns it with its accessor. */
  newSecretId(name: string): { secretId: string; accessor: string } {
    const role = this.roles.get(name);
    if (!role) throw fail(404, `role "${name}" does not exist`);
    const secretId = randomUUID();
    const accessor = randomUUID();
    role.secretIds.set(secretId, { accessor, createdTime: this.now() });
    return { secretId, accessor };
  }

  /** The role with this role_id, or `undefined`. */
  byRoleId(roleId: string): AppRoleState | undefined {
    for (const role of this.roles.values()) {
      if (role.roleId === roleId) return role;
    }
    return undefined;
  }
}
