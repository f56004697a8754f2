/**
 * A record must carry the id it is stored under. A token record at `tokens/A` whose JSON
 * says `id: B` used to be read as B's: revoking A revoked B and left A valid. It is now a
 * malformed record: its lookups fail closed, scans skip it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { randomSecret, rejection } from "./helpers.js";
import { group, storeFixture } from "./store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describeContract("VaultAuthStore: a record's id must be its path's", () => {
  it("a record at tokens/A saying id B: revoking A neither revokes B nor leaves A valid", async () => {
    const prefix = freshPrefix("record-id");
    const store = makeStore(prefix, { tokenCacheTtlSeconds: 0, negativeCacheTtlSeconds: 0 });
    const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
    const auth = new AuthService({ store, secretProvider: new JwtSecretProvider({ source }) });
    await auth.groups.ensureReservedGroups();
    const a = await auth.createToken({ groups: ["public"] });
    const b = await auth.createToken({ groups: ["public"] });
    // Someone copies B's record over A's path (a restore gone wrong, a hand edit).
    const bWire = await raw(`${prefix}/tokens/${b.record.id}`);
    await target.client().kv().write(`${prefix}/tokens/${a.record.id}`, bWire);

    const revoke = await rejection(auth.revokeToken(a.record.id));
    expect(revoke.code).toBe("store_unavailable");
    expect(revoke.message).toContain(`not the "${a.record.id}" it is stored under`);
    expect(await codeOf(auth.verifyToken(a.token))).toBe("store_unavailable");
    expect(await codeOf(auth.verifyToken(b.token))).toBe("resolved");
    expect((await raw(`${prefix}/tokens/${b.record.id}`)).status).toBe("active");
    expect((await auth.listTokens()).map((record) => record.id)).toEqual([b.record.id]);
  });

  it("a group at groups/X saying id Y is refused the same way", async () => {
    const prefix = freshPrefix("group-id");
    const store = makeStore(prefix);
    const x = group("xray");
    const y = group("yankee");
    await store.insertGroup(x);
    await store.insertGroup(y);
    await target
      .client()
      .kv()
      .write(`${prefix}/groups/${x.id}`, await raw(`${prefix}/groups/${y.id}`));
    expect((await rejection(store.getGroup(x.id))).code).toBe("store_unavailable");
    expect((await store.listGroups()).map((item) => item.id)).toEqual([y.id]);
  });
});
