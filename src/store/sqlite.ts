/**
 * The embedded {@link AuthStore}: groups and token records in one SQLite file, as the Python
 * fleet's wire JSON (the same records Vault holds). A record written by another process (the
 * CLI, another service) is visible to the next call: `getToken` keeps parsed records, but
 * checks `PRAGMA data_version` on every call and drops them all once anyone else committed.
 */
import { AuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import {
  type AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
} from "../sqlite/database.js";
import { isPrimaryKeyViolation, isUniqueViolation } from "../sqlite/errors.js";
import { copyTokenRecord, type TokenRecord } from "../tokens/record.js";

import type { AuthStore } from "./store.js";
import { groupFromWire, groupToWire, tokenRecordFromWire, tokenRecordToWire } from "./wire.js";

/** Default for {@link SqliteAuthStoreCacheOptions.tokenCacheSize}. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

export interface SqliteAuthStoreCacheOptions {
  /**
   * How many parsed token records `getToken` keeps (oldest dropped first); 0 turns the cache
   * off. Default 10,000. The cache never serves a record older than the file: every call
   * checks `PRAGMA data_version` first.
   */
  tokenCacheSize?: number;
}

/** `{ database }` to share an open file, or `openAuthDatabase` options; plus the cache size. */
export type SqliteAuthStoreOptions = AuthDatabaseTarget & SqliteAuthStoreCacheOptions;

interface RecordRow {
  id: string;
  record: string;
}

type Table = "groups" | "tokens";
type Parse<T> = (raw: unknown, where: string) => T;

const SQL = {
  groupById: "SELECT id, record FROM groups WHERE id = ?",
  groupByName: "SELECT id, record FROM groups WHERE name = ?",
  groups: "SELECT id, record FROM groups ORDER BY name",
  insertGroup: "INSERT INTO groups (id, name, is_active, record) VALUES (?, ?, ?, ?)",
  updateGroup: "UPDATE groups SET name = ?, is_active = ?, record = ? WHERE id = ?",
  tokenById: "SELECT id, record FROM tokens WHERE id = ?",
  tokenByName: "SELECT id, record FROM tokens WHERE name = ?",
  tokens: "SELECT id, record FROM tokens ORDER BY created_at, id",
  insertToken: "INSERT INTO tokens (id, name, status, created_at, record) VALUES (?, ?, ?, ?, ?)",
  updateToken: "UPDATE tokens SET name = ?, status = ?, created_at = ?, record = ? WHERE id = ?",
} as const;

/**
 * Groups and token records in the embedded SQLite store. Inserts and updates are single
 * immediate transactions; the UNIQUE constraints on names make "never two groups with one
 * name" hold across processes. Close it with {@link SqliteAuthStore.close}.
 */
export class SqliteAuthStore implements AuthStore {
  readonly description: string;
  readonly database: AuthDatabase;
  #closed = false;
  // Parsed token records by id, valid while the file is unchanged since `#seenVersion`
  // (another connection's commits) and `#seenWrites` (this handle's writes, which a shared
  // handle may make through another store or the secret source). Never handed out: callers
  // get copies. Insertion order is the eviction order.
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #tokenCacheSize: number;
  #seenVersion = -1;
  #seenWrites = -1;

  constructor(options: SqliteAuthStoreOptions = {}) {
    const { tokenCacheSize = DEFAULT_TOKEN_CACHE_SIZE, ...target } = options;
    if (!Number.isSafeInteger(tokenCacheSize) || tokenCacheSize < 0) {
      throw new AuthError("config_invalid", "tokenCacheSize must be a whole number >= 0", {
        hint: `use ${DEFAULT_TOKEN_CACHE_SIZE}, or 0 to read every record from the file`,
      });
    }
    this.#tokenCacheSize = tokenCacheSize;
    this.database = attachAuthDatabase(target as AuthDatabaseTarget);
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
    return this.readOne("find group", SQL.groupByName, name, "groups", groupFromWire);
  }

  async listGroups(): Promise<Group[]> {
    return this.readAll("list groups", SQL.groups, "groups", groupFromWire);
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
      return this.readOne("read token", SQL.tokenById, id, "tokens", tokenRecordFromWire);
    }
    return this.database.read("read token", () => {
      const version = this.database.dataVersion();
      const writes = this.database.writeCount;
      if (version !== this.#seenVersion || writes !== this.#seenWrites) {
        this.#tokens.clear();
        this.#seenVersion = version;
        this.#seenWrites = writes;
      }
      let record = this.#tokens.get(id);
      if (record === undefined) {
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
    return this.readOne("find token", SQL.tokenByName, name, "tokens", tokenRecordFromWire);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.readAll("list tokens", SQL.tokens, "tokens", tokenRecordFromWire);
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

  private readOne<T>(
    operation: string,
    sql: string,
    key: string,
    table: Table,
    parse: Parse<T>,
  ): T | undefined {
    return this.database.read(operation, () => {
      const row = this.database.statement(sql).get(key) as RecordRow | undefined;
      return row === undefined ? undefined : this.parseRow(row, table, parse);
    });
  }

  private readAll<T>(operation: string, sql: string, table: Table, parse: Parse<T>): T[] {
    return this.database.read(operation, () =>
      (this.database.statement(sql).all() as RecordRow[]).map((row) =>
        this.parseRow(row, table, parse),
      ),
    );
  }

  // Parses fresh JSON: the result shares nothing with other reads or the token cache.
  private parseRow<T>(row: RecordRow, table: Table, parse: Parse<T>): T {
    const where = `${this.path} ${table}/${row.id}`;
    let raw: unknown;
    try {
      raw = JSON.parse(row.record);
    } catch {
      throw new AuthError("store_unavailable", `Malformed record at ${where}: not JSON`, {
        hint: "the stored record was written by an incompatible tool; inspect and repair it",
        details: { where },
      });
    }
    return parse(raw, where);
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
