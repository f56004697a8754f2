/**
 * Store behaviours the mutation run showed no test pinned: how many record reads a scan runs
 * at once, an empty optional timestamp (as another writer may leave it), the Vault store's
 * trimmed prefix, unsafe ids that never reach the cache, and a store told to ignore the token
 * name index. Vault cases run over the Vault double on loopback (see test/vault/target.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapLimit } from "../../src/store/record-scan.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { tokenRecordFromWire, tokenRecordToWire } from "../../src/store/wire.js";
import type { TokenRecord } from "../../src/tokens/record.js";
import { storeFixture, token } from "../vault/store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "../vault/target.js";

describe("mapLimit", () => {
  it("never runs more than `limit` items at a time, and keeps the order of the items", async () => {
    let running = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const run = async (item: number) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
      return item * 10;
    };
    const done = mapLimit([1, 2, 3, 4, 5, 6], 2, run);
    // Release the waiting runs one by one until all six have finished.
    for (let released = 0; released < 6; released += 1) {
      await Promise.resolve();
      while (release.length === 0) await Promise.resolve();
      release.shift()?.();
    }
    expect(await done).toEqual([10, 20, 30, 40, 50, 60]);
    expect(most).toBe(2);
  });
});

describe("stored timestamps", () => {
  it("an empty expires_at or revoked_at string reads as absent, not as a malformed record", () => {
    const wire = {
      ...tokenRecordToWire(token({ id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f" })),
      expires_at: "",
      revoked_at: "",
    };
    const record = tokenRecordFromWire(wire, "vault secret/gofr/auth/tokens/x");
    expect(record.expiresAt).toBeNull();
    expect(record.revokedAt).toBeNull();
  });
});

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);

async function plantTokens(
  prefix: string,
  index: Record<string, string>,
  ...tokens: TokenRecord[]
) {
  const kv = target.client().kv();
  for (const item of tokens)
    await kv.write(`${prefix}/tokens/${item.id}`, { ...tokenRecordToWire(item) });
  await kv.write(`${prefix}/tokens/_index/names`, index);
}

describeContract("VaultAuthStore: prefix, ids and the token name index", () => {
  it("trims every leading and trailing slash of the path prefix", () => {
    const store = new VaultAuthStore({ client: target.client(), pathPrefix: "//team-a/auth//" });
    expect(store.description).toBe(`vault ${target.url.replace(/\/+$/, "")} secret/team-a/auth`);
  });

  it("an id that cannot be a record's is not found and costs no record read", async () => {
    const store = makeStore(freshPrefix("unsafe-id"));
    expect(await store.getToken("../groups/x")).toBeUndefined();
    expect(store.cacheStats.loads).toBe(0);
    expect(store.stats.recordReads).toBe(0);
  });

  it("with tokenNameIndex off, a name lookup ignores the index and finds the earliest record", async () => {
    const prefix = freshPrefix("no-token-index");
    const older = token({ name: "deployer", createdAt: new Date(Date.UTC(2025, 0, 1)) });
    const newer = token({ name: "deployer", createdAt: new Date(Date.UTC(2025, 6, 1)) });
    await plantTokens(prefix, { deployer: newer.id }, older, newer);
    expect((await makeStore(prefix).findTokenByName("deployer"))?.id).toBe(newer.id);
    const unindexed = makeStore(prefix, { tokenNameIndex: false });
    expect((await unindexed.findTokenByName("deployer"))?.id).toBe(older.id);
  });
});
