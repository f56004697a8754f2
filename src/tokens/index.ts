export type { TokenAlgorithm } from "./algorithms.js";
export {
  DEFAULT_AUDIENCE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  formatKeyId,
  type KeyId,
  OPERATOR_ISSUER,
  parseKeyId,
  RESERVED_CLAIMS,
  type TokenClaims,
  type TokenHeader,
} from "./claims.js";
export { decodeUnverified } from "./decode.js";
export type { IssuerPolicyOptions } from "./issuer-policy.js";
export { isTokenActive, normalizeTokenName, type TokenRecord, type TokenStatus } from "./record.js";
export {
  MAX_MINT_BATCH,
  type MintedToken,
  type MintOptions,
  TokenService,
  type TokenServiceOptions,
  type VerifiedToken,
  type VerifyOptions,
} from "./token-service.js";
