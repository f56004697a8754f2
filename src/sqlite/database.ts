/**
 * Opening the embedded store: one SQLite file, shared by every process on the machine (the
 * CLI and running services). WAL mode lets readers run while one process writes; every
 * write is an immediate transaction, and `busy_timeout` makes a second writer wait for the
 * lock instead of failing with `SQLITE_BUSY`.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { AuthError, describeError } from "../errors.js";
import { consoleLogger, type Logger } from "../log.js";
import { closedError, toStoreError } from "./errors.js";
import { MIGRATIONS, type Migration, migrate } from "./migrations.js";
import { type LoosePermissionsPolicy, prepareFile, prepareFolder } from "./permissions.js";
import { enableWal } from "./wal.js";

/** Where the store lives unless told otherwise (relative to the working directory). */
export const DEFAULT_AUTH_DB_PATH = "./.gofr-auth/auth.db";
/** How long a writer waits for another process's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenAuthDatabaseOptions {
  /** The database file. Default `./.gofr-auth/auth.db`. Missing folders are created (0700). */
  path?: string;
  /**
   * Create the file (and folder) when missing. Default true. With false, a missing file
   * fails with `store_unavailable` (e.g. for `doctor`, which must not create anything).
   */
  create?: boolean;
  /** How long to wait for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * An existing file (or `-wal`/`-shm`) that group or others can access: `fix` (default)
   * changes it to 0600 and logs a warning; `refuse` fails with `config_invalid`.
   */
  loosePermissions?: LoosePermissionsPolicy;
  /** Receives permission warnings. Default: JSON lines on stderr, level warn. */
  logger?: Logger;
  /** Schema steps; only tests pass this (to try upgrades). Default: the built-in schema. */
  migrations?: readonly Migration[];
}

/** Either an open database to share, or the options to open one. */
export type AuthDatabaseTarget = { database: AuthDatabase } | OpenAuthDatabaseOptions;

/**
 * An open embedded-store file. A {@link SqliteAuthStore} and a {@link SqliteSecretSource} may
 * share one: each `retain()`s it and `release()`s it on `close()`, and the file closes when
 * the last user lets go. {@link AuthDatabase.close} closes it at once for everyone.
 */
export class AuthDatabase {
  /** Absolute path of the file. */
  readonly path: string;
  /** `sqlite <path>`, for messages. */
  readonly description: string;
  /** The schema version of the file (equal to the code's after opening). */
  readonly schemaVersion: number;
  readonly busyTimeoutMs: number;
  readonly #db: Database.Database;
  // Prepared statements, not data: caching them cannot serve stale records.
  readonly #statements = new Map<string, Database.Statement>();
  #dataVersion: Database.Statement | undefined;
  #writes = 0;
  #users = 0;

