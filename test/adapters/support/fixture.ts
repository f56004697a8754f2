import { AuthService } from "../../../src/auth-service.js";
import { AuthError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/log.js";
import { JwtSecretProvider } from "../../../src/secrets/provider.js";
import { MemoryAuthStore } from "../../../src/store/memory.js";
import { createTestAuthService, TEST_SECRET } from "../../../src/testing/index.js";
import type { TokenRecord } from "../../../src/tokens/record.js";
import { ControlledSource, unreachable } from "../../support/controlled-source.js";
import { decodePart, withPayload } from "../../support/forge.js";

/** A token store that can be made to fail, as a Vault or SQLite store would during an outage. */
export class FailingStore extends MemoryAuthStore {
  failing = false;
  override async getToken(id: string): Promise<TokenRecord | undefined> {
    if (this.failing) {
      throw new AuthError("store_unavailable", "The token store did not answer (test outage)");
    }
    return super.getToken(id);
  }
}

/**
 * Services and tokens shared by the adapter tests. Every service runs on the system clock:
 * the MCP SDK checks `expiresAt` against the real time, so a manual clock set elsewhere
 * would make it refuse tokens our verifier accepts.
 */
export interface AdapterFixture {
  auth: AuthService;
  /** Same secret and store as `auth`; its secret source is unreachable (cold provider). */
  secretOutage: AuthService;
  /** Same secret; its token store fails every lookup. */
  storeOutage: AuthService;
  tokens: {
    user: string;
    userId: string;
    admin: string;
    adminId: string;
    ops: string;
    expired: string;
    revoked: string;
    otherAudience: string;
    unknown: string;
    tampered: string;
    forSecretOutage: string;
    forStoreOutage: string;
  };
}

export async function createAdapterFixture(): Promise<AdapterFixture> {
  const { auth, store, provider } = createTestAuthService();
  for (const name of ["ops", "billing"]) await auth.groups.create(name);

  const user = await auth.createToken({ groups: ["public"], name: "user" });
  const admin = await auth.createToken({ groups: ["admin"], name: "admin" });
  const ops = await auth.createToken({ groups: ["ops"], name: "ops" });

  // Same store and secret, a clock two hours back: its 60 s token is long expired now.
  const past = new AuthService({
    store,
    secretProvider: provider,
    clock: () => Date.now() - 2 * 3600_000,
    logger: silentLogger,
  });
  const expired = await past.createToken({ groups: ["public"], expiresInSeconds: 60 });

  const revoked = await auth.createToken({ groups: ["public"], name: "revoked" });
  await auth.revokeToken(revoked.record.id);

  const other = new AuthService({
    store,
    secretProvider: provider,
    audience: "some-other-api",
    logger: silentLogger,
  });
  const otherAudience = await other.createToken({ groups: ["public"], name: "other-aud" });

  // Signed with the same secret but recorded in another store: unknown here.
  const elsewhere = createTestAuthService();
  const unknown = await elsewhere.auth.createToken({ groups: ["public"] });

  const claims = decodePart(user.token, 1);
  const tampered = withPayload(user.token, { ...claims, groups: ["admin"] });

  // Secret outage: mint while the source works, then cut it off and drop the cache.
  const source = new ControlledSource(TEST_SECRET);
  const coldProvider = new JwtSecretProvider({ source, logger: silentLogger });
  const secretOutage = new AuthService({
    store: new MemoryAuthStore(),
    secretProvider: coldProvider,
    logger: silentLogger,
  });
  const forSecretOutage = await secretOutage.createToken({ groups: ["public"] });
  source.failWith(unreachable());
  coldProvider.invalidate();

  const failingStore = new FailingStore();
  const storeOutage = new AuthService({
    store: failingStore,
    secretProvider: provider,
    logger: silentLogger,
  });
  const forStoreOutage = await storeOutage.createToken({ groups: ["public"] });
  failingStore.failing = true;

  return {
    auth,
    secretOutage,
    storeOutage,
    tokens: {
      user: user.token,
      userId: user.record.id,
      admin: admin.token,
      adminId: admin.record.id,
      ops: ops.token,
      expired: expired.token,
      revoked: revoked.token,
      otherAudience: otherAudience.token,
      unknown: unknown.token,
      tampered,
      forSecretOutage: forSecretOutage.token,
      forStoreOutage: forStoreOutage.token,
    },
  };
}
