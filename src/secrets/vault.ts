/**
 * Signing secrets in Vault KV v2: the secret named `gofr/config/jwt-signing-secret` lives at
 * `secret/data/gofr/config/jwt-signing-secret` with the value in field `value`, as the
 * Python fleet and `vault kv put secret/<path> value=...` store it. Versions and creation
 * times come from KV v2's metadata, so rotation is a plain new version.
 */
import { DEFAULT_KV_MOUNT } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import type { ChangeMarker } from "../propagation/marker.js";
import type { VaultClient } from "../vault/client.js";
import type { KvSecret, KvV2 } from "../vault/kv.js";
import type { SecretVersion, WritableSecretSource } from "./source.js";

export interface VaultSecretSourceOptions {
  client: VaultClient;
  /** KV v2 mount. Default `secret`. */
  mount?: string;
  /** Field holding the secret. Default `value`. */
  field?: string;
  /** Let providers accept weak values (see `weakSecretReason`); tests only. Default false. */
  allowWeakSecrets?: boolean;
  /**
   * The auth store's change marker: each write appends a `secret` entry to it, so running
   * services re-read the secret within their propagation interval. Without it they see a
   * rotation within their secret cache TTL.
   */
  changes?: ChangeMarker;
}

export class VaultSecretSource implements WritableSecretSource {
  readonly description: string;
  readonly mount: string;
  readonly field: string;
  readonly allowsWeakSecrets: boolean;
  private readonly kv: KvV2;
  private readonly changes: ChangeMarker | undefined;

  constructor(options: VaultSecretSourceOptions) {
    this.mount = options.mount ?? DEFAULT_KV_MOUNT;
    this.field = options.field ?? "value";
    this.allowsWeakSecrets = options.allowWeakSecrets ?? false;
    this.kv = options.client.kv(this.mount);
    this.changes = options.changes;
    this.description = `${options.client.description} mount ${this.mount}`;
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    let secret: KvSecret;
    try {
      secret = await this.kv.read(name, { version });
    } catch (error) {
      if (isAuthError(error, "vault_not_found")) throw this.missing(name, version, error);
      throw error;
    }
    const value = secret.data[this.field];
    if (typeof value !== "string") {
      const fields = Object.keys(secret.data);
      throw new AuthError(
        "secret_invalid",
        `Vault secret ${this.where(name)} (version ${secret.version}) has no string field '${this.field}'` +
          ` (fields: ${fields.length ? fields.join(", ") : "none"})`,
        {
          hint: `store it as: vault kv put ${this.where(name)} ${this.field}=...`,
          details: { secret: name, mount: this.mount, version: secret.version, fields },
        },
      );
    }
    return { value, version: secret.version, createdAt: secret.createdAt };
  }

  /**
   * Writes a new version (rotation) and signals it in the change marker, if given (a failed
   * signal is logged, not thrown: the rotation is done). Other fields are not kept.
   */
  async write(name: string, value: string): Promise<SecretVersion> {
    const written = await this.kv.write(name, { [this.field]: value });
    const path = name.replace(/^\/+|\/+$/g, "");
    await this.changes?.signal({ kind: "secret", name: path, version: written.version });
    return { value, version: written.version, createdAt: written.createdAt };
  }

  private where(name: string): string {
    return `${this.mount}/${name.replace(/^\/+|\/+$/g, "")}`;
  }

  private missing(name: string, version: number | undefined, cause: AuthError): AuthError {
    const deleted = cause.details.deleted === true;
    const what =
      version === undefined ? this.where(name) : `${this.where(name)} version ${version}`;
    const hint = deleted
      ? `it was deleted; undelete it (vault kv undelete -versions=${String(cause.details.version)} ${this.where(name)}) or write a new version`
      : version === undefined
        ? `create it: vault kv put ${this.where(name)} ${this.field}=$(openssl rand -base64 32)`
        : `that version does not exist or was pruned; see vault kv metadata get ${this.where(name)}`;
    return new AuthError(
      "secret_unavailable",
      `No signing secret at ${what} in Vault (404${deleted ? ", deleted" : ""})`,
      { hint, cause, details: { secret: name, mount: this.mount, version } },
    );
  }
}
