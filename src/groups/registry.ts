import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { AuthError, isAuthError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import type { AuthStore } from "../store/store.js";
import {
  assertValidGroupName,
  type Group,
  isReservedGroupName,
  RESERVED_GROUPS,
  type ReservedGroupName,
} from "./group.js";

export interface GroupRegistryOptions {
  clock?: Clock;
  logger?: Logger;
}

export interface ListGroupsOptions {
  /** Include defunct groups. Default false. */
  includeDefunct?: boolean;
}

/**
 * Groups and their rules. The reserved groups `public` and `admin` are created on first use
 * (idempotently, safe when several processes start at once) and can never be made defunct.
 */
export class GroupRegistry {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private reservedReady: Promise<void> | undefined;

  constructor(
    readonly store: AuthStore,
    options: GroupRegistryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Creates the reserved groups that are missing. Runs once per registry unless it fails. */
  ensureReservedGroups(): Promise<void> {
    this.reservedReady ??= this.createMissingReservedGroups().catch((error: unknown) => {
      this.reservedReady = undefined; // let the next call try again
      throw error;
    });
    return this.reservedReady;
  }

  async create(name: string, options: { description?: string } = {}): Promise<Group> {
    assertValidGroupName(name);
    if (isReservedGroupName(name)) {
      throw new AuthError("group_reserved", `'${name}' is a reserved group name`, {
        hint: "reserved groups (public, admin) exist already; pick another name",
      });
    }
    await this.ensureReservedGroups();
    const group: Group = {
      id: randomUUID(),
      name,
      description: options.description ?? null,
      isActive: true,
      createdAt: new Date(this.clock()),
      defunctAt: null,
      isReserved: false,
    };
    await this.store.insertGroup(group); // rejects group_exists atomically
    this.logger.info("Group created", { group: name, group_id: group.id });
    return group;
  }

  async getById(id: string): Promise<Group | undefined> {
    await this.ensureReservedGroups();
    return this.store.getGroup(id);
  }

  async getByName(name: string): Promise<Group | undefined> {
    await this.ensureReservedGroups();
    return this.store.findGroupByName(name);
  }

  /** Groups sorted by name; defunct ones only when asked. */
  async list(options: ListGroupsOptions = {}): Promise<Group[]> {
    await this.ensureReservedGroups();
    const groups = await this.store.listGroups();
    return groups
      .filter((group) => options.includeDefunct || group.isActive)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Soft delete. Returns false if the group was already defunct. */
  async makeDefunct(name: string): Promise<boolean> {
    const group = await this.require(name);
    if (group.isReserved || isReservedGroupName(group.name)) {
      throw new AuthError(
        "group_reserved",
        `Reserved group '${group.name}' cannot be made defunct`,
      );
    }
    if (!group.isActive) return false;
    await this.store.updateGroup({ ...group, isActive: false, defunctAt: new Date(this.clock()) });
    this.logger.info("Group made defunct", { group: name, group_id: group.id });
    return true;
  }

  /** Brings a defunct group back. Returns false if it was active. */
  async restore(name: string): Promise<boolean> {
    const group = await this.require(name);
    if (group.isActive) return false;
    await this.store.updateGroup({ ...group, isActive: true, defunctAt: null });
    this.logger.info("Group restored", { group: name, group_id: group.id });
    return true;
  }

  /**
   * The groups named, all of which must exist and be active (what a new token may carry).
   * Rejects `group_not_found` or `group_defunct` naming the first offender.
   */
  async requireActive(names: readonly string[]): Promise<Group[]> {
    const groups: Group[] = [];
    for (const name of names) {
      const group = await this.require(name);
      if (!group.isActive) {
        throw new AuthError("group_defunct", `Group '${name}' is defunct`, {
          hint: `restore it (gofr-auth groups restore ${name}) or pick an active group`,
        });
      }
      groups.push(group);
    }
    return groups;
  }

  private async require(name: string): Promise<Group> {
    const group = await this.getByName(name);
    if (!group) {
      throw new AuthError("group_not_found", `Group '${name}' does not exist`, {
        hint: `create it first (gofr-auth groups create ${name}) or check the spelling`,
      });
    }
    return group;
  }

  private async createMissingReservedGroups(): Promise<void> {
    for (const [name, description] of Object.entries(RESERVED_GROUPS)) {
      if (await this.store.findGroupByName(name)) continue;
      try {
        await this.store.insertGroup({
          id: randomUUID(),
          name: name as ReservedGroupName,
          description,
          isActive: true,
          createdAt: new Date(this.clock()),
          defunctAt: null,
          isReserved: true,
        });
        this.logger.info("Reserved group created", { group: name });
      } catch (error) {
        // Another process created it between our read and our write: that is success.
        if (!isAuthError(error, "group_exists")) throw error;
      }
    }
  }
}
