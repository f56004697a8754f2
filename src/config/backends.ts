/** Opening the configured store: Vault, or the embedded SQLite file. */
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { EnvSecretSource } from "../secrets/env.js";
import {
  ISSUER_SECRETS_PREFIX,
  type SecretSource,
  type WritableSecretSource,
} from "../secrets/source.js";
import type { AuthStore } from "../store/store.js";
import type { VaultClientOptions } from "../vault/client.js";
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
  close(): Promise<void>;
}

/** What only operators do to a store: list and delete issuer secrets, check the file. */
export interface StoreAdmin {
  /** Issuers with a signing secret of their own (`gofr/config/jwt-signing-secrets/<issuer>`), sorted. */
  issuersWithOwnSecret(): Promise<string[]>;
  /** Deletes the secret `name` with all its versions (Vault: its metadata too). */
  deleteSecret(name: string): Promise<void>;
  /** SQLite's `quick_check` problems (`[]` when sound); undefined for Vault. */
  quickCheck(): string[] | undefined;
}

export interface OpenBackendOptions {
  logger: Logger;
  clock: Clock;
  /** Create the SQLite file when missing. */
  createStore: boolean;
  env: NodeJS.ProcessEnv;
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
  const [{ VaultClient }, { VaultSecretSource }, { VaultAuthStore }] = await Promise.all([
    import("../vault/client.js"),
    import("../secrets/vault.js"),
    import("../store/vault.js"),
  ]);
  const vault = settings.vault as NonNullable<AuthEnv["vault"]>;
  const client = new VaultClient({
    ...vaultConnection(vault),
    clock: options.clock,
    logger: options.logger,
  });
  const secrets = new VaultSecretSource({ client, mount: vault.mount });
  const store = new VaultAuthStore({
    client,
    mount: vault.mount,
    pathPrefix: settings.pathPrefix,
    tokenCacheTtlSeconds: settings.tokenCacheTtlSeconds,
    clock: options.clock,
    logger: options.logger,
  });
  const kv = client.kv(vault.mount);
  const admin: StoreAdmin = {
    // A KV v2 list of the folder (vault-api.md row 8); sub-folders (`name/`) are not issuers.
    issuersWithOwnSecret: async () =>
      (await kv.list(ISSUER_SECRETS_PREFIX)).filter((key) => !key.endsWith("/")).sort(),
    // DELETE metadata/<path> removes every version and the key (vault-api.md row 13, D11).
    deleteSecret: (name) => kv.deleteMetadata(name),
    quickCheck: () => undefined,
  };
  return {
    kind: "vault" as const,
    writableSecretSource: secrets,
    store,
    location: `${vault.url} (${vault.mount}/${settings.pathPrefix})`,
    admin,
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
  };
  return {
    kind: "sqlite" as const,
    writableSecretSource: secrets,
    store,
    location: database.path,
    admin,
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
