/**
 * The embedded {@link AuthStore}: groups and token records in one SQLite file, as the Python
 * fleet's wire JSON (the same records Vault holds). A record written by another process (the
 * CLI, another service) is visible to the next call: `getToken` keeps parsed records, but
 * checks `PRAGMA data_version` on every call and drops them all once anyone else committed.
 *
 * The JSON is the record; the `id`, `name` and `status` / `is_active` columns beside it
 * exist for keys and constraints, and must say the same. A row where they disagree (a
 * revocation made with SQL on `status`, a record copied under another id) is malformed:
 * its own lookups fail closed (`store_unavailable`), listings skip it with a WARNING, and
 * `malformedRecords()` lists it for `doctor`.
 */
import { AuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import { consoleLogger, type Logger } from "../log.js";
import {
  type AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
} from "../sqlite/database.js";
import { isPrimaryKeyViolation, isUniqueViolation } from "../sqlite/errors.js";
import { copyTokenRecord, type TokenRecord } from "../tokens/record.js";
import {
  describeMalformed,
  type MalformedRecord,
  MalformedWarnings,
  type RecordChecks,
} from "./record-scan.js";
import type { AuthStore } from "./store.js";
import {
  groupFromWire,
  groupToWire,
  isMalformedRecord,
  malformedRecord,
  tokenRecordFromWire,
  tokenRecordToWire,
} from "./wire.js";

/** Default for {@link SqliteAuthStoreCacheOptions.tokenCacheSize}. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

export interface SqliteAuthStoreCacheOptions {
  /**
   * How many parsed token records `getToken` keeps (oldest dropped first); 0 turns the cache
   * off. Default 10,000. The cache never serves a record older than the file: every call
   * checks `PRAGMA data_version` first.
   */
  tokenCacheSize?: number;
  /** Receives a WARNING per malformed record a listing skips. Default: JSON lines on stderr. */
  logger?: Logger;
}

/** What `getToken` (the per-request revocation check) did; published as metrics. */
export interface SqliteAuthStoreStats {
  /** Lookups that read the table: cache misses, or every lookup with the cache off. */
  recordReads: number;
  /** Lookups answered from the parsed-record cache. */
  recordCacheHits: number;
  /** `PRAGMA data_version` checks (one per lookup while the cache is on). */
  dataVersionChecks: number;
}

/** `{ database }` to share an open file, or `openAuthDatabase` options; plus the cache size. */
export type SqliteAuthStoreOptions = AuthDatabaseTarget & SqliteAuthStoreCacheOptions;

/** A row: the record's JSON and the columns that must agree with it. */
interface RecordRow {
  id: string;
  name: string | null;
  /** `tokens.status`, or `groups.is_active` (0 or 1). */
  state: string | number;
  record: string;
}

type Table = "groups" | "tokens";
type Parse<T> = (raw: unknown, where: string, storedAs: string) => T;

const GROUP_ROW = "SELECT id, name, is_active AS state, record FROM groups";
const TOKEN_ROW = "SELECT id, name, status AS state, record FROM tokens";

const SQL = {
  groupById: `${GROUP_ROW} WHERE id = ?`,
  groupByName: `${GROUP_ROW} WHERE name = ?`,
  groups: `${GROUP_ROW} ORDER BY name`,
  insertGroup: "INSERT INTO groups (id, name, is_active, record) VALUES (?, ?, ?, ?)",
  updateGroup: "UPDATE groups SET name = ?, is_active = ?, record = ? WHERE id = ?",
  tokenById: `${TOKEN_ROW} WHERE id = ?`,
  tokenByName: `${TOKEN_ROW} WHERE name = ?`,
  tokens: `${TOKEN_ROW} ORDER BY created_at, id`,
  insertToken: "INSERT INTO tokens (id, name, status, created_at, record) VALUES (?, ?, ?, ?, ?)",
  updateToken: "UPDATE tokens SET name = ?, status = ?, created_at = ?, record = ? WHERE id = ?",
} as const;

