/**
 * Issue 12 items 2 and 3 (docs/vault-contract.md row 17, M1): every write of the Vault store is safe to
 * resend. The client resends a POST whose answer never came (a timeout or a dropped
 * connection after Vault applied it), so each write may meet its own first try: a
 * `cas: 0` record write then fails the check against the record it wrote itself, and a
 * check-and-set index write fails against the index version it created (row 6).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sameJson } from "../../src/store/kv-json.js";
import { tokenRecordToWire } from "../../src/store/wire.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger } from "../support/capture-logger.js";
import { rejection } from "./helpers.js";
import { group, storeFixture, token } from "./store-fixtures.js";
import { describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;
let vault: VaultDouble;

beforeAll(async () => {
  target = await startTarget();
  vault = target.double as VaultDouble;
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);
const dataPath = (path: string) => `/v1/secret/data/${path}`;
const posts = (path: string) => vault.countRequests({ method: "POST", path: dataPath(path) });
const version = async (path: string) =>
  (await target.client().kv().readMetadata(path))?.currentVersion;

/** Loses the answer of the next `count` POSTs to exactly `path`. */
function loseAnswers(path: string, count = 1): void {
  vault.loseAnswerNext(count, { method: "POST", path: new RegExp(`^${dataPath(path)}$`) });
}

describe("sameJson: KV data compared as values", () => {
  it("ignores the order of object keys, at every depth", () => {
    const written = { id: "t1", name: "ci", groups: ["a", "b"], meta: { z: 1, a: null } };
    const sorted = { groups: ["a", "b"], id: "t1", meta: { a: null, z: 1 }, name: "ci" };
    expect(sameJson(sorted, written)).toBe(true);
    expect(JSON.stringify(sorted)).not.toBe(JSON.stringify(written)); // what the old check did
  });

  it("still tells different data apart: array order, values, missing or extra keys", () => {
    expect(sameJson({ groups: ["a", "b"] }, { groups: ["b", "a"] })).toBe(false);
    expect(sameJson({ status: "active" }, { status: "revoked" })).toBe(false);
    expect(sameJson({ a: null }, {})).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});

describeDoubleOnly(
  "VaultAuthStore: a write applied by Vault whose answer is lost is resent, and succeeds",
  "loses answers after the write commits (the double's loseAnswerNext)",
  () => {
    it("a named token insert: the call succeeds, the record exists once, the name stays indexed", async () => {
      const prefix = freshPrefix("lost-token");
      const store = makeStore(prefix);
      const record = token({ name: "billing-api" });
      const path = `${prefix}/tokens/${record.id}`;
      loseAnswers(path);
      await store.insertToken(record);
      expect(posts(path)).toBe(2); // the lost answer was resent...
      expect(await version(path)).toBe(1); // ...and wrote nothing the second time
      expect((await makeStore(prefix).listTokens()).map((item) => item.id)).toEqual([record.id]);
      expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ "billing-api": record.id });
      expect(await makeStore(prefix).findTokenByName("billing-api")).toEqual(record);
    });

    it("a retry of the same create after the client gave up succeeds instead of 'name taken'", async () => {
      const prefix = freshPrefix("lost-retry");
      const impatient = makeStore(prefix, {}, { maxRetries: 0 });
      const record = token({ name: "deployer" });
      const path = `${prefix}/tokens/${record.id}`;
      loseAnswers(path);
      expect((await rejection(impatient.insertToken(record))).code).toBe("vault_unreachable");
      // The record landed: retrying the same insert finds it and succeeds.
      await impatient.insertToken(record);
      expect((await makeStore(prefix).listTokens()).map((item) => item.id)).toEqual([record.id]);
      expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ deployer: record.id });
      // Another token still cannot take the name.
      const other = await rejection(makeStore(prefix).insertToken(token({ name: "deployer" })));
      expect(other.code).toBe("token_name_taken");
    });

    it("a group insert: the call succeeds, one group, indexed", async () => {
      const prefix = freshPrefix("lost-group");
      const store = makeStore(prefix);
      const billing = group("billing");
      const path = `${prefix}/groups/${billing.id}`;
      loseAnswers(path);
      await store.insertGroup(billing);
      expect(posts(path)).toBe(2);
      expect((await makeStore(prefix).listGroups()).map((item) => item.id)).toEqual([billing.id]);
      expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
    });

    it("a different record at a used id is still refused", async () => {
      const prefix = freshPrefix("lost-clash");
      const store = makeStore(prefix);
      const record = token();
      await store.insertToken(record);
      loseAnswers(`${prefix}/tokens/${record.id}`);
      const clash = await rejection(store.insertToken({ ...record, groups: ["other"] }));
      expect(clash.code).toBe("invalid_input");
      expect(clash.message).toContain("A record already exists");
      expect((await raw(`${prefix}/tokens/${record.id}`)).groups).toEqual(["billing"]);
    });

    it("a name claim (check-and-set on the index): resent, it finds its own entry and goes on", async () => {
      const prefix = freshPrefix("lost-claim");
      const store = makeStore(prefix);
      for (const kind of ["groups", "tokens"] as const)
        loseAnswers(`${prefix}/${kind}/_index/names`);
      const billing = group("billing");
      const record = token({ name: "ci-bot" });
      await store.insertGroup(billing);
      await store.insertToken(record);
      for (const kind of ["groups", "tokens"] as const) {
        const index = `${prefix}/${kind}/_index/names`;
        expect(posts(index)).toBe(2); // the claim, then its resend (a cas mismatch)
        expect(await version(index)).toBe(1);
      }
      expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
      expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ "ci-bot": record.id });
      expect(await makeStore(prefix).findGroupByName("billing")).toEqual(billing);
    });

    it("a name release after a failed insert: resent, it finds the entry gone and stops", async () => {
      const prefix = freshPrefix("lost-release");
      const logger = captureLogger();
      const store = makeStore(prefix, { logger });
      const record = token({ name: "worker" });
      // Another record already sits at this id, so the insert fails after claiming the name.
      const squatter = tokenRecordToWire(token({ id: record.id, groups: ["other"] }));
      await target
        .client()
        .kv()
        .write(`${prefix}/tokens/${record.id}`, { ...squatter });
      const index = `${prefix}/tokens/_index/names`;
      loseAnswers(index, 2); // the claim's answer and the release's answer
      expect((await rejection(store.insertToken(record))).code).toBe("invalid_input");
      expect(posts(index)).toBe(4);
      expect(await raw(index)).toEqual({});
      expect(logger.entries.filter((entry) => entry.level === "warn")).toEqual([]);
      await store.insertToken(token({ name: "worker" })); // the name is free again
    });

    it("a group insert refused at its id gives its name back", async () => {
      const prefix = freshPrefix("group-clash");
      const store = makeStore(prefix);
      const billing = group("billing");
      await store.insertGroup(billing);
      const clash = await rejection(store.insertGroup({ ...billing, name: "finance" }));
      expect(clash.code).toBe("invalid_input");
      expect(await raw(`${prefix}/groups/_index/names`)).toEqual({ billing: billing.id });
    });

    it("a revocation (updateToken): the call succeeds and every reader sees it revoked", async () => {
      const prefix = freshPrefix("lost-revoke");
      const store = makeStore(prefix);
      const record = token({ name: "to-revoke" });
      await store.insertToken(record);
      const path = `${prefix}/tokens/${record.id}`;
      loseAnswers(path);
      const revokedAt = new Date(Date.UTC(2026, 0, 20, 9, 0, 0, 0));
      await store.updateToken({ ...record, status: "revoked", revokedAt });
      expect(posts(path)).toBe(3); // insert, update, resent update
      expect((await store.getToken(record.id))?.status).toBe("revoked");
      expect(await makeStore(prefix).getToken(record.id)).toEqual({
        ...record,
        status: "revoked",
        revokedAt,
      });
    });

    it("a group update (defunct): the call succeeds and the group reads back defunct", async () => {
      const prefix = freshPrefix("lost-defunct");
      const store = makeStore(prefix);
      const billing = group("billing");
      await store.insertGroup(billing);
      const path = `${prefix}/groups/${billing.id}`;
      loseAnswers(path);
      const defunctAt = new Date(Date.UTC(2026, 0, 20, 9, 0, 0, 0));
      await store.updateGroup({ ...billing, isActive: false, defunctAt });
      expect(posts(path)).toBe(3);
      expect(await makeStore(prefix).findGroupByName("billing")).toEqual({
        ...billing,
        isActive: false,
        defunctAt,
      });
    });
  },
);

