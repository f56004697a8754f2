import { randomUUID } from "node:crypto";
import { type Clock, epochSeconds, systemClock } from "../clock.js";
import { AuthError, type AuthErrorCode } from "../errors.js";
import { KeyRing, SHARED_KEY_LABEL } from "../secrets/keyring.js";
import type { JwtSecretProvider } from "../secrets/provider.js";
import type { SigningKey } from "../secrets/signing-key.js";
import {
  DEFAULT_AUDIENCE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  formatKeyId,
  type KeyId,
  OPERATOR_ISSUER,
  parseKeyId,
  RESERVED_CLAIMS,
  type TokenClaims,
  type TokenHeader,
} from "./claims.js";
import {
  createHs256SignatureCheck,
  createHs256Signer,
  decodeSegment,
  HS256_SIGNATURE_LENGTH,
  type Hs256SignatureCheck,
  type Hs256Signer,
  TOKEN_SHAPE,
} from "./hs256.js";
import { jsonShapeProblem } from "./json-keys.js";
import type { TokenRecord } from "./record.js";

export interface TokenServiceOptions {
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
   * without `iss` (minted by the Python fleet) are still accepted.
   */
  trustedIssuers?: readonly string[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 30 s. */
  clockToleranceSeconds?: number;
  /**
   * Tokens signed with the version before the current one stay valid this long after the
   * current version was created. Default 0: a rotation invalidates old tokens at once.
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
  /** Additional claims; reserved names (`jti`, `groups`, `exp`, ...) are refused. */
  extraClaims?: Record<string, unknown>;
}

export interface MintedToken {
  /** The JWT. Print it once, log only its id. */
  token: string;
  claims: TokenClaims;
  /** The record to store (status `active`). */
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
  claims: TokenClaims;
  header: TokenHeader;
  /** The key that verified the signature (fingerprint and version, never the value). */
  key: { name: string; version: number; fingerprint: string };
}

/** Year 9999: later "dates" are garbage, not long-lived tokens. */
const MAX_NUMERIC_DATE = 253_402_300_799;
/** At most one forced store read per key and second when a token names an unknown version. */
const FORCED_READ_INTERVAL_MS = 1000;

/**
 * Mints and verifies HS256 tokens with keys from a {@link JwtSecretProvider}.
 * fast-jwt signs; verification is ours on node:crypto (header allowlist, canonical
 * signature, one HMAC, one decode and parse of the payload, duplicate-key scan), and claims
 * are checked against the injected clock so that every rejection has a precise code.
 */
export class TokenService {
  readonly audience: string;
  readonly issuer: string;
  readonly keyRing: KeyRing;
  private readonly trustedIssuers: ReadonlySet<string> | undefined;
  private readonly toleranceSeconds: number;
  private readonly graceMs: number;
  private readonly maxTokenBytes: number;
  private readonly clock: Clock;
  private readonly signatureChecks = new WeakMap<SigningKey, Hs256SignatureCheck>();
  private readonly verified: VerifiedCache | undefined;
  private readonly signers = new WeakMap<SigningKey, Hs256Signer>();
  /** Per key label: when the store was last re-read because a token named an unknown version. */
  private readonly lastForcedRead = new Map<string, number>();
  /** Per key label: the forced read in flight, joined by every token naming a newer version. */
  private readonly forcedReads = new Map<string, Promise<SigningKey>>();

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
    this.trustedIssuers = options.trustedIssuers && new Set(options.trustedIssuers);
    this.toleranceSeconds = nonNegative(
      options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      "clockToleranceSeconds",
    );
    this.graceMs = nonNegative(options.rotationGraceSeconds ?? 0, "rotationGraceSeconds") * 1000;
    this.maxTokenBytes = nonNegative(
      options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
      "maxTokenBytes",
    );
    this.clock = options.clock ?? systemClock;
    const cacheSize = nonNegative(options.verifiedCacheSize ?? 1000, "verifiedCacheSize");
    this.verified = cacheSize > 0 ? new VerifiedCache(cacheSize) : undefined;
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

