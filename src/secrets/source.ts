/** Where signing secrets live: Vault, the embedded SQLite store, memory, legacy env vars. */

/** The name (store path) of the fleet's shared signing secret. */
export const SHARED_SECRET_NAME = "gofr/config/jwt-signing-secret";

/** Where an issuer's own secret lives (`gofr/config/jwt-signing-secrets/<issuer>`). */
export const ISSUER_SECRETS_PREFIX = "gofr/config/jwt-signing-secrets";

export function issuerSecretName(issuer: string): string {
  return `${ISSUER_SECRETS_PREFIX}/${issuer}`;
}

/** One version of one secret, as a store returns it. */
export interface SecretVersion {
  value: string;
  /** Monotonic per name, starting at 1 (Vault KV v2 semantics). */
  version: number;
  createdAt: Date;
}

export interface SecretSource {
  /** Where the secrets come from, for messages (e.g. `vault http://vault:8200 mount secret`). */
  readonly description: string;
  /**
   * The latest version of `name`, or the given version. Rejects with an `AuthError`
   * (`secret_unavailable` when absent, a `vault_*` or `store_unavailable` code when the
   * store fails). `secret_unavailable` is the only "not found": a key ring reads it as
   * "this issuer has no own secret" and falls back to the shared one, so a source must
   * never use it for a failure. Any other rejection (a plain `Error` too) is an outage:
   * callers fail closed (503).
   */
  read(name: string, version?: number): Promise<SecretVersion>;
  /**
   * True for in-process sources whose values come from code (the memory source of tests):
   * providers then skip the weak-value rules (`weakSecretReason`). Absent means false.
   */
  readonly allowsWeakSecrets?: boolean;
  /**
   * A number that changes whenever any secret in the store may have changed (written by
   * this process or another), read synchronously and cheaply: providers call it on every
   * access and re-read when it moved, so a rotation is used on the next request instead of
   * after the cache TTL. Optional: sources without it (Vault, memory, env) cost nothing
   * here and rely on the TTL (Vault: and on the change marker, see `ChangePoller`).
   */
  generation?(): number;
}

/** A source operators can write to (rotation, `init`). Each write makes a new version. */
export interface WritableSecretSource extends SecretSource {
  write(name: string, value: string): Promise<SecretVersion>;
  /**
   * Writes version 1 only if `name` has never been written (atomic where the store allows:
   * KV v2 `cas: 0`, an SQLite transaction). Returns undefined when it already existed.
   * `init` relies on this never to overwrite (and so never to rotate) a live secret.
   */
  writeIfAbsent?(name: string, value: string): Promise<SecretVersion | undefined>;
}

/**
 * Creates `name` only if it has never been written; undefined when it exists. Atomic when the
 * source implements `writeIfAbsent`; otherwise a read-then-write (fine for one operator).
 */
export async function createSecretIfAbsent(
  source: WritableSecretSource,
  name: string,
  value: string,
): Promise<SecretVersion | undefined> {
  if (source.writeIfAbsent) return source.writeIfAbsent(name, value);
  try {
    await source.read(name);
    return undefined;
  } catch (error) {
    if ((error as { code?: string }).code !== "secret_unavailable") throw error;
    return source.write(name, value);
  }
}
