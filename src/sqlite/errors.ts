/**
 * Turns SQLite failures into `AuthError`s. Callers of the embedded store never see a raw
 * `SqliteError` (nor `SQLITE_BUSY`): they get `store_unavailable` naming the file, the
 * operation and what to do. SQLite messages name tables and columns, never bound values,
 * so they are safe to include.
 */
import Database from "better-sqlite3";
import { AuthError, describeError } from "../errors.js";

/** The SQLite extended result code of `error` (e.g. `SQLITE_CONSTRAINT_UNIQUE`), if any. */
export function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** True for a violated UNIQUE constraint (not a primary key). */
export function isUniqueViolation(error: unknown): boolean {
  return sqliteCode(error) === "SQLITE_CONSTRAINT_UNIQUE";
}

/** True for a violated PRIMARY KEY constraint (an id that is already stored). */
export function isPrimaryKeyViolation(error: unknown): boolean {
  return sqliteCode(error) === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** What an operator can do about a given SQLite failure. */
function hintFor(code: string | undefined, path: string, busyTimeoutMs: number): string {
  if (code?.startsWith("SQLITE_BUSY") || code?.startsWith("SQLITE_LOCKED")) {
    return `another process held the database lock for more than ${busyTimeoutMs} ms; retry, and look for a stuck process using ${path}`;
  }
  if (
    code?.startsWith("SQLITE_READONLY") ||
    code?.startsWith("SQLITE_CANTOPEN") ||
    code?.startsWith("SQLITE_PERM") ||
    code?.startsWith("SQLITE_AUTH")
  ) {
    return `check that ${path}, its -wal/-shm files and its folder exist and are writable by this user`;
  }
  if (code?.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return `${path} is damaged or not a gofr-auth database; restore it from a backup`;
  }
  if (code?.startsWith("SQLITE_FULL") || code?.startsWith("SQLITE_IOERR")) {
    return `check free disk space and the health of the filesystem holding ${path}`;
  }
  return `check the file ${path} (run \`gofr-auth doctor\`)`;
}

/**
 * Wraps any failure of `operation` on the database at `path`. An `AuthError` passes through
 * unchanged: it already says what went wrong (e.g. `group_exists`).
 */
export function toStoreError(
  error: unknown,
  path: string,
  operation: string,
  busyTimeoutMs: number,
): AuthError {
  if (error instanceof AuthError) return error;
  const code = sqliteCode(error);
  return new AuthError(
    "store_unavailable",
    `SQLite store ${path}: ${operation} failed: ${describeError(error)}`,
    {
      cause: error,
      hint: hintFor(code, path, busyTimeoutMs),
      details: { path, operation, ...(code ? { sqlite_code: code } : {}) },
    },
  );
}

/** The error for any use of a database that was closed. */
export function closedError(path: string, operation: string): AuthError {
  return new AuthError(
    "store_unavailable",
    `SQLite store ${path}: ${operation} failed: the database is closed`,
    {
      hint: "open a new store; close() is final",
      details: { path, operation },
    },
  );
}
