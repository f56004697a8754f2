/** Framework-free building blocks shared by the adapters (and usable for other frameworks). */
export {
  type Authenticator,
  type AuthPolicy,
  createCoreAuthenticator,
  type GuardResult,
  type RequestInfo,
} from "./authenticator.js";
export { readBearerToken } from "./bearer.js";
export {
  compileGroupRequirement,
  type GroupRequirement,
  type GroupRequirementOptions,
  mergeGroupOptions,
} from "./groups.js";
export { authorizationOf, type RawHeaderSource } from "./headers.js";
export type { AuthEvent, AuthOptions, TokenVerifier } from "./options.js";
export {
  type AuthErrorBody,
  type AuthResponse,
  type AuthResponseOptions,
  bearerChallenge,
  DEFAULT_RETRY_AFTER_SECONDS,
  toAuthResponse,
} from "./response.js";
