import type { Group } from "../groups/group.js";
import type { TokenRecord } from "../tokens/record.js";

/**
 * Where groups and token records live (memory, SQLite, Vault). Implementations make the
 * two inserts atomic: a name is never given to two groups, nor to two tokens, even when
 * several processes write at once. Reads return copies; callers may mutate them freely.
 * Failures reject with an `AuthError` (`store_unavailable` or a `vault_*` code).
 */
export interface AuthStore {
  /** Where the data lives, for messages (e.g. `sqlite ./.gofr-auth/auth.db`). */
  readonly description: string;

  getGroup(id: string): Promise<Group | undefined>;
  findGroupByName(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  /** Adds a new group; rejects `group_exists` if the name is taken, `invalid_input` if the id is. */
  insertGroup(group: Group): Promise<void>;
  /** Replaces a stored group (same id; the name does not change). */
  updateGroup(group: Group): Promise<void>;

  getToken(id: string): Promise<TokenRecord | undefined>;
  findTokenByName(name: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Adds a new record; rejects `token_name_taken` if its name is in use, `invalid_input` if its id is. */
  insertToken(record: TokenRecord): Promise<void>;
  /** Replaces a stored record (revocation). */
  updateToken(record: TokenRecord): Promise<void>;

  /** Releases files, connections and timers. */
  close?(): Promise<void>;
}
