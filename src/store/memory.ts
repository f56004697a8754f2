import { AuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import type { TokenRecord } from "../tokens/record.js";
import type { AuthStore } from "./store.js";

/** A process-local store for tests and single-process tools. */
export class MemoryAuthStore implements AuthStore {
  readonly description = "memory";
  private readonly groups = new Map<string, Group>();
  private readonly tokens = new Map<string, TokenRecord>();

  async getGroup(id: string): Promise<Group | undefined> {
    return copy(this.groups.get(id));
  }

  async findGroupByName(name: string): Promise<Group | undefined> {
    return copy([...this.groups.values()].find((group) => group.name === name));
  }

  async listGroups(): Promise<Group[]> {
    return [...this.groups.values()].map((group) => structuredClone(group));
  }

  async insertGroup(group: Group): Promise<void> {
    if ([...this.groups.values()].some((existing) => existing.name === group.name)) {
      throw new AuthError("group_exists", `Group '${group.name}' already exists`);
    }
    this.groups.set(group.id, structuredClone(group));
  }

  async updateGroup(group: Group): Promise<void> {
    requireExisting(this.groups, group.id, "group");
    this.groups.set(group.id, structuredClone(group));
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    return copy(this.tokens.get(id));
  }

  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    return copy([...this.tokens.values()].find((record) => record.name === name));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return [...this.tokens.values()].map((record) => structuredClone(record));
  }

  async insertToken(record: TokenRecord): Promise<void> {
    if (record.name !== null && (await this.findTokenByName(record.name))) {
      throw new AuthError("token_name_taken", `A token named '${record.name}' already exists`, {
        hint: "pick another name or revoke and rename the old token",
      });
    }
    this.tokens.set(record.id, structuredClone(record));
  }

  async updateToken(record: TokenRecord): Promise<void> {
    requireExisting(this.tokens, record.id, "token");
    this.tokens.set(record.id, structuredClone(record));
  }
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}

function requireExisting(map: Map<string, unknown>, id: string, what: string): void {
  if (!map.has(id)) {
    throw new AuthError("invalid_input", `No ${what} with id ${id} to update`);
  }
}
