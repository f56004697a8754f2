/** The Vault HTTP client: KV v2, transit, token and AppRole auth, renewal, retries, timeouts. */

export { DEFAULT_TRANSIT_MOUNT } from "../defaults.js";
export type {
  AppRoleAuthOptions,
  RenewalOptions,
  SessionStats,
  TokenAuthOptions,
  VaultAuthOptions,
} from "./auth.js";
export {
  DEFAULT_VAULT_MAX_RESPONSE_BYTES,
  DEFAULT_VAULT_MAX_RETRIES,
  DEFAULT_VAULT_TIMEOUT_MS,
  VaultClient,
  type VaultClientOptions,
  type VaultClientStats,
  type VaultHealth,
  type VaultNodeState,
  type VaultRequestOptions,
  type VaultTokenInfo,
} from "./client.js";
export {
  type KvMetadata,
  type KvSecret,
  KvV2,
  type KvVersion,
  type KvWriteOptions,
} from "./kv.js";
export { type LoginBackoffOptions, RETRYABLE_STATUSES } from "./retry.js";
export { realTimers, type Sleep, type TimerHandle, type VaultTimers } from "./timers.js";
export {
  type TransitKeyInfo,
  type TransitKeySettings,
  type TransitPublicKey,
  type TransitSignature,
  type TransitSignOptions,
  VaultTransit,
} from "./transit.js";
