import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { VaultSecretSource } from "../../src/secrets/vault.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { ManualClock } from "../../src/testing/clock.js";
import { randomSecret, rejection } from "./helpers.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

// End to end over rows 1-8 and 17 of the contract (KV reads, CAS writes, lists, sorted keys).
describeContract("AuthService on the Vault store and the Vault secret source", () => {
  let target: VaultTarget;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.stop());

  /** One "process": its own client, store, provider and service over the shared Vault. */
  function service(clock: ManualClock) {
    const client = target.client();
    const secretName = `${target.prefix}/config/jwt-signing-secret`;
    const provider = new JwtSecretProvider({
      source: new VaultSecretSource({ client }),
      name: secretName,
      clock: clock.now,
      logger: silentLogger,
    });
    const store = new VaultAuthStore({
      client,
      pathPrefix: `${target.prefix}/auth`,
      clock: clock.now,
      tokenCacheTtlSeconds: 30,
    });
    return {
      auth: new AuthService({ store, secretProvider: provider, clock: clock.now }),
      secretName,
    };
  }

  it("creates, verifies and revokes tokens; other processes see revocation within the cache TTL", async () => {
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = service(clockA);
    const b = service(clockB);
    await target.client().kv().write(a.secretName, { value: randomSecret() });

    await a.auth.groups.create("billing");
    const minted = await a.auth.createToken({ groups: ["billing"], name: "ci-bot" });
    expect(minted.kid).toBe("shared.v1");

    const contextA = await a.auth.verifyToken(minted.token);
    expect(contextA.tokenId).toBe(minted.record.id);
    expect([...contextA.groups].sort()).toEqual(["billing", "public"]);
    expect((await b.auth.verifyToken(minted.token)).tokenId).toBe(minted.record.id);
    expect((await b.auth.getTokenByName("ci-bot"))?.id).toBe(minted.record.id);

    // Reserved groups exist in Vault, in the shared index.
    const index = (await target.client().kv().read(`${target.prefix}/auth/groups/_index/names`))
      .data;
    expect(Object.keys(index).sort()).toEqual(["admin", "billing", "public"]);

    const revoked = await a.auth.revokeToken(minted.record.id);
    expect(revoked.changed).toBe(true);
    const stored = (
      await target.client().kv().read(`${target.prefix}/auth/tokens/${minted.record.id}`)
    ).data;
    expect(stored.status).toBe("revoked");
    expect(stored.revoked_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);

    expect((await rejection(a.auth.verifyToken(minted.token))).code).toBe("token_revoked");
    expect((await b.auth.verifyToken(minted.token)).tokenId).toBe(minted.record.id); // cached
    clockB.advanceSeconds(30);
    expect((await rejection(b.auth.verifyToken(minted.token))).code).toBe("token_revoked");

    const duplicate = await rejection(b.auth.createToken({ groups: ["billing"], name: "ci-bot" }));
    expect(duplicate.code).toBe("token_name_taken");
    const unknownGroup = await rejection(a.auth.createToken({ groups: ["nope"] }));
    expect(unknownGroup.code).toBe("group_not_found");
  });
});