describeDoubleOnly(
  "VaultAuthStore: a name that cannot be given back",
  "sets a policy in the double",
  () => {
    it("is logged, and the caller gets the insert's own error", async () => {
      const prefix = freshPrefix("stuck-claim");
      const record = token({ name: "worker" });
      const squatter = tokenRecordToWire(token({ id: record.id }));
      await target
        .client()
        .kv()
        .write(`${prefix}/tokens/${record.id}`, { ...squatter });
      // May create keys but not update them: the claim creates the index, the record write
      // and the release would update existing keys (Vault's create/update split, row 5).
      const policy = target.policyName("create-only");
      vault.setPolicy(policy, {
        [`secret/data/${prefix}/*`]: ["create", "read"],
        [`secret/metadata/${prefix}/*`]: ["list", "read"],
      });
      const logger = captureLogger();
      const store = makeStore(
        prefix,
        { logger },
        { auth: { method: "token", token: vault.createToken({ policies: [policy] }) } },
      );
      expect((await rejection(store.insertToken(record))).code).toBe("vault_permission_denied");
      expect(await raw(`${prefix}/tokens/_index/names`)).toEqual({ worker: record.id });
      const warning = logger.entries.find((entry) => entry.level === "warn");
      expect(warning?.message).toBe(
        "Could not release a name claimed for a record that was not written",
      );
      expect(warning?.fields).toMatchObject({ name: "worker", record_id: record.id });
    });
  },
);
