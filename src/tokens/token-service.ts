import { type Clock, systemClock } from "../clock.js";
import type { PublicKeySet } from "../eddsa/public-key-set.js";
import type { EdDsaSigner } from "../eddsa/signer.js";
import { AuthError } from "../errors.js";
import { KeyRing } from "../secrets/keyring.js";
import type { JwtSecretProvider } from "../secrets/provider.js";
import type { SigningKey } from "../secrets/signing-key.js";
import { IssuerAlgorithms, type TokenAlgorithm } from "./algorithms.js";
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
import { mintEdDsa, mintEdDsaMany } from "./eddsa-mint.js";
import { peekHeader } from "./header.js";
import { createHs256Signer, type Hs256Signer } from "./hs256.js";
import { IssuerPolicy, type IssuerPolicyOptions } from "./issuer-policy.js";
import { KeySelector } from "./key-selection.js";
import { type CheckedMint, checkMintOptions } from "./mint-options.js";
import { recordOf, stampClaims } from "./mint-stamp.js";
import type { TokenRecord } from "./record.js";
import { type SelectedKey, SignedPayloads } from "./signed-payload.js";
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
  /**
   * Which algorithms each issuer's tokens may use, by `kid` label; the first entry is what
   * the issuer mints. Default for every label: `["HS256"]`. `["EdDSA", "HS256"]` mints
   * EdDSA and still accepts HS256 (migration), `["HS256", "EdDSA"]` mints HS256 and already
   * accepts EdDSA; swapping the order rolls back. The shared key is HS256 only. A token
   * whose `alg` is not listed for its label is refused before any key is read for it.
   */
  issuerAlgorithms?: Readonly<Record<string, readonly TokenAlgorithm[]>>;
  /** EdDSA issuers' public keys. Required when `issuerAlgorithms` lists EdDSA anywhere. */
  publicKeys?: PublicKeySet;
  /** Signs for issuers that mint EdDSA (private keys stay in it). Needed only to mint. */
  eddsaSigner?: EdDsaSigner;
  clock?: Clock;
}

/** The most tokens one {@link TokenService.mintMany} call mints. */
export const MAX_MINT_BATCH = 1000;

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

/** A signed token, its `kid` and the key's label (the issuer, or `shared`). */
interface SignedToken {
  token: string;
  kid: string;
  label: string;
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
  /**
   * The key that verified the signature (fingerprint and version, never the value): an
   * HS256 secret's store path, or an EdDSA key's name (`jwt-<issuer>`).
   */
  key: { name: string; version: number; fingerprint: string; algorithm: TokenAlgorithm };
  /** That key's `kid` label: `shared` or the issuer's name (`shared` without a `kid`). */
  keyLabel: string;
}

/**
 * Mints and verifies HS256 tokens with keys from a {@link JwtSecretProvider}, and EdDSA
 * (Ed25519) tokens for the issuers `issuerAlgorithms` names, with public keys from a
 * {@link PublicKeySet} and signatures from an {@link EdDsaSigner}. fast-jwt signs HS256;
 * verification is ours on node:crypto (header allowlist, per-issuer algorithm allowlist,
 * canonical base64url and signature, one HMAC or Ed25519 check, one strict UTF-8 decode
 * and parse of the payload, duplicate-key scan), and claims are checked against the
 * injected clock so that every rejection has a precise code. The issuer rules
 * ({@link IssuerPolicy}) bound the groups each issuer may grant.
 */
