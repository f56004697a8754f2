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
 * token index is created (seeded from a scan) on first use. The Python fleet rewrites the
 * group index without check-and-set and can drop our entries, so a name missing from the
 * group index is also looked for among the records, and put back when found.
 *
 * Every write is safe to resend: the client resends a POST whose answer was lost, so a
 * write may land twice or meet its own first try (see `writeNew` and `vault-index.ts`).
 *
 * A record that cannot be read (bad fields, an id other than its path's) fails its own
 * lookups (`store_unavailable`: a token is never accepted on a record that cannot be
 * trusted), but listings and name scans skip it with a WARNING (once per path) and
 * `malformedRecords()` lists it for `doctor`: one bad record never blocks the fleet.
 *
 * `getToken` (the store check of every verification) is cached: found records for
 * `tokenCacheTtlSeconds` (default 30 s), missing ids for `negativeCacheTtlSeconds` (5 s).
 * Writes through this store update the cache at once, and `updateToken` (a revocation)
 * appends to the change marker, so a `ChangePoller` in every other process forgets that
 * record within its interval; writers without the marker (the Python fleet) are seen
 * within the TTL.
 */
import { DEFAULT_KV_MOUNT, DEFAULT_PATH_PREFIX } from "../defaults.js";
import { AuthError, isAuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import { type Logger, silentLogger } from "../log.js";
import { ChangeMarker } from "../propagation/marker.js";
import type { TokenRecord } from "../tokens/record.js";
import type { VaultClient } from "../vault/client.js";
import type { KvV2 } from "../vault/kv.js";
import {
  type RecordCache,
  type TokenCacheSettings,
  tokenRecordCache,
} from "../vault/record-cache.js";
import {
  findIndexDrift,
  type IndexDrift,
  type IndexKind,
  type NameIndexChecks,
} from "./index-drift.js";
import { sameJson } from "./kv-json.js";
import {
  earliest,
  type MalformedRecord,
  MalformedWarnings,
  nameMap,
  type RecordChecks,
  scanRecords,
} from "./record-scan.js";
import type { AuthStore } from "./store.js";
import { NameIndexes } from "./vault-index.js";
import { groupFromWire, groupToWire, tokenRecordFromWire, tokenRecordToWire } from "./wire.js";

export interface VaultAuthStoreOptions extends TokenCacheSettings {
  client: VaultClient;
  /** KV v2 mount. Default `secret`. */
  mount?: string;
  /** Path prefix inside the mount. Default `gofr/auth` (never derived from an env prefix). */
  pathPrefix?: string;
  /**
   * Keep `<prefix>/tokens/_index/names` so concurrent inserts of one token name cannot both
   * win. Default true. Reads work without it (records are scanned).
   */
  tokenNameIndex?: boolean;
  /** Check-and-set rounds before giving up under contention. Default 32. */
  casAttempts?: number;
  /** The change marker `updateToken` appends to. Default: `<pathPrefix>/_changes`; false: none. */
  changes?: ChangeMarker | false;
  /** Parallel reads when scanning records: at least 1 (else `config_invalid`). Default 8. */
  scanConcurrency?: number;
  logger?: Logger;
}

/** Record ids are path segments: no `/`, no leading `_` (reserved for `_index`). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class VaultAuthStore implements AuthStore, NameIndexChecks, RecordChecks {
  readonly description: string;
  readonly mount: string;
  readonly pathPrefix: string;
  private readonly kv: KvV2;
  private readonly indexes: NameIndexes;
  private readonly cache: RecordCache<TokenRecord>;
  private readonly tokenNameIndex: boolean;
  private readonly scanConcurrency: number;
  private readonly malformed: MalformedWarnings;
  private readonly changes: ChangeMarker | undefined;

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
    this.scanConcurrency = scanLimit(options.scanConcurrency ?? 8);
    const logger = options.logger ?? silentLogger;
    this.indexes = new NameIndexes({
      kv: this.kv,
      casAttempts: options.casAttempts ?? 32,
      logger,
      where: (path) => this.where(path),
    });
    this.malformed = new MalformedWarnings(logger);
    this.cache = tokenRecordCache<TokenRecord>(options);
    const marker = { kv: this.kv, pathPrefix: this.pathPrefix, clock: options.clock, logger };
    this.changes =
      options.changes === false ? undefined : (options.changes ?? new ChangeMarker(marker));
  }

  /** Cache counters: `hits` served from memory, `loads` that read Vault. */
  get cacheStats(): { hits: number; loads: number } {
    return { ...this.cache.stats };
  }

  /** `getToken`'s record reads from Vault and answers from memory. */
  get stats(): { recordReads: number; recordCacheHits: number } {
    return { recordReads: this.cache.stats.loads, recordCacheHits: this.cache.stats.hits };
  }

  /** The next `getToken(id)` reads Vault (a load already running is not reused). */
  forgetToken(id: string): void {
    this.cache.delete(id);
  }

  /** Forgets every cached token record (the next `getToken` of each id reads Vault). */
  forgetAllTokens(): void {
    this.cache.clear();
  }

  // ---- groups -------------------------------------------------------------------------

  async getGroup(id: string): Promise<Group | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const path = this.groupPath(id);
    const secret = await this.kv.readOptional(path);
    return secret ? groupFromWire(secret.data, this.where(path), id) : undefined;
  }

  /**
   * Through the group index; when the index has no (valid) entry for the name, by scanning
   * the records, because a writer without check-and-set can drop an entry whose group
   * exists. A dropped entry found that way is put back (best effort).
   */
  async findGroupByName(name: string): Promise<Group | undefined> {
    const index = await this.indexes.read(this.groupIndexPath);
    const id = index.names[name];
    if (id !== undefined) {
      const group = await this.getGroup(id);
      if (group?.name === name) return group;
    }
    const found = earliest((await this.listGroups()).filter((group) => group.name === name));
    if (found && index.exists && id === undefined) {
      await this.indexes.putBack(this.groupIndexPath, name, found.id);
    }
    return found;
  }

  /** Every readable group; malformed ones are skipped (see {@link malformedRecords}). */
  async listGroups(): Promise<Group[]> {
    return (await this.scanGroups()).records;
  }

  async insertGroup(group: Group): Promise<void> {
    assertId(group.id, "group");
    const taken = (owner: string) =>
      new AuthError("group_exists", `Group '${group.name}' already exists`, {
        hint: "pick another name, or restore the existing group if it is defunct",
        details: { group: group.name, existing_id: owner },
      });
    // The index alone is not enough: an entry dropped by another writer would let a second
    // group take the name (gofr-reference.md B-10).
    const existing = await this.findGroupByName(group.name);
    if (existing && existing.id !== group.id) throw taken(existing.id);
    await this.indexes.claim(this.groupIndexPath, group.name, group.id, taken, async () =>
      nameMap(await this.listGroups()),
    );
    try {
      await this.writeNew(this.groupPath(group.id), { ...groupToWire(group) });
    } catch (error) {
      // A stored group of this id and name keeps its entry, even if this write was refused.
      if (!existing) await this.indexes.releaseQuietly(this.groupIndexPath, group.name, group.id);
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
    return structuredClone(record);
  }

  /**
   * Through the token index when it names the token, else by scanning every record (the
   * Python fleet writes no token index). A scan reads each record once: fine for operator
   * commands, not meant for request paths.
   */
  async findTokenByName(name: string): Promise<TokenRecord | undefined> {
    if (this.tokenNameIndex) {
      const index = await this.indexes.read(this.tokenIndexPath);
      const id = index.names[name];
      if (id !== undefined) {
        const record = await this.readToken(id);
        if (record?.name === name) return record;
      }
    }
    return earliest((await this.listTokens()).filter((record) => record.name === name));
  }

  /** Every readable token record; malformed ones are skipped (see {@link malformedRecords}). */
  async listTokens(): Promise<TokenRecord[]> {
    return (await this.scanTokens()).records;
  }

  async insertToken(record: TokenRecord): Promise<void> {
    assertId(record.id, "token");
    const name = record.name;
    const taken = (owner: string) =>
      new AuthError("token_name_taken", `A token named '${name}' already exists`, {
        hint: "pick another name or revoke and rename the old token",
        details: { name, existing_id: owner },
      });
    let existing: TokenRecord | undefined;
    if (name !== null) {
      existing = await this.findTokenByName(name);
      if (existing && existing.id !== record.id) throw taken(existing.id);
      if (this.tokenNameIndex) {
        await this.indexes.claim(this.tokenIndexPath, name, record.id, taken, async () =>
          nameMap(await this.listTokens()),
        );
      }
    }
    try {
      await this.writeNew(this.tokenPath(record.id), { ...tokenRecordToWire(record) });
    } catch (error) {
      // A stored token of this id and name keeps its entry, even if this write was refused.
      if (name !== null && this.tokenNameIndex && !existing) {
        await this.indexes.releaseQuietly(this.tokenIndexPath, name, record.id);
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
    // A whole-record write: resent after a lost answer, it writes the same data again.
    await this.kv.write(this.tokenPath(record.id), { ...tokenRecordToWire(record) });
    this.cache.set(record.id, structuredClone(record));
    await this.changes?.signal({ kind: "token", token_id: record.id });
  }

  /**
   * How the name indexes differ from the records (for `doctor`): the group index, and the
   * token index when it is kept and exists. An index that does not exist yet cannot drift:
   * lookups scan, and the next create writes it from the records.
   */
  async nameIndexDrift(): Promise<IndexDrift[]> {
    const drift = await this.indexDrift("group", this.groupIndexPath, () => this.listGroups());
    if (this.tokenNameIndex) {
      drift.push(...(await this.indexDrift("token", this.tokenIndexPath, () => this.listTokens())));
    }
    return drift;
  }

  /** The group and token records that scans skip because they cannot be read (for `doctor`). */
  async malformedRecords(): Promise<MalformedRecord[]> {
    const groups = await this.scanGroups();
    const tokens = await this.scanTokens();
    return [...groups.malformed, ...tokens.malformed];
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
    return secret ? tokenRecordFromWire(secret.data, this.where(path), id) : undefined;
  }

  // A folder lists sub-folders (`_index/`) and may list `_`-names too: `getGroup` and
  // `readToken` answer undefined for a key that is not a record id, without a request.
  private async scanGroups() {
    const ids = await this.kv.list(`${this.pathPrefix}/groups`);
    const scan = await scanRecords("group", ids, this.scanConcurrency, (id) => this.getGroup(id));
    this.malformed.warn(scan.malformed);
    return scan;
  }

  private async scanTokens() {
    const ids = await this.kv.list(`${this.pathPrefix}/tokens`);
    const scan = await scanRecords("token", ids, this.scanConcurrency, (id) => this.readToken(id));
    this.malformed.warn(scan.malformed);
    return scan;
  }

  /**
   * Writes a record that must not exist yet (`cas: 0`). When the record is there already
   * with exactly our data, it is our own write: the client resends a POST whose answer was
   * lost, and the resent one fails the check because the first had landed. The data are
   * compared as values: Vault returns them with sorted keys (docs/vault-contract.md row 17, M1).
   */
  private async writeNew(path: string, wire: Record<string, unknown>): Promise<void> {
    try {
      await this.kv.write(path, wire, { cas: 0 });
    } catch (error) {
      if (!isAuthError(error, "vault_cas_mismatch")) throw error;
      const stored = await this.kv.readOptional(path);
      if (stored && sameJson(stored.data, wire)) return;
      throw new AuthError("invalid_input", `A record already exists at ${this.where(path)}`, {
        hint: "ids are UUIDs; this one is already used",
        cause: error,
      });
    }
  }

  private async indexDrift(
    kind: IndexKind,
    path: string,
    list: () => Promise<ReadonlyArray<{ id: string; name: string | null }>>,
  ): Promise<IndexDrift[]> {
    const index = await this.indexes.read(path);
    if (!index.exists) return [];
    return findIndexDrift({
      kind,
      cliPath: `${this.mount}/${path}`,
      cliFolder: `${this.mount}/${path.slice(0, -"/_index/names".length)}`,
      names: index.names,
      version: index.version,
      records: await list(),
    });
  }
}

function assertId(id: string, what: string): void {
  if (!SAFE_ID.test(id)) {
    throw new AuthError("invalid_input", `Invalid ${what} id ${JSON.stringify(id)}`, {
      hint: "ids are UUIDs",
    });
  }
}

/** `scanConcurrency`: at least one read at a time (NaN would start no reads: an empty scan). */
function scanLimit(value: number): number {
  if (value >= 1) return value;
  throw new AuthError("config_invalid", `scanConcurrency must be >= 1, got ${value}`, {
    hint: "the number of records a scan reads at a time; the default is 8",
  });
}
