/**
 * The catalogue of SqliteAuthStore refusals: code, exact message, hint and details of each,
 * spelled out independently of the code (an operator acts on the message; blanking a
 * message, a hint or a detail fails a case). Real database files in a temp dir; rows are
 * edited "by hand" from a second connection, as an operator with `sqlite3` would.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/log.js";
import { SqliteAuthStore, type SqliteAuthStoreCacheOptions } from "../../src/store/sqlite.js";
import { makeGroup, makeToken, useTempDirs } from "../sqlite/helpers.js";
import { checkRefusal, type Refusal } from "../tokens/refusals.js";

const temp = useTempDirs();

/** The hint of every malformed-record refusal (src/store/wire.ts). */
const MALFORMED_HINT =
  "the stored record was written by an incompatible tool or edited by hand; inspect and repair it (gofr-auth doctor lists such records)";

/** `run` is refused with exactly `expected` (no secrets are involved here). */
const check = (run: () => unknown, expected: Refusal) =>
  checkRefusal({ name: expected.message, run, expected }, []);

function setup(options: SqliteAuthStoreCacheOptions = {}) {
  const path = join(temp.dir(), "auth.db");
  const store = new SqliteAuthStore({ path, logger: silentLogger, ...options });
  temp.onCleanup(() => store.close());
  /** Runs SQL from another connection, as an operator would. */
  const sql = (text: string, ...params: unknown[]) => {
    const raw = new Database(path);
    try {
      raw.prepare(text).run(...params);
    } finally {
      raw.close();
    }
  };
  return { path, store, sql };
}

describe("SqliteAuthStore configuration", () => {
  for (const tokenCacheSize of [-1, 1.5, Number.NaN]) {
    it(`refuses tokenCacheSize ${tokenCacheSize} before opening anything`, async () => {
      const path = join(temp.dir(), "auth.db");
      await check(() => new SqliteAuthStore({ path, tokenCacheSize }), {
        code: "config_invalid",
        message: "tokenCacheSize must be a whole number >= 0",
        hint: "use 10000, or 0 to read every record from the file",
        details: {},
      });
    });
  }
});

describe("SqliteAuthStore clashes", () => {
  it("a taken group name: group_exists, with the name and the file", async () => {
    const { path, store } = setup();
    await store.insertGroup(makeGroup("billing"));
    await check(() => store.insertGroup(makeGroup("billing")), {
      code: "group_exists",
      message: "Group 'billing' already exists",
      hint: "pick another name, or restore the existing group if it is defunct",
      details: { group: "billing", path },
    });
  });

  it("a taken token name: token_name_taken, with the name and the file", async () => {
    const { path, store } = setup();
    await store.insertToken(makeToken({ name: "ci-bot" }));
    await check(() => store.insertToken(makeToken({ name: "ci-bot" })), {
      code: "token_name_taken",
      message: "A token named 'ci-bot' already exists",
      hint: "pick another name, or list tokens to find the existing one",
      details: { name: "ci-bot", path },
    });
  });

  it("a group id already used: invalid_input asking for a fresh UUID", async () => {
    const { store } = setup();
    const first = makeGroup("billing");
    await store.insertGroup(first);
    await check(() => store.insertGroup(makeGroup("finance", { id: first.id })), {
      code: "invalid_input",
      message: `A group with id ${first.id} already exists`,
      hint: "give the new group a fresh UUID",
      details: { id: first.id },
    });
  });

  it("a token id already used: invalid_input asking for a fresh UUID; the first stays", async () => {
    const { store } = setup();
    const first = makeToken({ name: "ci-bot" });
    await store.insertToken(first);
    await check(() => store.insertToken(makeToken({ id: first.id, name: "deploy-bot" })), {
      code: "invalid_input",
      message: `A token with id ${first.id} already exists`,
      hint: "give the new token a fresh UUID",
      details: { id: first.id },
    });
    expect(await store.getToken(first.id)).toEqual(first);
  });

  it("updates of unknown ids name what is missing and what to do", async () => {
    const { store } = setup();
    const [group, record] = [makeGroup("billing"), makeToken()];
    await check(() => store.updateGroup(group), {
      code: "invalid_input",
      message: `No group with id ${group.id} to update`,
      hint: "insert the group first",
      details: { id: group.id },
    });
    await check(() => store.updateToken(record), {
      code: "invalid_input",
      message: `No token with id ${record.id} to update`,
      hint: "insert the token first",
      details: { id: record.id },
    });
  });

  it("a constraint that is neither a name nor an id (an operator's trigger) is store_unavailable", async () => {
    const { path, store, sql } = setup();
    const billing = makeGroup("billing");
    await store.insertGroup(billing);
    sql("CREATE TRIGGER frozen BEFORE INSERT ON groups BEGIN SELECT RAISE(ABORT, 'frozen'); END");
    sql("CREATE TRIGGER kept BEFORE UPDATE ON groups BEGIN SELECT RAISE(ABORT, 'kept'); END");
    const failure = (operation: string, text: string): Refusal => ({
      code: "store_unavailable",
      message: `SQLite store ${path}: ${operation} failed: SqliteError: ${text}`,
      hint: `check the file ${path} (run \`gofr-auth doctor\`)`,
      details: { path, operation, sqlite_code: "SQLITE_CONSTRAINT_TRIGGER" },
    });
    await check(() => store.insertGroup(makeGroup("finance")), failure("insert group", "frozen"));
    await check(
      () => store.updateGroup({ ...billing, isActive: false }),
      failure("update group", "kept"),
    );
    expect(await store.listGroups()).toEqual([billing]);
  });
});

