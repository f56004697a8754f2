/**
 * `sameJson` on arrays: keys of objects may come back in any order (Vault answers with
 * sorted keys: docs/vault-contract.md row 17, M1), but arrays are ordered lists, so a
 * different length or any different item makes different data. The Vault store relies on
 * it to tell its own resent record write (same data) from another record already stored
 * under the id (`writeNew`): a token whose groups differ must never pass for ours.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sameJson } from "../../src/store/kv-json.js";
import { tokenRecordToWire } from "../../src/store/wire.js";
import { rejection } from "../vault/helpers.js";
import { storeFixture, token } from "../vault/store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "../vault/target.js";

describe("sameJson: arrays", () => {
  it("an array that is a prefix of the other is different data, either way round", () => {
    expect(sameJson(["billing"], ["billing", "finance"])).toBe(false);
    expect(sameJson(["billing", "finance"], ["billing"])).toBe(false);
    expect(sameJson({ groups: [] }, { groups: ["billing"] })).toBe(false);
  });

  it("arrays that differ in any one item are different, not only in the first", () => {
    expect(sameJson(["billing", "ops"], ["billing", "finance"])).toBe(false);
    expect(sameJson([1, 2, 3], [1, 2, 4])).toBe(false);
  });

  it("equal arrays, nested objects in any key order, are the same data", () => {
    expect(sameJson([{ a: 1, b: [2] }, "x"], [{ b: [2], a: 1 }, "x"])).toBe(true);
  });
});

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());
const { makeStore, freshPrefix, raw } = storeFixture(() => target);

describeContract("VaultAuthStore: a record already stored under the id, with other groups", () => {
  /** Stores `stored` as another writer would, then inserts `ours` under the same id. */
  async function insertOver(label: string, storedGroups: string[], ourGroups: string[]) {
    const prefix = freshPrefix(label);
    const stored = token({ groups: storedGroups });
    const path = `${prefix}/tokens/${stored.id}`;
    await target
      .client()
      .kv()
      .write(path, { ...tokenRecordToWire(stored) });
    const error = await rejection(makeStore(prefix).insertToken({ ...stored, groups: ourGroups }));
    return { error, data: await raw(path) };
  }

  it("fewer groups stored than ours: refused, the stored record unchanged", async () => {
    const { error, data } = await insertOver("fewer", ["billing"], ["billing", "finance"]);
    expect(error.code).toBe("invalid_input");
    expect(error.message).toMatch(/^A record already exists at vault secret\//);
    expect(data.groups).toEqual(["billing"]);
  });

  it("a different second group stored: refused, the stored record unchanged", async () => {
    const { error, data } = await insertOver("other", ["billing", "ops"], ["billing", "finance"]);
    expect(error.code).toBe("invalid_input");
    expect(data.groups).toEqual(["billing", "ops"]);
  });
});
