export { EnvSecretSource, type EnvSecretSourceOptions } from "./env.js";
export { fingerprint, fingerprintBytes } from "./fingerprint.js";
export {
  type IssuerKeyStatus,
  KeyRing,
  type KeyRingOptions,
  type MintingKey,
  SHARED_KEY_LABEL,
} from "./keyring.js";
export { MemorySecretSource, type MemorySecretSourceOptions } from "./memory.js";
export {
  DEFAULT_SECRET_TTL_SECONDS,
  JwtSecretProvider,
  type JwtSecretProviderOptions,
  type SecretProviderStats,
  type SecretRotatedEvent,
} from "./provider.js";
export { SigningKey } from "./signing-key.js";
export {
  type SecretSource,
  type SecretVersion,
  SHARED_SECRET_NAME,
  type WritableSecretSource,
} from "./source.js";
export {
  assertUsableSecret,
  MIN_DISTINCT_CHARACTERS,
  MIN_SECRET_BYTES,
  type UsableSecretOptions,
  weakSecretReason,
} from "./validate.js";
