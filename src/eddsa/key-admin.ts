/**
 * Operator work on EdDSA issuers' keys behind one interface, whichever store holds them
 * (Vault Transit or the embedded SQLite file): what `gofr-auth keys` calls through
 * `StoreAdmin.eddsaKeys()`. Nothing here returns a private key.
 */
import type { EdDsaKeyListing, EdDsaKeyVersion } from "./sqlite-admin.js";

export interface EdDsaKeyAdmin {
  /** Where the keys are, for messages: `Vault transit mount 'transit'`, `the embedded store`. */
  readonly description: string;
  /** Creates the issuer's key (version 1); `invalid_input` when it has one. */
  create(issuer: string): Promise<EdDsaKeyVersion>;
  /** Adds the next version (it signs from now on); `secret_unavailable` when there is no key. */
  rotate(issuer: string): Promise<EdDsaKeyVersion>;
  /** Sets the floor: versions below `minVersion` stop verifying (`1 <= minVersion <= latest`). */
  retire(issuer: string, minVersion: number): Promise<EdDsaKeyListing>;
  /**
   * The issuer's versions, fingerprints and floor; `secret_unavailable` when it has no key.
   * Vault lists only versions at or above the floor; SQLite lists retired ones as such.
   */
  list(issuer: string): Promise<EdDsaKeyListing>;
  /** The issuers that have a key, sorted. */
  issuers(): Promise<string[]>;
}
