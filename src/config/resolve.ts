/**
 * From environment to a ready auth plane: Vault when `<P>_VAULT_URL` is set, else the
 * embedded SQLite store (logged once at WARNING as single-machine mode), else nothing when
 * `<P>_NO_AUTH` is on.
 */
import { AuthService } from "../auth-service.js";
import { type Clock, systemClock } from "../clock.js";
import { transitKeyName } from "../defaults.js";
import type { PublicKeySet } from "../eddsa/public-key-set.js";
import { AuthError } from "../errors.js";
import type { VaultIdentityVerifier } from "../identity/vault-identity.js";
import { consoleLogger, type Logger } from "../log.js";
import { ChangePoller } from "../propagation/poller.js";
import { KeyRing } from "../secrets/keyring.js";
import type { JwtSecretProvider } from "../secrets/provider.js";
import type { WritableSecretSource } from "../secrets/source.js";
import type { AuthStore } from "../store/store.js";
import type { VaultTimers } from "../vault/timers.js";
import { type OpenedBackend, openBackend, type StoreAdmin } from "./backends.js";
import { type EdDsaPlane, openEdDsa } from "./eddsa.js";
import { type AuthEnv, readAuthEnv } from "./env.js";
import { createVaultIdentityVerifier } from "./vault-identity.js";

export type Backend = "vault" | "sqlite";

export interface ResolveAuthConfigOptions {
  /** e.g. `GOFR_DIG`; variables are read as `GOFR_DIG_VAULT_URL`, ... */
  envPrefix: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
  /** Read the signing secret now so a broken store fails at start-up. Default true. */
  checkSecret?: boolean;
  /** Create the embedded store file when missing. Default true (doctor passes false). */
  createStore?: boolean;
  /** Log the single-machine-mode WARNING (services: yes; the CLI says it its own way). */
  singleMachineWarning?: boolean;
  /**
   * Vault: follow the change marker (one read per `<P>_PROPAGATION_SECONDS`, unless 0), so
   * rotations and revocations made elsewhere reach this process within that interval.
   * Default: as `checkSecret`, i.e. services do; the CLI and doctor, which run one command
   * and pass `checkSecret: false`, do not (they still write the marker).
   */
  followChanges?: boolean;
  /** Schedules marker polls and Vault token renewal. Default: unref'd `setTimeout` (tests: `ManualTimers`). */
  timers?: VaultTimers;
}

export interface AuthDisabled {
  authEnabled: false;
  reason: string;
  settings: AuthEnv;
}

export interface AuthEnabled {
  authEnabled: true;
  auth: AuthService;
  /** The shared secret's provider (`keyRing.shared`). */
  secretProvider: JwtSecretProvider;
  /** Per-issuer secrets with shared fallback. */
  keyRing: KeyRing;
  /** Where signing secrets are written by operators (`init`, `secrets rotate`). */
  secretSource: WritableSecretSource;
  store: AuthStore;
  audience: string;
  pathPrefix: string;
  issuer: string;
  backend: Backend;
  /** Where the data lives, for banners: the Vault URL or the SQLite file. */
  location: string;
  /** Operator work: list and delete issuer secrets, check the SQLite file (CLI, doctor). */
  admin: StoreAdmin;
  settings: AuthEnv;
  /**
   * The change marker poller (Vault with `<P>_PROPAGATION_SECONDS` > 0 and `followChanges`):
   * its `stats` are the propagation metrics. Undefined on SQLite or when off.
   */
  propagation?: ChangePoller;
  /**
   * EdDSA issuers' public keys (one set for all of them), when `<P>_ISSUER_ALGORITHMS` lists
   * EdDSA for some issuer; followed by the change poller like signing secrets.
   */
  publicKeys?: PublicKeySet;
  /** The issuers whose tokens may be EdDSA (`[]` when none): what a JWKS endpoint lists. */
  eddsaIssuers: string[];
  /**
   * Verifies the Vault identity tokens `auth` accepts (`<P>_VAULT_IDENTITY_AUDIENCE`);
   * undefined when off. Closed by `close()`.
   */
  vaultIdentity?: VaultIdentityVerifier;
  /** Stops the poller and renewal timers, and closes files and connections. */
  close(): Promise<void>;
}

export type ResolvedAuthConfig = AuthDisabled | AuthEnabled;

