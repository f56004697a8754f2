export { AuthContext, type TokenKind } from "./auth-context.js";
export {
  AuthService,
  type AuthServiceOptions,
  type RevokeResult,
  type VerifyTokenOptions,
} from "./auth-service.js";
export { type Clock, systemClock } from "./clock.js";
export {
  type AuthDisabled,
  type AuthEnabled,
  type AuthEnv,
  type Backend,
  type DoctorOptions,
  doctor,
  type Finding,
  type FindingLevel,
  type ResolveAuthConfigOptions,
  type ResolvedAuthConfig,
  readAuthEnv,
  resolveAuthConfig,
} from "./config/index.js";
export {
  DEFAULT_CREDS_FILE,
  DEFAULT_KV_MOUNT,
  DEFAULT_PATH_PREFIX,
  DEFAULT_TRANSIT_MOUNT,
  EDDSA_KEY_PREFIX,
  transitKeyName,
} from "./defaults.js";
export * from "./eddsa/index.js";
export {
  AUTH_ERROR_CODES,
  AuthError,
  type AuthErrorCategory,
  type AuthErrorCode,
  type AuthErrorOptions,
  isAuthError,
} from "./errors.js";
export * from "./groups/index.js";
export * from "./identity/index.js";
export {
  type ConsoleLoggerOptions,
  consoleLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from "./log.js";
export * from "./metrics.js";
export * from "./propagation/index.js";
export * from "./secrets/index.js";
export { SqliteSecretSource, type SqliteSecretSourceOptions } from "./secrets/sqlite.js";
export { VaultSecretSource, type VaultSecretSourceOptions } from "./secrets/vault.js";
export * from "./sqlite/index.js";
export * from "./store/index.js";
export { SqliteAuthStore, type SqliteAuthStoreOptions } from "./store/sqlite.js";
export { VaultAuthStore, type VaultAuthStoreOptions } from "./store/vault.js";
export { formatTimestamp, parseTimestamp } from "./timestamps.js";
export * from "./tokens/index.js";
export * from "./vault/index.js";
