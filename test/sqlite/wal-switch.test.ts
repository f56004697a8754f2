/**
 * Two processes opening a new store file at once: SQLite may answer one of them SQLITE_BUSY
 * for the switch to WAL without waiting (a lock upgrade that could deadlock). Opening must
 * retry that within the busy timeout instead of failing the service's start-up
 * (test/sqlite/concurrency.test.ts saw it about once in five runs on a loaded machine).
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { enableWal } from "../../src/sqlite/wal.js";

function busy(): Error {
  return new Database.SqliteError("database is locked", "SQLITE_BUSY");
}

/** A connection whose first `failures` WAL switches answer `error()`, then "wal". */
function flakyConnection(failures: number, error: () => Error = busy) {
  const calls: string[] = [];
  return {
    calls,
    pragma(source: string) {
      calls.push(source);
      if (calls.length <= failures) throw error();
      return "wal";
    },
  };
}

/** A manual clock the sleeps advance, so no real time passes. */
function manualTime() {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe("switching a new store file to WAL while another process does the same", () => {
  it("retries SQLITE_BUSY with growing pauses until the other process has switched", () => {
    const db = flakyConnection(3);
    const time = manualTime();
    expect(enableWal(db, 5000, time)).toBe("wal");
    expect(db.calls).toEqual(Array(4).fill("journal_mode = WAL"));
    expect(time.slept).toEqual([5, 10, 20]);
  });

  it("gives up with SQLite's own error once the busy timeout would be passed", () => {
    const db = flakyConnection(Number.POSITIVE_INFINITY);
    const time = manualTime();
    expect(() => enableWal(db, 200, time)).toThrow("database is locked");
    // 5 + 10 + 20 + 40 + 80 = 155 ms slept; the next pause (100 ms, the cap) would pass 200 ms.
    expect(time.slept).toEqual([5, 10, 20, 40, 80]);
    expect(time.now()).toBeLessThanOrEqual(200);
  });

  it("does not retry other failures (a read-only file is not a lock)", () => {
    const db = flakyConnection(1, () => new Database.SqliteError("readonly", "SQLITE_READONLY"));
    const time = manualTime();
    expect(() => enableWal(db, 5000, time)).toThrow("readonly");
    expect(db.calls).toHaveLength(1);
    expect(time.slept).toEqual([]);
  });

  it("switches a real file on the first try when nobody else holds it", () => {
    const db = new Database(":memory:");
    // An in-memory database reports "memory": what matters is that nothing was retried.
    const time = manualTime();
    expect(enableWal(db, 5000, time)).toBe("memory");
    expect(time.slept).toEqual([]);
    db.close();
  });
});
