/**
 * Operator work on EdDSA issuers' keys in Vault Transit: create, rotate, retire old
 * versions, list. Each change appends a `secret` entry named `jwt-<issuer>` to the change
 * marker (as `VaultSecretSource.write` does for signing secrets), so running services
 * re-read that issuer's public keys within their propagation interval. A failed append is
 * logged by the marker, not thrown: the change is done, and services see it within their
 * public key cache TTL instead.
 */
import { EDDSA_KEY_PREFIX, transitKeyName } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import type { ChangeMarker } from "../propagation/marker.js";
import { fingerprintBytes } from "../secrets/fingerprint.js";
import type { TransitKeyInfo, VaultTransit } from "../vault/transit.js";
import { assertIssuerName } from "./issuer-name.js";
import type { EdDsaKeyAdmin } from "./key-admin.js";
import type { EdDsaKeyListing, EdDsaKeyVersion } from "./sqlite-admin.js";
import { missing, readTransitKey } from "./vault.js";

/** Where the admin functions work: a Transit mount, and the marker to signal changes in. */
export interface VaultEdDsaAdmin {
  transit: VaultTransit;
  /** The auth store's change marker. Without it, services see changes within their TTL. */
  changes?: ChangeMarker;
}

/**
 * Creates the issuer's ed25519 key (version 1). Refuses an issuer that has one
 * (`invalid_input`; Vault leaves an existing key as it is, vault-api.md row 43). Needs
 * `update` on `<mount>/keys/jwt-<issuer>`.
 */
export async function createVaultEdDsaKey(
  admin: VaultEdDsaAdmin,
  issuer: string,
): Promise<EdDsaKeyVersion> {
  assertIssuerName(issuer);
  const name = transitKeyName(issuer);
  const created = await admin.transit.createKey(name);
  if (!created.created) {
    throw new AuthError("invalid_input", `EdDSA key '${name}' exists`, {
      hint: "rotate it instead",
      details: { issuer, mount: admin.transit.mount },
    });
  }
  await signal(admin, issuer, created.latestVersion);
  return latestVersionOf(created);
}

/**
 * Adds the next version, which mints from now on; older versions still verify. Needs
 * `update` on `<mount>/keys/jwt-<issuer>/rotate`.
 */
export async function rotateVaultEdDsaKey(
  admin: VaultEdDsaAdmin,
  issuer: string,
): Promise<EdDsaKeyVersion> {
  assertIssuerName(issuer);
  let rotated: TransitKeyInfo;
  try {
    rotated = await admin.transit.rotateKey(transitKeyName(issuer));
  } catch (error) {
    // `pathRotateWrite` answers a missing key with 400 "key not found" (vault-api.md row 47).
    throw notFoundAs(error, ": key not found)", admin.transit, issuer);
  }
  await signal(admin, issuer, rotated.latestVersion);
  return latestVersionOf(rotated);
}

/**
 * Versions below `minVersion` stop verifying (their tokens are refused once services see
 * the change) and signing: sets both `min_decryption_version` (Vault archives the lower
 * versions, rows 48-49) and `min_encryption_version` to it. `1 <= minVersion <= latest`;
 * a lower value brings archived versions back. Needs `read` on `<mount>/keys/jwt-<issuer>`
 * and `update` on its `/config`.
 */
export async function retireVaultEdDsaKeys(
  admin: VaultEdDsaAdmin,
  issuer: string,
  minVersion: number,
): Promise<EdDsaKeyListing> {
  assertIssuerName(issuer);
  const { latestVersion } = await readTransitKey(admin.transit, issuer);
  if (!Number.isSafeInteger(minVersion) || minVersion < 1 || minVersion > latestVersion) {
    throw new AuthError("invalid_input", `minVersion must be a whole number 1..${latestVersion}`, {
      hint: "the latest version always signs; rotate first to retire it",
      details: { issuer, min_version: minVersion, latest: latestVersion },
    });
  }
  let configured: TransitKeyInfo;
  try {
    configured = await admin.transit.configureKey(transitKeyName(issuer), {
      minDecryptionVersion: minVersion,
      minEncryptionVersion: minVersion,
    });
  } catch (error) {
    // `pathKeysConfigWrite`: 400 "no existing key named <name> could be found" (row 48).
    throw notFoundAs(error, " could be found)", admin.transit, issuer);
  }
  await signal(admin, issuer, configured.latestVersion);
  return listingOf(issuer, configured);
}

