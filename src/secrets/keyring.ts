import { type Clock, systemClock } from "../clock.js";
import { AuthError, isAuthError } from "../errors.js";
import { consoleLogger, type Logger } from "../log.js";
import { OPERATOR_ISSUER, SHARED_KEY_LABEL } from "../tokens/claims.js";
import { AbsentIssuers } from "./absent-issuers.js";
import { JwtSecretProvider } from "./provider.js";
import type { SigningKey } from "./signing-key.js";
import {
  ISSUER_SECRETS_PREFIX,
  issuerSecretName,
  type SecretSource,
  SHARED_SECRET_NAME,
} from "./source.js";

export { SHARED_KEY_LABEL };

export interface KeyRingOptions {
  source: SecretSource;
  /** Use this provider for the shared secret (default: one over `source`). */
  shared?: JwtSecretProvider;
  /**
   * Look for issuers' own secrets at `gofr/config/jwt-signing-secrets/<issuer>`. Default
   * true. False: every issuer signs with the shared secret (a single-key ring).
   */
  perIssuerKeys?: boolean;
  /** Forbid the shared fallback: an issuer without its own secret cannot mint or verify. */
  strict?: boolean;
  /**
   * Accept the shared key at all. Default true. False is the last step of the migration to
   * per-issuer keys: no token signed with the shared key verifies (with or without `iss`,
   * whatever `trustedIssuers` says) and no issuer mints with it. Implies `strict`.
   */
  acceptSharedKey?: boolean;
  /** Accept weak secret values (see `JwtSecretProviderOptions.allowWeakSecrets`); tests only. */
  allowWeakSecrets?: boolean;
  cacheTtlSeconds?: number;
  refreshAheadSeconds?: number;
  /**
   * How long "this issuer has no own secret" is remembered before the store is asked
   * again (migration is picked up within this time). Default: the cache TTL (300 s).
   */
  absentTtlSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface IssuerKeyStatus {
  issuer: string;
  /** `own`: the issuer's secret exists; `fallback`: it signs with the shared secret. */
  source: "own" | "fallback";
  secret: string;
  version: number;
  fingerprint: string;
  createdAt: Date;
}

/** The key to sign with: which provider, its label for `kid`, and the loaded key. */
export interface MintingKey {
  label: string;
  provider: JwtSecretProvider;
  key: SigningKey;
}

/** How many issuers without an own secret are remembered as absent (oldest forgotten first). */
export const ABSENT_ISSUERS_REMEMBERED = 1024;

/**
 * Issuer -> signing secret. Each issuer (service or agent) may have its own secret; until
 * it does, it falls back to the shared secret (reported by {@link status} and logged once
 * per issuer) unless `strict`. Absent secrets are remembered for a while, so unknown keys
 * never cause a store read per request.
 *
 * State grows only with real keys: a provider is kept for an issuer once its own secret was
 * found in the store (or it mints here). Looking up a label that has no secret leaves
 * nothing behind but a bounded "absent" entry, so made-up `kid` labels cannot fill memory.
 */
export class KeyRing {
  readonly shared: JwtSecretProvider;
  readonly strict: boolean;
  /** False once every issuer has its own key: shared-key tokens are refused. */
  readonly acceptSharedKey: boolean;
  readonly perIssuerKeys: boolean;
  private readonly options: KeyRingOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Issuers whose own secret was found: the only providers kept besides the shared one. */
  private readonly own = new Map<string, JwtSecretProvider>();
  /** Lookups of issuers not (yet) in `own`, joined by concurrent callers; freed when done. */
  private readonly lookups = new Map<string, Promise<SigningKey | undefined>>();
  /** Issuers known to have no key of their own, for a while (bounded). */
  private readonly absent: AbsentIssuers;
  private readonly warnedFallback = new Set<string>();
  private previousVersionGraceMs = 0;

