export { type OpenedBackend, openBackend } from "./backends.js";
export { detectContainer } from "./container.js";
export { type DoctorOptions, doctor, type Finding, type FindingLevel } from "./doctor.js";
export {
  type AuthEnv,
  DEFAULT_CREDS_FILE,
  DEFAULT_KV_MOUNT,
  DEFAULT_PATH_PREFIX,
  DEFAULT_STORE_FILE,
  DEFAULT_VAULT_TIMEOUT_SECONDS,
  derivedAudiences,
  derivedPathPrefixes,
  normalizePrefix,
  readAuthEnv,
  variableNames,
} from "./env.js";
export {
  type AuthDisabled,
  type AuthEnabled,
  type Backend,
  type ResolveAuthConfigOptions,
  type ResolvedAuthConfig,
  resolveAuthConfig,
} from "./resolve.js";
