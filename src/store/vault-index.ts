/**
 * The name indexes of the Vault store (`<prefix>/groups/_index/names`,
 * `<prefix>/tokens/_index/names`): one KV secret `{ "<name>": "<id>" }` each, changed only
 * with check-and-set so concurrent writers of ours never lose each other's entries.
 *
 * Every change is a read-modify-write repeated after a lost race. That also makes each
 * change safe to retry after a lost answer: the client resends a POST whose answer never
 * came (`vault/client.ts`), a resent write whose first try had landed fails the CAS check
 * (vault-plugin-secrets-kv `path_data.go`, docs/vault-contract.md row 6), and the re-read then finds
 * the change already made.
 */
import { AuthError, describeError, isAuthError } from "../errors.js";
import type { Logger } from "../log.js";
import type { KvV2 } from "../vault/kv.js";
import { nameTable } from "./record-scan.js";

export interface NameIndex {
  /** Without a prototype (see `nameTable`): `names.constructor` is an entry or undefined. */
  names: Record<string, string>;
  /** Current KV version (the `cas` for the next write); 0 when the index never existed. */
  version: number;
  /** False when there is no readable index (never written, or deleted). */
  exists: boolean;
}

export interface NameIndexesOptions {
  kv: KvV2;
  /** Check-and-set rounds before giving up under contention. */
  casAttempts: number;
  logger: Logger;
  /** `vault <mount>/<path>`, for messages. */
  where: (path: string) => string;
}

/**
 * The new names for `index`, or `undefined` when nothing needs writing. May throw to
 * stop (a name taken by another id).
 */
type Change = (index: NameIndex) => Promise<Record<string, string> | undefined>;

export class NameIndexes {
  /** `path` + name entries that could not be put back (e.g. a read-only identity). */
  private readonly unrepairable = new Set<string>();

  constructor(private readonly options: NameIndexesOptions) {}

  async read(path: string): Promise<NameIndex> {
    const { kv, where } = this.options;
    const secret = await kv.readOptional(path);
    if (secret) {
      const names = nameTable();
      for (const [name, id] of Object.entries(secret.data)) {
        if (typeof id !== "string") {
          throw new AuthError(
            "store_unavailable",
            `Malformed name index at ${where(path)}: the entry for '${name}' is not a string`,
            { hint: "the index must map names to record ids; repair it", details: { path } },
          );
        }
        names[name] = id;
      }
      return { names, version: secret.version, exists: true };
    }
    // Deleted (not destroyed) indexes still have versions: check-and-set needs the current one.
    const metadata = await kv.readMetadata(path);
    return { names: nameTable(), version: metadata?.currentVersion ?? 0, exists: false };
  }

  /**
   * Maps `name` to `id`. Rejects with `taken(owner)` when another id holds the name. When
   * there is no index yet, it is created from `seed()` (the records already stored) plus
   * this name.
   */
  async claim(
    path: string,
    name: string,
    id: string,
    taken: (owner: string) => AuthError,
    seed: () => Promise<Record<string, string>>,
  ): Promise<void> {
    await this.change(path, name, async (index) => {
      const names = index.exists ? index.names : nameTable(await seed(), index.names);
      const owner = names[name];
      if (owner === id) return undefined; // already ours: a resent write of ours had landed
      if (owner !== undefined) throw taken(owner);
      return { ...names, [name]: id };
    });
  }

  /** Removes `name` if it still maps to `id` (undoing a claim whose record was not written). */
  async release(path: string, name: string, id: string): Promise<void> {
    await this.change(path, name, async (index) => {
      if (index.names[name] !== id) return undefined;
      const { [name]: _removed, ...rest } = index.names;
      return rest;
    });
  }

  /**
   * Puts back an entry another writer dropped: maps `name` to `id` only if the index
   * exists and holds no entry for the name (whoever holds it now keeps it). True when
   * this call wrote the entry.
   */
  adopt(path: string, name: string, id: string): Promise<boolean> {
    return this.change(path, name, async (index) =>
      index.exists && index.names[name] === undefined ? { ...index.names, [name]: id } : undefined,
    );
  }

  /** {@link release} after a record write failed; a failure to release is only logged. */
  async releaseQuietly(path: string, name: string, id: string): Promise<void> {
    try {
      await this.release(path, name, id);
    } catch (error) {
      this.options.logger.warn(
        "Could not release a name claimed for a record that was not written",
        { path, name, record_id: id, error: describeError(error) },
      );
    }
  }

  /**
   * {@link adopt}, best effort and logged: a read-only identity (every service) may not
   * write the index, and is not asked again for the same entry.
   */
  async putBack(path: string, name: string, id: string): Promise<void> {
    const entry = `${path}\n${name}`;
    if (this.unrepairable.has(entry)) return;
    const { logger } = this.options;
    try {
      if (await this.adopt(path, name, id)) {
        logger.warn("Put back a group name another writer had dropped from the index", {
          path,
          name,
          record_id: id,
        });
      }
    } catch (error) {
      this.unrepairable.add(entry);
      logger.warn("A group is missing from the name index and could not be put back", {
        path,
        name,
        record_id: id,
        error: describeError(error),
        hint: "run `gofr-auth doctor`",
      });
    }
  }

  /**
   * Read, change, write with `cas`; again after each lost race, at most `casAttempts` times.
   * True when it wrote, false when the change was not (or no longer) needed.
   */
  private async change(path: string, name: string, change: Change): Promise<boolean> {
    const { kv, casAttempts, logger, where } = this.options;
    for (let attempt = 1; attempt <= casAttempts; attempt += 1) {
      const index = await this.read(path);
      const names = await change(index);
      if (names === undefined) return false;
      try {
        await kv.write(path, names, { cas: index.version });
        return true;
      } catch (error) {
        if (!isAuthError(error, "vault_cas_mismatch")) throw error;
        logger.debug("Name index changed while writing it; retrying", { path, name, attempt });
      }
    }
    throw new AuthError(
      "store_unavailable",
      `Could not update the name index ${where(path)} after ${casAttempts} attempts`,
      { hint: "too many concurrent writers; retry the operation", details: { path, name } },
    );
  }
}