/**
 * Groups and token records in the embedded SQLite store. Inserts and updates are single
 * immediate transactions; the UNIQUE constraints on names make "never two groups with one
 * name" hold across processes. Close it with {@link SqliteAuthStore.close}.
 */
export class SqliteAuthStore implements AuthStore, RecordChecks {
  readonly description: string;
  readonly database: AuthDatabase;
  readonly #malformed: MalformedWarnings;
  #closed = false;
  // Parsed token records by id, valid while the file is unchanged since `#seenVersion`
  // (another connection's commits) and `#seenWrites` (this handle's writes, which a shared
  // handle may make through another store or the secret source). Never handed out: callers
  // get copies. Insertion order is the eviction order.
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #tokenCacheSize: number;
  // Stryker disable next-line UnaryOperator: the cache is empty until the first getToken, which takes both values
  #seenVersion = -1;
  // Stryker disable next-line UnaryOperator: as above (an in-step write before it still leaves an empty cache)
  #seenWrites = -1;
  /** Counters only: read by metrics, never used to decide anything. */
  readonly stats: SqliteAuthStoreStats = {
    recordReads: 0,
    recordCacheHits: 0,
    dataVersionChecks: 0,
  };

  constructor(options: SqliteAuthStoreOptions = {}) {
    const { tokenCacheSize = DEFAULT_TOKEN_CACHE_SIZE, logger, ...target } = options;
    if (!Number.isSafeInteger(tokenCacheSize) || tokenCacheSize < 0) {
      throw new AuthError("config_invalid", "tokenCacheSize must be a whole number >= 0", {
        hint: `use ${DEFAULT_TOKEN_CACHE_SIZE}, or 0 to read every record from the file`,
      });
    }
    this.#tokenCacheSize = tokenCacheSize;
    this.#malformed = new MalformedWarnings(
      logger ?? consoleLogger({ name: "gofr-auth-store", level: "warn" }),
    );
    this.database = attachAuthDatabase({ ...target, logger } as AuthDatabaseTarget);
    this.description = this.database.description;
  }

  /** Absolute path of the database file. */
  get path(): string {
    return this.database.path;
  }

  async getGroup(id: string): Promise<Group | undefined> {
    return this.readOne("read group", SQL.groupById, id, "groups", groupFromWire);
  }

  async findGroupByName(name: string): Promise<Group | undefined> {
    return this.readOne("find group", SQL.groupByName, name, "groups", groupFromWire, name);
  }

  /** Every readable group; malformed rows are skipped (see {@link malformedRecords}). */
  async listGroups(): Promise<Group[]> {
    return this.readAll("list groups", SQL.groups, "groups", groupFromWire).records;
  }

  async insertGroup(group: Group): Promise<void> {
    const wire = groupToWire(group);
    this.ownWrite("insert group", undefined, () => {
      try {
        this.database
          .statement(SQL.insertGroup)
          .run(wire.id, wire.name, wire.is_active ? 1 : 0, JSON.stringify(wire));
      } catch (error) {
        throw this.groupConflict(error, group) ?? error;
      }
    });
  }

  async updateGroup(group: Group): Promise<void> {
    const wire = groupToWire(group);
    this.ownWrite("update group", undefined, () => {
      let changes: number;
      try {
        changes = this.database
          .statement(SQL.updateGroup)
          .run(wire.name, wire.is_active ? 1 : 0, JSON.stringify(wire), wire.id).changes;
      } catch (error) {
        throw this.groupConflict(error, group) ?? error;
      }
      if (changes === 0) throw unknownId("group", group.id);
    });
  }

  /**
   * One `PRAGMA data_version` per call while the record is cached (no table read, no JSON);
   * the cache is dropped first whenever another connection committed or this handle wrote.
   */
  async getToken(id: string): Promise<TokenRecord | undefined> {
    if (this.#tokenCacheSize === 0) {
      this.stats.recordReads += 1;
      return this.readOne("read token", SQL.tokenById, id, "tokens", tokenRecordFromWire);
    }
    return this.database.read("read token", () => {
      const version = this.database.dataVersion();
      this.stats.dataVersionChecks += 1;
      const writes = this.database.writeCount;
      if (version !== this.#seenVersion || writes !== this.#seenWrites) {
        this.#tokens.clear();
        this.#seenVersion = version;
        this.#seenWrites = writes;
      }
      let record = this.#tokens.get(id);
      if (record !== undefined) {
        this.stats.recordCacheHits += 1;
      } else {
        this.stats.recordReads += 1;
        const row = this.database.statement(SQL.tokenById).get(id) as RecordRow | undefined;
        if (row === undefined) return undefined; // not cached: an insert must show at once
        record = this.parseRow(row, "tokens", tokenRecordFromWire);
        if (this.#tokens.size >= this.#tokenCacheSize) {
          this.#tokens.delete(this.#tokens.keys().next().value as string);
        }
        this.#tokens.set(id, record);
      }
      return copyTokenRecord(record);
    });
  }

  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    return this.readOne("find token", SQL.tokenByName, name, "tokens", tokenRecordFromWire, name);
  }

  /** Every readable token record; malformed rows are skipped (see {@link malformedRecords}). */
  async listTokens(): Promise<TokenRecord[]> {
    return this.readAll("list tokens", SQL.tokens, "tokens", tokenRecordFromWire).records;
  }

  /** The group and token rows that listings skip because they cannot be trusted (`doctor`). */
  async malformedRecords(): Promise<MalformedRecord[]> {
    return [
      ...this.readAll("check groups", SQL.groups, "groups", groupFromWire).malformed,
      ...this.readAll("check tokens", SQL.tokens, "tokens", tokenRecordFromWire).malformed,
    ];
  }

  async insertToken(record: TokenRecord): Promise<void> {
    const wire = tokenRecordToWire(record);
    this.ownWrite("insert token", record.id, () => {
      try {
        this.database
          .statement(SQL.insertToken)
          .run(wire.id, wire.name, wire.status, wire.created_at, JSON.stringify(wire));
      } catch (error) {
        throw this.tokenConflict(error, record) ?? error;
      }
    });
  }

  async updateToken(record: TokenRecord): Promise<void> {
    const wire = tokenRecordToWire(record);
    this.ownWrite("update token", record.id, () => {
      let changes: number;
      try {
        changes = this.database
          .statement(SQL.updateToken)
          .run(wire.name, wire.status, wire.created_at, JSON.stringify(wire), wire.id).changes;
      } catch (error) {
        throw this.tokenConflict(error, record) ?? error;
      }
      if (changes === 0) throw unknownId("token", record.id);
    });
  }

  /** Lets go of the database (closed when no secret source shares it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tokens.clear();
    this.database.release();
  }

  /**
   * A write through this store: its effect on the token cache is known (at most `tokenId`
   * changed), so the cache stays valid for every other record instead of being dropped for
   * the handle's write count. Only when the cache was in step before: a write by someone
   * else on the shared handle in between still drops everything. Another process's commit
   * just before ours is still caught by `data_version` on the next read.
   */
  private ownWrite(operation: string, tokenId: string | undefined, fn: () => void): void {
    const inStep = this.#seenWrites === this.database.writeCount;
    try {
      this.database.write(operation, fn);
    } finally {
      if (tokenId !== undefined) this.#tokens.delete(tokenId);
      if (inStep) this.#seenWrites = this.database.writeCount;
    }
  }

  private readOne<T extends Group | TokenRecord>(
    operation: string,
    sql: string,
    key: string,
    table: Table,
    parse: Parse<T>,
    byName?: string,
  ): T | undefined {
    return this.database.read(operation, () => {
      const row = this.database.statement(sql).get(key) as RecordRow | undefined;
      if (row === undefined) return undefined;
      const parsed = this.parseRow(row, table, parse);
      // Found through the name column: the record must carry that name, or a command
      // naming one token would act on another.
      if (byName !== undefined && parsed.name !== byName) {
        const where = `${this.path} ${table}/${row.id}`;
        const problem = `its name column is ${JSON.stringify(byName)}, the record's name ${JSON.stringify(parsed.name)}`;
        throw malformedRecord(where, problem, "name");
      }
      return parsed;
    });
  }

  /** Every row of `sql`, parsed; malformed rows are set aside (and warned about once). */
  private readAll<T extends Group | TokenRecord>(
    operation: string,
    sql: string,
    table: Table,
    parse: Parse<T>,
  ): { records: T[]; malformed: MalformedRecord[] } {
    const rows = this.database.read(operation, () =>
      this.database.statement(sql).all(),
    ) as RecordRow[];
    const records: T[] = [];
    const malformed: MalformedRecord[] = [];
    for (const row of rows) {
      try {
        records.push(this.parseRow(row, table, parse));
      } catch (error) {
        if (!isMalformedRecord(error)) throw error;
        malformed.push(describeMalformed(table === "groups" ? "group" : "token", row.id, error));
      }
    }
    this.#malformed.warn(malformed);
    return { records, malformed };
  }

  /**
   * Parses fresh JSON (the result shares nothing with other reads or the token cache) and
   * checks that the columns say what the record says.
   */
  private parseRow<T extends Group | TokenRecord>(
    row: RecordRow,
    table: Table,
    parse: Parse<T>,
  ): T {
    const where = `${this.path} ${table}/${row.id}`;
    let raw: unknown;
    try {
      raw = JSON.parse(row.record);
    } catch {
      throw malformedRecord(where, "not JSON");
    }
    const parsed = parse(raw, where, row.id);
    const problem = columnDisagreement(row, parsed);
    if (problem) throw malformedRecord(where, problem);
    return parsed;
  }

  private groupConflict(error: unknown, group: Group): AuthError | undefined {
    if (isUniqueViolation(error)) {
      return new AuthError("group_exists", `Group '${group.name}' already exists`, {
        hint: "pick another name, or restore the existing group if it is defunct",
        details: { group: group.name, path: this.path },
      });
    }
    if (isPrimaryKeyViolation(error)) return duplicateId("group", group.id);
    return undefined;
  }

  private tokenConflict(error: unknown, record: TokenRecord): AuthError | undefined {
    if (isUniqueViolation(error)) {
      return new AuthError("token_name_taken", `A token named '${record.name}' already exists`, {
        hint: "pick another name, or list tokens to find the existing one",
        details: { name: record.name, path: this.path },
      });
    }
    if (isPrimaryKeyViolation(error)) return duplicateId("token", record.id);
    return undefined;
  }
}

/**
 * Which column of `row` says something else than its record, or undefined when none. The
 * name is checked by the lookups that go through it (see `readOne`).
 */
function columnDisagreement(row: RecordRow, parsed: Group | TokenRecord): string | undefined {
  const recordState = "status" in parsed ? parsed.status : parsed.isActive ? 1 : 0;
  if (row.state !== recordState) {
    const column = "status" in parsed ? "status" : "is_active";
    return `its ${column} column is ${JSON.stringify(row.state)}, the record says ${JSON.stringify(recordState)} (the record is authoritative: change both, or revoke with gofr-auth)`;
  }
  return undefined;
}

function unknownId(what: string, id: string): AuthError {
  return new AuthError("invalid_input", `No ${what} with id ${id} to update`, {
    hint: `insert the ${what} first`,
    details: { id },
  });
}

function duplicateId(what: string, id: string): AuthError {
  return new AuthError("invalid_input", `A ${what} with id ${id} already exists`, {
    hint: `give the new ${what} a fresh UUID`,
    details: { id },
  });
}
