/**
 * MemoryAuthStore's refusals, spelled out (code, message, hint, details), as the embedded and
 * Vault stores' are: the memory store backs `createTestAuthService`, so what a library user's
 * tests see must be what production says. It also used to let an insert with a used id
 * silently replace the stored group or token (a new "group" could overwrite a reserved one);
 * SQLite and Vault refuse that with `invalid_input`, and so does it now.
 */
import { describe, expect, it } from "vitest";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { makeGroup, makeToken } from "../sqlite/helpers.js";
import { checkRefusal, type Refusal } from "../tokens/refusals.js";

/** `run` is refused with exactly `expected` (no secrets are involved here). */
const check = (run: () => unknown, expected: Refusal) =>
  checkRefusal({ name: expected.message, run, expected }, []);

describe("MemoryAuthStore", () => {
  it("describes itself as memory (what messages and doctor print as the store)", () => {
    expect(new MemoryAuthStore().description).toBe("memory");
  });

  it("a taken group name: group_exists naming the group; the first group stays", async () => {
    const store = new MemoryAuthStore();
    const billing = makeGroup("billing");
    await store.insertGroup(billing);
    await check(() => store.insertGroup(makeGroup("billing")), {
      code: "group_exists",
      message: "Group 'billing' already exists",
    });
    expect(await store.listGroups()).toEqual([billing]);
  });

  it("a taken token name: token_name_taken with what to do; the first token stays", async () => {
    const store = new MemoryAuthStore();
    const first = makeToken({ name: "ci-bot" });
    await store.insertToken(first);
    await check(() => store.insertToken(makeToken({ name: "ci-bot" })), {
      code: "token_name_taken",
      message: "A token named 'ci-bot' already exists",
      hint: "pick another name or revoke and rename the old token",
    });
    expect(await store.listTokens()).toEqual([first]);
  });

  it("an insert with a group id already used is refused and replaces nothing", async () => {
    const store = new MemoryAuthStore();
    const admin = makeGroup("admin", { isReserved: true });
    await store.insertGroup(admin);
    await check(() => store.insertGroup(makeGroup("billing", { id: admin.id })), {
      code: "invalid_input",
      message: `A group with id ${admin.id} already exists`,
      hint: "give the new group a fresh UUID",
      details: { id: admin.id },
    });
    expect(await store.listGroups()).toEqual([admin]);
    expect(await store.findGroupByName("billing")).toBeUndefined();
  });

  it("an insert with a token id already used is refused and replaces nothing", async () => {
    const store = new MemoryAuthStore();
    const revoked = makeToken({ status: "revoked", revokedAt: new Date(Date.UTC(2026, 0, 16)) });
    await store.insertToken(revoked);
    // The same id, active again: replacing the record would un-revoke the token.
    await check(() => store.insertToken({ ...revoked, status: "active", revokedAt: null }), {
      code: "invalid_input",
      message: `A token with id ${revoked.id} already exists`,
      hint: "give the new token a fresh UUID",
      details: { id: revoked.id },
    });
    expect(await store.getToken(revoked.id)).toEqual(revoked);
  });

  it("updates of unknown ids name what was missing and change nothing", async () => {
    const store = new MemoryAuthStore();
    const group = makeGroup("billing");
    const record = makeToken();
    await check(() => store.updateGroup(group), {
      code: "invalid_input",
      message: `No group with id ${group.id} to update`,
    });
    await check(() => store.updateToken(record), {
      code: "invalid_input",
      message: `No token with id ${record.id} to update`,
    });
    expect(await store.listGroups()).toEqual([]);
    expect(await store.listTokens()).toEqual([]);
  });
});
