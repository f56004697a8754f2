/**
 * Start-up wiring of the reference services: `--no-auth`, or the auth plane that
 * `resolveAuthConfig` builds from `<PREFIX>_*` variables (Vault, or the embedded store).
 * Kept apart from the server factories so that tests build services without any of it.
 */
import type { AuthService } from "../../src/auth-service.js";
import {
  type ResolveAuthConfigOptions,
  type ResolvedAuthConfig,
  resolveAuthConfig,
} from "../../src/config/index.js";
import type { PublicKeySet } from "../../src/eddsa/public-key-set.js";
import type { Logger } from "../../src/log.js";
import type { AuthMetricSources } from "../../src/metrics.js";
import type { JwtSecretProvider } from "../../src/secrets/provider.js";

/** What a service needs from start-up. `auth: null` means authentication is OFF. */
export type ServiceAuth =
  | { auth: null; reason: string; close(): Promise<void> }
  | {
      auth: AuthService;
      secretProvider: JwtSecretProvider;
      /** e.g. `sqlite ./.gofr-auth/auth.db` or `vault http://vault:8200`. */
      description: string;
      /** What `/metrics` publishes: the key ring, the store and the change poller (if any). */
      metricSources: Omit<AuthMetricSources, "verify">;
      /** The EdDSA issuers' public keys, when some issuer lists EdDSA (for a JWKS route). */
      jwks: { publicKeys: PublicKeySet; issuers: string[] } | undefined;
      close(): Promise<void>;
    };

export interface StartupOptions {
  envPrefix: string;
  /** False when `--no-auth` was given. */
  authFlag: boolean;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Injected by tests; default `resolveAuthConfig` from the config module. */
  resolve?: (options: ResolveAuthConfigOptions) => Promise<ResolvedAuthConfig>;
}

const noop = async () => {};

export const NO_AUTH_WARNING =
  "AUTHENTICATION IS DISABLED: every request is accepted without a token. Never run like this in production.";

/**
 * `--no-auth` wins and skips the store entirely (a service must be able to start for local
 * development with no store at all). Otherwise the config module decides, including
 * `<PREFIX>_NO_AUTH`, and logs its own WARNING for it.
 */
export async function resolveServiceAuth(options: StartupOptions): Promise<ServiceAuth> {
  if (!options.authFlag) {
    options.logger.warn(NO_AUTH_WARNING, { reason: "--no-auth flag" });
    return { auth: null, reason: "--no-auth flag", close: noop };
  }
  const resolve = options.resolve ?? resolveAuthConfig;
  const resolved = await resolve({
    envPrefix: options.envPrefix,
    env: options.env,
    logger: options.logger,
  });
  if (!resolved.authEnabled) {
    return { auth: null, reason: resolved.reason, close: noop };
  }
  return {
    auth: resolved.auth,
    secretProvider: resolved.secretProvider,
    description: `${resolved.backend} ${resolved.location}`,
    metricSources: {
      keyRing: resolved.keyRing,
      store: resolved.store,
      propagation: resolved.propagation,
    },
    jwks: resolved.publicKeys
      ? { publicKeys: resolved.publicKeys, issuers: resolved.eddsaIssuers }
      : undefined,
    close: resolved.close,
  };
}
