/**
 * Groups and token records in Vault KV v2, in the Python fleet's layout so both can share
 * one Vault:
 *
 * - `<prefix>/tokens/<uuid>`: token record (wire fields from `wire.ts`)
 * - `<prefix>/groups/<uuid>`: group
 * - `<prefix>/groups/_index/names`: `{ "<group name>": "<uuid>" }`
 * - `<prefix>/tokens/_index/names`: the same for token names (ours; optional, see below)
 *
 * Uniqueness under concurrent writers comes from check-and-set on the name index: a name
 * is claimed (index written with `cas` = the version read) before its record is written,
 * and a lost race re-reads the index and reports the name as taken. The Python fleet keeps
 * no token-name index, so token names are also checked by scanning the records, and the
 * token index is created (seeded from a scan) on first use.
 *
 * `getToken` (the store check of every verification) is cached: found records for
 * `tokenCacheTtlSeconds` (default 30 s: the bound on how long another process's revocation
 * takes to be seen here), missing ids for `negativeCacheTtlSeconds` (default 5 s). Writes
 * through this store update the cache at once, so a revocation is seen immediately in the
 * process that made it.
 */
import { type Clock, systemClock } from "../clock.js";
import { DEFAULT_KV_MOUNT, DEFAULT_PATH_PREFIX } from "../defaults.js";
import { AuthError, describeError, isAuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import { type Logger, silentLogger } from "../log.js";
import type { TokenRecord } from "../tokens/record.js";
import type { VaultClient } from "../vault/client.js";
import type { KvV2 } from "../vault/kv.js";
import { RecordCache } from "../vault/record-cache.js";
import type { AuthStore } from "./store.js";
import { groupFromWire, groupToWire, tokenRecordFromWire, tokenRecordToWire } from "./wire.js";

export interface VaultAuthStoreOptions {
  client: VaultClient;
  /** KV v2 mount. Default `secret`. */
  mount?: string;
  /** Path prefix inside the mount. Default `gofr/auth` (never derived from an env prefix). */
  pathPrefix?: string;
  /** How long a found token record is served from memory. Default 30 s; 0 disables. */
  tokenCacheTtlSeconds?: number;
  /** How long a missing token id is remembered. Default 5 s; 0 disables. */
  negativeCacheTtlSeconds?: number;
  /** Cached token ids kept at most. Default 10,000. */
  maxCachedTokens?: number;
  /**
   * Keep `<prefix>/tokens/_index/names` so concurrent inserts of one token name cannot both
   * win. Default true. Reads work without it (records are scanned).
   */
  tokenNameIndex?: boolean;
  /** Check-and-set rounds before giving up under contention. Default 32. */
  casAttempts?: number;
  /** Parallel reads when scanning records. Default 8. */
  scanConcurrency?: number;
  clock?: Clock;
  logger?: Logger;
}

interface NameIndex {
  names: Record<string, string>;
  /** Current KV version (the `cas` for the next write); 0 when the index never existed. */
  version: number;
  /** False when there is no readable index (never written, or deleted). */
  exists: boolean;
}

/** Record ids are path segments: no `/`, no leading `_` (reserved for `_index`). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class VaultAuthStore implements AuthStore {
  readonly description: string;
  readonly mount: string;
  readonly pathPrefix: string;
  private readonly kv: KvV2;
  private readonly cache: RecordCache<TokenRecord>;
  private readonly tokenNameIndex: boolean;
  private readonly casAttempts: number;
  private readonly scanConcurrency: number;
  private readonly logger: Logger;

  constructor(options: VaultAuthStoreOptions) {
    this.mount = options.mount ?? DEFAULT_KV_MOUNT;
    this.pathPrefix = (options.pathPrefix ?? DEFAULT_PATH_PREFIX).replace(/^\/+|\/+$/g, "");
    if (this.pathPrefix === "") {
      throw new AuthError("config_invalid", "The Vault path prefix must not be empty", {
        hint: `use the default '${DEFAULT_PATH_PREFIX}'`,
      });
    }
    this.kv = options.client.kv(this.mount);
    this.description = `${options.client.description} ${this.mount}/${this.pathPrefix}`;
    this.tokenNameIndex = options.tokenNameIndex ?? true;
    this.casAttempts = options.casAttempts ?? 32;
    this.scanConcurrency = Math.max(1, options.scanConcurrency ?? 8);
    this.logger = options.logger ?? silentLogger;
    this.cache = new RecordCache<TokenRecord>({
      ttlMs: seconds(options.tokenCacheTtlSeconds, 30, "tokenCacheTtlSeconds") * 1000,
      negativeTtlMs: seconds(options.negativeCacheTtlSeconds, 5, "negativeCacheTtlSeconds") * 1000,
      maxEntries: options.maxCachedTokens ?? 10_000,
      clock: options.clock ?? systemClock,
    });
  }

  /** Cache counters: `hits` served from memory, `loads` that read Vault. */
  get cacheStats(): { hits: number; loads: number } {
    return { ...this.cache.stats };
  }

  /** Forgets every cached token record (the next `getToken` of each id reads Vault). */
  clearCache(): void {
    this.cache.clear();
  }

  // ---- groups -------------------------------------------------------------------------

  async getGroup(id: string): Promise<Group | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const path = this.groupPath(id);
    const secret = await this.kv.readOptional(path);
    return secret ? groupFromWire(secret.data, this.where(path)) : undefined;
  }

  async findGroupByName(name: string): Promise<Group | undefined> {
    const index = await this.readIndex(this.groupIndexPath);
    if (!index.exists) {
      // Groups written without an index (or after it was deleted): look at every record.
      return (await this.listGroups()).find((group) => group.name === name);
    }
    const id = index.names[name];
    if (id === undefined) return undefined;
    const group = await this.getGroup(id);
    return group?.name === name ? group : undefined;
  }

  async listGroups(): Promise<Group[]> {
    const folder = `${this.pathPrefix}/groups`;
    const ids = await this.recordIds(folder);
    const groups = await mapLimit(ids, this.scanConcurrency, (id) => this.getGroup(id));
    return groups.filter((group): group is Group => group !== undefined);
  }

  async insertGroup(group: Group): Promise<void> {
    assertId(group.id, "group");
    await this.claimName(
      this.groupIndexPath,
      group.name,
      group.id,
      (owner) =>
        new AuthError("group_exists", `Group '${group.name}' already exists`, {
          hint: "pick another name, or restore the existing group if it is defunct",
          details: { group: group.name, existing_id: owner },
        }),
      async () => nameMap(await this.listGroups()),
    );
    try {
      await this.writeNew(this.groupPath(group.id), { ...groupToWire(group) });
    } catch (error) {
      await this.releaseName(this.groupIndexPath, group.name, group.id);
      throw error;
    }
  }

  async updateGroup(group: Group): Promise<void> {
    assertId(group.id, "group");
    const stored = await this.getGroup(group.id);
    if (!stored) {
      throw new AuthError("invalid_input", `No group with id ${group.id} to update`, {
        hint: "create it first",
      });
    }
    if (stored.name !== group.name) {
      throw new AuthError("invalid_input", `Group ${group.id} cannot be renamed`, {
        hint: "the name index maps names to ids; create a new group instead",
      });
    }
    await this.kv.write(this.groupPath(group.id), { ...groupToWire(group) });
  }

  // ---- tokens -------------------------------------------------------------------------

  async getToken(id: string): Promise<TokenRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const record = await this.cache.get(id, () => this.readToken(id));
    return record === undefined ? undefined : structuredClone(record);
  }

  /**
   * Through the token index when it names the token, else by scanning every record (the
   * Python fleet writes no token index). A scan reads each record once: fine for operator
   * commands, not meant for request paths.
   */
  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    if (this.tokenNameIndex) {
      const index = await this.readIndex(this.tokenIndexPath);
      const id = index.names[name];
      if (id !== undefined) {
        const record = await this.readToken(id);
        if (record?.name === name) return record;
      }
    }
    return (await this.listTokens()).find((record) => record.name === name);
  }

  async listTokens(): Promise<TokenRecord[]> {
    const ids = await this.recordIds(`${this.pathPrefix}/tokens`);
    const records = await mapLimit(ids, this.scanConcurrency, (id) => this.readToken(id));
    return records.filter((record): record is TokenRecord => record !== undefined);
  }

  async insertToken(record: TokenRecord): Promise<void> {
    assertId(record.id, "token");
    const name = record.name;
    const taken = (owner: string) =>
      new AuthError("token_name_taken", `A token named '${name}' already exists`, {
        hint: "pick another name or revoke and rename the old token",
        details: { name, existing_id: owner },
      });
    if (name !== null) {
      const existing = await this.findTokenByName(name);
      if (existing && existing.id !== record.id) throw taken(existing.id);
      if (this.tokenNameIndex) {
        await this.claimName(this.tokenIndexPath, name, record.id, taken, async () =>
          nameMap((await this.listTokens()).filter((token) => token.name !== null)),
        );
      }
    }
    try {
      await this.writeNew(this.tokenPath(record.id), { ...tokenRecordToWire(record) });
    } catch (error) {
      if (name !== null && this.tokenNameIndex) {
        await this.releaseName(this.tokenIndexPath, name, record.id);
      }
      throw error;
    }
    this.cache.set(record.id, structuredClone(record));
  }

  async updateToken(record: TokenRecord): Promise<void> {
    assertId(record.id, "token");
    // Read past the cache: never update a record that is gone.
    const stored = await this.readToken(record.id);
    if (!stored) {
      this.cache.set(record.id, undefined);
      throw new AuthError("invalid_input", `No token with id ${record.id} to update`, {
        hint: "list tokens to find the id",
      });
    }
    if (stored.name !== record.name) {
      throw new AuthError("invalid_input", `Token ${record.id} cannot be renamed`, {
        hint: "names are indexed; mint a new token instead",
      });
    }
    await this.kv.write(this.tokenPath(record.id), { ...tokenRecordToWire(record) });
    this.cache.set(record.id, structuredClone(record));
  }

  /** Drops the cache. The Vault client belongs to the caller and stays open. */
  async close(): Promise<void> {
    this.cache.clear();
  }

  // ---- layout -------------------------------------------------------------------------

  private tokenPath(id: string): string {
    return `${this.pathPrefix}/tokens/${id}`;
  }

  private groupPath(id: string): string {
    return `${this.pathPrefix}/groups/${id}`;
  }

  private get groupIndexPath(): string {
    return `${this.pathPrefix}/groups/_index/names`;
  }

  private get tokenIndexPath(): string {
    return `${this.pathPrefix}/tokens/_index/names`;
  }

  private where(path: string): string {
    return `vault ${this.mount}/${path}`;
  }

  private async readToken(id: string): Promise<TokenRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const path = this.tokenPath(id);
    const secret = await this.kv.readOptional(path);
    return secret ? tokenRecordFromWire(secret.data, this.where(path)) : undefined;
  }

  /** Record keys in a folder: sub-folders (`_index/`) and `_`-names are not records. */
  private async recordIds(folder: string): Promise<string[]> {
    const keys = await this.kv.list(folder);
    return keys.filter((key) => !key.endsWith("/") && SAFE_ID.test(key));
  }

  /** Writes a record that must not exist yet (`cas: 0`), tolerating our own retried write. */
  private async writeNew(path: string, wire: Record<string, unknown>): Promise<void> {
    try {
      await this.kv.write(path, wire, { cas: 0 });
    } catch (error) {
      if (!isAuthError(error, "vault_cas_mismatch")) throw error;
      const stored = await this.kv.readOptional(path);
      // A retried request whose first attempt had landed: the record is ours.
      if (stored && JSON.stringify(stored.data) === JSON.stringify(wire)) return;
      throw new AuthError("invalid_input", `A record already exists at ${this.where(path)}`, {
        hint: "ids are UUIDs; this one is already used",
        cause: error,
      });
    }
  }

  private async readIndex(path: string): Promise<NameIndex> {
    const secret = await this.kv.readOptional(path);
    if (secret) {
      const names: Record<string, string> = {};
      for (const [name, id] of Object.entries(secret.data)) {
        if (typeof id !== "string") {
          throw new AuthError(
            "store_unavailable",
            `Malformed name index at ${this.where(path)}: the entry for '${name}' is not a string`,
            { hint: "the index must map names to record ids; repair it", details: { path } },
          );
        }
        names[name] = id;
      }
      return { names, version: secret.version, exists: true };
    }
    // Deleted (not destroyed) indexes still have versions: check-and-set needs the current one.
    const metadata = await this.kv.readMetadata(path);
    return { names: {}, version: metadata?.currentVersion ?? 0, exists: false };
  }

  /**
   * Maps `name` to `id` in the index with check-and-set, re-reading after every lost
   * race. Rejects with `taken(owner)` when another id holds the name. When there is no
   * index yet, it is created from `seed()` (the records already stored) plus this name.
   */
  private async claimName(
    path: string,
    name: string,
    id: string,
    taken: (owner: string) => AuthError,
    seed: () => Promise<Record<string, string>>,
  ): Promise<void> {
    for (let attempt = 1; attempt <= this.casAttempts; attempt += 1) {
      const index = await this.readIndex(path);
      const names = index.exists ? index.names : { ...(await seed()), ...index.names };
      const owner = names[name];
      if (owner === id) return; // a retried write of ours had landed
      if (owner !== undefined) throw taken(owner);
      try {
        await this.kv.write(path, { ...names, [name]: id }, { cas: index.version });
        return;
      } catch (error) {
        if (!isAuthError(error, "vault_cas_mismatch")) throw error;
        this.logger.debug("Name index changed while claiming; retrying", {
          path,
          name,
          attempt,
        });
      }
    }
    throw new AuthError(
      "store_unavailable",
      `Could not update the name index ${this.where(path)} after ${this.casAttempts} attempts`,
      { hint: "too many concurrent writers; retry the operation", details: { path, name } },
    );
  }

  /** Undoes a claim after the record write failed, so the name is not blocked forever. */
  private async releaseName(path: string, name: string, id: string): Promise<void> {
    try {
      for (let attempt = 1; attempt <= this.casAttempts; attempt += 1) {
        const index = await this.readIndex(path);
        if (index.names[name] !== id) return;
        const { [name]: _removed, ...rest } = index.names;
        try {
          await this.kv.write(path, rest, { cas: index.version });
          return;
        } catch (error) {
          if (!isAuthError(error, "vault_cas_mismatch")) throw error;
        }
      }
    } catch (error) {
      this.logger.warn("Could not release a name claimed for a record that was not written", {
        path,
        name,
        record_id: id,
        error: describeError(error),
      });
    }
  }
}

function nameMap(records: ReadonlyArray<{ id: string; name: string | null }>) {
  const names: Record<string, string> = {};
  for (const record of records) if (record.name !== null) names[record.name] ??= record.id;
  return names;
}

function assertId(id: string, what: string): void {
  if (!SAFE_ID.test(id)) {
    throw new AuthError("invalid_input", `Invalid ${what} id ${JSON.stringify(id)}`, {
      hint: "ids are UUIDs",
    });
  }
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0) {
    throw new AuthError("config_invalid", `${name} must be >= 0, got ${value}`);
  }
  return chosen;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await run(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
