import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Group } from "../../src/groups/group.js";
import { ManualClock } from "../../src/testing/clock.js";
import { rejection } from "./helpers.js";
import { group, storeFixture, token } from "./store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

const PYTHON_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

let target: VaultTarget;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);

describeContract("VaultAuthStore: layout and wire format", () => {
  it("writes token records, groups and the name index exactly as the Python fleet does", async () => {
    const prefix = freshPrefix("wire");
    const store = makeStore(prefix);
    const billing = group("billing");
    await store.insertGroup(billing);
    const record = token({ name: "ci-bot", fingerprint: "device-1" });
    await store.insertToken(record);

    expect(await raw(`${prefix}/tokens/${record.id}`)).toEqual({
      id: record.id,
      name: "ci-bot",
      groups: ["billing"],
      status: "active",
      created_at: "2026-01-15T10:30:00.123000",
      expires_at: "2026-02-14T10:30:00.123000",
      revoked_at: null,
      fingerprint: "device-1",
    });
    expect(await raw(`${prefix}/groups/${billing.id}`)).toEqual({
      id: billing.id,
      name: "billing",
      description: "billing group",
      is_active: true,
      created_at: "2026-01-15T10:30:00.123000",
      defunct_at: null,
      is_reserved: false,
    });
    expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
    expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ "ci-bot": record.id });

    const revokedAt = new Date(Date.UTC(2026, 0, 16, 8, 0, 0, 5));
    await store.updateToken({ ...record, status: "revoked", revokedAt });
    const revoked = await raw(`${prefix}/tokens/${record.id}`);
    expect(revoked).toMatchObject({ status: "revoked", revoked_at: "2026-01-16T08:00:00.005000" });
    expect(revoked.revoked_at).toMatch(PYTHON_TIME);
  });

  it("reads records the Python fleet wrote (no token index, offset-less times, missing status)", async () => {
    const prefix = freshPrefix("python");
    const kv = target.client().kv();
    const id = randomUUID();
    const groupId = randomUUID();
    await kv.write(`${prefix}/tokens/${id}`, {
      id,
      name: "legacy-svc",
      groups: ["ops"],
      created_at: "2025-11-02T08:15:30.654321",
      expires_at: "2026-12-01T00:00:00+00:00",
      revoked_at: null,
      fingerprint: null,
    });
    await kv.write(`${prefix}/groups/${groupId}`, {
      id: groupId,
      name: "ops",
      description: null,
      is_active: true,
      created_at: "2025-11-02T08:15:30.654321",
      defunct_at: null,
      is_reserved: false,
    });
    await kv.write(`${prefix}/groups/_index/names`, { ops: groupId });

    const store = makeStore(prefix);
    const record = await store.getToken(id);
    expect(record).toMatchObject({ id, name: "legacy-svc", status: "active", groups: ["ops"] });
    expect(record?.createdAt.toISOString()).toBe("2025-11-02T08:15:30.654Z");
    expect((await store.findTokenByName("legacy-svc"))?.id).toBe(id);
    expect((await store.listTokens()).map((item) => item.id)).toEqual([id]);
    expect((await store.findGroupByName("ops"))?.id).toBe(groupId);
    expect((await store.listGroups()).map((item) => item.name)).toEqual(["ops"]);

    // A new name must not collide with the legacy token found by scanning.
    const duplicate = await rejection(store.insertToken(token({ name: "legacy-svc" })));
    expect(duplicate.code).toBe("token_name_taken");
  });

  it("groups without an index are found by scanning, and the index is created with them", async () => {
    const prefix = freshPrefix("no-index");
    const kv = target.client().kv();
    const legacy = group("legacy");
    await kv.write(`${prefix}/groups/${legacy.id}`, {
      id: legacy.id,
      name: "legacy",
      description: null,
      is_active: true,
      created_at: "2025-11-02T08:15:30.654321",
      defunct_at: null,
      is_reserved: false,
    });
    const store = makeStore(prefix);
    expect((await store.findGroupByName("legacy"))?.id).toBe(legacy.id);
    expect((await rejection(store.insertGroup(group("legacy")))).code).toBe("group_exists");
    const fresh = group("fresh");
    await store.insertGroup(fresh);
    expect(await raw(`${prefix}/groups/_index/names`)).toEqual({
      legacy: legacy.id,
      fresh: fresh.id,
    });
  });

  it("lists skip the _index folder, and missing or odd ids read as absent", async () => {
    const prefix = freshPrefix("lists");
    const store = makeStore(prefix);
    await store.insertGroup(group("a"));
    await store.insertGroup(group("b"));
    await store.insertToken(token({ name: "tok-one" }));
    expect((await store.listGroups()).map((item) => item.name).sort()).toEqual(["a", "b"]);
    expect(await store.listTokens()).toHaveLength(1);
    expect(await store.getToken(randomUUID())).toBeUndefined();
    expect(await store.getToken("_index")).toBeUndefined();
    expect(await store.getToken("../groups/x")).toBeUndefined();
    expect(await store.getGroup(randomUUID())).toBeUndefined();
  });

  it("updates require an existing record and keep names", async () => {
    const prefix = freshPrefix("updates");
    const store = makeStore(prefix);
    expect((await rejection(store.updateToken(token()))).code).toBe("invalid_input");
    expect((await rejection(store.updateGroup(group("x")))).code).toBe("invalid_input");
    const g = group("keep");
    await store.insertGroup(g);
    await store.updateGroup({ ...g, isActive: false, defunctAt: new Date() });
    expect((await store.findGroupByName("keep"))?.isActive).toBe(false);
    const renamed = await rejection(store.updateGroup({ ...g, name: "other" }));
    expect(renamed.code).toBe("invalid_input");
    const t = token();
    await store.insertToken(t);
    // The same record again is what a resent write meets: accepted, nothing written. Vault
    // answers with the keys sorted, not in our wire order (docs/vault-contract.md row 17).
    await store.insertToken(t);
    const kv = target.client().kv();
    expect((await kv.readMetadata(`${prefix}/tokens/${t.id}`))?.currentVersion).toBe(1);
    const clash = await rejection(store.insertToken({ ...t, groups: ["other"] }));
    expect(clash.code).toBe("invalid_input");
    expect((await raw(`${prefix}/tokens/${t.id}`)).groups).toEqual(["billing"]);
  });
});

