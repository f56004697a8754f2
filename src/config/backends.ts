/** Opening the configured store: Vault, or the embedded SQLite file. */
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { EnvSecretSource } from "../secrets/env.js";
import type { SecretSource, WritableSecretSource } from "../secrets/source.js";
import type { AuthStore } from "../store/store.js";
import type { AuthEnv } from "./env.js";

export interface OpenedBackend {
  kind: "vault" | "sqlite";
  /** Where signing secrets are read (the store, or legacy env variables). */
  secretSource: SecretSource;
  /** Where operators write secrets: always the store, never env. */
  writableSecretSource: WritableSecretSource;
  store: AuthStore;
  location: string;
  close(): Promise<void>;
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
  return {
    kind: "vault" as const,
    writableSecretSource: secrets,
    store,
    location: `${vault.url} (${vault.mount}/${settings.pathPrefix})`,
    close: () => client.close(),
  };
}

async function openSqlite(settings: AuthEnv, options: OpenBackendOptions) {
  const [{ openAuthDatabase }, { SqliteSecretSource }, { SqliteAuthStore }] = await Promise.all([
    import("../sqlite/database.js"),
    import("../secrets/sqlite.js"),
    import("../store/sqlite.js"),
  ]);
  const database = openAuthDatabase({
    path: settings.storeFile,
    create: options.createStore,
    logger: options.logger,
  });
  const secrets = new SqliteSecretSource({ database, clock: options.clock });
  const store = new SqliteAuthStore({ database });
  return {
    kind: "sqlite" as const,
    writableSecretSource: secrets,
    store,
    location: database.path,
    close: async () => database.close(),
  };
}
