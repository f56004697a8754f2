/**
 * Helpers for testing services that use gofr-auth: a provider over a memory source and a
 * complete in-memory AuthService. Never use these in production code.
 */
import { AuthService, type AuthServiceOptions } from "../auth-service.js";
import type { Clock } from "../clock.js";
import { silentLogger } from "../log.js";
import { MemorySecretSource } from "../secrets/memory.js";
import { JwtSecretProvider } from "../secrets/provider.js";
import { SHARED_SECRET_NAME } from "../secrets/source.js";
import { MemoryAuthStore } from "../store/memory.js";

export { ManualClock } from "./clock.js";
export {
  type AppRoleSpec,
  type FailOptions,
  type LockedUser,
  ManualTimers,
  type RequestFilter,
  type RequestLogEntry,
  type TokenSpec,
  type UserLockoutOptions,
  VaultDouble,
  type VaultDoubleOptions,
  type VaultHealthMode,
} from "./vault-double.js";

/** The Python fleet's well-known test secret (at least 32 bytes, obviously not for production). */
export const TEST_SECRET = "test-secret-key-for-secure-testing-do-not-use-in-production";

export interface TestSecretProviderOptions {
  clock?: Clock;
  cacheTtlSeconds?: number;
  name?: string;
}

/** A provider whose source is a memory source holding `secret` (version 1). */
export function makeTestSecretProvider(
  secret: string = TEST_SECRET,
  options: TestSecretProviderOptions = {},
): JwtSecretProvider & { source: MemorySecretSource } {
  const name = options.name ?? SHARED_SECRET_NAME;
  const source = new MemorySecretSource({ secrets: { [name]: secret }, clock: options.clock });
  return new JwtSecretProvider({
    source,
    name,
    cacheTtlSeconds: options.cacheTtlSeconds,
    clock: options.clock,
    logger: silentLogger,
  }) as JwtSecretProvider & { source: MemorySecretSource };
}

export interface TestAuthService {
  auth: AuthService;
  store: MemoryAuthStore;
  provider: JwtSecretProvider & { source: MemorySecretSource };
  source: MemorySecretSource;
}

/** An AuthService over a memory store and a memory secret source. */
export function createTestAuthService(
  options: Partial<Omit<AuthServiceOptions, "store" | "secretProvider">> & {
    secret?: string;
  } = {},
): TestAuthService {
  const { secret, ...rest } = options;
  const provider = makeTestSecretProvider(secret, { clock: options.clock });
  const store = new MemoryAuthStore();
  const auth = new AuthService({ logger: silentLogger, ...rest, store, secretProvider: provider });
  return { auth, store, provider, source: provider.source };
}
