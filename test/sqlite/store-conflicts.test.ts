/**
 * SqliteAuthStore when a write breaks a table constraint: a reused id or a taken name is
 * reported as such (`invalid_input`, `group_exists`, `token_name_taken`) and changes
 * nothing, and a status outside `active`/`revoked` is refused by the schema itself, so no
 * code path can store a record whose status the verifier would not understand.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import type { TokenStatus } from "../../src/tokens/record.js";
import { makeGroup, makeToken, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function openStore(): SqliteAuthStore {
  const store = new SqliteAuthStore({ path: join(temp.dir(), "auth.db") });
  temp.onCleanup(() => store.close());
  return store;
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("SqliteAuthStore constraint violations", () => {
  it("a group with an id already used (under another name) is refused; the first stays", async () => {
    const store = openStore();
    const first = makeGroup("billing");
    await store.insertGroup(first);
    expect(await codeOf(store.insertGroup(makeGroup("finance", { id: first.id })))).toBe(
      "invalid_input",
    );
    expect(await store.getGroup(first.id)).toEqual(first);
    expect(await store.findGroupByName("finance")).toBeUndefined();
  });

  it("renaming a group or token to a taken name is refused; both stay as they were", async () => {
    const store = openStore();
    const [billing, finance] = [makeGroup("billing"), makeGroup("finance")];
    await store.insertGroup(billing);
    await store.insertGroup(finance);
    expect(await codeOf(store.updateGroup({ ...finance, name: "billing" }))).toBe("group_exists");
    expect(await store.findGroupByName("finance")).toEqual(finance);

    const [ci, deploy] = [makeToken({ name: "ci-bot" }), makeToken({ name: "deploy-bot" })];
    await store.insertToken(ci);
    await store.insertToken(deploy);
    expect(await codeOf(store.updateToken({ ...deploy, name: "ci-bot" }))).toBe("token_name_taken");
    expect((await store.findTokenByName("ci-bot"))?.id).toBe(ci.id);
    expect((await store.findTokenByName("deploy-bot"))?.id).toBe(deploy.id);
  });

  it("a token status other than active or revoked is refused by the schema", async () => {
    const store = openStore();
    const odd = "suspended" as TokenStatus;
    const record = makeToken();
    expect(await codeOf(store.insertToken({ ...record, status: odd }))).toBe("store_unavailable");
    expect(await store.getToken(record.id)).toBeUndefined();

    await store.insertToken({ ...record, status: "revoked" });
    expect(await codeOf(store.updateToken({ ...record, status: odd }))).toBe("store_unavailable");
    expect((await store.getToken(record.id))?.status).toBe("revoked"); // not reactivated
  });

  it("a defunct group is stored and read back defunct", async () => {
    const store = openStore();
    const defunct = makeGroup("legacy", {
      isActive: false,
      defunctAt: new Date(Date.UTC(2026, 0, 20)),
    });
    await store.insertGroup(defunct);
    expect(await store.findGroupByName("legacy")).toEqual(defunct);
  });
});
