import { AuthContext } from "./auth-context.js";
import { type Clock, systemClock } from "./clock.js";
import { AuthError } from "./errors.js";
import { type Group, PUBLIC_GROUP } from "./groups/group.js";
import { GroupRegistry } from "./groups/registry.js";
import { VaultIdentityAuth, type VaultIdentityTokenVerifier } from "./identity/auth-path.js";
import { type Logger, silentLogger } from "./log.js";
import type { AuthStore } from "./store/store.js";
import { IssuerPolicy, RECORD_MISMATCH_CODE, recordMismatch } from "./tokens/issuer-policy.js";
import { normalizeTokenName, type TokenRecord, type TokenStatus } from "./tokens/record.js";
import {
  type MintedToken,
  type MintOptions,
  TokenService,
  type TokenServiceOptions,
} from "./tokens/token-service.js";

export interface AuthServiceOptions extends Omit<TokenServiceOptions, "clock"> {
  store: AuthStore;
  clock?: Clock;
  logger?: Logger;
  /**
   * Also accept Vault identity tokens (`identity/oidc/token/<role>`), verified by this
   * `VaultIdentityVerifier` (the caller closes it). A token whose unverified `iss` is
   * exactly the verifier's issuer is verified with Vault's published keys only, every
   * other token as ours (see `src/identity/auth-path.ts`). Such tokens are not in the
   * token store and cannot be revoked here (keep the Vault role's `ttl` short); their
   * mapped groups count only when the group registry has them active, and `adminIssuers`
   * / `issuerGroups` apply to Vault's issuer URL like to any issuer.
   */
  vaultIdentity?: VaultIdentityTokenVerifier;
}

export interface VerifyTokenOptions {
  /**
   * Skip the store check (record exists, active, same groups): signature and claims only.
   * Faster, but a revoked token stays valid until it expires. Default false.
   */
  stateless?: boolean;
  /** Client binding to compare with the token's `fp` claim. */
  fingerprint?: string;
}

export interface RevokeResult {
  record: TokenRecord;
  /** False when the token was already revoked. */
  changed: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The facade most callers use: mint tokens for existing groups, verify them (against the
 * store by default), revoke and list them, and manage groups through `groups`.
 */
export class AuthService {
  readonly tokens: TokenService;
  readonly groups: GroupRegistry;
  readonly store: AuthStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly vaultIdentity: VaultIdentityAuth | undefined;

  constructor(options: AuthServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.store = options.store;
    this.tokens = new TokenService({ ...options, clock: this.clock });
    this.groups = new GroupRegistry(options.store, { clock: this.clock, logger: this.logger });
    this.vaultIdentity =
      options.vaultIdentity &&
      new VaultIdentityAuth(options.vaultIdentity, this.groups, new IssuerPolicy(options));
  }

  get audience(): string {
    return this.tokens.audience;
  }

  /**
   * The same service minting as `issuer` (`iss` claim, and the issuer's own key once it has
   * one). Store, groups, keys and caches are shared.
   */
  forIssuer(issuer: string): AuthService {
    const view = Object.create(AuthService.prototype) as AuthService;
    Object.assign(view, this, { tokens: this.tokens.forIssuer(issuer) });
    return view;
  }

  /**
   * Mints a token for existing, active groups and stores its record. The returned `token`
   * is the only copy: show it once, never log it.
   */
  async createToken(options: MintOptions): Promise<MintedToken> {
    const name = options.name ? normalizeTokenName(options.name) : null;
    if (name && (await this.store.findTokenByName(name))) {
      throw new AuthError("token_name_taken", `A token named '${name}' already exists`, {
        hint: "pick another name, or list tokens to find the existing one",
      });
    }
    await this.groups.requireActive([...new Set(options.groups)]);
    const minted = await this.tokens.mint({ ...options, name });
    await this.store.insertToken(minted.record);
    this.logger.info("Token created", {
      token_id: minted.record.id,
      name,
      groups: minted.record.groups,
      expires_at: minted.record.expiresAt?.toISOString(),
      kid: minted.kid,
    });
    return minted;
  }