  /** Mints a token with the current key. The caller stores `record`. */
  async mint(options: MintOptions): Promise<MintedToken> {
    const groups = [...new Set(options.groups)];
    if (groups.length === 0 || groups.some((group) => typeof group !== "string" || group === "")) {
      throw new AuthError("invalid_input", "A token needs at least one group", {
        hint: "pass groups such as ['admin'] or ['public']",
      });
    }
    const lifetime = options.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isSafeInteger(lifetime) || lifetime <= 0) {
      throw new AuthError(
        "invalid_input",
        `expiresInSeconds must be a positive integer, got ${lifetime}`,
      );
    }
    for (const claim of Object.keys(options.extraClaims ?? {})) {
      if (RESERVED_CLAIMS.has(claim)) {
        throw new AuthError("claims_reserved", `extraClaims may not set the '${claim}' claim`, {
          hint: "use the matching mint option (groups, name, subject, fingerprint, expiresInSeconds)",
        });
      }
    }
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
      const selected = this.keyForSync(cached.header) ?? (await this.keyFor(cached.header));
      if (selected.key === cached.key) {
        return this.accept(cached.header, cached.payload, selected.key, selected.label, options);
      }
      this.verified?.delete(token);
    }
    const header = peekHeader(token, this.maxTokenBytes);
    const { key, label } = this.keyForSync(header) ?? (await this.keyFor(header));
    const payload = this.signedPayload(token, key);
    const result = this.accept(header, payload, key, label, options);
    if (!options.allowExpired) this.verified?.set(token, { header, payload, key });
    return result;
  }

  private accept(
    header: TokenHeader,
    payload: unknown,
    key: SigningKey,
    label: string,
    options: VerifyOptions,
  ): VerifiedToken {
    const claims = this.checkClaims(payload, options);
    this.checkKeyMatchesIssuer(label, claims.iss);
    return {
      claims,
      header,
      key: { name: key.name, version: key.version, fingerprint: key.fingerprint },
    };
  }

  /** The warm path of {@link keyFor}: the current key the token names, without awaiting. */
  private keyForSync(header: TokenHeader): { key: SigningKey; label: string } | undefined {
    if (header.kid === undefined) {
      const key = this.keyRing.shared.currentKey();
      return key && { key, label: SHARED_KEY_LABEL };
    }
    const kid = kidOf(header);
    if (
      !kid ||
      (kid.label !== SHARED_KEY_LABEL && this.trustedIssuers && !this.trustedIssuers.has(kid.label))
    ) {
      return undefined; // keyFor raises the precise error
    }
    const key = this.keyRing.providerForLabel(kid.label)?.currentKey();
    return key?.version === kid.version ? { key, label: kid.label } : undefined;
  }

  /**
   * Picks the key the token's `kid` names: the shared key or an issuer's own, reading a
   * newer version (rate-limited) or, within the rotation grace, an older one.
   */
  private async keyFor(header: TokenHeader): Promise<{ key: SigningKey; label: string }> {
    const shared = this.keyRing.shared;
    if (header.kid === undefined) {
      // Python-fleet tokens: no kid, the current shared key.
      return { key: shared.currentKey() ?? (await shared.getKey()), label: SHARED_KEY_LABEL };
    }
    const kid = kidOf(header);
    if (!kid) throw invalid("token_invalid", "The token's kid is not of the form <key>.v<version>");
    const { label, version } = kid;
    if (label !== SHARED_KEY_LABEL && this.trustedIssuers && !this.trustedIssuers.has(label)) {
      throw invalid("issuer_untrusted", `Tokens signed with '${label}' keys are not trusted here`, {
        hint: "add the issuer to trustedIssuers if this service should accept it",
      });
    }
    const provider = this.keyRing.providerForLabel(label);
    if (!provider) {
      throw invalid(
        "token_invalid",
        `The token names signing key '${label}', which this service does not use`,
      );
    }
    let current: SigningKey | undefined;
    if (label === SHARED_KEY_LABEL) {
      current = provider.currentKey() ?? (await provider.getKey());
    } else {
      current = provider.currentKey();
      // A key remembered as absent may exist by now: ask the store again, at most once a second.
      // Only a missing key spends the forced-read allowance: spending it on every slow-path call
      // left none for newerKey, so a rotated issuer key stayed unknown until the cache TTL.
      if (!current && (this.mayForceRead(label) || !this.keyRing.isKnownAbsent(label))) {
        current = await this.keyRing.ownKeyFresh(label);
      }
      if (!current) {
        throw invalid("token_invalid", `Issuer '${label}' has no signing key of its own`, {
          hint: "the token was signed with a key this fleet does not have",
        });
      }
    }
    if (version === current.version) return { key: current, label };
    if (version > current.version)
      return { key: await this.newerKey(label, provider, version), label };
    return { key: await this.olderKey(provider, version, current), label };
  }

  /** A minter rotated before us: read the store now (rate-limited) instead of waiting for the TTL. */
  private async newerKey(label: string, provider: JwtSecretProvider, version: number) {
    // Tokens arriving while the forced read runs wait for it instead of being refused.
    let pending = this.forcedReads.get(label);
    if (!pending && this.mayForceRead(label)) {
      pending = provider.refresh().finally(() => this.forcedReads.delete(label));
      this.forcedReads.set(label, pending);
    }
    if (pending) {
      const refreshed = await pending;
      if (refreshed.version === version) return refreshed;
    }
    throw invalid(
      "token_invalid",
      `The token names key version ${label}.v${version}, which is unknown`,
      {
        hint: "the secret store does not have that version; was it minted elsewhere?",
      },
    );
  }

  private async olderKey(provider: JwtSecretProvider, version: number, current: SigningKey) {
    if (this.graceMs > 0) {
      const successor =
        version + 1 === current.version ? current : await provider.getVersion(version + 1);
      if (this.clock() - successor.createdAt.getTime() <= this.graceMs) {
        return provider.getVersion(version);
      }
    }
    throw invalid(
      "token_invalid",
      `The token was signed with key version ${version}, superseded by version ${current.version}`,
      { hint: "the signing secret was rotated; mint a new token" },
    );
  }

  private mayForceRead(label: string): boolean {
    const now = this.clock();
    if (
      now - (this.lastForcedRead.get(label) ?? Number.NEGATIVE_INFINITY) <
      FORCED_READ_INTERVAL_MS
    ) {
      return false;
    }
    this.lastForcedRead.set(label, now);
    return true;
  }

  /** An issuer's own key signs only that issuer's tokens; strict mode forbids shared-key ones. */
  private checkKeyMatchesIssuer(label: string, iss: string | undefined): void {
    if (label !== SHARED_KEY_LABEL && iss !== label) {
      throw invalid(
        "token_invalid",
        `The token claims issuer '${iss ?? "(none)"}' but is signed with '${label}' key`,
        {
          hint: "a service's key signs only its own tokens",
        },
      );
    }
    if (label === SHARED_KEY_LABEL && iss !== undefined && this.keyRing.strict) {
      throw invalid("token_invalid", `Issuer '${iss}' must sign with its own key (strict mode)`, {
        hint: "mint a new token after the issuer's secret exists",
      });
    }
  }

  private checkClaims(payload: unknown, options: VerifyOptions): TokenClaims {
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw invalid("token_malformed", "The token payload is not a JSON object");
    }
    const claims = payload as Record<string, unknown>;
    const now = epochSeconds(this.clock);
    const tolerance = this.toleranceSeconds;

    const exp = numericDate(claims, "exp", true);
    if (!options.allowExpired && now >= (exp as number) + tolerance) {
      throw invalid("token_expired", "The token has expired", {
        hint: "mint a new token",
        details: { expired_at: new Date((exp as number) * 1000).toISOString() },
      });
    }
    const nbf = numericDate(claims, "nbf", true);
    if (nbf !== undefined && nbf > now + tolerance) {
      throw invalid("token_not_yet_valid", "The token is not valid yet (nbf in the future)", {
        hint: "check the clocks of the minting and verifying machines",
      });
    }
    const iat = numericDate(claims, "iat", true);
    if (iat !== undefined && iat > now + tolerance) {
      throw invalid("token_not_yet_valid", "The token was issued in the future (iat)", {
        hint: "check the clocks of the minting and verifying machines",
      });
    }

    const audience = options.audience ?? this.audience;
    const aud = claims.aud;
    const audOk =
      aud === audience ||
      (Array.isArray(aud) &&
        aud.every((item) => typeof item === "string") &&
        aud.includes(audience));
    if (!audOk) {
      throw invalid("audience_mismatch", `The token is not for audience '${audience}'`, {
        hint: `mint tokens with aud '${audience}' (the shared default is 'gofr-api')`,
      });
    }

    const iss = claims.iss;
    if (iss !== undefined && typeof iss !== "string") {
      throw invalid("token_invalid", "The token's iss claim is not a string");
    }
    if (iss !== undefined && this.trustedIssuers && !this.trustedIssuers.has(iss)) {
      throw invalid("issuer_untrusted", `Tokens issued by '${iss}' are not trusted here`, {
        hint: "add the issuer to trustedIssuers if this service should accept it",
      });
    }

    if (typeof claims.jti !== "string" || claims.jti === "") {
      throw invalid("token_invalid", "The token has no jti claim");
    }
    const groups = claims.groups;
    if (
      !Array.isArray(groups) ||
      groups.length === 0 ||
      groups.some((group) => typeof group !== "string" || group === "")
    ) {
      throw invalid("token_invalid", "The token's groups claim is not a non-empty list of names");
    }
    for (const name of ["sub", "fp", "name"] as const) {
      if (claims[name] !== undefined && typeof claims[name] !== "string") {
        throw invalid("token_invalid", `The token's ${name} claim is not a string`);
      }
    }
    if (
      options.fingerprint !== undefined &&
      claims.fp !== undefined &&
      claims.fp !== options.fingerprint
    ) {
      throw invalid("token_invalid", "The token is bound to another client (fp mismatch)");
    }
    return claims as TokenClaims;
  }

  /**
   * Checks the signature with `key`, then decodes and parses the payload once (nothing
   * unauthenticated is parsed beyond the small, cached header) and scans its text for
   * repeated keys and deep nesting. `token` has passed {@link peekHeader}.
   */
  private signedPayload(token: string, key: SigningKey): unknown {
    const last = token.lastIndexOf(".");
    if (!this.signatureCheckFor(key)(token.slice(0, last), token.slice(last + 1))) {
      throw invalid("token_invalid", "The token signature does not match", {
        hint: "the token was minted with another secret, or altered",
      });
    }
    const text = decodeSegment(token.slice(token.indexOf(".") + 1, last));
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw invalid("token_malformed", "The token payload is not valid JSON");
    }
    const problem = jsonShapeProblem(text, payload);
    if (problem) throw invalid("token_invalid", `The token payload has a ${problem}`);
    return payload;
  }

  private signatureCheckFor(key: SigningKey): Hs256SignatureCheck {
    let check = this.signatureChecks.get(key);
    if (!check) {
      check = createHs256SignatureCheck(key.value);
      this.signatureChecks.set(key, check);
    }
    return check;
  }

  private signerFor(key: SigningKey, kid: string): Hs256Signer {
    let sign = this.signers.get(key);
    if (!sign) {
      sign = createHs256Signer(key.value, kid);
      this.signers.set(key, sign);
    }
    return sign;
  }
}

