export {
  DEFAULT_JWKS_MAX_AGE_SECONDS,
  type Ed25519Jwk,
  jwks,
  jwksMaxAgeSeconds,
} from "./jwks.js";
export type { EdDsaKeyAdmin } from "./key-admin.js";
export { type Ed25519KeyPair, MemoryEdDsaKeys, type MemoryEdDsaKeysOptions } from "./memory.js";
export {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  EdDsaPublicKey,
  type PublicKeyReader,
  publicKeyFromRaw,
  type StoredIssuerKeys,
  type StoredPublicKey,
} from "./public-key.js";
export {
  ABSENT_EDDSA_ISSUERS_REMEMBERED,
  type IssuerPublicKeys,
  type PublicKeyRotatedEvent,
  PublicKeySet,
  type PublicKeySetOptions,
  type PublicKeySetStats,
} from "./public-key-set.js";
export type { EdDsaSignature, EdDsaSigner } from "./signer.js";
export { SqliteEdDsaSigner, SqlitePublicKeyReader } from "./sqlite.js";
export {
  createEdDsaKey,
  type EdDsaAdminOptions,
  type EdDsaKeyListing,
  type EdDsaKeyVersion,
  listEdDsaIssuers,
  listEdDsaKeys,
  retireEdDsaKeys,
  rotateEdDsaKey,
  sqliteEdDsaKeyAdmin,
} from "./sqlite-admin.js";
export { VaultEdDsaSigner, type VaultEdDsaSignerOptions, VaultPublicKeyReader } from "./vault.js";
export {
  createVaultEdDsaKey,
  listVaultEdDsaIssuers,
  listVaultEdDsaKeys,
  retireVaultEdDsaKeys,
  rotateVaultEdDsaKey,
  type VaultEdDsaAdmin,
  vaultEdDsaKeyAdmin,
} from "./vault-admin.js";