  /**
   * Verifies a token and returns who it belongs to. Store-checked by default: the record
   * must exist, be active, not be expired (a token never outlives its record: an earlier
   * `expires_at` there wins, with the same clock tolerance), name the token's issuer and
   * signing key (otherwise {@link RECORD_MISMATCH_CODE}: token ids are not secret, so
   * another key must not replay a record), carry the same groups as the token, and, when
   * it binds a client (`fingerprint`), the token's `fp` claim must be that binding.
   *
   * With `vaultIdentity`, a token naming Vault's identity issuer is verified by it instead
   * (`kind` `vault-identity`); `stateless` and `fingerprint` do not apply to those.
   */
  async verifyToken(token: string, options: VerifyTokenOptions = {}): Promise<AuthContext> {
    if (this.vaultIdentity?.routes(token)) return this.vaultIdentity.verify(token);
    const verified = await this.tokens.verify(token, { fingerprint: options.fingerprint });
    const { claims } = verified;
    if (!options.stateless) {
      const record = await this.store.getToken(claims.jti);
      if (!record) {
        throw new AuthError("token_not_found", "The token is not in the token store", {
          hint: "it was minted against another store (check the Vault path prefix) or deleted",
          details: { token_id: claims.jti },
        });
      }
      if (record.status !== "active") {
        throw new AuthError("token_revoked", "The token has been revoked", {
          details: { token_id: claims.jti },
        });
      }
      this.checkRecordLimits(record, claims.fp);
      const mismatch = recordMismatch(record, claims.iss, verified.keyLabel);
      if (mismatch) {
        throw new AuthError(RECORD_MISMATCH_CODE, `The token is not its record's: ${mismatch}`, {
          hint: "the token id was minted by another issuer or key; mint a new token",
          details: { token_id: claims.jti },
        });
      }
      if (!sameSet(record.groups, claims.groups)) {
        throw new AuthError("token_invalid", "The token's groups differ from its stored record", {
          details: { token_id: claims.jti },
        });
      }
    }
    return new AuthContext(claims, verified.header.kid);
  }

  /** The record's own expiry and client binding, which the token must not escape. */
  private checkRecordLimits(record: TokenRecord, fp: string | undefined): void {
    const toleranceMs = this.tokens.clockToleranceSeconds * 1000;
    if (record.expiresAt !== null && this.clock() >= record.expiresAt.getTime() + toleranceMs) {
      throw new AuthError("token_expired", "The token's record has expired", {
        hint: "mint a new token",
        details: { token_id: record.id, expired_at: record.expiresAt.toISOString() },
      });
    }
    if (record.fingerprint !== null && fp !== record.fingerprint) {
      throw new AuthError(
        "token_invalid",
        "The token is not bound to the client its record names",
        {
          hint: "the record's fingerprint and the token's fp claim differ; mint a new token",
          details: { token_id: record.id },
        },
      );
    }
  }

  /**
   * Revokes by token (its signature must be valid; expiry is ignored) or by token id. Soft:
   * the record stays, with status `revoked` and `revoked_at` set.
   */
  async revokeToken(tokenOrId: string): Promise<RevokeResult> {
    const id = await this.tokenIdOf(tokenOrId);
    const record = await this.store.getToken(id);
    if (!record) {
      throw new AuthError("token_not_found", `No token with id ${id}`, {
        hint: "list tokens to find the id",
      });
    }
    if (record.status === "revoked") return { record, changed: false };
    const revoked: TokenRecord = {
      ...record,
      status: "revoked",
      revokedAt: new Date(this.clock()),
    };
    await this.store.updateToken(revoked);
    this.logger.info("Token revoked", { token_id: id, name: record.name });
    return { record: revoked, changed: true };
  }

  /** Newest first, optionally filtered by status. */
  async listTokens(options: { status?: TokenStatus } = {}): Promise<TokenRecord[]> {
    const records = await this.store.listTokens();
    return records
      .filter((record) => options.status === undefined || record.status === options.status)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.store.getToken(id);
  }

  getTokenByName(name: string): Promise<TokenRecord | undefined> {
    return this.store.findTokenByName(normalizeTokenName(name));
  }

  /**
   * The groups of a verified token as stored groups: unknown ones skipped, defunct ones
   * skipped unless asked, `public` always included.
   */
  async resolveTokenGroups(
    token: string,
    options: VerifyTokenOptions & { includeDefunct?: boolean } = {},
  ): Promise<Group[]> {
    const context = await this.verifyToken(token, options);
    const resolved: Group[] = [];
    for (const name of context.groups) {
      const group = await this.groups.getByName(name);
      if (group && (group.isActive || options.includeDefunct)) resolved.push(group);
    }
    if (!resolved.some((group) => group.name === PUBLIC_GROUP)) {
      const publicGroup = await this.groups.getByName(PUBLIC_GROUP);
      if (publicGroup) resolved.push(publicGroup);
    }
    return resolved;
  }

  private async tokenIdOf(tokenOrId: string): Promise<string> {
    const value = tokenOrId.trim();
    if (UUID.test(value)) return value.toLowerCase();
    if (value.split(".").length === 3) {
      const verified = await this.tokens.verify(value, { allowExpired: true });
      return verified.claims.jti;
    }
    throw new AuthError("invalid_input", "Expected a token id (UUID) or a token", {
      hint: "list tokens to find the id",
    });
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}
