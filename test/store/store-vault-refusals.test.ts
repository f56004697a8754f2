/**
 * The catalogue of the Vault store's refusals: for each, the code, the exact message, the
 * hint and the details an operator or a library user reads (style of
 * test/tokens/error-messages.test.ts). Messages are spelled out here, independently of the
 * code, so blanking a message or a hint fails a case; none may quote the Vault token.
 * Runs over the Vault double on loopback (or a real Vault, see test/vault/target.ts).
 */
import { afterAll, beforeAll, it } from "vitest";
import { VaultAuthStore } from "../../src/store/vault.js";
import { type Case, checkRefusal, type Refusal } from "../tokens/refusals.js";
import { group, storeFixture, token } from "../vault/store-fixtures.js";
import {
  DOUBLE_ROOT_TOKEN,
  describeContract,
  startTarget,
  type VaultTarget,
} from "../vault/target.js";

let target: VaultTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const { makeStore, freshPrefix } = storeFixture(() => target);

/** The refusal of `run` says exactly `expected` and never quotes a Vault token. */
function check(name: string, run: Case["run"], expected: Refusal) {
  return checkRefusal({ name, run, expected }, [DOUBLE_ROOT_TOKEN, target.rootToken]);
}

describeContract("VaultAuthStore refusals: configuration", () => {
  it("an empty path prefix points at the default", async () => {
    for (const pathPrefix of ["", "/", "//"]) {
      await check(
        "empty prefix",
        () => new VaultAuthStore({ client: target.client(), pathPrefix }),
        {
          code: "config_invalid",
          message: "The Vault path prefix must not be empty",
          hint: "use the default 'gofr/auth'",
          details: {},
        },
      );
    }
  });

  it("a scan concurrency below one (or not a number) is refused, saying what it is", async () => {
    for (const [scanConcurrency, shown] of [
      [0, "0"],
      [-2, "-2"],
      [0.5, "0.5"],
      [Number.NaN, "NaN"],
    ] as const) {
      await check("scanConcurrency", () => makeStore(freshPrefix("scan"), { scanConcurrency }), {
        code: "config_invalid",
        message: `scanConcurrency must be >= 1, got ${shown}`,
        hint: "the number of records a scan reads at a time; the default is 8",
        details: {},
      });
    }
  });
});

describeContract("VaultAuthStore refusals: groups", () => {
  it("a second group of a name names the group that holds it", async () => {
    const store = makeStore(freshPrefix("group-taken"));
    const first = group("billing");
    await store.insertGroup(first);
    await check("group taken", () => store.insertGroup(group("billing")), {
      code: "group_exists",
      message: "Group 'billing' already exists",
      hint: "pick another name, or restore the existing group if it is defunct",
      details: { group: "billing", existing_id: first.id },
    });
  });

  it("an id that is not one path segment is refused by insert and update alike", async () => {
    const store = makeStore(freshPrefix("group-id"));
    const expected: Refusal = {
      code: "invalid_input",
      message: 'Invalid group id "a/b"',
      hint: "ids are UUIDs",
      details: {},
    };
    await check("insert", () => store.insertGroup(group("billing", { id: "a/b" })), expected);
    await check("update", () => store.updateGroup(group("billing", { id: "a/b" })), expected);
  });

  it("updating a group that does not exist says to create it", async () => {
    const store = makeStore(freshPrefix("group-missing"));
    const missing = group("billing");
    await check("missing", () => store.updateGroup(missing), {
      code: "invalid_input",
      message: `No group with id ${missing.id} to update`,
      hint: "create it first",
      details: {},
    });
  });

  it("a group cannot be renamed by an update", async () => {
    const store = makeStore(freshPrefix("group-rename"));
    const billing = group("billing");
    await store.insertGroup(billing);
    await check("rename", () => store.updateGroup({ ...billing, name: "payments" }), {
      code: "invalid_input",
      message: `Group ${billing.id} cannot be renamed`,
      hint: "the name index maps names to ids; create a new group instead",
      details: {},
    });
  });

  // The record write sends `cas: 0`, which Vault refuses once the key exists (vault-plugin-
  // secrets-kv `path_data.go`, vault-api.md row 6); the store then compares the stored data.
  it("a group id already used by other data names the record's path", async () => {
    const prefix = freshPrefix("group-collision");
    const store = makeStore(prefix);
    const billing = group("billing");
    await store.insertGroup(billing);
    const other = { ...billing, name: "payments" };
    await check("collision", () => store.insertGroup(other), {
      code: "invalid_input",
      message: `A record already exists at vault secret/${prefix}/groups/${billing.id}`,
      hint: "ids are UUIDs; this one is already used",
      details: {},
    });
  });
});

describeContract("VaultAuthStore refusals: tokens", () => {
  it("a second token of a name names the token that holds it", async () => {
    const store = makeStore(freshPrefix("token-taken"));
    const first = token({ name: "ci-bot" });
    await store.insertToken(first);
    await check("token name taken", () => store.insertToken(token({ name: "ci-bot" })), {
      code: "token_name_taken",
      message: "A token named 'ci-bot' already exists",
      hint: "pick another name or revoke and rename the old token",
      details: { name: "ci-bot", existing_id: first.id },
    });
  });

  it("an id that is not one path segment is refused by insert and update alike", async () => {
    const store = makeStore(freshPrefix("token-id"));
    const expected: Refusal = {
      code: "invalid_input",
      message: 'Invalid token id "_index"',
      hint: "ids are UUIDs",
      details: {},
    };
    await check("insert", () => store.insertToken(token({ id: "_index" })), expected);
    await check("update", () => store.updateToken(token({ id: "_index" })), expected);
  });

  it("updating a token that does not exist says how to find the id", async () => {
    const store = makeStore(freshPrefix("token-missing"));
    const missing = token();
    await check("missing", () => store.updateToken(missing), {
      code: "invalid_input",
      message: `No token with id ${missing.id} to update`,
      hint: "list tokens to find the id",
      details: {},
    });
  });

  it("a token cannot be renamed by an update", async () => {
    const store = makeStore(freshPrefix("token-rename"));
    const record = token({ name: "ci-bot" });
    await store.insertToken(record);
    await check("rename", () => store.updateToken({ ...record, name: "other-bot" }), {
      code: "invalid_input",
      message: `Token ${record.id} cannot be renamed`,
      hint: "names are indexed; mint a new token instead",
      details: {},
    });
  });

  it("a token id already used by other data names the record's path", async () => {
    const prefix = freshPrefix("token-collision");
    const store = makeStore(prefix);
    const record = token();
    await store.insertToken(record);
    await check("collision", () => store.insertToken({ ...record, groups: ["admin"] }), {
      code: "invalid_input",
      message: `A record already exists at vault secret/${prefix}/tokens/${record.id}`,
      hint: "ids are UUIDs; this one is already used",
      details: {},
    });
  });
});
