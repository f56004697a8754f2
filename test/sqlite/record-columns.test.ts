/**
 * The embedded store keeps each record as JSON beside `id`, `name` and `status` /
 * `is_active` columns. The columns used to be trusted blindly (the `id` row key) or never
 * read (`status`): a row whose JSON says another id was read as that other record (revoking
 * A revoked B), and a revocation made with SQL on `status` had no effect. A row whose
 * columns and JSON disagree is now malformed: its lookups fail closed, listings skip it,
 * `malformedRecords()` (and doctor) list it.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../src/auth-service.js";
import type { AuthErrorCode } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { makeGroup, randomSecret, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function setup() {
  const path = join(temp.dir(), "auth.db");
  const store = new SqliteAuthStore({ path, logger: silentLogger });
  temp.onCleanup(() => store.close());
  const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: randomSecret() } });
  const auth = new AuthService({ store, secretProvider: new JwtSecretProvider({ source }) });
  /** Runs SQL as an operator would, from another connection. */
  const sql = (text: string, ...params: unknown[]) => {
    const raw = new Database(path);
    try {
      return raw.prepare(text).run(...params).changes;
    } finally {
      raw.close();
    }
  };
  return { path, store, auth, sql };
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

describe("SqliteAuthStore: columns and record must agree", () => {
  it("a row for A holding B's record: revoking A neither revokes B nor leaves A valid", async () => {
    const { store, auth, sql } = setup();
    await auth.groups.ensureReservedGroups();
    const a = await auth.createToken({ groups: ["public"] });
    const b = await auth.createToken({ groups: ["public"] });
    sql(
      "UPDATE tokens SET record = (SELECT record FROM tokens WHERE id = ?) WHERE id = ?",
      b.record.id,
      a.record.id,
    );
    expect(await codeOf(auth.revokeToken(a.record.id))).toBe("store_unavailable");
    expect(await codeOf(auth.verifyToken(a.token))).toBe("store_unavailable");
    expect(await codeOf(auth.verifyToken(b.token))).toBe("resolved");
    expect((await store.getToken(b.record.id))?.status).toBe("active");
  });

  it("a revocation made with SQL on the status column is never ignored", async () => {
    const { path, store, auth, sql } = setup();
    await auth.groups.ensureReservedGroups();
    const minted = await auth.createToken({ groups: ["public"], name: "ci-bot" });
    const other = await auth.createToken({ groups: ["public"] });
    expect(await codeOf(auth.verifyToken(minted.token))).toBe("resolved");
    expect(sql("UPDATE tokens SET status = 'revoked' WHERE id = ?", minted.record.id)).toBe(1);

    expect(await codeOf(auth.verifyToken(minted.token))).toBe("store_unavailable");
    expect(await codeOf(auth.getTokenByName("ci-bot"))).toBe("store_unavailable");
    expect((await auth.listTokens()).map((record) => record.id)).toEqual([other.record.id]);
    const [reported] = await store.malformedRecords();
    expect(reported).toMatchObject({ kind: "token", id: minted.record.id });
    expect(reported?.where).toBe(`${path} tokens/${minted.record.id}`);
    expect(reported?.problem).toContain(`status column is "revoked", the record says "active"`);
  });

  it("a group deactivated with SQL on is_active is refused the same way", async () => {
    const { store, sql } = setup();
    const billing = makeGroup("billing");
    await store.insertGroup(billing);
    sql("UPDATE groups SET is_active = 0 WHERE id = ?", billing.id);
    expect(await codeOf(store.findGroupByName("billing"))).toBe("store_unavailable");
    expect(await store.listGroups()).toEqual([]);
  });

  it("a name lookup never returns a record carrying another name", async () => {
    const { auth, sql } = setup();
    await auth.groups.ensureReservedGroups();
    const ops = await auth.createToken({ groups: ["public"], name: "ops" });
    sql("UPDATE tokens SET name = 'prod' WHERE id = ?", ops.record.id);
    expect(await codeOf(auth.getTokenByName("prod"))).toBe("store_unavailable");
    expect(await auth.getTokenByName("ops")).toBeUndefined();
  });
});
