/**
 * Accepts Vault's own workload identity tokens: JWTs that Vault's identity secrets engine
 * signs for a logged-in entity (`GET identity/oidc/token/<role>`), verified against the
 * public keys Vault publishes at `identity/oidc/.well-known/keys`. One service can then
 * call another with nothing but its own Vault login. Token shape from hashicorp/vault
 * `vault/identity_store_oidc.go` (`idToken`, `pathOIDCGenerateToken`): `iss`
 * (`<api_addr or configured issuer>/v1/identity/oidc`), `sub` (the entity ID), `aud` (the
 * role's client_id), `iat`, `exp`, `namespace`, plus the role template's claims; header
 * `{alg, kid}` with the named key's algorithm (RS256 unless the key says otherwise).
 */
import { jwtVerify } from "jose";
import type { Agent, Dispatcher } from "undici";
import { type Clock, epochSeconds, systemClock } from "../clock.js";
import { AuthError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { DEFAULT_MAX_TOKEN_BYTES } from "../tokens/claims.js";
import { isLoopbackHost, nonNegative, positive } from "../vault/client-options.js";
import { createAgent, parseAddress } from "../vault/transport.js";
import { verificationError } from "./errors.js";
import { type GroupsFrom, groupsOf, type VaultIdentityClaims } from "./groups.js";
import { vaultKeyResolver } from "./jwks.js";

/** The algorithms a Vault OIDC key can have (`supportedAlgs`). */
export const VAULT_IDENTITY_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

export type VaultIdentityAlgorithm = (typeof VAULT_IDENTITY_ALGORITHMS)[number];

export const DEFAULT_IDENTITY_CLOCK_TOLERANCE_SECONDS = 30;

export interface VaultIdentityVerifierOptions {
  /** Vault's address; the keys are read from `<vaultUrl>/v1/[<namespace>/]identity/oidc/.well-known/keys`. */
  vaultUrl?: string;
  /** Vault Enterprise namespace of the identity engine (with `vaultUrl`). */
  namespace?: string;
  /** The key set URL itself, instead of `vaultUrl`. */
  jwksUrl?: string;
  /** The exact `iss` expected: `<api_addr or identity/oidc/config issuer>/v1/identity/oidc`. Required. */
  issuer: string;
  /** The `aud` expected: the client_id of the Vault role this service accepts. Required, never derived. */
  audience: string;
  /** The Vault key's algorithm(s); never taken from the token. Default `["RS256"]`. */
  algorithms?: readonly VaultIdentityAlgorithm[];
  /** Where groups come from; default: none. */
  groupsFrom?: GroupsFrom;
  /** Slack for `exp`, `nbf` and `iat` in the future. Default 30 s. */
  clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this (optional; Vault's role `ttl` bounds them anyway). */
  maxTokenAgeSeconds?: number;
  /** Longest token accepted. Default 8 KiB. */
  maxTokenBytes?: number;
  /** Expiry is judged against this clock. Default `Date.now`. */
  clock?: Clock;
  /** Deadline of a key set fetch. Default 5000 ms. */
  timeoutMs?: number;
  /** After a fetch, an unknown `kid` waits this long before it may trigger another. Default 30 s. */
  cooldownMs?: number;
  /** Keys are refetched once this old. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** Longest key set answer read. Default 1 MiB. */
  maxResponseBytes?: number;
  /** PEM file with the CA that signed Vault's certificate. */
  caFile?: string;
  /** Accept any TLS certificate. Development only. */
  tlsSkipVerify?: boolean;
  /** An undici dispatcher instead of the verifier's own pool (not closed by `close()`). */
  dispatcher?: Dispatcher;
  logger?: Logger;
}

/** A verified Vault identity token. */
export interface VaultIdentity {
  /** The Vault entity ID (`sub`). */
  subject: string;
  groups: string[];
  claims: VaultIdentityClaims;
  issuedAt: Date;
  expiresAt: Date;
  /** The Vault key that signed it (`kid`). */
  keyId: string | undefined;
  algorithm: string;
}

/** Verifies Vault identity tokens; fails closed (503 codes) while Vault's keys cannot be read. */
export class VaultIdentityVerifier {
  readonly jwksUrl: string;
  /** The exact `iss` accepted (an `AuthService` routes tokens naming it here). */
  readonly issuer: string;
  private readonly options: VaultIdentityVerifierOptions;
  private readonly algorithms: VaultIdentityAlgorithm[];
  private readonly toleranceSeconds: number;
  private readonly maxTokenBytes: number;
  private readonly clock: Clock;
  private readonly ownAgent: Agent | undefined;
  private readonly keys: ReturnType<typeof vaultKeyResolver>;

  constructor(options: VaultIdentityVerifierOptions) {
    this.options = options;
    requireText(options.issuer, "issuer");
    requireText(options.audience, "audience");
    this.issuer = options.issuer;
    this.algorithms = checkedAlgorithms(options.algorithms);
    this.toleranceSeconds = nonNegative(
      options.clockToleranceSeconds,
      DEFAULT_IDENTITY_CLOCK_TOLERANCE_SECONDS,
      "clockToleranceSeconds",
    );
    this.maxTokenBytes = positive(options.maxTokenBytes, DEFAULT_MAX_TOKEN_BYTES, "maxTokenBytes");
    this.clock = options.clock ?? systemClock;
    const url = keySetUrl(options);
    this.jwksUrl = url.href;
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
      (options.logger ?? silentLogger).warn(
        "Vault identity keys are fetched over plain HTTP: a network attacker could replace them",
        { jwksUrl: this.jwksUrl },
      );
    }
    this.ownAgent = options.dispatcher ? undefined : createAgent(options);
    this.keys = vaultKeyResolver(url, {
      dispatcher: options.dispatcher ?? (this.ownAgent as Agent),
      timeoutMs: positive(options.timeoutMs, 5000, "timeoutMs"),
      maxResponseBytes: positive(options.maxResponseBytes, 1024 * 1024, "maxResponseBytes"),
      cooldownMs: nonNegative(options.cooldownMs, 30_000, "cooldownMs"),
      cacheMaxAgeMs: nonNegative(options.cacheMaxAgeMs, 600_000, "cacheMaxAgeMs"),
    });
  }

  /** The verified identity, or an {@link AuthError}; the token itself is never in the error. */
  async verify(token: unknown): Promise<VaultIdentity> {
    if (typeof token !== "string" || token === "") {
      throw new AuthError("token_missing", "No token was given");
    }
    if (token.length > this.maxTokenBytes) {
      throw new AuthError(
        "token_too_large",
        `The token is longer than ${this.maxTokenBytes} bytes`,
      );
    }
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, this.keys, {
        algorithms: this.algorithms,
        issuer: this.issuer,
        audience: this.options.audience,
        requiredClaims: ["exp", "iat", "sub"],
        clockTolerance: this.toleranceSeconds,
        currentDate: new Date(this.clock()),
        ...(this.options.maxTokenAgeSeconds === undefined
          ? {}
          : { maxTokenAge: this.options.maxTokenAgeSeconds }),
      });
    } catch (error) {
      throw verificationError(error, this.jwksUrl);
    }
    const claims = verified.payload as VaultIdentityClaims;
    this.checkSubjectAndIat(claims);
    return {
      subject: claims.sub,
      groups: groupsOf(this.options.groupsFrom, claims),
      claims,
      issuedAt: new Date(claims.iat * 1000),
      expiresAt: new Date(claims.exp * 1000),
      keyId: verified.protectedHeader.kid,
      algorithm: verified.protectedHeader.alg,
    };
  }

  /** Releases the verifier's own connection pool. */
  async close(): Promise<void> {
    await this.ownAgent?.close();
  }

  /** What jose leaves to us: a non-empty `sub`, and no `iat` in the future. */
  private checkSubjectAndIat(claims: VaultIdentityClaims): void {
    if (typeof claims.sub !== "string" || claims.sub === "") {
      throw new AuthError("token_invalid", "The token's sub claim (the entity ID) is empty");
    }
    if (claims.iat > epochSeconds(this.clock) + this.toleranceSeconds) {
      throw new AuthError("token_not_yet_valid", "The token was issued in the future (iat)");
    }
  }
}

