/**
 * The shared auth plane's canonical Vault locations. Every service uses these unless it
 * deliberately runs its own plane; they are never derived from a service's env prefix.
 */

/** The KV v2 mount everything lives under. */
export const DEFAULT_KV_MOUNT = "secret";

/** Where groups and token records live inside the mount (`secret/gofr/auth/...`). */
export const DEFAULT_PATH_PREFIX = "gofr/auth";

/** Where containers mount a service's AppRole credentials, JSON `{ "role_id", "secret_id" }`. */
export const DEFAULT_CREDS_FILE = "/run/secrets/vault_creds";

/** The Vault Transit mount that holds EdDSA issuers' private keys. */
export const DEFAULT_TRANSIT_MOUNT = "transit";

/** EdDSA key names are `jwt-<issuer>` (Transit key name, change-marker name, SQLite alike). */
export const EDDSA_KEY_PREFIX = "jwt-";

/** The EdDSA key name of `issuer`: `jwt-<issuer>`. */
export function transitKeyName(issuer: string): string {
  return `${EDDSA_KEY_PREFIX}${issuer}`;
}