/** Header fields we understand. Anything else (jku, jwk, x5u, x5c, crit, b64, ...) is refused. */
const HEADER_FIELDS: ReadonlySet<string> = new Set(["alg", "typ", "kid"]);
/** The last of 43 base64url characters of a 32-byte HMAC carries 2 unused zero bits. */
const CANONICAL_LAST_CHAR = /[AEIMQUYcgkosw048]$/;

/** Parsed and checked headers by their encoded form: a fleet uses a handful of headers. */
const headerCache = new Map<string, TokenHeader>();
const HEADER_CACHE_SIZE = 256;

/** Size, shape and header checks, before any key is fetched or signature computed. */
function peekHeader(token: unknown, maxBytes: number): TokenHeader {
  if (typeof token !== "string" || token.length === 0) {
    throw invalid("token_missing", "No token was given");
  }
  if (token.length > maxBytes) {
    throw invalid("token_too_large", `The token is longer than ${maxBytes} bytes`);
  }
  if (!TOKEN_SHAPE.test(token)) {
    throw invalid("token_malformed", "The token is not three base64url parts separated by dots");
  }
  const signature = token.slice(token.lastIndexOf(".") + 1);
  // fast-jwt decodes the signature leniently; a second spelling of the same bytes is a
  // different token and must not verify.
  if (signature.length !== HS256_SIGNATURE_LENGTH || !CANONICAL_LAST_CHAR.test(signature)) {
    throw invalid("token_invalid", "The token signature is not a canonical HS256 signature");
  }
  const encoded = token.slice(0, token.indexOf("."));
  const known = headerCache.get(encoded);
  if (known) return known;
  // Frozen: the object is shared by every token with this header (and by callers' results).
  const header = Object.freeze(parseHeader(encoded));
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(encoded, header);
  return header;
}