export async function resolveAuthConfig(
  options: ResolveAuthConfigOptions,
): Promise<ResolvedAuthConfig> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? consoleLogger({ name: "gofr-auth" });
  const clock = options.clock ?? systemClock;
  const settings = readAuthEnv(options.envPrefix, env);

  if (settings.noAuth) {
    const reason = `${settings.prefix}_NO_AUTH is set`;
    logger.warn("AUTHENTICATION IS DISABLED: every request is accepted without a token", {
      reason,
    });
    return { authEnabled: false, reason, settings };
  }

  const backend = await openBackend(settings, {
    logger,
    clock,
    createStore: options.createStore ?? true,
    env,
    timers: options.timers,
  });
  if (backend.kind === "sqlite" && (options.singleMachineWarning ?? true)) {
    logger.warn("Single-machine mode: auth data and signing secrets are in a local SQLite file", {
      file: backend.location,
      hint: `set ${settings.prefix}_VAULT_URL to share one auth plane across machines`,
    });
  }
  const keyRing = new KeyRing({
    source: backend.secretSource,
    strict: settings.strictIssuerKeys,
    acceptSharedKey: settings.acceptSharedKey,
    cacheTtlSeconds: settings.secretTtlSeconds,
    clock,
    logger,
  });
  const secretProvider = keyRing.shared;
  let eddsa: EdDsaPlane | undefined;
  let vaultIdentity: VaultIdentityVerifier | undefined;
  try {
    eddsa = await openEdDsa(settings, backend, { clock, logger });
    vaultIdentity =
      settings.vaultIdentity &&
      settings.vault &&
      createVaultIdentityVerifier(settings.vaultIdentity, settings.vault, { clock, logger });
  } catch (error) {
    await backend.close();
    throw error;
  }
  const propagation =
    (options.followChanges ?? options.checkSecret ?? true)
      ? changePoller(backend, keyRing, eddsa?.publicKeys, settings, {
          clock,
          logger,
          timers: options.timers,
        })
      : undefined;
  const close = async () => {
    propagation?.stop();
    await vaultIdentity?.close();
    await backend.close();
  };
  const auth = new AuthService({
    store: backend.store,
    keyRing,
    audience: settings.audience,
    issuer: settings.issuer,
    trustedIssuers: settings.trustedIssuers,
    rotationGraceSeconds: settings.rotationGraceSeconds,
    issuerAlgorithms: settings.issuerAlgorithms,
    publicKeys: eddsa?.publicKeys,
    eddsaSigner: eddsa?.signer,
    vaultIdentity,
    clock,
    logger,
  });
  const resolved: AuthEnabled = {
    authEnabled: true,
    auth,
    secretProvider,
    keyRing,
    secretSource: backend.writableSecretSource,
    store: backend.store,
    audience: settings.audience,
    pathPrefix: settings.pathPrefix,
    issuer: settings.issuer,
    backend: backend.kind,
    location: backend.location,
    admin: backend.admin,
    settings,
    propagation,
    publicKeys: eddsa?.publicKeys,
    eddsaIssuers: eddsa?.issuers ?? [],
    vaultIdentity,
    close,
  };
  // Before the first secret read: where the marker stands now is what later polls compare to.
  await propagation?.start();
  if (options.checkSecret ?? true) {
    try {
      const key = await startupKey(settings, keyRing, eddsa);
      logger.info("Auth ready", {
        backend: backend.kind,
        location: backend.location,
        path_prefix: settings.pathPrefix,
        audience: settings.audience,
        secret: key.name,
        secret_version: key.version,
        fingerprint: key.fingerprint,
        ...(eddsa ? { eddsa_issuers: eddsa.issuers } : {}),
        ...(settings.vaultIdentity
          ? {
              vault_identity_issuer: settings.vaultIdentity.issuer,
              vault_identity_audience: settings.vaultIdentity.audience,
            }
          : {}),
      });
    } catch (error) {
      await close();
      throw error;
    }
  }
  return resolved;
}

/**
 * The key read at start-up so a broken store fails then: the service issuer's EdDSA key
 * when it mints EdDSA, else the shared secret, or (without the shared key) its own secret.
 */
async function startupKey(
  settings: AuthEnv,
  keyRing: KeyRing,
  eddsa: EdDsaPlane | undefined,
): Promise<{ name: string; version: number; fingerprint: string }> {
  if (eddsa && settings.issuerAlgorithms?.[settings.issuer]?.[0] === "EdDSA") {
    const keys = await eddsa.publicKeys.get(settings.issuer);
    const latest = keys.keys.get(keys.latest);
    if (latest) return latest;
    throw new AuthError(
      "secret_invalid",
      `EdDSA key '${transitKeyName(settings.issuer)}' has no public key for its latest version ${keys.latest}`,
      { details: { issuer: settings.issuer, version: keys.latest } },
    );
  }
  return settings.acceptSharedKey
    ? await keyRing.shared.getKey()
    : (await keyRing.mintingKey(settings.issuer)).key;
}

/** The poller of a Vault backend when propagation is on; undefined otherwise. */
function changePoller(
  backend: OpenedBackend,
  keyRing: KeyRing,
  publicKeys: PublicKeySet | undefined,
  settings: AuthEnv,
  options: { clock: Clock; logger: Logger; timers: VaultTimers | undefined },
): ChangePoller | undefined {
  if (!backend.changes || settings.propagationSeconds <= 0) return undefined;
  return new ChangePoller({
    marker: backend.changes.marker,
    records: backend.changes.records,
    keyRing,
    publicKeys,
    intervalSeconds: settings.propagationSeconds,
    ...options,
  });
}
