export { VAULT_IDENTITY_TOKEN_ID_PREFIX, type VaultIdentityTokenVerifier } from "./auth-path.js";
export type { GroupsFrom, VaultIdentityClaims } from "./groups.js";
export {
  DEFAULT_IDENTITY_CLOCK_TOLERANCE_SECONDS,
  VAULT_IDENTITY_ALGORITHMS,
  type VaultIdentity,
  type VaultIdentityAlgorithm,
  VaultIdentityVerifier,
  type VaultIdentityVerifierOptions,
} from "./vault-identity.js";
