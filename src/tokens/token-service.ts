import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { AuthError } from "../errors.js";
import { KeyRing } from "../secrets/keyring.js";
import type { JwtSecretProvider } from "../secrets/provider.js";
import type { SigningKey } from "../secrets/signing-key.js";
import { type ClaimRules, checkClaims } from "./check-claims.js";
import {
  DEFAULT_AUDIENCE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  formatKeyId,
  OPERATOR_ISSUER,
  type TokenClaims,
  type TokenHeader,
} from "./claims.js";
import { peekHeader } from "./header.js";
import {
  createHs256SignatureCheck,
  createHs256Signer,
  decodeSegment,
  type Hs256SignatureCheck,
  type Hs256Signer,
} from "./hs256.js";
import { IssuerPolicy, type IssuerPolicyOptions } from "./issuer-policy.js";
import { jsonShapeProblem } from "./json-keys.js";
import { KeySelector } from "./key-selection.js";
import { checkMintOptions } from "./mint-options.js";
import type { TokenRecord } from "./record.js";
import { deepFreeze, VerifiedCache } from "./verified-cache.js";

export interface TokenServiceOptions extends IssuerPolicyOptions {
  /**
   * The shared signing secret, when every issuer signs with it. Never a raw secret string.
   * Give this or `keyRing`.
   */
  secretProvider?: JwtSecretProvider;
  /** Per-issuer secrets with shared fallback (see {@link KeyRing}). Give this or `secretProvider`. */
  keyRing?: KeyRing;
  /** `aud` minted and required. Default `gofr-api`, never derived from an env prefix. */
  audience?: string;
  /** `iss` minted. Default `gofr-auth` (the operator CLI). */
  issuer?: string;
  /**
   * When set, a token whose `iss` is not listed is rejected (`issuer_untrusted`). Tokens
   * without `iss` (minted by the Python fleet) are still accepted, as long as the key ring
   * accepts the shared key (`KeyRingOptions.acceptSharedKey`, the switch that ends it). A
   * `kid` naming a key label outside the list is refused without a store read.
   */
  trustedIssuers?: readonly string[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 30 s. */
  clockToleranceSeconds?: number;
  /**
   * Tokens signed with the version before the current one stay valid this long after the
   * current version was created. Default 0: a rotation invalidates old tokens at once.
   * Only that one version, and only from a key already held: the providers read it when
   * they load the current version, never because a token names it.
   */
  rotationGraceSeconds?: number;
  /** Longer tokens are rejected before any parsing. Default 8 KiB. */
  maxTokenBytes?: number;
  /**
   * How many verified tokens to remember (least recently used first out). A repeat skips the
   * HMAC and JSON work but every claim (expiry, audience, issuer) and the key's currency are
   * still checked on each call. Default 1000; 0 disables.
   */
  verifiedCacheSize?: number;
  clock?: Clock;
}

export interface MintOptions {
  /** Group names (at least one). Duplicates are dropped, order kept. */
  groups: readonly string[];
  /** Default 30 days. */
  expiresInSeconds?: number;
  /** Normalised token name, stored and put in the `name` claim. */
  name?: string | null;
  /** Client binding, put in the `fp` claim. */
  fingerprint?: string | null;
  /** `sub`; default the token name, else the token id. */
  subject?: string;
  /**
   * Additional claims; reserved names (`jti`, `groups`, `exp`, ...) are refused, and so are
   * `__proto__`, `constructor` and `prototype` at any depth.
   */
  extraClaims?: Record<string, unknown>;
}

export interface MintedToken {
  /** The JWT. Print it once, log only its id. */
  token: string;
  claims: TokenClaims;
  /** The record to store (status `active`, with the minting issuer and key label). */
  record: TokenRecord;
  /** `kid` header, e.g. `shared.v3`. */
  kid: string;
}

export interface VerifyOptions {
  /** Overrides the service audience for this call. */
  audience?: string;
  /** When given and the token has an `fp` claim, they must match. */
  fingerprint?: string;
  /** Accept an expired (but otherwise valid) token: used to revoke old tokens. */
  allowExpired?: boolean;
}

export interface VerifiedToken {
  /**
   * The verified claims. Deeply frozen when the verified-token cache is on (the default):
   * every verification of the same token returns this same object, so none may edit it.
   */
  claims: TokenClaims;
  header: TokenHeader;
  /** The key that verified the signature (fingerprint and version, never the value). */
  key: { name: string; version: number; fingerprint: string };
  /** That key's `kid` label: `shared` or the issuer's name (`shared` without a `kid`). */
  keyLabel: string;
}

/**
 * Mints and verifies HS256 tokens with keys from a {@link JwtSecretProvider}.
 * fast-jwt signs; verification is ours on node:crypto (header allowlist, canonical
 * base64url and signature, one HMAC, one strict UTF-8 decode and parse of the payload,
 * duplicate-key scan), and claims are checked against the injected clock so that every
 * rejection has a precise code. The issuer rules ({@link IssuerPolicy}) bound the groups
 * each issuer may grant.
 */
export class TokenService {
  readonly audience: string;
  readonly issuer: string;
  readonly keyRing: KeyRing;
  private readonly maxTokenBytes: number;
  private readonly clock: Clock;
  private readonly rules: ClaimRules;
  private readonly keys: KeySelector;
  private readonly signatureChecks = new WeakMap<SigningKey, Hs256SignatureCheck>();
  private readonly verified: VerifiedCache | undefined;
  private readonly signers = new WeakMap<SigningKey, Hs256Signer>();