/** Parsed `kid` per header object: headers come from {@link headerCache}, so this parses once. */
const parsedKids = new WeakMap<TokenHeader, KeyId | null>();

function kidOf(header: TokenHeader): KeyId | undefined {
  let kid = parsedKids.get(header);
  if (kid === undefined) {
    kid = (typeof header.kid === "string" && parseKeyId(header.kid)) || null;
    parsedKids.set(header, kid);
  }
  return kid ?? undefined;
}

/** Decodes and checks a header: JSON object, known fields only, HS256, typ JWT, no repeats. */
function parseHeader(encoded: string): TokenHeader {
  const text = decodeSegment(encoded);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw invalid("token_malformed", "The token header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw invalid("token_malformed", "The token header is not a JSON object");
  }
  for (const field of Object.keys(header)) {
    if (!HEADER_FIELDS.has(field)) {
      throw invalid(
        "token_invalid",
        `The token header field '${field.slice(0, 20)}' is not supported`,
      );
    }
  }
  const { alg, typ } = header as TokenHeader;
  if (alg !== "HS256") {
    throw invalid(
      "token_invalid",
      `Algorithm ${String(JSON.stringify(alg) ?? "missing").slice(0, 20)} is not allowed; only HS256 is`,
    );
  }
  if (typ !== undefined && (typeof typ !== "string" || typ.toUpperCase() !== "JWT")) {
    throw invalid("token_invalid", "The token type (typ) is not JWT");
  }
  const problem = jsonShapeProblem(text, header);
  if (problem) throw invalid("token_invalid", `The token header has a ${problem}`);
  return header as TokenHeader;
}

