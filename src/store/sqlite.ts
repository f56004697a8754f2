/**
 * The embedded {@link AuthStore}: groups and token records in one SQLite file, as the Python
 * fleet's wire JSON (the same records Vault holds). Nothing is cached between calls, so a
 * record written by another process (the CLI, another service) is visible to the next call.
 */
import { AuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import {
  type AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
} from "../sqlite/database.js";
import { isPrimaryKeyViolation, isUniqueViolation } from "../sqlite/errors.js";
import type { TokenRecord } from "../tokens/record.js";
import type { AuthStore } from "./store.js";
import { groupFromWire, groupToWire, tokenRecordFromWire, tokenRecordToWire } from "./wire.js";

/** Options: `{ database }` to share an open file, or `openAuthDatabase` options. */
export type SqliteAuthStoreOptions = AuthDatabaseTarget;

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

  constructor(options: SqliteAuthStoreOptions = {}) {
    this.database = attachAuthDatabase(options);
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
    this.database.write("insert group", () => {
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
    this.database.write("update group", () => {
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

  async getToken(id: string): Promise<TokenRecord | undefined> {
    return this.readOne("read token", SQL.tokenById, id, "tokens", tokenRecordFromWire);
  }

  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    return this.readOne("find token", SQL.tokenByName, name, "tokens", tokenRecordFromWire);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.readAll("list tokens", SQL.tokens, "tokens", tokenRecordFromWire);
  }

  async insertToken(record: TokenRecord): Promise<void> {
    const wire = tokenRecordToWire(record);
    this.database.write("insert token", () => {
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
    this.database.write("update token", () => {
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
    this.database.release();
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

  // Every read parses fresh JSON, so callers get copies they may mutate freely.
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