  constructor(options: TokenServiceOptions) {
    if (options.keyRing) this.keyRing = options.keyRing;
    else if (options.secretProvider) this.keyRing = KeyRing.single(options.secretProvider);
    else {
      throw new AuthError("config_invalid", "TokenService needs a secretProvider or a keyRing", {
        hint: "pass { secretProvider: new JwtSecretProvider({ source }) }",
      });
    }
    this.audience = nonEmpty(options.audience ?? DEFAULT_AUDIENCE, "audience");
    this.issuer = nonEmpty(options.issuer ?? OPERATOR_ISSUER, "issuer");
    this.clock = options.clock ?? systemClock;
    const trustedIssuers = options.trustedIssuers && new Set(options.trustedIssuers);
    this.rules = {
      audience: this.audience,
      trustedIssuers,
      toleranceSeconds: nonNegative(
        options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
        "clockToleranceSeconds",
      ),
      clock: this.clock,
      policy: new IssuerPolicy(options),
      strict: this.keyRing.strict,
    };
    const graceSeconds = nonNegative(options.rotationGraceSeconds ?? 0, "rotationGraceSeconds");
    this.maxTokenBytes = nonNegative(
      options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
      "maxTokenBytes",
    );
    const cacheSize = nonNegative(options.verifiedCacheSize ?? 1000, "verifiedCacheSize");
    this.verified = cacheSize > 0 ? new VerifiedCache(cacheSize) : undefined;
    // Last: with a grace, this asks the (possibly shared) key ring to hold previous versions.
    this.keys = new KeySelector({
      keyRing: this.keyRing,
      trustedIssuers,
      graceMs: graceSeconds * 1000,
      clock: this.clock,
    });
  }

  /** The allowed clock skew, in seconds (for checks against stored records too). */
  get clockToleranceSeconds(): number {
    return this.rules.toleranceSeconds;
  }

  /** The shared secret's provider. */
  get secretProvider(): JwtSecretProvider {
    return this.keyRing.shared;
  }

  /** A service minting as `issuer` (its own key if it has one), sharing keys and caches. */
  forIssuer(issuer: string): TokenService {
    const view = Object.create(TokenService.prototype) as TokenService;
    Object.assign(view, this, { issuer: nonEmpty(issuer, "issuer") });
    return view;
  }

  /**
   * Mints a token with the current key. The caller stores `record`, which names this
   * issuer and the key's label so the store-checked verify can tie the two together.
   */
  async mint(options: MintOptions): Promise<MintedToken> {
    const { groups, lifetime } = checkMintOptions(options, this.issuer, this.rules.policy);
    const { label, key } = await this.keyRing.mintingKey(this.issuer);
    const nowMs = this.clock();
    const iat = Math.floor(nowMs / 1000);
    const id = randomUUID();
    const claims: TokenClaims = {
      ...options.extraClaims,
      jti: id,
      groups,
      iat,
      nbf: iat,
      exp: iat + lifetime,
      aud: this.audience,
      iss: this.issuer,
      sub: options.subject ?? options.name ?? id,
    };
    if (options.name) claims.name = options.name;
    if (options.fingerprint) claims.fp = options.fingerprint;
    const kid = formatKeyId(label, key.version);
    const token = this.signerFor(key, kid)(claims);
    const record: TokenRecord = {
      id,
      name: options.name ?? null,
      groups,
      status: "active",
      createdAt: new Date(nowMs),
      expiresAt: new Date(claims.exp * 1000),
      revokedAt: null,
      fingerprint: options.fingerprint ?? null,
      issuer: this.issuer,
      keyLabel: label,
    };
    return { token, claims, record, kid };
  }

