/** Opening the configured store: Vault, or the embedded SQLite file. */
import type { Clock } from "../clock.js";
import type { EdDsaKeyAdmin } from "../eddsa/key-admin.js";
import type { PublicKeyReader } from "../eddsa/public-key.js";
import type { PublicKeySet } from "../eddsa/public-key-set.js";
import type { EdDsaSigner } from "../eddsa/signer.js";
import { type Logger, silentLogger } from "../log.js";
import type { ChangeMarker } from "../propagation/marker.js";
import type { RecordChangeTarget } from "../propagation/poller.js";
import { EnvSecretSource } from "../secrets/env.js";
import {
  ISSUER_SECRETS_PREFIX,
  type SecretSource,
  type WritableSecretSource,
} from "../secrets/source.js";
import type { AuthStore } from "../store/store.js";
import type { VaultClient, VaultClientOptions } from "../vault/client.js";
import type { VaultTimers } from "../vault/timers.js";
import type { AuthEnv } from "./env.js";

export interface OpenedBackend {
  kind: "vault" | "sqlite";
  /** Where signing secrets are read (the store, or legacy env variables). */
  secretSource: SecretSource;
  /** Where operators write secrets: always the store, never env. */
  writableSecretSource: WritableSecretSource;
  store: AuthStore;
  location: string;
  /** Operator work the generic interfaces do not offer (the CLI's and doctor's). */
  admin: StoreAdmin;
  /**
   * Vault: the change marker every write through this backend appends to, and the store
   * whose cached records a `ChangePoller` forgets. Undefined for SQLite (its providers and
   * store see other processes' commits on the next request).
   */
  changes: { marker: ChangeMarker; records: RecordChangeTarget } | undefined;
  /**
   * EdDSA issuers' keys on this backend (Vault: the `<P>_TRANSIT_MOUNT` Transit mount;
   * SQLite: the file's `eddsa_keys`). Loaded on demand: only when some issuer lists EdDSA.
   */
  eddsaKeys(): Promise<EdDsaKeySource>;
  close(): Promise<void>;
}

/** Where a backend reads EdDSA public keys and signs. */
export interface EdDsaKeySource {
  reader: PublicKeyReader;
  /** A signer (nothing is read until it signs); Vault takes the latest version from `publicKeys`. */
  signer(publicKeys: PublicKeySet): EdDsaSigner;
}

/**
 * What only operators do to a store: list and delete issuer secrets, check the file,
 * manage EdDSA issuers' keys.
 */
export interface StoreAdmin {
  /** Issuers with a signing secret of their own (`gofr/config/jwt-signing-secrets/<issuer>`), sorted. */
  issuersWithOwnSecret(): Promise<string[]>;
  /** Deletes the secret `name` with all its versions (Vault: its metadata too). */
  deleteSecret(name: string): Promise<void>;
  /** SQLite's `quick_check` problems (`[]` when sound); undefined for Vault. */
  quickCheck(): string[] | undefined;
  /**
   * EdDSA issuers' keys: create, rotate, retire, list (Vault: the `<P>_TRANSIT_MOUNT`
   * Transit mount, each change signalled on the change marker; SQLite: the file). Loaded
   * on first use.
   */
  eddsaKeys(): Promise<EdDsaKeyAdmin>;
}

export interface OpenBackendOptions {
  logger: Logger;
  clock: Clock;
  /** Create the SQLite file when missing. */
  createStore: boolean;
  env: NodeJS.ProcessEnv;
  /** Vault: schedules token renewal. Default: unref'd `setTimeout`. */
  timers?: VaultTimers;
}

export async function openBackend(
  settings: AuthEnv,
  options: OpenBackendOptions,
): Promise<OpenedBackend> {
  const opened = settings.vault
    ? await openVault(settings, options)
    : await openSqlite(settings, options);
  const envSource =
    settings.secretSource === "env" ? new EnvSecretSource({ env: options.env }) : undefined;
  if (envSource) {
    options.logger.warn("Signing secrets come from JWT_SECRET_* environment variables (legacy)", {
      hint: `move them to the store and unset ${settings.prefix}_SECRET_SOURCE`,
    });
  }
  return { ...opened, secretSource: envSource ?? opened.writableSecretSource };
}

