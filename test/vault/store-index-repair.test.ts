/**
 * Issue 12 item 6: the group name index survives writers that skip check-and-set. The Python
 * fleet's `VaultGroupStore.put` writes the group, then reads, changes and writes
 * `<prefix>/groups/_index/names` without `cas` (gofr-reference.md B-10). A group it creates
 * while we create ours drops our entry; we must still find our group, put the entry back,
 * and refuse a second group of that name.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Group } from "../../src/groups/group.js";
import { groupToWire } from "../../src/store/wire.js";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger } from "../support/capture-logger.js";
import { rejection } from "./helpers.js";
import { group, pythonGroup, storeFixture } from "./store-fixtures.js";
import { describeContract, describeDoubleOnly, startTarget, type VaultTarget } from "./target.js";

let target: VaultTarget;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix, raw } = storeFixture(() => target);
const indexPath = (prefix: string) => `${prefix}/groups/_index/names`;

/**
 * Both sides create a group at the same moment: the Python writer reads the index, we
 * claim `ours` and write it, then the Python writer writes its group and the index it read
 * plus its own entry, without check-and-set. Returns the Python group's id.
 */
async function raceWithPythonWriter(prefix: string, ours: Group): Promise<string> {
  const kv = target.client().kv();
  await makeStore(prefix).insertGroup(group("public")); // the index exists
  const seen = (await kv.read(indexPath(prefix))).data; // the Python writer's read
  await makeStore(prefix).insertGroup(ours);
  const theirs = randomUUID();
  await kv.write(`${prefix}/groups/${theirs}`, pythonGroup(theirs, "payments"));
  await kv.write(indexPath(prefix), { ...seen, payments: theirs }); // no cas
  return theirs;
}

describeContract("VaultAuthStore: a group index written without check-and-set", () => {
  it("the race drops our entry (the set-up reproduces B-10)", async () => {
    const prefix = freshPrefix("race");
    const ours = group("billing");
    const theirs = await raceWithPythonWriter(prefix, ours);
    const index = await raw(indexPath(prefix));
    expect(index.billing).toBeUndefined();
    expect(index.payments).toBe(theirs);
  });

  it("a group whose entry was dropped is still found by name, and its entry is put back", async () => {
    const prefix = freshPrefix("found");
    const ours = group("billing");
    const theirs = await raceWithPythonWriter(prefix, ours);
    const logger = captureLogger();
    expect(await makeStore(prefix, { logger }).findGroupByName("billing")).toEqual(ours);
    expect(await raw(indexPath(prefix))).toMatchObject({ billing: ours.id, payments: theirs });
    expect(logger.entries.map((entry) => `${entry.level}: ${entry.message}`)).toContain(
      "warn: Put back a group name another writer had dropped from the index",
    );
  });

  it("a second create of that name is refused: no second group", async () => {
    const prefix = freshPrefix("refused");
    const ours = group("billing");
    await raceWithPythonWriter(prefix, ours);
    const second = await rejection(makeStore(prefix).insertGroup(group("billing")));
    expect(second.code).toBe("group_exists");
    expect(second.details.existing_id).toBe(ours.id);
    const named = (await makeStore(prefix).listGroups()).filter((g) => g.name === "billing");
    expect(named.map((g) => g.id)).toEqual([ours.id]);
    expect((await raw(indexPath(prefix))).billing).toBe(ours.id);
  });

  it("a group the Python writer stored before its index entry is found, not created twice", async () => {
    const prefix = freshPrefix("python-first");
    await makeStore(prefix).insertGroup(group("public"));
    const theirs = randomUUID(); // written, its index entry not yet
    await target.client().kv().write(`${prefix}/groups/${theirs}`, pythonGroup(theirs, "ops"));
    const attempt = await rejection(makeStore(prefix).insertGroup(group("ops")));
    expect(attempt.code).toBe("group_exists");
    expect((await raw(indexPath(prefix))).ops).toBe(theirs);
  });

  it("a name held by two records resolves to the earliest, in every process", async () => {
    const prefix = freshPrefix("twins");
    await makeStore(prefix).insertGroup(group("public"));
    const kv = target.client().kv();
    const older = group("ops", { createdAt: new Date(Date.UTC(2025, 0, 1)) });
    const newer = group("ops", { createdAt: new Date(Date.UTC(2025, 6, 1)) });
    for (const item of [newer, older]) {
      await kv.write(`${prefix}/groups/${item.id}`, { ...groupToWire(item) });
    }
    expect((await makeStore(prefix).findGroupByName("ops"))?.id).toBe(older.id);
    expect((await raw(indexPath(prefix))).ops).toBe(older.id);
  });

  it("between records created at the same moment, the smaller id wins", async () => {
    const prefix = freshPrefix("same-time");
    await makeStore(prefix).insertGroup(group("public"));
    const ids = [randomUUID(), randomUUID()].sort();
    for (const id of [...ids].reverse()) {
      await target.client().kv().write(`${prefix}/groups/${id}`, pythonGroup(id, "ops"));
    }
    expect((await makeStore(prefix).findGroupByName("ops"))?.id).toBe(ids[0]);
  });

  it("a malformed index is an error naming the entry, never an empty answer", async () => {
    const prefix = freshPrefix("malformed");
    await target.client().kv().write(indexPath(prefix), { billing: 42 });
    const error = await rejection(makeStore(prefix).findGroupByName("billing"));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("the entry for 'billing' is not a string");
  });
});

