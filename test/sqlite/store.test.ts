import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { AuthErrorCode } from "../../src/errors.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { tokenRecordToWire } from "../../src/store/wire.js";
import { makeGroup, makeToken, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function openStore(path = join(temp.dir(), "auth.db")): SqliteAuthStore {
  const store = new SqliteAuthStore({ path });
  temp.onCleanup(() => store.close());
  return store;
}

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | "resolved"> {
  return promise.then(
    () => "resolved" as const,
    (error: { code: AuthErrorCode }) => error.code,
  );
}

// A token record exactly as the Python fleet writes it.
const PYTHON_TOKEN = {
  id: "3f2b8c1e-8d9a-4b7c-9e6f-1a2b3c4d5e6f",
  name: "prod-api-server",
  groups: ["admin", "finance"],
  status: "active",
  created_at: "2026-02-17T10:11:12.123456",
  expires_at: "2026-03-19T10:11:12.123456",
  revoked_at: null,
  fingerprint: null,
};

describe("SqliteAuthStore groups", () => {
  it("inserts, gets, finds by name and lists (sorted by name)", async () => {
    const store = openStore();
    const finance = makeGroup("finance");
    const admin = makeGroup("admin", { isReserved: true, description: null });
    await store.insertGroup(finance);
    await store.insertGroup(admin);
    expect(await store.getGroup(finance.id)).toEqual(finance);
    expect(await store.findGroupByName("admin")).toEqual(admin);
    expect(await store.getGroup("missing")).toBeUndefined();
    expect(await store.findGroupByName("missing")).toBeUndefined();
    expect(await store.listGroups()).toEqual([admin, finance]);
  });

  it("never stores two groups with one name", async () => {
    const store = openStore();
    await store.insertGroup(makeGroup("ops"));
    const error = await store.insertGroup(makeGroup("ops")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "group_exists", message: expect.stringContaining("ops") });
    expect(await store.listGroups()).toHaveLength(1);
  });

  it("refuses a second insert of the same id", async () => {
    const store = openStore();
    const group = makeGroup("ops");
    await store.insertGroup(group);
    expect(await codeOf(store.insertGroup({ ...group, name: "other" }))).toBe("invalid_input");
    expect(await store.findGroupByName("other")).toBeUndefined();
  });

  it("updates a stored group and refuses unknown ids and taken names", async () => {
    const store = openStore();
    const group = makeGroup("legacy");
    await store.insertGroup(group);
    await store.insertGroup(makeGroup("current"));
    const defunct = { ...group, isActive: false, defunctAt: new Date(Date.UTC(2026, 5, 1)) };
    await store.updateGroup(defunct);
    expect(await store.getGroup(group.id)).toEqual(defunct);
    expect(await codeOf(store.updateGroup(makeGroup("ghost")))).toBe("invalid_input");
    expect(await codeOf(store.updateGroup({ ...group, name: "current" }))).toBe("group_exists");
    expect(await store.getGroup(group.id)).toEqual(defunct);
  });

  it("returns copies: mutating a result or the inserted object changes nothing stored", async () => {
    const store = openStore();
    const group = makeGroup("finance");
    await store.insertGroup(group);
    group.description = "changed after insert";
    const read = await store.getGroup(group.id);
    if (!read) throw new Error("group missing");
    read.isActive = false;
    read.createdAt.setTime(0);
    const again = await store.getGroup(group.id);
    expect(again?.description).toBe("finance group");
    expect(again?.isActive).toBe(true);
    expect(again?.createdAt.getTime()).toBe(Date.UTC(2026, 0, 15, 10, 30, 0, 123));
  });
});

