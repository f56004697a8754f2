/**
 * VaultAuthStore's guards on what it reads and writes: record ids are single path segments
 * (a tampered index or a hostile id must not steer a read to another KV path, such as the
 * signing secret), names are fixed once written, a malformed index is an error rather than
 * an empty one, and bad configuration fails at construction.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { VaultAuthStore } from "../../src/store/vault.js";
import { groupToWire, tokenRecordToWire } from "../../src/store/wire.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { rejection } from "./helpers.js";
import { group, storeFixture, token } from "./store-fixtures.js";
import { describeContract, describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);

/** Ids that are not one safe path segment (traversal, the reserved `_index`, empty). */
const HOSTILE_IDS = [
  "../../config/jwt-signing-secret",
  "a/b",
  "_index",
  "",
  ".hidden",
  "x".repeat(200),
];

function thrown(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error("expected an AuthError");
}

describeContract("VaultAuthStore: ids, names and indexes", () => {
  it("refuses to insert records whose id is not one safe path segment, writing nothing", async () => {
    const prefix = freshPrefix("hostile-insert");
    const store = makeStore(prefix);
    for (const id of HOSTILE_IDS) {
      expect((await rejection(store.insertToken(token({ id })))).code).toBe("invalid_input");
      expect((await rejection(store.insertGroup(group("g", { id })))).code).toBe("invalid_input");
      expect((await rejection(store.updateToken(token({ id })))).code).toBe("invalid_input");
    }
    expect(await target.client().kv().list(prefix)).toEqual([]);
  });

  it("an id from a tampered index never steers a read to another path", async () => {
    const prefix = freshPrefix("tampered-index");
    const store = makeStore(prefix);
    const kv = target.client().kv();
    // Valid-looking records planted below the record folders, where a nested id would land.
    const planted = group("billing", { id: "nested/evil" });
    await kv.write(`${prefix}/groups/nested/evil`, { ...groupToWire(planted) });
    const plantedToken = token({ id: "nested/evil", name: "ci-bot" });
    await kv.write(`${prefix}/tokens/nested/evil`, { ...tokenRecordToWire(plantedToken) });
    for (const id of ["nested/evil", "../../config/jwt-signing-secret"]) {
      await kv.write(`${prefix}/groups/_index/names`, { billing: id });
      await kv.write(`${prefix}/tokens/_index/names`, { "ci-bot": id });
      expect(await store.findGroupByName("billing")).toBeUndefined();
      expect(await store.findTokenByName("ci-bot")).toBeUndefined();
      expect(await store.getGroup(id)).toBeUndefined();
      expect(await store.getToken(id)).toBeUndefined();
    }
  });

  it("a token cannot be renamed by an update", async () => {
    const prefix = freshPrefix("rename");
    const store = makeStore(prefix);
    const record = token({ name: "ci-bot" });
    await store.insertToken(record);
    const error = await rejection(store.updateToken({ ...record, name: "other-bot" }));
    expect(error.code).toBe("invalid_input");
    expect((await raw(`${prefix}/tokens/${record.id}`)).name).toBe("ci-bot");
    expect((await store.findTokenByName("ci-bot"))?.id).toBe(record.id);
  });

  it("an index entry that is not a string is store_unavailable, not an empty index", async () => {
    const prefix = freshPrefix("bad-index");
    const store = makeStore(prefix);
    await target
      .client()
      .kv()
      .write(`${prefix}/tokens/_index/names`, { "ci-bot": { id: "x" } });
    const error = await rejection(store.insertToken(token({ name: "ci-bot" })));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("ci-bot");
    expect(await target.client().kv().list(`${prefix}/tokens`)).toEqual(["_index/"]);
  });
});

describeDoubleOnly("VaultAuthStore: hostile ids never reach Vault", "reads the request log", () => {
  it("lookups by a hostile id answer 'absent' without any request", async () => {
    const store = makeStore(freshPrefix("no-request"));
    const vault = target.double as VaultDouble;
    vault.clearRequests();
    for (const id of HOSTILE_IDS) {
      expect(await store.getToken(id)).toBeUndefined();
      expect(await store.getGroup(id)).toBeUndefined();
    }
    expect(vault.requests).toEqual([]);
  });
});

describeContract("VaultAuthStore: configuration", () => {
  it("refuses an empty path prefix and negative cache times at construction", () => {
    const client = target.client();
    for (const pathPrefix of ["", "/", "//"]) {
      expect(thrown(() => new VaultAuthStore({ client, pathPrefix })).code).toBe("config_invalid");
    }
    for (const options of [{ tokenCacheTtlSeconds: -1 }, { negativeCacheTtlSeconds: Number.NaN }]) {
      expect(thrown(() => new VaultAuthStore({ client, ...options })).code).toBe("config_invalid");
    }
  });
});
