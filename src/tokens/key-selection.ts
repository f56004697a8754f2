/**
 * Which key checks a token's signature, from its `kid` header and `alg`: the label's
 * algorithm allowlist first, then its HS256 secret or EdDSA public key. This runs before the
 * signature can be checked, so everything here treats the `kid` as hostile: labels the
 * verifier does not know cost a store read only within {@link ForcedReads} limits and leave
 * no lasting state, and old versions are checked only against keys already held.
 */
import type { Clock } from "../clock.js";
import type { PublicKeySet } from "../eddsa/public-key-set.js";
import { AuthError } from "../errors.js";
import type { KeyRing } from "../secrets/keyring.js";
import type { JwtSecretProvider } from "../secrets/provider.js";
import type { SigningKey } from "../secrets/signing-key.js";
import type { IssuerAlgorithms } from "./algorithms.js";
import { SHARED_KEY_LABEL } from "./claims.js";
import { EdDsaKeySelector } from "./eddsa-selection.js";
import type { PeekedHeader } from "./header.js";
import { ForcedReads } from "./read-limiter.js";
import type { SelectedKey } from "./signed-payload.js";

export type { SelectedKey };

export interface KeySelectorOptions {
  keyRing: KeyRing;
  /** Labels outside this list (besides `shared`) are refused without a store read. */
  trustedIssuers: ReadonlySet<string> | undefined;
  /** How long after a rotation the previous version still verifies; 0 turns it off. */
  graceMs: number;
  clock: Clock;
  /** Which algorithms each label's tokens may use (checked before any read for it). */
  algorithms: IssuerAlgorithms;
  /** EdDSA issuers' public keys; required when some label accepts EdDSA. */
  publicKeys?: PublicKeySet;
}

/** Picks the key a token names; shared by a service and its `forIssuer` views. */
export class KeySelector {
  private readonly keyRing: KeyRing;
  private readonly trustedIssuers: ReadonlySet<string> | undefined;
  private readonly graceMs: number;
  private readonly clock: Clock;
  private readonly algorithms: IssuerAlgorithms;
  private readonly eddsa: EdDsaKeySelector | undefined;
  /**
   * Store reads forced by tokens, limited and with bounded state: lookups of labels not
   * known here, and re-reads of known keys for a newer version. Two budgets, so a flood of
   * made-up labels cannot use up the reads that pick up a real rotation.
   */
  private readonly lookups: ForcedReads;
  private readonly refreshes: ForcedReads;

  constructor(options: KeySelectorOptions) {
    this.keyRing = options.keyRing;
    this.trustedIssuers = options.trustedIssuers;
    this.graceMs = options.graceMs;
    this.clock = options.clock;
    this.algorithms = options.algorithms;
    this.eddsa = options.publicKeys && new EdDsaKeySelector(options.publicKeys, options.clock);
    this.lookups = new ForcedReads(options.clock);
    this.refreshes = new ForcedReads(options.clock);
    // The grace checks old tokens only against held keys: have the providers hold them (a
    // grace of 0 asks for nothing).
    this.keyRing.holdPreviousVersionsFor(this.graceMs);
  }

  /** The warm path of {@link select}: the current key the token names, without awaiting. */
  selectSync({ header, kid }: PeekedHeader): SelectedKey | undefined {
    // Stryker disable next-line BlockStatement: without it, kid-less tokens take select, which picks the same key (warm path only)
    if (header.kid === undefined) {
      // select raises the errors
      if (!this.keyRing.acceptSharedKey) return undefined;
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: peekHeader refuses kid-less EdDSA, so a kid-less token here is HS256 (kept in case an algorithm is added)
      if (header.alg !== "HS256") return undefined;
      const key = this.keyRing.shared.currentKey();
      return key && { algorithm: "HS256", key, label: SHARED_KEY_LABEL };
    }
    // select raises the precise error
    if (!kid || !this.mayUse(kid.label) || !this.algorithms.allows(kid.label, header.alg)) {
      return undefined;
    }
    if (header.alg === "EdDSA") {
      const key = this.eddsa?.selectSync(kid.label, kid.version);
      return key && { algorithm: "EdDSA", key, label: kid.label };
    }
    const key = this.keyRing.providerForLabel(kid.label)?.currentKey();
    return key?.version === kid.version ? { algorithm: "HS256", key, label: kid.label } : undefined;
  }