describeContract("VaultAuthStore: concurrent writers", () => {
  it("10 concurrent inserts of one group name: exactly one wins, the rest get group_exists", async () => {
    const prefix = freshPrefix("group-race");
    const stores = Array.from({ length: 10 }, () => makeStore(prefix));
    const candidates = stores.map(() => group("payments"));
    const results = await Promise.allSettled(
      stores.map((store, i) => store.insertGroup(candidates[i] as Group)),
    );
    const winners = results.flatMap((result, i) => (result.status === "fulfilled" ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason.code).toBe("group_exists");
    }
    const winner = candidates[winners[0] as number] as Group;
    expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ payments: winner.id });
    const listed = await makeStore(prefix).listGroups();
    expect(listed.map((item) => item.id)).toEqual([winner.id]); // losers wrote no record
  });

  it("10 concurrent inserts of different names all succeed and all land in the index", async () => {
    const prefix = freshPrefix("group-many");
    const groups = Array.from({ length: 10 }, (_, i) => group(`team-${i}`));
    await Promise.all(groups.map((item) => makeStore(prefix).insertGroup(item)));
    const index = await raw(`${prefix}/groups/_index/names`);
    expect(index).toEqual(Object.fromEntries(groups.map((item) => [item.name, item.id])));
  });

  it("concurrent inserts of one token name: exactly one wins, the rest get token_name_taken", async () => {
    const prefix = freshPrefix("token-race");
    const records = Array.from({ length: 6 }, () => token({ name: "deployer" }));
    const results = await Promise.allSettled(
      records.map((record) => makeStore(prefix).insertToken(record)),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason.code).toBe("token_name_taken");
    }
    expect(await makeStore(prefix).listTokens()).toHaveLength(1);
  });
});

describeContract("VaultAuthStore: token cache and visibility across instances", () => {
  it("a token created by store A is visible to store B", async () => {
    const prefix = freshPrefix("cross");
    const a = makeStore(prefix);
    const b = makeStore(prefix);
    const record = token({ name: "shared-one" });
    await a.insertToken(record);
    expect(await b.getToken(record.id)).toEqual(record);
    expect((await b.findTokenByName("shared-one"))?.id).toBe(record.id);
  });

  it("revocation by A is seen at once by A, and by B after B's cache TTL", async () => {
    const prefix = freshPrefix("revoke");
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = makeStore(prefix, { clock: clockA.now });
    const b = makeStore(prefix, { clock: clockB.now, tokenCacheTtlSeconds: 30 });
    const record = token();
    await a.insertToken(record);
    expect((await a.getToken(record.id))?.status).toBe("active");
    expect((await b.getToken(record.id))?.status).toBe("active");

    await a.updateToken({ ...record, status: "revoked", revokedAt: new Date() });
    expect((await a.getToken(record.id))?.status).toBe("revoked");
    clockB.advanceSeconds(29);
    expect((await b.getToken(record.id))?.status).toBe("active"); // within B's bound
    clockB.advanceSeconds(1);
    expect((await b.getToken(record.id))?.status).toBe("revoked");
  });

  it("steady-state lookups are served from the cache: one Vault read per TTL", async () => {
    const prefix = freshPrefix("steady");
    const clock = new ManualClock();
    const writer = makeStore(prefix);
    const record = token();
    await writer.insertToken(record);
    const reader = makeStore(prefix, { clock: clock.now });
    target.double?.clearRequests();
    for (let i = 0; i < 100; i += 1) await reader.getToken(record.id);
    expect(reader.cacheStats.loads).toBe(1);
    expect(target.double?.countRequests({ path: `/v1/secret/data/${prefix}/tokens/` }) ?? 1).toBe(
      1,
    );
    clock.advanceSeconds(31);
    await reader.getToken(record.id);
    expect(reader.cacheStats.loads).toBe(2);
  });

  it("concurrent lookups of one cold id share one read", async () => {
    const prefix = freshPrefix("single-flight");
    const record = token();
    await makeStore(prefix).insertToken(record);
    const reader = makeStore(prefix);
    target.double?.clearRequests();
    const results = await Promise.all(Array.from({ length: 50 }, () => reader.getToken(record.id)));
    expect(results.every((item) => item?.id === record.id)).toBe(true);
    expect(reader.cacheStats.loads).toBe(1);
    expect(target.double?.countRequests({ path: `/v1/secret/data/${prefix}/tokens/` }) ?? 1).toBe(
      1,
    );
    results[0]?.groups.push("mutated"); // callers get copies
    expect((await reader.getToken(record.id))?.groups).toEqual(["billing"]);
  });

  it("missing ids are remembered briefly (negative cache)", async () => {
    const prefix = freshPrefix("negative");
    const clock = new ManualClock();
    const reader = makeStore(prefix, { clock: clock.now, negativeCacheTtlSeconds: 5 });
    const record = token();
    expect(await reader.getToken(record.id)).toBeUndefined();
    await makeStore(prefix).insertToken(record);
    expect(await reader.getToken(record.id)).toBeUndefined();
    expect(reader.cacheStats.loads).toBe(1);
    clock.advanceSeconds(5);
    expect((await reader.getToken(record.id))?.id).toBe(record.id);
  });
});
