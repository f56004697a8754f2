/**
 * Names are keys of the Vault name indexes (`{ "<name>": "<id>" }`). Looked up in a plain
 * object, `constructor` found `Object.prototype.constructor`: a group or token named
 * `constructor` was "taken" before it existed and could never be created. The indexes are
 * now prototype-free.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findIndexDrift } from "../../src/store/index-drift.js";
import { nameMap, nameTable } from "../../src/store/record-scan.js";
import { rejection } from "./helpers.js";
import { group, storeFixture, token } from "./store-fixtures.js";
import { describeContract, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);

/** Lower-case names a group or token may have that `Object.prototype` also has. */
const PROTOTYPE_NAMES = ["constructor"];

describeContract("VaultAuthStore: names that Object.prototype also has", () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`a group named '${name}' can be created, found and is unique`, async () => {
      const prefix = freshPrefix("proto-group");
      const store = makeStore(prefix);
      const created = group(name);
      await store.insertGroup(created);
      expect((await store.findGroupByName(name))?.id).toBe(created.id);
      expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ [name]: created.id });
      expect((await rejection(store.insertGroup(group(name)))).code).toBe("group_exists");
      expect(await store.nameIndexDrift()).toEqual([]);
    });

    it(`a token named '${name}' can be created, found and is unique`, async () => {
      const prefix = freshPrefix("proto-token");
      const store = makeStore(prefix);
      const created = token({ name });
      await store.insertToken(created);
      expect((await store.findTokenByName(name))?.id).toBe(created.id);
      expect((await rejection(store.insertToken(token({ name })))).code).toBe("token_name_taken");
      expect(await store.nameIndexDrift()).toEqual([]);
    });
  }

  it("a name missing from the group index is still free when it is 'constructor'", async () => {
    const prefix = freshPrefix("proto-index");
    const store = makeStore(prefix);
    await store.insertGroup(group("billing")); // the index exists, without 'constructor'
    expect(await store.findGroupByName("constructor")).toBeUndefined();
    await store.insertGroup(group("constructor"));
    expect((await store.findGroupByName("constructor"))?.name).toBe("constructor");
  });
});

describe("name tables", () => {
  it("have no prototype: only entries are found", () => {
    const table = nameTable({ billing: "id-1" });
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(table[name], name).toBeUndefined();
    }
    expect(nameMap([]).constructor).toBeUndefined();
  });

  it("index drift reports an unindexed 'constructor' group as unindexed, not as a duplicate", () => {
    const drift = findIndexDrift({
      kind: "group",
      cliPath: "secret/gofr/auth/groups/_index/names",
      cliFolder: "secret/gofr/auth/groups",
      names: { billing: "id-1" }, // a plain object, as a caller may pass it
      version: 3,
      records: [
        { id: "id-1", name: "billing" },
        { id: "id-2", name: "constructor" },
      ],
    });
    expect(drift.map((item) => [item.code, item.names])).toEqual([
      ["group_index_unindexed", ["constructor"]],
    ]);
  });
});