describe("SqliteAuthStore tokens", () => {
  it("inserts, gets, finds by name and lists", async () => {
    const store = openStore();
    const named = makeToken({ name: "billing-api", groups: ["finance", "admin"] });
    const unnamed = makeToken({ createdAt: new Date(Date.UTC(2026, 0, 16)), expiresAt: null });
    await store.insertToken(named);
    await store.insertToken(unnamed);
    expect(await store.getToken(named.id)).toEqual(named);
    expect(await store.findTokenByName("billing-api")).toEqual(named);
    expect(await store.getToken("missing")).toBeUndefined();
    expect(await store.findTokenByName("missing")).toBeUndefined();
    expect(await store.listTokens()).toEqual([named, unnamed]);
  });

  it("allows many unnamed tokens but never two with one name", async () => {
    const store = openStore();
    await store.insertToken(makeToken());
    await store.insertToken(makeToken());
    await store.insertToken(makeToken({ name: "ops" }));
    expect(await codeOf(store.insertToken(makeToken({ name: "ops" })))).toBe("token_name_taken");
    expect(await store.listTokens()).toHaveLength(3);
  });

  it("updates (revokes) a stored record and refuses unknown ids", async () => {
    const store = openStore();
    const record = makeToken({ name: "ops" });
    await store.insertToken(record);
    const revoked = {
      ...record,
      status: "revoked" as const,
      revokedAt: new Date(Date.UTC(2026, 0, 20)),
    };
    await store.updateToken(revoked);
    expect(await store.getToken(record.id)).toEqual(revoked);
    expect(await store.findTokenByName("ops")).toEqual(revoked);
    expect(await codeOf(store.updateToken(makeToken()))).toBe("invalid_input");
    await store.insertToken(makeToken({ name: "taken" }));
    expect(await codeOf(store.updateToken({ ...revoked, name: "taken" }))).toBe("token_name_taken");
  });

  it("returns copies of token records", async () => {
    const store = openStore();
    const record = makeToken();
    await store.insertToken(record);
    (await store.getToken(record.id))?.groups.push("finance");
    (await store.listTokens())[0]?.groups.push("finance");
    expect((await store.getToken(record.id))?.groups).toEqual(["admin"]);
  });
});

describe("SqliteAuthStore file layout", () => {
  it("keeps records as the Python fleet's wire JSON and reads records written by it", async () => {
    const path = join(temp.dir(), "auth.db");
    const store = openStore(path);
    const record = makeToken({ name: "ops" });
    await store.insertToken(record);

    const raw = new Database(path);
    const row = raw.prepare("SELECT record FROM tokens WHERE id = ?").get(record.id) as {
      record: string;
    };
    expect(JSON.parse(row.record)).toEqual(tokenRecordToWire(record));
    raw
      .prepare("INSERT INTO tokens (id, name, status, created_at, record) VALUES (?, ?, ?, ?, ?)")
      .run(
        PYTHON_TOKEN.id,
        PYTHON_TOKEN.name,
        PYTHON_TOKEN.status,
        PYTHON_TOKEN.created_at,
        JSON.stringify(PYTHON_TOKEN),
      );
    raw
      .prepare("INSERT INTO groups (id, name, is_active, record) VALUES ('g1', 'bad', 1, '{')")
      .run();
    raw.close();

    const python = await store.findTokenByName("prod-api-server");
    expect(python?.groups).toEqual(["admin", "finance"]);
    expect(python?.createdAt.toISOString()).toBe("2026-02-17T10:11:12.123Z");
    // The row that is not JSON is skipped by the listing and reported, never fatal.
    expect(await store.listGroups()).toEqual([]);
    expect(await store.malformedRecords()).toMatchObject([
      { kind: "group", id: "g1", where: `${path} groups/g1`, problem: "not JSON" },
    ]);
    expect(await store.getGroup("g1").catch((caught: unknown) => caught)).toMatchObject({
      code: "store_unavailable",
    });
  });

  it("describes itself by its file", () => {
    const path = join(temp.dir(), "auth.db");
    const store = openStore(path);
    expect(store.description).toBe(`sqlite ${path}`);
    expect(store.path).toBe(path);
  });
});

describe("two handles on one file", () => {
  it("see each other's writes at once, with no reload", async () => {
    const path = join(temp.dir(), "auth.db");
    const service = openStore(path);
    const cli = openStore(path);
    expect(service.database).not.toBe(cli.database);

    // Read first, so any cache the service kept would now be stale.
    expect(await service.listTokens()).toEqual([]);
    expect(await service.findGroupByName("finance")).toBeUndefined();

    const group = makeGroup("finance");
    const record = makeToken({ name: "ops" });
    await cli.insertGroup(group);
    await cli.insertToken(record);
    expect(await service.findGroupByName("finance")).toEqual(group);
    expect(await service.getToken(record.id)).toEqual(record);

    const revoked = { ...record, status: "revoked" as const, revokedAt: new Date(0) };
    await service.updateToken(revoked);
    expect((await cli.getToken(record.id))?.status).toBe("revoked");
    expect(await codeOf(service.insertGroup(makeGroup("finance")))).toBe("group_exists");
  });
});
