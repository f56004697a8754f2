/**
 * What the Vault store's name indexes say when they go wrong: the refusal of a malformed
 * index and of a change that lost every check-and-set round (code, exact message, hint,
 * details), the debug line of each lost round, and the warnings about a group entry put
 * back or not (their fields are what an operator searches logs for).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { VaultDouble } from "../../src/testing/vault-double.js";
import { captureLogger } from "../support/capture-logger.js";
import { checkRefusal } from "../tokens/refusals.js";
import { group, pythonGroup, storeFixture } from "../vault/store-fixtures.js";
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
const kv = () => target.client().kv();
const groupIndex = (prefix: string) => `${prefix}/groups/_index/names`;

describeContract("Vault name index: a malformed index", () => {
  it("is refused naming the entry, with a hint and the index path", async () => {
    const prefix = freshPrefix("malformed-index");
    const path = groupIndex(prefix);
    await kv().write(path, { public: randomUUID(), billing: 42 });
    await checkRefusal(
      {
        name: "malformed index",
        run: () => makeStore(prefix).findGroupByName("billing"),
        expected: {
          code: "store_unavailable",
          message: `Malformed name index at vault secret/${path}: the entry for 'billing' is not a string`,
          hint: "the index must map names to record ids; repair it",
          details: { path },
        },
      },
      [target.rootToken],
    );
  });
});

describeDoubleOnly(
  "Vault name index: check-and-set conflicts and repairs",
  "injects check-and-set conflicts and sets policies in the double",
  () => {
    // Vault's answer to a stale `cas` (vault-plugin-secrets-kv path_data.go; docs/vault-contract.md row 6).
    const casMismatch = {
      body: { errors: ["check-and-set parameter did not match the current version"] },
    };

    it("a claim that loses every round is refused after casAttempts, each lost round logged", async () => {
      const prefix = freshPrefix("cas-give-up");
      const path = groupIndex(prefix);
      await makeStore(prefix).insertGroup(group("public"));
      const vault = target.double as VaultDouble;
      vault.failNext(2, 400, {
        ...casMismatch,
        match: { method: "POST", path: `/v1/secret/data/${path}` },
      });
      const logger = captureLogger();
      const store = makeStore(prefix, { casAttempts: 2, logger });
      await checkRefusal(
        {
          name: "cas give-up",
          run: () => store.insertGroup(group("billing")),
          expected: {
            code: "store_unavailable",
            message: `Could not update the name index vault secret/${path} after 2 attempts`,
            hint: "too many concurrent writers; retry the operation",
            details: { path, name: "billing" },
          },
        },
        [target.rootToken],
      );
      const rounds = logger.entries.filter((entry) => entry.level === "debug");
      expect(rounds).toEqual(
        [1, 2].map((attempt) => ({
          level: "debug",
          message: "Name index changed while writing it; retrying",
          fields: { path, name: "billing", attempt },
        })),
      );
      expect((await raw(path)).billing).toBeUndefined();
    });

    it("putting a dropped entry back is logged with the index path, name and record id", async () => {
      const prefix = freshPrefix("put-back-log");
      const path = groupIndex(prefix);
      await makeStore(prefix).insertGroup(group("public"));
      const theirs = randomUUID(); // a group whose index entry another writer dropped
      await kv().write(`${prefix}/groups/${theirs}`, pythonGroup(theirs, "billing"));
      const logger = captureLogger();
      expect((await makeStore(prefix, { logger }).findGroupByName("billing"))?.id).toBe(theirs);
      expect(logger.entries).toEqual([
        {
          level: "warn",
          message: "Put back a group name another writer had dropped from the index",
          fields: { path, name: "billing", record_id: theirs },
        },
      ]);
    });

    /** A store whose identity may read the auth paths but write nothing, as every service's. */
    function readOnlyStore(prefix: string, logger = captureLogger()) {
      const vault = target.double as VaultDouble;
      const policy = target.policyName(`read-only-${randomUUID().slice(0, 8)}`);
      // As each service's policy grants on the auth paths (docker/policies/gofr-web.hcl).
      vault.setPolicy(policy, {
        [`secret/data/${prefix}/*`]: ["read"],
        [`secret/metadata/${prefix}/*`]: ["list", "read"],
      });
      const serviceToken = vault.createToken({ policies: [policy] });
      const store = makeStore(
        prefix,
        { logger },
        { auth: { method: "token", token: serviceToken } },
      );
      return { store, logger, serviceToken };
    }

    it("an entry a read-only identity cannot put back is warned about once, naming what to run", async () => {
      const prefix = freshPrefix("put-back-denied");
      const path = groupIndex(prefix);
      await makeStore(prefix).insertGroup(group("public"));
      const theirs = randomUUID();
      await kv().write(`${prefix}/groups/${theirs}`, pythonGroup(theirs, "billing"));
      const { store, logger, serviceToken } = readOnlyStore(prefix);
      expect((await store.findGroupByName("billing"))?.id).toBe(theirs);
      expect((await store.findGroupByName("billing"))?.id).toBe(theirs);
      expect(logger.entries).toEqual([
        {
          level: "warn",
          message: "A group is missing from the name index and could not be put back",
          fields: {
            path,
            name: "billing",
            record_id: theirs,
            error: expect.stringMatching(/^AuthError: .*permission denied/i),
            hint: "run `gofr-auth doctor`",
          },
        },
      ]);
      expect(JSON.stringify(logger.entries)).not.toContain(serviceToken);
    });

    it("after one entry could not be put back, a read-only identity still tries each other entry once", async () => {
      const prefix = freshPrefix("put-back-each");
      const path = groupIndex(prefix);
      await makeStore(prefix).insertGroup(group("public"));
      const dropped = ["billing", "ops"].map((name) => ({ name, id: randomUUID() }));
      for (const { name, id } of dropped) {
        await kv().write(`${prefix}/groups/${id}`, pythonGroup(id, name));
      }
      const { store, logger } = readOnlyStore(prefix);
      const vault = target.double as VaultDouble;
      vault.clearRequests();
      for (const { name } of [...dropped, ...dropped]) await store.findGroupByName(name);
      const denied = { method: "POST", path: `/v1/secret/data/${path}`, status: 403 };
      expect(vault.countRequests(denied)).toBe(2);
      expect(logger.entries.map((entry) => entry.fields.name)).toEqual(["billing", "ops"]);
    });
  },
);
