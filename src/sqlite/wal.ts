/**
 * Switching a new database file to WAL mode when several processes open it at once (a fleet
 * of services started together on one machine, or a service and the CLI).
 */
import { sqliteCode } from "./errors.js";

/** What {@link enableWal} needs of a connection (better-sqlite3's `Database`). */
export interface PragmaRunner {
  pragma(source: string, options: { simple: true }): unknown;
}

/** Blocks the thread for `ms` (opening is synchronous, as better-sqlite3 is). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * `PRAGMA journal_mode = WAL`, retried on `SQLITE_BUSY` until `busyTimeoutMs` has passed.
 * Switching a file that is still in rollback mode upgrades a read lock to a write lock; when
 * two connections do that at once, SQLite answers one of them `SQLITE_BUSY` at once without
 * calling its busy handler, because waiting could deadlock (sqlite.org/c3ref/busy_handler.html).
 * The other one finishes the switch within milliseconds, after which the pragma only reads,
 * so a short retry is all it takes. Returns the journal mode SQLite reports.
 */
export function enableWal(
  db: PragmaRunner,
  busyTimeoutMs: number,
  options: { now?: () => number; sleep?: (ms: number) => void } = {},
): unknown {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepSync;
  const deadline = now() + busyTimeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      return db.pragma("journal_mode = WAL", { simple: true });
    } catch (error) {
      if (!sqliteCode(error)?.startsWith("SQLITE_BUSY") || now() + delay > deadline) throw error;
      sleep(delay);
    }
  }
}