export class TokenService {
  readonly audience: string;
  readonly issuer: string;
  readonly keyRing: KeyRing;
  private readonly maxTokenBytes: number;
  private readonly clock: Clock;
  private readonly rules: ClaimRules;
  private readonly keys: KeySelector;
  private readonly algorithms: IssuerAlgorithms;
  private readonly eddsaSigner: EdDsaSigner | undefined;
  private readonly payloads = new SignedPayloads();
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
    const algorithms = new IssuerAlgorithms(options.issuerAlgorithms);
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
      issuerSignsHs256: (issuer) => algorithms.allows(issuer, "HS256"),
    };
    const graceSeconds = nonNegative(options.rotationGraceSeconds ?? 0, "rotationGraceSeconds");
    this.maxTokenBytes = nonNegative(
      options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
      "maxTokenBytes",
    );
    const cacheSize = nonNegative(options.verifiedCacheSize ?? 1000, "verifiedCacheSize");
    this.verified = cacheSize > 0 ? new VerifiedCache(cacheSize) : undefined;
    this.algorithms = algorithms;
    if (this.algorithms.usesEdDsa && !options.publicKeys) {
      throw new AuthError("config_invalid", "issuerAlgorithms lists EdDSA but no publicKeys", {
        hint: "pass { publicKeys: new PublicKeySet({ reader }) }",
      });
    }
    this.eddsaSigner = options.eddsaSigner;
    // Last: with a grace, this asks the (possibly shared) key ring to hold previous versions.
    this.keys = new KeySelector({
      keyRing: this.keyRing,
      trustedIssuers,
      graceMs: graceSeconds * 1000,
      clock: this.clock,
      algorithms: this.algorithms,
      publicKeys: options.publicKeys,
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
   * Mints a token with the current key: EdDSA when the issuer's `issuerAlgorithms` list
   * starts with EdDSA, else HS256. The caller stores `record`, which names this issuer and
   * the key's label so the store-checked verify can tie the two together.
   */
  async mint(options: MintOptions): Promise<MintedToken> {
    const checked = checkMintOptions(options, this.issuer, this.rules.policy);
    const sign = await this.mintingSigner();
    const nowMs = this.clock();
    const claims = stampClaims(options, checked, this, nowMs);
    return this.minted(options, claims, await sign(claims), nowMs);
  }

  /**
   * Mints one token per entry, in order, as {@link mint} does. Every entry is checked before
   * anything is signed (one bad entry: nothing minted). An issuer minting EdDSA with a signer
   * that has `signMany` signs them all in one call (one Transit request on Vault), all or
   * nothing; otherwise they are signed one at a time. At most {@link MAX_MINT_BATCH} entries.
   */
  async mintMany(options: readonly MintOptions[]): Promise<MintedToken[]> {
    if (options.length > MAX_MINT_BATCH) {
      throw new AuthError(
        "invalid_input",
        `At most ${MAX_MINT_BATCH} tokens per mintMany call, got ${options.length}`,
        { hint: "split the batch" },
      );
    }
    const checked = options.map((item) => checkMintOptions(item, this.issuer, this.rules.policy));
    if (options.length === 0) return [];
    const signAll = await this.batchSigner();
    const nowMs = this.clock();
    const claims = options.map((item, index) =>
      stampClaims(item, checked[index] as CheckedMint, this, nowMs),
    );
    const signed = await signAll(claims);
    return signed.map((token, index) =>
      this.minted(options[index] as MintOptions, claims[index] as TokenClaims, token, nowMs),
    );
  }

  private minted(
    options: MintOptions,
    claims: TokenClaims,
    { token, kid, label }: SignedToken,
    nowMs: number,
  ): MintedToken {
    const record = recordOf(options, claims, { issuer: this.issuer, label }, nowMs);
    return { token, claims, record, kid };
  }

  /** How a batch is signed: one `signMany` call for an EdDSA issuer, else one at a time. */
  private async batchSigner(): Promise<(claims: TokenClaims[]) => Promise<SignedToken[]>> {
    const issuer = this.issuer;
    const signer = this.eddsaSigner;
    if (signer?.signMany && this.algorithms.mintsEdDsa(issuer)) {
      const batch = signer as Parameters<typeof mintEdDsaMany>[0];
      return async (claims) => {
        const { tokens, kid } = await mintEdDsaMany(batch, issuer, claims);
        return tokens.map((token) => ({ token, kid, label: issuer }));
      };
    }
    const sign = await this.mintingSigner();
    return async (claims) => {
      const signed: SignedToken[] = [];
      for (const item of claims) signed.push(await sign(item));
      return signed;
    };
  }

  /**
   * How this issuer signs: with its EdDSA signer, or with its HS256 key (read before the
   * claims are stamped, as always).
   */
  private async mintingSigner(): Promise<(claims: TokenClaims) => Promise<SignedToken>> {
    const issuer = this.issuer;
    if (this.algorithms.mintsEdDsa(issuer)) {
      const signer = this.eddsaSigner;
      if (!signer) {
        throw new AuthError("config_invalid", `Issuer '${issuer}' mints EdDSA but no eddsaSigner`, {
          hint: "pass { eddsaSigner } (Vault Transit or the SQLite store), or list HS256 first",
        });
      }
      return async (claims) => ({ ...(await mintEdDsa(signer, issuer, claims)), label: issuer });
    }
    const { label, key } = await this.keyRing.mintingKey(issuer);
    const kid = formatKeyId(label, key.version);
    const sign = this.signerFor(key, kid);
    return async (claims) => ({ token: sign(claims), kid, label });
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
        return this.accept(peeked.header, cached.payload, selected, options);
      }
      this.verified?.delete(token);
    }
    const peeked = peekHeader(token, this.maxTokenBytes);
    const selected = this.keys.selectSync(peeked) ?? (await this.keys.select(peeked));
    const payload = this.payloads.payloadOf(token, selected);
    if (options.allowExpired || !this.verified) {
      return this.accept(peeked.header, payload, selected, options);
    }
    // Cached claims are handed to every later caller: frozen before anyone sees them.
    const result = this.accept(peeked.header, deepFreeze(payload), selected, options);
    this.verified.set(token, { peeked, payload, key: selected.key });
    return result;
  }

  private accept(
    header: TokenHeader,
    payload: unknown,
    { algorithm, key, label }: SelectedKey,
    options: VerifyOptions,
  ): VerifiedToken {
    return {
      claims: checkClaims(payload, label, this.rules, options),
      header,
      key: { name: key.name, version: key.version, fingerprint: key.fingerprint, algorithm },
      keyLabel: label,
    };
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