describeDoubleOnly(
  "VaultAuthStore: putting a dropped group entry back",
  "injects check-and-set conflicts and sets a policy in the double",
  () => {
    const casMismatch = {
      // Vault's text (vault-plugin-secrets-kv path_data.go; docs/vault-contract.md row 6).
      body: { errors: ["check-and-set parameter did not match the current version"] },
    };

    it("retries after a check-and-set conflict, re-reading the index", async () => {
      const prefix = freshPrefix("conflict");
      const ours = group("billing");
      await raceWithPythonWriter(prefix, ours);
      const vault = target.double as VaultDouble;
      const match = { method: "POST", path: `/v1/secret/data/${indexPath(prefix)}` };
      vault.failNext(1, 400, { ...casMismatch, match });
      vault.clearRequests();
      expect(await makeStore(prefix).findGroupByName("billing")).toEqual(ours);
      expect(vault.countRequests(match)).toBe(2);
      expect((await raw(indexPath(prefix))).billing).toBe(ours.id);
    });

    it("gives up after casAttempts conflicts, still answers with the group, and warns", async () => {
      const prefix = freshPrefix("bounded");
      const ours = group("billing");
      await raceWithPythonWriter(prefix, ours);
      const vault = target.double as VaultDouble;
      const match = { method: "POST", path: `/v1/secret/data/${indexPath(prefix)}` };
      vault.failNext(3, 400, { ...casMismatch, match });
      vault.clearRequests();
      const logger = captureLogger();
      const store = makeStore(prefix, { casAttempts: 3, logger });
      expect(await store.findGroupByName("billing")).toEqual(ours);
      expect(vault.countRequests(match)).toBe(3);
      expect((await raw(indexPath(prefix))).billing).toBeUndefined();
      const warnings = logger.entries.filter((entry) => entry.level === "warn");
      expect(warnings.map((entry) => entry.message)).toEqual([
        "A group is missing from the name index and could not be put back",
      ]);
    });

    it("a read-only identity (a service) finds the group; it tries to put the entry back once", async () => {
      const prefix = freshPrefix("read-only");
      const ours = group("billing");
      await raceWithPythonWriter(prefix, ours);
      const vault = target.double as VaultDouble;
      const policy = target.policyName("auth-read");
      // As each service's policy grants on the auth paths (docker/policies/gofr-web.hcl,
      // gofr-mcp.hcl; printed by `gofr-auth policy --issuer <issuer>`).
      vault.setPolicy(policy, {
        [`secret/data/${prefix}/*`]: ["read"],
        [`secret/metadata/${prefix}/*`]: ["list", "read"],
      });
      const serviceToken = vault.createToken({ policies: [policy] });
      const logger = captureLogger();
      const service = makeStore(
        prefix,
        { logger },
        { auth: { method: "token", token: serviceToken } },
      );
      vault.clearRequests();
      expect(await service.findGroupByName("billing")).toEqual(ours);
      expect(await service.findGroupByName("billing")).toEqual(ours);
      const writes = { method: "POST", path: `/v1/secret/data/${indexPath(prefix)}` };
      expect(vault.countRequests({ ...writes, status: 403 })).toBe(1);
      const warnings = logger.entries.filter((entry) => entry.level === "warn");
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain(serviceToken);
      expect((await raw(indexPath(prefix))).billing).toBeUndefined();
    });
  },
);
