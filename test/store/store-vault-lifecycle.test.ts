/**
 * The Vault store's description, scans and `close()`: what `doctor` and log lines name it,
 * how many records a scan reads at a time, what a listing reads, and that a closed store
 * forgets its cached records. Runs over the Vault double on loopback (see test/vault/target.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { VaultAuthStore } from "../../src/store/vault.js";
import { groupToWire, tokenRecordToWire } from "../../src/store/wire.js";
import { ManualClock } from "../../src/testing/clock.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { group, storeFixture, token } from "../vault/store-fixtures.js";
import {
  describeContract,
  describeDoubleOnly,
  startTarget,
  type VaultTarget,
} from "../vault/target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);

describeContract("VaultAuthStore: description, scans and close", () => {
  it("describes itself by Vault address, mount and trimmed prefix", () => {
    const client = target.client();
    const store = new VaultAuthStore({ client, pathPrefix: "/team-a/auth/" });
    expect(store.description).toBe(`vault ${target.url.replace(/\/+$/, "")} secret/team-a/auth`);
  });

  it("a scan concurrency of one still reads every record", async () => {
    const prefix = freshPrefix("one-at-a-time");
    const groups = ["billing", "ops", "payments"].map((name) => group(name));
    const writer = makeStore(prefix);
    for (const item of groups) await writer.insertGroup(item);
    const listed = await makeStore(prefix, { scanConcurrency: 1 }).listGroups();
    expect(listed.map((item) => item.name).sort()).toEqual(["billing", "ops", "payments"]);
  });

  it("after close() a token is read from Vault again, seeing another writer's revocation", async () => {
    const prefix = freshPrefix("close");
    const clock = new ManualClock(); // never advanced: only close() can drop the cached record
    const store = makeStore(prefix, { clock: clock.now });
    const record = token();
    await store.insertToken(record);
    const revoked = { ...record, status: "revoked" as const, revokedAt: new Date(clock.now()) };
    // Another writer without the change marker (the Python fleet).
    await target
      .client()
      .kv()
      .write(`${prefix}/tokens/${record.id}`, { ...tokenRecordToWire(revoked) });
    expect((await store.getToken(record.id))?.status).toBe("active");
    await store.close();
    expect((await store.getToken(record.id))?.status).toBe("revoked");
    expect(store.stats.recordReads).toBe(1);
  });
});

describeDoubleOnly("VaultAuthStore: what a listing reads", "reads the request log", () => {
  // A KV v2 list names sub-folders with a trailing `/` (kv `path_metadata.go` list handler,
  // vault-api.md row 8): `groups/` lists `_index/` beside the records.
  it("reads each record once, never a sub-folder or a `_` key", async () => {
    const prefix = freshPrefix("listing");
    const store = makeStore(prefix);
    const billing = group("billing");
    const record = token({ name: "ci-bot" });
    await store.insertGroup(billing); // writes groups/_index/names too
    await store.insertToken(record); // and tokens/_index/names
    // Valid records under `_` keys, which are reserved and never records.
    const kv = target.client().kv();
    await kv.write(`${prefix}/groups/_hidden`, {
      ...groupToWire(group("hidden", { id: "_hidden" })),
    });
    await kv.write(`${prefix}/tokens/_hidden`, { ...tokenRecordToWire(token({ id: "_hidden" })) });
    const vault = target.double as VaultDouble;
    vault.clearRequests();
    expect(await store.listGroups()).toEqual([billing]);
    expect(await store.listTokens()).toEqual([record]);
    const reads = vault.requests.filter((entry) => entry.path.startsWith("/v1/secret/data/"));
    expect(reads.map((entry) => entry.path)).toEqual([
      `/v1/secret/data/${prefix}/groups/${billing.id}`,
      `/v1/secret/data/${prefix}/tokens/${record.id}`,
    ]);
  });
});
