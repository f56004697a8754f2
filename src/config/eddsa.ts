/**
 * EdDSA issuers from configuration: when `<P>_ISSUER_ALGORITHMS` lists EdDSA for some
 * issuer, one {@link PublicKeySet} over the configured backend (Vault Transit or the SQLite
 * file) serves every EdDSA issuer, and a signer is made when some issuer mints EdDSA.
 */
import type { Clock } from "../clock.js";
import { PublicKeySet } from "../eddsa/public-key-set.js";
import type { EdDsaSigner } from "../eddsa/signer.js";
import type { Logger } from "../log.js";
import type { OpenedBackend } from "./backends.js";
import type { AuthEnv } from "./env.js";
import { eddsaIssuers, eddsaMinters } from "./issuer-algorithms.js";

/** What a process needs for EdDSA issuers. */
export interface EdDsaPlane {
  /** Public keys of every EdDSA issuer, cached for `<P>_JWT_SECRET_TTL` like signing secrets. */
  publicKeys: PublicKeySet;
  /**
   * The backend's signer, when some issuer mints EdDSA (its list starts with EdDSA). It reads
   * no private key and calls no sign endpoint until a token is minted, so a service that
   * only verifies needs no signing permission.
   */
  signer: EdDsaSigner | undefined;
  /** Issuers whose tokens may be EdDSA, in the order configured (what a JWKS lists). */
  issuers: string[];
}

/** The EdDSA plane, or undefined when no issuer lists EdDSA (nothing is loaded then). */
export async function openEdDsa(
  settings: AuthEnv,
  backend: Pick<OpenedBackend, "eddsaKeys">,
  options: { clock: Clock; logger: Logger },
): Promise<EdDsaPlane | undefined> {
  const issuers = eddsaIssuers(settings.issuerAlgorithms);
  if (issuers.length === 0) return undefined;
  const source = await backend.eddsaKeys();
  const publicKeys = new PublicKeySet({
    reader: source.reader,
    cacheTtlSeconds: settings.secretTtlSeconds,
    clock: options.clock,
    logger: options.logger,
  });
  const mints = eddsaMinters(settings.issuerAlgorithms).length > 0;
  return { publicKeys, signer: mints ? source.signer(publicKeys) : undefined, issuers };
}