function requireText(value: unknown, name: string): void {
  if (typeof value !== "string" || value.trim() === "") {
    throw new AuthError("config_invalid", `The Vault identity verifier needs ${name}`, {
      hint:
        name === "audience"
          ? "set it to the client_id of the Vault role (vault read identity/oidc/role/<role>)"
          : "set it to <api_addr or identity/oidc/config issuer>/v1/identity/oidc",
    });
  }
}

function checkedAlgorithms(
  algorithms: readonly VaultIdentityAlgorithm[] | undefined,
): VaultIdentityAlgorithm[] {
  const chosen = [...(algorithms ?? ["RS256"])];
  const known: readonly string[] = VAULT_IDENTITY_ALGORITHMS;
  if (chosen.length === 0 || chosen.some((alg) => !known.includes(alg))) {
    throw new AuthError("config_invalid", `algorithms must be among ${known.join(", ")}`);
  }
  return chosen;
}

/** Exactly one of `vaultUrl` and `jwksUrl`, as an http(s) URL without credentials. */
function keySetUrl(options: VaultIdentityVerifierOptions): URL {
  if ((options.vaultUrl === undefined) === (options.jwksUrl === undefined)) {
    throw new AuthError("config_invalid", "Give the Vault identity verifier vaultUrl or jwksUrl", {
      hint: "vaultUrl is Vault's address; jwksUrl the key set URL itself (one, not both)",
    });
  }
  if (options.jwksUrl !== undefined) return parseAddress(options.jwksUrl);
  const base = parseAddress(options.vaultUrl as string);
  const namespace = (options.namespace ?? "").replace(/^\/+|\/+$/g, "");
  const path = `v1/${namespace ? `${namespace}/` : ""}identity/oidc/.well-known/keys`;
  return new URL(path, base.href.endsWith("/") ? base.href : `${base.href}/`);
}