// Each backend is imported on demand: a Vault deployment never loads the native SQLite
// addon, and the embedded store never loads the HTTP client.
async function openVault(settings: AuthEnv, options: OpenBackendOptions) {
  const [{ VaultClient }, { VaultSecretSource }, { VaultAuthStore }, { ChangeMarker }] =
    await Promise.all([
      import("../vault/client.js"),
      import("../secrets/vault.js"),
      import("../store/vault.js"),
      import("../propagation/marker.js"),
    ]);
  const vault = settings.vault as NonNullable<AuthEnv["vault"]>;
  const { clock, logger } = options;
  const client = new VaultClient({
    ...vaultConnection(vault),
    clock,
    logger,
    timers: options.timers,
  });
  const kv = client.kv(vault.mount);
  // Every writer through this backend (the CLI's rotations, revocations and deletions, a
  // service's own revocations) signals the change to the fleet's pollers.
  const marker = new ChangeMarker({ kv, pathPrefix: settings.pathPrefix, clock, logger });
  const secrets = new VaultSecretSource({ client, mount: vault.mount, changes: marker });
  const store = new VaultAuthStore({
    client,
    mount: vault.mount,
    pathPrefix: settings.pathPrefix,
    tokenCacheTtlSeconds: settings.tokenCacheTtlSeconds,
    changes: marker,
    clock,
    logger,
  });
  const admin: StoreAdmin = {
    // A KV v2 list of the folder (vault-api.md row 8); sub-folders (`name/`) are not issuers.
    issuersWithOwnSecret: async () =>
      (await kv.list(ISSUER_SECRETS_PREFIX)).filter((key) => !key.endsWith("/")).sort(),
    // DELETE metadata/<path> removes every version and the key (vault-api.md row 13, D11).
    deleteSecret: async (name) => {
      await kv.deleteMetadata(name);
      await marker.signal({ kind: "secret", name: name.replace(/^\/+|\/+$/g, "") });
    },
    quickCheck: () => undefined,
    eddsaKeys: async () => {
      const [{ VaultTransit }, { vaultEdDsaKeyAdmin }] = await Promise.all([
        import("../vault/transit.js"),
        import("../eddsa/vault-admin.js"),
      ]);
      const transit = new VaultTransit(client, settings.transitMount);
      return vaultEdDsaKeyAdmin({ transit, changes: marker });
    },
  };
  const eddsaKeys = async (): Promise<EdDsaKeySource> => {
    const [{ VaultTransit }, { VaultEdDsaSigner, VaultPublicKeyReader }] = await Promise.all([
      import("../vault/transit.js"),
      import("../eddsa/vault.js"),
    ]);
    const transit = new VaultTransit(client, settings.transitMount);
    return {
      reader: new VaultPublicKeyReader(transit),
      signer: (publicKeys) => new VaultEdDsaSigner({ transit, publicKeys }),
    };
  };
  return {
    kind: "vault" as const,
    writableSecretSource: secrets,
    store,
    location: `${vault.url} (${vault.mount}/${settings.pathPrefix})`,
    admin,
    changes: { marker, records: store },
    eddsaKeys,
    close: () => client.close(),
  };
}

async function openSqlite(settings: AuthEnv, options: OpenBackendOptions) {
  const [{ openAuthDatabase }, { SqliteSecretSource }, { SqliteAuthStore }, secretAdmin] =
    await Promise.all([
      import("../sqlite/database.js"),
      import("../secrets/sqlite.js"),
      import("../store/sqlite.js"),
      import("../sqlite/secret-admin.js"),
    ]);
  const database = openAuthDatabase({
    path: settings.storeFile,
    create: options.createStore,
    logger: options.logger,
  });
  const secrets = new SqliteSecretSource({ database, clock: options.clock });
  const store = new SqliteAuthStore({ database, logger: options.logger });
  const admin: StoreAdmin = {
    issuersWithOwnSecret: async () => secretAdmin.listSecretNames(database, ISSUER_SECRETS_PREFIX),
    deleteSecret: async (name) => {
      secretAdmin.deleteSecret(database, name);
    },
    quickCheck: () => database.quickCheck(),
    eddsaKeys: async () => {
      const { sqliteEdDsaKeyAdmin } = await import("../eddsa/sqlite-admin.js");
      return sqliteEdDsaKeyAdmin(database, { clock: options.clock });
    },
  };
  const eddsaKeys = async (): Promise<EdDsaKeySource> => {
    const { SqliteEdDsaSigner, SqlitePublicKeyReader } = await import("../eddsa/sqlite.js");
    return {
      reader: new SqlitePublicKeyReader({ database }),
      signer: () => new SqliteEdDsaSigner({ database }),
    };
  };
  return {
    kind: "sqlite" as const,
    writableSecretSource: secrets,
    store,
    location: database.path,
    admin,
    changes: undefined,
    eddsaKeys,
    close: async () => database.close(),
  };
}

/**
 * Where and as whom a service talks to Vault, from its `<PREFIX>_VAULT_*` settings: the
 * address, a static token or AppRole (creds file re-read at each login), namespace, CA file
 * and timeout. Shared by the stores and by doctor, so doctor checks what the service uses.
 */
export function vaultConnection(
  vault: NonNullable<AuthEnv["vault"]>,
): Pick<VaultClientOptions, "address" | "auth" | "namespace" | "caFile" | "timeoutMs"> {
  return {
    address: vault.url,
    auth: vault.token
      ? { method: "token", token: vault.token }
      : {
          method: "approle",
          roleId: vault.roleId,
          secretId: vault.secretId,
          credsFile: vault.credsFile,
        },
    namespace: vault.namespace,
    caFile: vault.caCertFile,
    timeoutMs: vault.timeoutSeconds * 1000,
  };
}

/**
 * Runs one look-up with a short-lived client built like the service's (no retries, silent),
 * closed afterwards: what doctor's live Vault checks use. The client module is imported on
 * demand, as the stores do: a SQLite deployment never loads the HTTP client.
 */
export async function withVaultClient<T>(
  vault: NonNullable<AuthEnv["vault"]>,
  use: (client: VaultClient) => Promise<T>,
): Promise<T> {
  const { VaultClient } = await import("../vault/client.js");
  const client = new VaultClient({
    ...vaultConnection(vault),
    maxRetries: 0,
    logger: silentLogger,
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