/** Verified tokens, least recently used first. A Map keeps insertion order, which is all an LRU needs. */
class VerifiedCache {
  private readonly entries = new Map<string, VerifiedEntry>();
  constructor(private readonly size: number) {}

  get(token: string): VerifiedEntry | undefined {
    const entry = this.entries.get(token);
    if (entry) {
      this.entries.delete(token);
      this.entries.set(token, entry);
    }
    return entry;
  }

  set(token: string, entry: VerifiedEntry): void {
    this.entries.set(token, entry);
    if (this.entries.size > this.size) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(token: string): void {
    this.entries.delete(token);
  }
}

interface VerifiedEntry {
  header: TokenHeader;
  payload: unknown;
  key: SigningKey;
}

/** NumericDate claims as whole seconds within a sane range (strings, floats and 1e300 refused). */
function numericDate(claims: Record<string, unknown>, name: string, required: boolean) {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    value > MAX_NUMERIC_DATE
  ) {
    const what = value === undefined ? "missing" : "not a whole number of seconds";
    throw invalid("token_invalid", `The token's ${name} claim is ${what}`);
  }
  return value;
}

function invalid(
  code: AuthErrorCode,
  message: string,
  options: { hint?: string; details?: Record<string, unknown> } = {},
): AuthError {
  return new AuthError(code, message, options);
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