describe("SqliteAuthStore rows whose name column says another name", () => {
  it("a lookup by name finds a record of another name: malformed, naming both names", async () => {
    const { path, store, sql } = setup();
    const [group, record] = [makeGroup("billing"), makeToken({ name: "ci-bot" })];
    await store.insertGroup(group);
    await store.insertToken(record);
    sql("UPDATE groups SET name = 'finance' WHERE id = ?", group.id);
    sql("UPDATE tokens SET name = 'ops-bot' WHERE id = ?", record.id);

    const malformed = (where: string, problem: string): Refusal => ({
      code: "store_unavailable",
      message: `Malformed record at ${where}: ${problem}`,
      hint: MALFORMED_HINT,
      details: { where, field: "name", malformed: true, problem },
    });
    await check(
      () => store.findGroupByName("finance"),
      malformed(
        `${path} groups/${group.id}`,
        'its name column is "finance", the record\'s name "billing"',
      ),
    );
    await check(
      () => store.findTokenByName("ops-bot"),
      malformed(
        `${path} tokens/${record.id}`,
        'its name column is "ops-bot", the record\'s name "ci-bot"',
      ),
    );
  });
});

describe("SqliteAuthStore failures name the operation", () => {
  const group = makeGroup("billing");
  const record = makeToken({ name: "ci-bot" });
  const operations: Array<[string, SqliteAuthStoreCacheOptions, (s: SqliteAuthStore) => unknown]> =
    [
      ["read group", {}, (store) => store.getGroup(group.id)],
      ["find group", {}, (store) => store.findGroupByName("billing")],
      ["list groups", {}, (store) => store.listGroups()],
      ["insert group", {}, (store) => store.insertGroup(makeGroup("finance"))],
      ["update group", {}, (store) => store.updateGroup(group)],
      ["read token", {}, (store) => store.getToken(record.id)],
      ["read token", { tokenCacheSize: 0 }, (store) => store.getToken(record.id)],
      ["find token", {}, (store) => store.findTokenByName("ci-bot")],
      ["list tokens", {}, (store) => store.listTokens()],
      ["check groups", {}, (store) => store.malformedRecords()],
      ["insert token", {}, (store) => store.insertToken(makeToken())],
      ["update token", {}, (store) => store.updateToken(record)],
    ];
  for (const [operation, options, run] of operations) {
    it(`${operation} (${JSON.stringify(options)}) on a closed store`, async () => {
      const { path, store } = setup(options);
      await store.insertGroup(group);
      await store.insertToken(record);
      await store.close();
      await check(() => run(store), {
        code: "store_unavailable",
        message: `SQLite store ${path}: ${operation} failed: the database is closed`,
        hint: "open a new store; close() is final",
        details: { path, operation },
      });
    });
  }

  it("check tokens, in a file whose tokens table is gone", async () => {
    const { path, store, sql } = setup();
    sql("ALTER TABLE tokens RENAME TO tokens_moved");
    await check(() => store.malformedRecords(), {
      code: "store_unavailable",
      message: `SQLite store ${path}: check tokens failed: SqliteError: no such table: tokens`,
      hint: `check the file ${path} (run \`gofr-auth doctor\`)`,
      details: { path, operation: "check tokens", sqlite_code: "SQLITE_ERROR" },
    });
  });
});

describe("SqliteAuthStore's default logger", () => {
  it("writes each skipped row to stderr as a gofr-auth-store WARNING line", async () => {
    const path = join(temp.dir(), "auth.db");
    const written: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    try {
      const store = new SqliteAuthStore({ path });
      temp.onCleanup(() => store.close());
      const record = makeToken();
      await store.insertToken(record);
      const raw = new Database(path);
      raw.prepare("UPDATE tokens SET record = 'not json' WHERE id = ?").run(record.id);
      raw.close();
      expect(await store.listTokens()).toEqual([]);

      const lines = written.flatMap((chunk) => chunk.split("\n")).filter((line) => line !== "");
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        {
          time: expect.any(String),
          level: "WARNING",
          logger: "gofr-auth-store",
          msg: "Skipped a stored record that cannot be read",
          kind: "token",
          id: record.id,
          where: `${path} tokens/${record.id}`,
          problem: "not JSON",
          hint: "repair or delete it; `gofr-auth doctor` lists such records",
        },
      ]);
    } finally {
      stderr.mockRestore();
    }
  });
});