  /**
   * The key the token's `kid` names: the shared key or an issuer's own, reading a newer
   * version (within the forced-read limits) or, within the rotation grace, the previous one
   * if it is held.
   */
  async select({ header, kid }: PeekedHeader): Promise<SelectedKey> {
    const shared = this.keyRing.shared;
    if (
      (header.kid === undefined || kid?.label === SHARED_KEY_LABEL) &&
      !this.keyRing.acceptSharedKey
    ) {
      throw new AuthError(
        "issuer_untrusted",
        "Tokens signed with the shared key are not accepted here",
        {
          hint: "every issuer signs with its own key now (acceptSharedKey: false); mint a new token",
        },
      );
    }
    if (header.kid === undefined) {
      // Python-fleet tokens: no kid, the current shared key (HS256 only; the header check
      // already refuses kid-less EdDSA).
      this.algorithms.check(SHARED_KEY_LABEL, header.alg);
      const key = shared.currentKey() ?? (await shared.getKey());
      return { algorithm: "HS256", key, label: SHARED_KEY_LABEL };
    }
    if (!kid) {
      throw new AuthError("token_invalid", "The token's kid is not of the form <key>.v<version>");
    }
    const { label, version } = kid;
    if (!this.mayUse(label)) {
      throw new AuthError(
        "issuer_untrusted",
        `Tokens signed with '${label}' keys are not trusted here`,
        { hint: "add the issuer to trustedIssuers if this service should accept it" },
      );
    }
    // Before any read for the label: an algorithm it may not use costs nothing.
    this.algorithms.check(label, header.alg);
    if (header.alg === "EdDSA") {
      // Stryker disable next-line StringLiteral: unreachable, TokenService refuses EdDSA in issuerAlgorithms without publicKeys
      if (!this.eddsa) throw new AuthError("config_invalid", "EdDSA needs publicKeys");
      return { algorithm: "EdDSA", key: await this.eddsa.select(label, version), label };
    }
    if (label !== SHARED_KEY_LABEL && !this.keyRing.perIssuerKeys) {
      throw new AuthError(
        "token_invalid",
        `The token names signing key '${label}', which this service does not use`,
      );
    }
    const current =
      label === SHARED_KEY_LABEL
        ? (shared.currentKey() ?? (await shared.getKey()))
        : await this.issuerKey(label);
    if (!current) {
      throw new AuthError("token_invalid", `Issuer '${label}' has no signing key of its own`, {
        hint: "the token was signed with a key this fleet does not have",
      });
    }
    if (version === current.version) return { algorithm: "HS256", key: current, label };
    const provider = this.keyRing.providerForLabel(label) as JwtSecretProvider;
    const key =
      // Stryker disable next-line EqualityOperator: equal versions returned above
      version > current.version
        ? await this.newerKey(label, provider, version)
        : this.olderKey(provider, version, current);
    return { algorithm: "HS256", key, label };
  }

  private mayUse(label: string): boolean {
    if (label === SHARED_KEY_LABEL) return this.keyRing.acceptSharedKey;
    return !this.trustedIssuers || this.trustedIssuers.has(label);
  }

  /**
   * An issuer's current own key. A known issuer's key is re-read when its cache expires (at
   * most once per TTL); a label not known, or remembered as absent, is looked up only
   * within the forced-read limits (a new issuer's first tokens, or an attacker's labels).
   */
  private async issuerKey(label: string): Promise<SigningKey | undefined> {
    const known = this.keyRing.providerForLabel(label);
    const current = known?.currentKey();
    if (current) return current;
    if (known && !this.keyRing.isKnownAbsent(label)) return this.keyRing.ownKey(label);
    return this.lookups.run(label, () => this.keyRing.ownKeyFresh(label));
  }

  /** A minter rotated before us: read the store now (limited) instead of waiting for the TTL. */
  private async newerKey(
    label: string,
    provider: JwtSecretProvider,
    version: number,
  ): Promise<SigningKey> {
    // Tokens arriving while the forced read runs wait for it instead of being refused.
    const refreshed = await this.refreshes.run(label, () => provider.refresh());
    if (refreshed?.version === version) return refreshed;
    throw new AuthError(
      "token_invalid",
      `The token names key version ${label}.v${version}, which is unknown`,
      { hint: "the secret store does not have that version; was it minted elsewhere?" },
    );
  }

  /**
   * Within the grace, only the version just before the current one, and only if it is held
   * (its provider reads it when it loads the current version): a token whose signature has
   * not been checked never makes the store be read for an old version.
   */
  private olderKey(provider: JwtSecretProvider, version: number, current: SigningKey): SigningKey {
    if (
      this.graceMs > 0 &&
      version === current.version - 1 &&
      this.clock() - current.createdAt.getTime() <= this.graceMs
    ) {
      const held = provider.heldVersion(version);
      if (held) return held;
    }
    throw new AuthError(
      "token_invalid",
      `The token was signed with key version ${version}, superseded by version ${current.version}`,
      { hint: "the signing secret was rotated; mint a new token" },
    );
  }
}
