/**
 * How the Vault store resolves a name: the index entry when it names a record of that name,
 * else the records themselves (earliest first; see test/vault/store-index-repair.test.ts).
 * The records and index entries below are planted with raw KV writes, as another writer
 * (the Python fleet, an operator with `vault kv put`) leaves them.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Group } from "../../src/groups/group.js";
import { groupToWire, tokenRecordToWire } from "../../src/store/wire.js";
import { PERMISSION_DENIED_BODY, type VaultDouble } from "../../src/testing/vault-double.js";
import type { TokenRecord } from "../../src/tokens/record.js";
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

const { makeStore, freshPrefix, raw } = storeFixture(() => target);
const OLDER = new Date(Date.UTC(2025, 0, 1));
const NEWER = new Date(Date.UTC(2025, 6, 1));

async function plantGroups(prefix: string, index: Record<string, string>, ...groups: Group[]) {
  const kv = target.client().kv();
  for (const item of groups)
    await kv.write(`${prefix}/groups/${item.id}`, { ...groupToWire(item) });
  await kv.write(`${prefix}/groups/_index/names`, index);
}

async function plantTokens(
  prefix: string,
  index: Record<string, string>,
  ...tokens: TokenRecord[]
) {
  const kv = target.client().kv();
  for (const item of tokens) {
    await kv.write(`${prefix}/tokens/${item.id}`, { ...tokenRecordToWire(item) });
  }
  await kv.write(`${prefix}/tokens/_index/names`, index);
}

describeContract("VaultAuthStore: a group name through its index entry", () => {
  it("the index entry decides between two groups of one name (the claim that won)", async () => {
    const prefix = freshPrefix("group-twins");
    const older = group("billing", { createdAt: OLDER });
    const newer = group("billing", { createdAt: NEWER });
    await plantGroups(prefix, { billing: newer.id }, older, newer);
    const store = makeStore(prefix);
    expect((await store.findGroupByName("billing"))?.id).toBe(newer.id);
    const refused = await store.insertGroup(group("billing")).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "group_exists", details: { existing_id: newer.id } });
  });

  it("an entry for a group that is gone falls back to the records", async () => {
    const prefix = freshPrefix("group-gone");
    const billing = group("billing");
    await plantGroups(prefix, { billing: randomUUID() }, billing);
    expect(await makeStore(prefix).findGroupByName("billing")).toEqual(billing);
  });

  it("an entry that points at a group of another name is not trusted", async () => {
    const prefix = freshPrefix("group-misfiled");
    const payments = group("payments");
    await plantGroups(prefix, { billing: payments.id }, payments);
    const store = makeStore(prefix);
    expect(await store.findGroupByName("billing")).toBeUndefined();
    const billing = group("billing", { createdAt: NEWER });
    await target
      .client()
      .kv()
      .write(`${prefix}/groups/${billing.id}`, { ...groupToWire(billing) });
    expect(await store.findGroupByName("billing")).toEqual(billing);
  });

  it("a refused create of a stored group's id and name keeps that group's index entry", async () => {
    const prefix = freshPrefix("group-refused-create");
    const store = makeStore(prefix);
    const billing = group("billing");
    await store.insertGroup(billing);
    const changed = { ...billing, description: "not what is stored" };
    expect(await store.insertGroup(changed).catch((error: unknown) => error)).toMatchObject({
      code: "invalid_input",
    });
    expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
    expect(await raw(`${prefix}/groups/${billing.id}`)).toEqual({ ...groupToWire(billing) });
  });

  it("creating the same group again (a retried create) succeeds and changes nothing", async () => {
    const prefix = freshPrefix("group-again");
    const store = makeStore(prefix);
    const billing = group("billing");
    await store.insertGroup(billing);
    await store.insertGroup(billing);
    expect(await store.listGroups()).toEqual([billing]);
    expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
  });
});

describeContract("VaultAuthStore: a token name through its index entry", () => {
  it("the index entry decides between two tokens of one name (the claim that won)", async () => {
    const prefix = freshPrefix("token-twins");
    const older = token({ name: "ci-bot", createdAt: OLDER });
    const newer = token({ name: "ci-bot", createdAt: NEWER });
    await plantTokens(prefix, { "ci-bot": newer.id }, older, newer);
    expect((await makeStore(prefix).findTokenByName("ci-bot"))?.id).toBe(newer.id);
  });

  it("an entry for a token that is gone falls back to the records", async () => {
    const prefix = freshPrefix("token-gone");
    const record = token({ name: "ci-bot" });
    await plantTokens(prefix, { "ci-bot": randomUUID() }, record);
    expect(await makeStore(prefix).findTokenByName("ci-bot")).toEqual(record);
  });

  it("an entry that points at a token of another name is not trusted", async () => {
    const prefix = freshPrefix("token-misfiled");
    const other = token({ name: "other-bot" });
    await plantTokens(prefix, { "ci-bot": other.id }, other);
    expect(await makeStore(prefix).findTokenByName("ci-bot")).toBeUndefined();
  });

  it("a refused create of a stored token's id and name keeps that token's index entry", async () => {
    const prefix = freshPrefix("token-refused-create");
    const store = makeStore(prefix);
    const record = token({ name: "ci-bot" });
    await store.insertToken(record);
    const changed = { ...record, groups: ["admin"] };
    expect(await store.insertToken(changed).catch((error: unknown) => error)).toMatchObject({
      code: "invalid_input",
    });
    expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ "ci-bot": record.id });
    expect(await raw(`${prefix}/tokens/${record.id}`)).toEqual({ ...tokenRecordToWire(record) });
  });
});

describeContract("VaultAuthStore with tokenNameIndex: false", () => {
  it("a named token is stored without writing a token index", async () => {
    const prefix = freshPrefix("no-index-insert");
    const store = makeStore(prefix, { tokenNameIndex: false });
    const record = token({ name: "ci-bot" });
    await store.insertToken(record);
    expect(await target.client().kv().list(`${prefix}/tokens`)).toEqual([record.id]);
    expect((await store.findTokenByName("ci-bot"))?.id).toBe(record.id);
  });

  it("doctor's drift check leaves a token index it does not keep alone", async () => {
    const prefix = freshPrefix("no-index-drift");
    const record = token({ name: "ci-bot" });
    await plantTokens(prefix, { "ci-bot": randomUUID() }, record); // a stale entry
    const kinds = async (tokenNameIndex: boolean) =>
      (await makeStore(prefix, { tokenNameIndex }).nameIndexDrift()).map((drift) => drift.kind);
    expect(await kinds(true)).toContain("token"); // the set-up does drift
    expect(await kinds(false)).toEqual([]);
  });
});

describeDoubleOnly("VaultAuthStore: putting a group entry back", "reads the request log", () => {
  it("an entry held by another id is left to doctor: one index read, no write", async () => {
    const prefix = freshPrefix("held-elsewhere");
    const billing = group("billing");
    await plantGroups(prefix, { billing: randomUUID() }, billing);
    const vault = target.double as VaultDouble;
    vault.clearRequests();
    expect(await makeStore(prefix).findGroupByName("billing")).toEqual(billing);
    expect(vault.countRequests({ path: `/v1/secret/data/${prefix}/groups/_index/` })).toBe(1);
  });

  it("a second group of a name is refused even when the dropped entry cannot be put back", async () => {
    const prefix = freshPrefix("put-back-denied");
    const billing = group("billing");
    await plantGroups(prefix, {}, billing); // the index exists; another writer dropped the entry
    const vault = target.double as VaultDouble;
    const indexWrite = { method: "POST", path: `/v1/secret/data/${prefix}/groups/_index/names` };
    vault.failNext(1, 403, { body: PERMISSION_DENIED_BODY, match: indexWrite });
    const refused = await makeStore(prefix)
      .insertGroup(group("billing"))
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "group_exists", details: { existing_id: billing.id } });
    expect(vault.pendingFaults).toBe(0); // the put-back was tried, and denied
    expect((await makeStore(prefix).listGroups()).map((item) => item.id)).toEqual([billing.id]);
  });
});
