/**
 * The catalogue of malformed-record refusals (`store_unavailable` with `malformed: true`):
 * the exact message, hint and details an operator reads for a record that is not an
 * object, or that carries an id other than the one it is stored under. Scans skip exactly
 * these errors and report them; any other failure of a record read (the store is down, a
 * policy denies the read) must fail the scan instead of silently shrinking a listing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { groupToWire, isMalformedRecord, tokenRecordFromWire } from "../../src/store/wire.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { type Case, checkRefusal } from "../tokens/refusals.js";
import { rejection } from "../vault/helpers.js";
import { group, storeFixture } from "../vault/store-fixtures.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "../vault/target.js";

const WHERE = "vault secret/gofr/auth/tokens/3f2b8c1e";
const HINT =
  "the stored record was written by an incompatible tool or edited by hand; inspect and repair it (gofr-auth doctor lists such records)";

const TOKEN = {
  id: "3f2b8c1e",
  name: "prod-api-server",
  groups: ["admin"],
  status: "active",
  created_at: "2026-02-17T10:11:12.123456",
  expires_at: null,
  revoked_at: null,
  fingerprint: null,
};

/** The refusal of a malformed record at `WHERE`: `problem` about `field`. */
function refusal(problem: string, field: string) {
  return {
    code: "store_unavailable" as const,
    message: `Malformed record at ${WHERE}: ${problem}`,
    hint: HINT,
    details: { where: WHERE, field, malformed: true, problem },
  };
}

const LONG_ID = `a${"b".repeat(63)}${"c".repeat(36)}`; // 100 characters; the first 64 are a + 63 b

const CASES: Case[] = [
  {
    name: "a record that is a JSON string, not an object",
    run: () => tokenRecordFromWire("3f2b8c1e", WHERE),
    expected: refusal(`field 'record' is "3f2b8c1e"`, "record"),
  },
  {
    name: "a record that is a number",
    run: () => tokenRecordFromWire(42, WHERE, "3f2b8c1e"),
    expected: refusal("field 'record' is number", "record"),
  },
  {
    name: "a record that is null",
    run: () => tokenRecordFromWire(null, WHERE, "3f2b8c1e"),
    expected: refusal("field 'record' is object", "record"),
  },
  {
    name: "a record that is an array",
    run: () => tokenRecordFromWire([TOKEN], WHERE, "3f2b8c1e"),
    expected: refusal("field 'record' is object", "record"),
  },
  {
    name: "a record stored under another id",
    run: () => tokenRecordFromWire({ ...TOKEN, id: "9a8b7c6d" }, WHERE, "3f2b8c1e"),
    expected: refusal(`its id is "9a8b7c6d", not the "3f2b8c1e" it is stored under`, "id"),
  },
  {
    name: "a record stored under another id, that id quoted to 64 characters",
    run: () => tokenRecordFromWire({ ...TOKEN, id: LONG_ID }, WHERE, "3f2b8c1e"),
    expected: refusal(
      `its id is "a${"b".repeat(63)}", not the "3f2b8c1e" it is stored under`,
      "id",
    ),
  },
  {
    name: "a record whose id is not a string",
    run: () => tokenRecordFromWire({ ...TOKEN, id: 7 }, WHERE, "3f2b8c1e"),
    expected: refusal(`its id is number, not the "3f2b8c1e" it is stored under`, "id"),
  },
];

describe("malformed record refusals", () => {
  it.each(CASES.map((item) => [item.name, item] as const))("%s", async (_name, item) => {
    await checkRefusal(item, [LONG_ID]);
  });

  it("each is a malformed record that scans skip", () => {
    for (const item of CASES) {
      let error: unknown;
      try {
        item.run();
      } catch (caught) {
        error = caught;
      }
      expect(isMalformedRecord(error), item.name).toBe(true);
    }
  });

  it("a store outage is not a malformed record, though its code is store_unavailable too", () => {
    const outage = new AuthError("store_unavailable", "SQLite store /srv/auth.db does not exist", {
      details: { path: "/srv/auth.db", missing: true },
    });
    expect(isMalformedRecord(outage)).toBe(false);
    expect(isMalformedRecord(new AuthError("vault_permission_denied", "denied"))).toBe(false);
    expect(isMalformedRecord(new Error("socket hang up"))).toBe(false);
  });
});

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());
const { makeStore, freshPrefix } = storeFixture(() => target);

describeDoubleOnly(
  "VaultAuthStore: a record read that fails is not skipped as malformed",
  "injects a 403 on one record read in the double",
  () => {
    it("a listing whose read of one group is denied fails, instead of leaving it out", async () => {
      const prefix = freshPrefix("denied-read");
      const store = makeStore(prefix);
      const hidden = group("billing");
      await store.insertGroup(group("public"));
      await target
        .client()
        .kv()
        .write(`${prefix}/groups/${hidden.id}`, { ...groupToWire(hidden) });
      // Vault's answer to a request its policy denies (docs/vault-contract.md row 25).
      const denied = { errors: ["1 error occurred:\n\t* permission denied\n\n"] };
      const vault = target.double as VaultDouble;
      vault.failNext(1, 403, {
        body: denied,
        match: { method: "GET", path: `/v1/secret/data/${prefix}/groups/${hidden.id}` },
      });
      const error = await rejection(store.listGroups());
      expect(error.code).toBe("vault_permission_denied");
      expect(await store.malformedRecords()).toEqual([]);
    });
  },
);