/**
 * The issuer's versions with fingerprints and floor; `secret_unavailable` when it has no
 * key. Vault does not show archived (retired) versions, so every version listed verifies.
 */
export async function listVaultEdDsaKeys(
  admin: VaultEdDsaAdmin,
  issuer: string,
): Promise<EdDsaKeyListing> {
  assertIssuerName(issuer);
  return listingOf(issuer, await readTransitKey(admin.transit, issuer));
}

/**
 * The issuers with a key on the mount (`jwt-<issuer>`, other keys ignored), sorted. Needs
 * `list` on `<mount>/keys` (see `VaultTransit.listKeys`).
 */
export async function listVaultEdDsaIssuers(admin: VaultEdDsaAdmin): Promise<string[]> {
  return (await admin.transit.listKeys())
    .filter((name) => name.startsWith(EDDSA_KEY_PREFIX))
    .map((name) => name.slice(EDDSA_KEY_PREFIX.length))
    .filter(isIssuerName)
    .sort();
}

/** The functions above as an {@link EdDsaKeyAdmin} over `admin`. */
export function vaultEdDsaKeyAdmin(admin: VaultEdDsaAdmin): EdDsaKeyAdmin {
  return {
    description: `Vault transit mount '${admin.transit.mount}'`,
    create: (issuer) => createVaultEdDsaKey(admin, issuer),
    rotate: (issuer) => rotateVaultEdDsaKey(admin, issuer),
    retire: (issuer, minVersion) => retireVaultEdDsaKeys(admin, issuer, minVersion),
    list: (issuer) => listVaultEdDsaKeys(admin, issuer),
    issuers: () => listVaultEdDsaIssuers(admin),
  };
}

function isIssuerName(name: string): boolean {
  try {
    assertIssuerName(name);
    return true;
  } catch {
    return false;
  }
}

function listingOf(issuer: string, info: TransitKeyInfo): EdDsaKeyListing {
  const versions = [...info.publicKeys].map(([version, entry]) => ({
    version,
    createdAt: entry.createdAt,
    fingerprint: fingerprintBytes(entry.raw),
    retired: false,
  }));
  return {
    issuer,
    key: transitKeyName(issuer),
    latest: info.latestVersion,
    minVersion: Math.max(1, info.minDecryptionVersion),
    versions,
  };
}

function latestVersionOf(info: TransitKeyInfo): EdDsaKeyVersion {
  // `readKey`-shaped answers always hold the latest version (transit.ts `keyInfo` checks it).
  const entry = info.publicKeys.get(info.latestVersion) as NonNullable<
    ReturnType<TransitKeyInfo["publicKeys"]["get"]>
  >;
  return {
    version: info.latestVersion,
    createdAt: entry.createdAt,
    fingerprint: fingerprintBytes(entry.raw),
    retired: false,
  };
}

async function signal(admin: VaultEdDsaAdmin, issuer: string, version: number): Promise<void> {
  await admin.changes?.signal({ kind: "secret", name: transitKeyName(issuer), version });
}

/** Vault's 400 for a missing key (its text ends with `ending`) as `secret_unavailable`. */
function notFoundAs(
  error: unknown,
  ending: string,
  transit: VaultTransit,
  issuer: string,
): unknown {
  const absent =
    isAuthError(error, "vault_bad_response") &&
    error.details.status === 400 &&
    error.message.includes(ending);
  return absent ? missing(transit, issuer, error) : error;
}