  /** Use {@link openAuthDatabase}. */
  constructor(db: Database.Database, path: string, schemaVersion: number, busyTimeoutMs: number) {
    this.#db = db;
    this.path = path;
    this.description = `sqlite ${path}`;
    this.schemaVersion = schemaVersion;
    this.busyTimeoutMs = busyTimeoutMs;
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  /**
   * Runs `fn` (reads only) and maps any failure to an `AuthError`. A single statement is
   * already a consistent snapshot, so reads need no explicit transaction.
   */
  read<T>(operation: string, fn: () => T): T {
    this.assertOpen(operation);
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.path, operation, this.busyTimeoutMs);
    }
  }

  /**
   * Runs `fn` as one `BEGIN IMMEDIATE` transaction: the write lock is taken before the first
   * read, so a read-then-write never interleaves with another process's (a deferred
   * transaction upgrading its lock gets `SQLITE_BUSY` without waiting). Throwing rolls back.
   */
  write<T>(operation: string, fn: () => T): T {
    this.assertOpen(operation);
    // Counted before and after: anything read while the transaction was open is stale too
    // if it rolls back. See `writeCount`.
    this.#writes += 1;
    try {
      return this.#db.transaction(fn).immediate();
    } catch (error) {
      throw toStoreError(error, this.path, operation, this.busyTimeoutMs);
    } finally {
      this.#writes += 1;
    }
  }

  /**
   * How many times {@link write} was entered or left on this handle. SQLite's `data_version`
   * does not change for a connection's own commits; together with {@link dataVersion} this
   * tells a reader whether anything may have changed since it last looked.
   */
  get writeCount(): number {
    return this.#writes;
  }

  /**
   * `PRAGMA data_version`: changes (on this handle) whenever another connection, in this
   * process or any other, has committed to the file since the previous call. It does not
   * change for this handle's own writes (see {@link writeCount}). One short read
   * transaction, no table access. Map failures like {@link read} (call it inside one).
   */
  dataVersion(): number {
    this.#dataVersion ??= this.#db.prepare("PRAGMA data_version").pluck();
    return this.#dataVersion.get() as number;
  }

  /**
   * A prepared statement for gofr-auth's own tables (prepared once per handle). Statements
   * that change data must run inside {@link write}: readers that cache (the store's token
   * records) only notice this handle's own changes through {@link writeCount}.
   */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * SQLite's `PRAGMA quick_check`: the problems it finds in the file's pages and records
   * (at most `maxProblems`), or `[]` when the file is sound. It reads every page (seconds
   * for a large file) but skips the index-content cross-check of `integrity_check`. A
   * failure to run the check counts as a problem: it is what a damaged file does.
   */
  quickCheck(maxProblems = 20): string[] {
    this.assertOpen("quick_check");
    const limit = Math.max(1, Math.trunc(maxProblems));
    try {
      const rows = this.#db.pragma(`quick_check(${limit})`, { simple: false }) as Array<
        Record<string, unknown>
      >;
      // One row per problem, a row may hold several lines; "*** in database main ***"
      // only says which attached database (there is one).
      const problems = rows
        .flatMap((row) => String(Object.values(row)[0]).split("\n"))
        .map((line) => line.trim())
        .filter((line) => line !== "" && !/^\*\*\* in database \w+ \*\*\*$/.test(line));
      return problems.length === 1 && problems[0] === "ok" ? [] : problems;
    } catch (error) {
      return [describeError(error)];
    }
  }

  /** Registers one more user; pair with {@link release}. */
  retain(): this {
    this.assertOpen("attach to the database");
    this.#users += 1;
    return this;
  }

  /** One user is done; the last one closes the file. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0) this.close();
  }

  /** Closes the file now, for every user. Idempotent. */
  close(): void {
    if (!this.#db.open) return;
    this.#statements.clear();
    this.#dataVersion = undefined;
    this.#db.close();
  }

  private assertOpen(operation: string): void {
    if (!this.#db.open) throw closedError(this.path, operation);
  }
}

/**
 * Opens (creating if needed) the embedded store file: folder 0700 and file 0600 when
 * created, existing permissions checked, WAL mode, `busy_timeout`, `synchronous=FULL`
 * (a committed revocation must survive a power cut) and schema migrations.
 */
export function openAuthDatabase(options: OpenAuthDatabaseOptions = {}): AuthDatabase {
  const given = options.path ?? DEFAULT_AUTH_DB_PATH;
  if (given.trim() === "" || given.trim() === ":memory:" || given.startsWith("file:")) {
    throw new AuthError("config_invalid", `Invalid SQLite store path ${JSON.stringify(given)}`, {
      hint: `use a file path, e.g. ${DEFAULT_AUTH_DB_PATH}`,
    });
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 0x7fffffff) {
    throw new AuthError("config_invalid", `busyTimeoutMs must be a whole number >= 0`, {
      hint: `use ${DEFAULT_BUSY_TIMEOUT_MS}`,
    });
  }
  const path = resolve(given);
  const policy = options.loosePermissions ?? "fix";
  const logger = options.logger ?? consoleLogger({ name: "gofr-auth-sqlite", level: "warn" });

  if (options.create === false && !existsSync(path)) {
    throw new AuthError("store_unavailable", `SQLite store ${path} does not exist`, {
      hint: "run `gofr-auth init` to create it, or point the store at the right file",
      details: { path, missing: true },
    });
  }
  prepareFolder(dirname(path), policy, logger);
  prepareFile(path, policy, logger);

  let db: Database.Database | undefined;
  try {
    // fileMustExist: the file was created above with mode 0600; SQLite would use 0644.
    db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
    const mode = enableWal(db, busyTimeoutMs);
    if (mode !== "wal") {
      throw new AuthError("store_unavailable", `SQLite store ${path} cannot use WAL mode`, {
        hint: "keep the database on a local filesystem (not NFS/SMB or a read-only mount)",
        details: { path, journal_mode: mode },
      });
    }
    db.pragma("synchronous = FULL");
    const schemaVersion = migrate(db, path, options.migrations ?? MIGRATIONS);
    return new AuthDatabase(db, path, schemaVersion, busyTimeoutMs);
  } catch (error) {
    db?.close();
    throw toStoreError(error, path, "open", busyTimeoutMs);
  }
}

/** A retained shared database, or a newly opened one owned by the caller. */
export function attachAuthDatabase(target: AuthDatabaseTarget = {}): AuthDatabase {
  if ("database" in target) return target.database.retain();
  return openAuthDatabase(target).retain();
}