  constructor(options: KeyRingOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger({ name: "jwt-keyring", level: "warn" });
    this.shared =
      options.shared ??
      new JwtSecretProvider({
        source: options.source,
        name: SHARED_SECRET_NAME,
        cacheTtlSeconds: options.cacheTtlSeconds,
        refreshAheadSeconds: options.refreshAheadSeconds,
        allowWeakSecrets: options.allowWeakSecrets,
        clock: this.clock,
        logger: this.logger,
      });
    this.acceptSharedKey = options.acceptSharedKey ?? true;
    this.strict = (options.strict ?? false) || !this.acceptSharedKey;
    this.perIssuerKeys = options.perIssuerKeys ?? true;
    const absentTtlMs = (options.absentTtlSeconds ?? this.shared.cacheTtlMs / 1000) * 1000;
    this.absent = new AbsentIssuers(this.clock, absentTtlMs, ABSENT_ISSUERS_REMEMBERED);
  }

  /** A ring with only the shared key: every issuer signs with `provider`'s secret. */
  static single(provider: JwtSecretProvider): KeyRing {
    return new KeyRing({ source: provider.source, shared: provider, perIssuerKeys: false });
  }

  /**
   * The provider for a `kid` label this ring already knows: the shared one, or an issuer's
   * whose own secret was found. Undefined otherwise; never creates state (see
   * {@link ownKeyFresh} to look a label up).
   */
  providerForLabel(label: string): JwtSecretProvider | undefined {
    if (label === SHARED_KEY_LABEL) return this.shared;
    // Without per-issuer keys `own` stays empty: only ownKey fills it, after its guard.
    return this.own.get(label);
  }

  /**
   * Every provider of this ring (now and later) also holds the version before its latest
   * while the latest is younger than `graceMs` (rotation grace; see
   * {@link JwtSecretProvider.holdPreviousVersionFor}).
   */
  holdPreviousVersionsFor(graceMs: number): void {
    this.previousVersionGraceMs = Math.max(this.previousVersionGraceMs, graceMs);
    this.shared.holdPreviousVersionFor(graceMs);
    for (const provider of this.own.values()) provider.holdPreviousVersionFor(graceMs);
  }

  /** The providers this ring holds now: the shared one, then issuers' own (for metrics). */
  heldProviders(): JwtSecretProvider[] {
    return [this.shared, ...this.own.values()];
  }

  /** True while the issuer is known to have no own secret (no store read). */
  isKnownAbsent(issuer: string): boolean {
    return this.absent.has(issuer);
  }

  /**
   * Loads the issuer's own current key; `undefined` when it has none (remembered for
   * `absentTtlSeconds`). Only the source's explicit not-found (`secret_unavailable`) means
   * "none"; every other failure rejects (a 503), so an outage never turns into a fallback
   * to the shared key for minting, nor into "no such key" (a 401) for verifying.
   */
  async ownKey(issuer: string): Promise<SigningKey | undefined> {
    if (!this.perIssuerKeys || this.isKnownAbsent(issuer)) return undefined;
    const known = this.own.get(issuer);
    if (known) return known.currentKey() ?? this.load(issuer, known);
    let lookup = this.lookups.get(issuer);
    if (!lookup) {
      // A provider for an issuer not known yet is kept only if its secret is found.
      lookup = this.load(issuer, this.newProvider(issuer)).finally(() =>
        this.lookups.delete(issuer),
      );
      this.lookups.set(issuer, lookup);
    }
    return lookup;
  }

  /** Like {@link ownKey}, ignoring a remembered absence (for tokens naming the key). */
  async ownKeyFresh(issuer: string): Promise<SigningKey | undefined> {
    this.absent.forget(issuer);
    return this.ownKey(issuer);
  }

  /** The key `issuer` signs with: its own, else the shared one (refused when strict). */
  async mintingKey(issuer: string): Promise<MintingKey> {
    const own = await this.ownKey(issuer);
    const provider = own && this.own.get(issuer);
    if (own && provider) return { label: issuer, provider, key: own };
    if (this.strict) {
      const why = this.acceptSharedKey
        ? "strict mode forbids the shared fallback"
        : "the shared key is not accepted (acceptSharedKey: false)";
      throw new AuthError(
        "secret_unavailable",
        `Issuer '${issuer}' has no signing secret of its own and ${why}`,
        {
          hint: `create one: gofr-auth secrets generate --issuer ${issuer}`,
          details: { issuer, secret: issuerSecretName(issuer) },
        },
      );
    }
    this.warnFallbackOnce(issuer);
    const key = this.shared.currentKey() ?? (await this.shared.getKey());
    return { label: SHARED_KEY_LABEL, provider: this.shared, key };
  }

