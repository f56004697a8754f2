import { AuthError } from "../errors.js";
import { copyGroup, type Group } from "../groups/group.js";
import { copyTokenRecord, type TokenRecord } from "../tokens/record.js";
import type { AuthStore } from "./store.js";

/**
 * A process-local store for tests and single-process tools. Like every store it hands out
 * copies (see {@link copyTokenRecord}) and keeps copies of what it is given.
 */
export class MemoryAuthStore implements AuthStore {
  readonly description = "memory";
  private readonly groups = new Map<string, Group>();
  private readonly tokens = new Map<string, TokenRecord>();

  async getGroup(id: string): Promise<Group | undefined> {
    return copyIfAny(this.groups.get(id), copyGroup);
  }

  async findGroupByName(name: string): Promise<Group | undefined> {
    return copyIfAny(
      [...this.groups.values()].find((group) => group.name === name),
      copyGroup,
    );
  }

  async listGroups(): Promise<Group[]> {
    return [...this.groups.values()].map(copyGroup);
  }

  async insertGroup(group: Group): Promise<void> {
    if ([...this.groups.values()].some((existing) => existing.name === group.name)) {
      throw new AuthError("group_exists", `Group '${group.name}' already exists`);
    }
    refuseUsedId(this.groups, group.id, "group");
    this.groups.set(group.id, copyGroup(group));
  }

  async updateGroup(group: Group): Promise<void> {
    requireExisting(this.groups, group.id, "group");
    this.groups.set(group.id, copyGroup(group));
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    return copyIfAny(this.tokens.get(id), copyTokenRecord);
  }

  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    return copyIfAny(
      [...this.tokens.values()].find((record) => record.name === name),
      copyTokenRecord,
    );
  }

  async listTokens(): Promise<TokenRecord[]> {
    return [...this.tokens.values()].map(copyTokenRecord);
  }

  async insertToken(record: TokenRecord): Promise<void> {
    if (record.name !== null && (await this.findTokenByName(record.name))) {
      throw new AuthError("token_name_taken", `A token named '${record.name}' already exists`, {
        hint: "pick another name or revoke and rename the old token",
      });
    }
    refuseUsedId(this.tokens, record.id, "token");
    this.tokens.set(record.id, copyTokenRecord(record));
  }

  async updateToken(record: TokenRecord): Promise<void> {
    requireExisting(this.tokens, record.id, "token");
    this.tokens.set(record.id, copyTokenRecord(record));
  }
}

function copyIfAny<T>(value: T | undefined, copy: (value: T) => T): T | undefined {
  return value === undefined ? undefined : copy(value);
}

/** An insert never replaces a record: SQLite and Vault refuse a used id too (invalid_input). */
function refuseUsedId(map: Map<string, unknown>, id: string, what: string): void {
  if (map.has(id)) {
    throw new AuthError("invalid_input", `A ${what} with id ${id} already exists`, {
      hint: `give the new ${what} a fresh UUID`,
      details: { id },
    });
  }
}

function requireExisting(map: Map<string, unknown>, id: string, what: string): void {
  if (!map.has(id)) {
    throw new AuthError("invalid_input", `No ${what} with id ${id} to update`);
  }
}
