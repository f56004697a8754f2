import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors.js";
import { SqliteSecretSource } from "../../src/secrets/sqlite.js";
import { openAuthDatabase } from "../../src/sqlite/database.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/sqlite/migrations.js";
import { SqliteAuthStore } from "../../src/store/sqlite.js";
import { captureLogger } from "../support/capture-logger.js";
import { makeGroup, makeToken, permissions, randomSecret, useTempDirs } from "./helpers.js";

const temp = useTempDirs();

function rawUserVersion(path: string): number {
  const raw = new Database(path, { fileMustExist: true });
  try {
    return Number(raw.pragma("user_version", { simple: true }));
  } finally {
    raw.close();
  }
}

async function rejection(run: () => unknown): Promise<AuthError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error("expected a rejection");
}

describe("openAuthDatabase", () => {
  it("creates missing folders 0700 and the file 0600, in WAL mode, at the code's schema version", async () => {
    const folder = join(temp.dir(), "nested", ".gofr-auth");
    const path = join(folder, "auth.db");
    const database = openAuthDatabase({ path });
    temp.onCleanup(() => database.close());

    expect(permissions(statSync(folder).mode)).toBe(0o700);
    expect(permissions(statSync(join(folder, "..")).mode)).toBe(0o700);
    expect(permissions(statSync(path).mode)).toBe(0o600);
    expect(database.path).toBe(path);
    expect(database.description).toBe(`sqlite ${path}`);
    expect(database.schemaVersion).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(rawUserVersion(path)).toBe(SCHEMA_VERSION);

    const store = new SqliteAuthStore({ database });
    await store.insertToken(makeToken());
    // SQLite gives its -wal and -shm files the main file's mode: they hold data too.
    expect(permissions(statSync(`${path}-wal`).mode)).toBe(0o600);
    expect(permissions(statSync(`${path}-shm`).mode)).toBe(0o600);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("sets busy_timeout on the connection it opens", async () => {
    const path = join(temp.dir(), "auth.db");
    for (const [given, expected] of [
      [undefined, 5000],
      [1234, 1234],
    ] as const) {
      const database = openAuthDatabase({ path, busyTimeoutMs: given });
      const timeout = database.read(
        "pragma",
        () => (database.statement("PRAGMA busy_timeout").get() as { timeout: number }).timeout,
      );
      database.close();
      expect(timeout).toBe(expected);
    }
  });

  it("reopens an existing file and keeps its data", async () => {
    const path = join(temp.dir(), "auth.db");
    const first = new SqliteAuthStore({ path });
    const group = makeGroup("finance");
    await first.insertGroup(group);
    await first.close();
    expect(first.database.isOpen).toBe(false);

    const second = new SqliteAuthStore({ path });
    temp.onCleanup(() => second.close());
    expect(second.database.schemaVersion).toBe(SCHEMA_VERSION);
    expect(await second.getGroup(group.id)).toEqual(group);
  });

  it("applies a newer migration to an older file once, keeping data", async () => {
    const path = join(temp.dir(), "auth.db");
    const v1 = MIGRATIONS.slice(0, 1);
    const old = new SqliteAuthStore({ path, migrations: v1 });
    await old.insertGroup(makeGroup("ops"));
    await old.close();
    const v2 = [
      ...v1,
      { version: 2, description: "test", sql: "CREATE TABLE audit (id INTEGER PRIMARY KEY)" },
    ];

    const upgraded = openAuthDatabase({ path, migrations: v2 });
    expect(upgraded.schemaVersion).toBe(2);
    upgraded.close();
    expect(rawUserVersion(path)).toBe(2);
    // Reopening at version 2 must not run the migration again (it would fail: table exists).
    const again = new SqliteAuthStore({ path, migrations: v2 });
    temp.onCleanup(() => again.close());
    expect((await again.findGroupByName("ops"))?.name).toBe("ops");
  });

  it("refuses a file written by a newer schema, with a clear error, and leaves it alone", async () => {
    const path = join(temp.dir(), "auth.db");
    openAuthDatabase({ path }).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    const error = await rejection(() => openAuthDatabase({ path }));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(path);
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(error.message).toContain("newer");
    expect(error.hint).toContain("upgrade gofr-auth");
    expect(rawUserVersion(path)).toBe(SCHEMA_VERSION + 1);
  });

  it("fixes a database file readable by others to 0600, with a warning", async () => {
    const path = join(temp.dir(), "auth.db");
    openAuthDatabase({ path }).close();
    chmodSync(path, 0o644);
    const logger = captureLogger();

    const database = openAuthDatabase({ path, logger });
    database.close();
    expect(permissions(statSync(path).mode)).toBe(0o600);
    const warning = logger.entries.find((entry) => entry.level === "warn");
    expect(warning?.message).toContain("0644");
    expect(warning?.message).toContain(path);
    expect(String(warning?.fields.hint)).toContain("rotating");
  });

  it("refuses a loose file under loosePermissions: refuse, changing nothing", async () => {
    const path = join(temp.dir(), "auth.db");
    openAuthDatabase({ path }).close();
    chmodSync(path, 0o640);

    const error = await rejection(() => openAuthDatabase({ path, loosePermissions: "refuse" }));
    expect(error.code).toBe("config_invalid");
    expect(error.hint).toContain(`chmod 600 ${path}`);
    expect(permissions(statSync(path).mode)).toBe(0o640);
  });

  it("flags an existing folder other users can write to, without changing it", async () => {
    const folder = join(temp.dir(), "shared");
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    const path = join(folder, "auth.db");

    const error = await rejection(() => openAuthDatabase({ path, loosePermissions: "refuse" }));
    expect(error.code).toBe("config_invalid");
    expect(existsSync(path)).toBe(false);

    const logger = captureLogger();
    openAuthDatabase({ path, logger }).close();
    expect(logger.entries.map((entry) => entry.message).join("\n")).toContain(
      "writable by other users",
    );
    expect(permissions(statSync(folder).mode)).toBe(0o777);
    expect(permissions(statSync(path).mode)).toBe(0o600);
  });

  it("with create: false, fails on a missing file and creates nothing", async () => {
    const folder = join(temp.dir(), "absent");
    const error = await rejection(() =>
      openAuthDatabase({ path: join(folder, "auth.db"), create: false }),
    );
    expect(error.code).toBe("store_unavailable");
    expect(error.hint).toContain("gofr-auth init");
    expect(existsSync(folder)).toBe(false);
  });

  it("rejects in-memory and empty paths", async () => {
    for (const path of [":memory:", "", "file:auth.db?mode=memory"]) {
      expect((await rejection(() => openAuthDatabase({ path }))).code).toBe("config_invalid");
    }
  });

  it("maps a file that is not a database to store_unavailable, never a raw SqliteError", async () => {
    const path = join(temp.dir(), "auth.db");
    writeFileSync(path, "this is not a sqlite database, just some text".repeat(100), {
      mode: 0o600,
    });
    const error = await rejection(() => openAuthDatabase({ path }));
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain(path);
    expect(error.details.sqlite_code).toBe("SQLITE_NOTADB");
    expect(error.hint).toContain("backup");
  });

  it("maps a lock held past busy_timeout to store_unavailable with a hint", async () => {
    const path = join(temp.dir(), "auth.db");
    const store = new SqliteAuthStore({ path, busyTimeoutMs: 50 });
    temp.onCleanup(() => store.close());
    const holder = new Database(path);
    holder.exec("BEGIN IMMEDIATE");
    try {
      const error = await rejection(() => store.insertGroup(makeGroup("blocked")));
      expect(error.code).toBe("store_unavailable");
      expect(error.details.sqlite_code).toBe("SQLITE_BUSY");
      expect(error.hint).toContain("50 ms");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    // Once the lock is gone the same handle works again.
    await store.insertGroup(makeGroup("blocked"));
    expect((await store.findGroupByName("blocked"))?.name).toBe("blocked");
  });
});

describe("sharing one database handle", () => {
  it("a store and a secret source share a handle; the last close closes the file", async () => {
    const path = join(temp.dir(), "auth.db");
    const database = openAuthDatabase({ path });
    const store = new SqliteAuthStore({ database });
    const source = new SqliteSecretSource({ database });
    expect(store.database).toBe(database);
    expect(source.database).toBe(database);

    await store.close();
    await store.close(); // idempotent: must not release the source's share
    expect(database.isOpen).toBe(true);
    await source.write("gofr/config/jwt-signing-secret", randomSecret());
    await source.close();
    expect(database.isOpen).toBe(false);

    const error = await rejection(() => store.listGroups());
    expect(error.code).toBe("store_unavailable");
    expect(error.message).toContain("closed");
  });

  it("database.close() closes the file for every user at once", async () => {
    const database = openAuthDatabase({ path: join(temp.dir(), "auth.db") });
    const store = new SqliteAuthStore({ database });
    database.close();
    expect((await rejection(() => store.getToken("x"))).code).toBe("store_unavailable");
  });
});