  /** For each issuer: own secret or shared fallback, version, fingerprint, creation time. */
  async status(issuers: readonly string[]): Promise<IssuerKeyStatus[]> {
    const result: IssuerKeyStatus[] = [];
    for (const issuer of issuers) {
      this.absent.forget(issuer); // status always asks the store
      const own = await this.ownKey(issuer);
      // The shared key is read only when needed: a role may no longer be allowed to.
      const key = own ?? (await this.shared.getKey());
      result.push({
        issuer,
        source: own ? "own" : "fallback",
        secret: key.name,
        version: key.version,
        fingerprint: key.fingerprint,
        createdAt: key.createdAt,
      });
    }
    return result;
  }

  /**
   * The secret `name` changed in the store (a `secret` entry of the change marker): its
   * provider, if this ring holds a key for it, reads it now while the old key keeps serving.
   * A secret deleted meanwhile stops verifying: the shared key is dropped (the next use
   * reads the store and fails closed), an issuer's own provider is forgotten (its tokens
   * are refused, it mints with the shared key unless strict). An issuer remembered as
   * having no secret is looked up again on its next use. Other failures reject.
   */
  async secretChanged(name: string): Promise<void> {
    if (name === this.shared.name) return this.reload(this.shared, undefined);
    if (!this.perIssuerKeys || !name.startsWith(`${ISSUER_SECRETS_PREFIX}/`)) return;
    const issuer = name.slice(ISSUER_SECRETS_PREFIX.length + 1);
    this.absent.forget(issuer);
    const provider = this.own.get(issuer);
    if (provider) await this.reload(provider, issuer);
  }

  /** Every held key is read again (a resync after missed changes); see {@link secretChanged}. */
  async refreshAll(): Promise<void> {
    this.absent.clear();
    const reloads = [...this.own].map(([issuer, provider]) => this.reload(provider, issuer));
    await Promise.all([this.reload(this.shared, undefined), ...reloads]);
  }

  /** Re-reads a provider that holds a key (one that holds none reads on first use anyway). */
  private async reload(provider: JwtSecretProvider, issuer: string | undefined): Promise<void> {
    if (provider.fingerprint === undefined) return;
    try {
      await provider.refresh();
    } catch (error) {
      if (!isAuthError(error, "secret_unavailable")) throw error;
      if (issuer === undefined) {
        provider.invalidate();
      } else if (this.own.get(issuer) === provider) {
        this.own.delete(issuer);
        this.absent.remember(issuer);
      }
    }
  }

  /** Reads `provider`'s key: found, it is kept in `own`; absent, remembered (bounded). */
  private async load(issuer: string, provider: JwtSecretProvider): Promise<SigningKey | undefined> {
    try {
      const key = await provider.getKey();
      this.absent.forget(issuer);
      this.own.set(issuer, provider);
      return key;
    } catch (error) {
      if (!isAuthError(error, "secret_unavailable")) throw error;
      this.absent.remember(issuer);
      return undefined;
    }
  }

  private newProvider(issuer: string): JwtSecretProvider {
    const provider = new JwtSecretProvider({
      source: this.options.source,
      name: issuerSecretName(issuer),
      cacheTtlSeconds: this.options.cacheTtlSeconds ?? this.shared.cacheTtlMs / 1000,
      refreshAheadSeconds: this.options.refreshAheadSeconds,
      allowWeakSecrets: this.options.allowWeakSecrets,
      clock: this.clock,
      logger: this.logger,
    });
    // A grace of 0 (none asked for yet) leaves the provider as it is.
    provider.holdPreviousVersionFor(this.previousVersionGraceMs);
    return provider;
  }

  private warnFallbackOnce(issuer: string): void {
    // The operator CLI signing with the shared key is the normal state, not a migration gap.
    if (!this.perIssuerKeys || issuer === OPERATOR_ISSUER || this.warnedFallback.has(issuer))
      return;
    this.warnedFallback.add(issuer);
    this.logger.warn("Issuer has no signing secret of its own; using the shared secret", {
      issuer,
      expected_secret: issuerSecretName(issuer),
      hint: `gofr-auth secrets generate --issuer ${issuer}`,
    });
  }
}