  /**
   * Verifies signature and claims. Rejects with an `AuthError` whose code says why
   * (`token_expired`, `audience_mismatch`, `token_invalid`, ...). Only a cold or rotated
   * key makes this wait for the secret store.
   */
  async verify(token: string, options: VerifyOptions = {}): Promise<VerifiedToken> {
    const cached = options.allowExpired ? undefined : this.verified?.get(token);
    if (cached) {
      // Same token, and its key is still the one this service would pick: the signature and
      // JSON checks hold; the claims (time, audience, issuer) are checked again below.
      const { peeked } = cached;
      const selected = this.keys.selectSync(peeked) ?? (await this.keys.select(peeked));
      if (selected.key === cached.key) {
        return this.accept(peeked.header, cached.payload, selected.key, selected.label, options);
      }
      this.verified?.delete(token);
    }
    const peeked = peekHeader(token, this.maxTokenBytes);
    const { key, label } = this.keys.selectSync(peeked) ?? (await this.keys.select(peeked));
    const payload = this.signedPayload(token, key);
    if (options.allowExpired || !this.verified) {
      return this.accept(peeked.header, payload, key, label, options);
    }
    // Cached claims are handed to every later caller: frozen before anyone sees them.
    const result = this.accept(peeked.header, deepFreeze(payload), key, label, options);
    this.verified.set(token, { peeked, payload, key });
    return result;
  }

  private accept(
    header: TokenHeader,
    payload: unknown,
    key: SigningKey,
    label: string,
    options: VerifyOptions,
  ): VerifiedToken {
    return {
      claims: checkClaims(payload, label, this.rules, options),
      header,
      key: { name: key.name, version: key.version, fingerprint: key.fingerprint },
      keyLabel: label,
    };
  }

  /**
   * Checks the signature with `key`, then decodes (canonical base64url, strict UTF-8) and
   * parses the payload once (nothing unauthenticated is parsed beyond the small, cached
   * header) and scans its text for repeated keys, prototype key names and deep nesting.
   * `token` has passed {@link peekHeader}.
   */
  private signedPayload(token: string, key: SigningKey): unknown {
    const last = token.lastIndexOf(".");
    if (!this.signatureCheckFor(key)(token.slice(0, last), token.slice(last + 1))) {
      throw new AuthError("token_invalid", "The token signature does not match", {
        hint: "the token was minted with another secret, or altered",
      });
    }
    const text = decodeSegment(token.slice(token.indexOf(".") + 1, last));
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new AuthError("token_malformed", "The token payload is not valid JSON");
    }
    const problem = jsonShapeProblem(text, payload);
    if (problem) throw new AuthError("token_invalid", `The token payload has a ${problem}`);
    return payload;
  }

  private signatureCheckFor(key: SigningKey): Hs256SignatureCheck {
    let check = this.signatureChecks.get(key);
    // Stryker disable next-line ConditionalExpression: a cache only; a new check of the same key gives the same answers
    if (!check) {
      check = createHs256SignatureCheck(key.value);
      this.signatureChecks.set(key, check);
    }
    return check;
  }

  private signerFor(key: SigningKey, kid: string): Hs256Signer {
    let sign = this.signers.get(key);
    // Stryker disable next-line ConditionalExpression: a cache only; a new signer of the same key and kid signs the same
    if (!sign) {
      sign = createHs256Signer(key.value, kid);
      this.signers.set(key, sign);
    }
    return sign;
  }
}

function nonEmpty(value: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new AuthError("config_invalid", `${what} must be a non-empty string`);
  }
  return value;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new AuthError("config_invalid", `${what} must be a number >= 0, got ${value}`);
  }
  return value;
}
