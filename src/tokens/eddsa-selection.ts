/**
 * Which EdDSA public key checks a token's signature, from its `kid`. As for HS256 keys
 * (key-selection.ts), the `kid` is hostile here: only labels whose allowlist holds EdDSA get
 * this far, an issuer not held is looked up and a newer version re-read only within
 * {@link ForcedReads} limits, and old versions are checked against keys already held.
 */
import type { Clock } from "../clock.js";
import type { EdDsaPublicKey } from "../eddsa/public-key.js";
import type { IssuerPublicKeys, PublicKeySet } from "../eddsa/public-key-set.js";
import { AuthError, isAuthError } from "../errors.js";
import { ForcedReads } from "./read-limiter.js";

type Loaded = IssuerPublicKeys | undefined;

/** Picks an EdDSA issuer's public key by version; shared by a service and its views. */
export class EdDsaKeySelector {
  /** Lookups of issuers not held, and re-reads for a newer version: two budgets. */
  private readonly lookups: ForcedReads<Loaded>;
  private readonly refreshes: ForcedReads<Loaded>;

  constructor(
    private readonly publicKeys: PublicKeySet,
    clock: Clock,
  ) {
    this.lookups = new ForcedReads<Loaded>(clock);
    this.refreshes = new ForcedReads<Loaded>(clock);
  }

  /** The warm path: the version named, when the issuer's keys are held, fresh and have it. */
  selectSync(issuer: string, version: number): EdDsaPublicKey | undefined {
    return this.publicKeys.current(issuer)?.keys.get(version);
  }

  /**
   * Any version from the issuer's floor to its latest verifies; below the floor it is
   * retired; above the latest the store is read once more (limited) for a rotation made
   * elsewhere.
   */
  async select(issuer: string, version: number): Promise<EdDsaPublicKey> {
    let keys = await this.issuerKeys(issuer);
    if (!keys) {
      throw new AuthError("token_invalid", `Issuer '${issuer}' has no EdDSA key`, {
        hint: "the token was signed with a key this fleet does not have",
      });
    }
    if (version > keys.latest) keys = (await this.newer(issuer)) ?? keys;
    return versionOf(keys, version);
  }

  /**
   * A held issuer's keys are re-read when their cache expires (at most once per TTL; `get`
   * answers fresh keys without a read); an issuer not held is looked up within the
   * forced-read limits.
   */
  private async issuerKeys(issuer: string): Promise<Loaded> {
    if (this.publicKeys.isHeld(issuer)) return absentAsUndefined(this.publicKeys.get(issuer));
    return this.lookups.run(issuer, () => absentAsUndefined(this.publicKeys.lookup(issuer)));
  }

  /** A minter rotated before us: read now (limited) instead of waiting for the TTL. */
  private async newer(issuer: string): Promise<Loaded> {
    return this.refreshes.run(issuer, () => absentAsUndefined(this.publicKeys.refresh(issuer)));
  }
}

function versionOf(keys: IssuerPublicKeys, version: number): EdDsaPublicKey {
  const { issuer, minVersion, latest } = keys;
  if (version < minVersion) {
    throw new AuthError(
      "token_invalid",
      `The token was signed with key version ${issuer}.v${version}, which is retired`,
      {
        hint: `versions below ${minVersion} no longer verify; mint a new token`,
        details: { issuer, version, min_version: minVersion },
      },
    );
  }
  const key = keys.keys.get(version);
  if (key) return key;
  throw new AuthError(
    "token_invalid",
    `The token names key version ${issuer}.v${version}, which is unknown`,
    {
      hint: "the key store does not have that version; was it minted elsewhere?",
      details: { issuer, version, latest },
    },
  );
}

/** "This issuer has no EdDSA key" as undefined; outages still reject (503). */
async function absentAsUndefined(read: Promise<IssuerPublicKeys>): Promise<Loaded> {
  try {
    return await read;
  } catch (error) {
    if (isAuthError(error, "secret_unavailable")) return undefined;
    throw error;
  }
}
