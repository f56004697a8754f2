/**
 * Signing secrets in the embedded SQLite store, versioned per name like Vault KV v2: a write
 * appends version max+1 with its creation time; a read returns the latest or a given
 * version. Values are only ever bound as SQL parameters: never logged, never in a message.
 */
import { type Clock, systemClock } from "../clock.js";
import { AuthError } from "../errors.js";
import { ChangeCounter } from "../sqlite/change-counter.js";
import {
  type AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
} from "../sqlite/database.js";
import { formatTimestamp, parseTimestamp } from "../timestamps.js";
import type { SecretVersion, WritableSecretSource } from "./source.js";
import { assertUsableSecret } from "./validate.js";

/** `{ database }` to share an open file, or `openAuthDatabase` options; plus a clock. */
export type SqliteSecretSourceOptions = AuthDatabaseTarget & {
  /** Stamps `createdAt` of new versions. Default: the system clock. */
  clock?: Clock;
  /** Write and let providers read weak values (see `weakSecretReason`); tests only. */
  allowWeakSecrets?: boolean;
};

interface SecretRow {
  value: string;
  version: number;
  created_at: string;
}

const SQL = {
  latest:
    "SELECT value, version, created_at FROM secrets WHERE name = ? ORDER BY version DESC LIMIT 1",
  byVersion: "SELECT value, version, created_at FROM secrets WHERE name = ? AND version = ?",
  insert: "INSERT INTO secrets (name, version, value, created_at) VALUES (?, ?, ?, ?)",
} as const;

/**
 * A {@link WritableSecretSource} over the embedded store. Reads hit the file every time (the
 * {@link JwtSecretProvider} does the caching); {@link generation} tells providers when the
 * file changed, so a rotation written by another process is used on the next request.
 */
export class SqliteSecretSource implements WritableSecretSource {
  readonly description: string;
  readonly database: AuthDatabase;
  readonly allowsWeakSecrets: boolean;
  readonly #clock: Clock;
  #closed = false;
  readonly #changes: ChangeCounter;

  constructor(options: SqliteSecretSourceOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.allowsWeakSecrets = options.allowWeakSecrets ?? false;
    this.database = attachAuthDatabase(options);
    this.description = this.database.description;
    this.#changes = new ChangeCounter(this.database);
  }

  /** Absolute path of the database file. */
  get path(): string {
    return this.database.path;
  }

  async read(name: string, version?: number): Promise<SecretVersion> {
    assertName(name);
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) {
      throw new AuthError(
        "invalid_input",
        `Secret versions are whole numbers >= 1, got ${version}`,
      );
    }
    const row = this.database.read("read secret", () =>
      version === undefined
        ? this.database.statement(SQL.latest).get(name)
        : this.database.statement(SQL.byVersion).get(name, version),
    ) as SecretRow | undefined;
    if (!row) throw this.missing(name, version);
    return this.toVersion(row, name);
  }

  /**
   * Changes whenever the file may have changed since the previous call: another connection
   * (any process) committed (`PRAGMA data_version`), or this handle wrote (its write count;
   * `data_version` ignores a connection's own commits). One PRAGMA, no table read; providers
   * call it on each access, so a rotation made elsewhere is used on the next request.
   */
  generation(): number {
    return this.#changes.generation();
  }

  /** Appends a new version of `name` (1 if it had none). Refuses short, weak or PEM values. */
  async write(name: string, value: string): Promise<SecretVersion> {
    assertName(name);
    assertUsableSecret(name, value, { allowWeak: this.allowsWeakSecrets });
    return this.database.write("write secret", () => this.append(name, value, this.latest(name)));
  }

  /**
   * Writes version 1 of `name` only if it has never been written, atomically (one immediate
   * transaction): `init` run twice, or by two processes at once, never replaces a secret.
   * Returns the version written, or `undefined` when `name` already had one (left as is).
   */
  async writeIfAbsent(name: string, value: string): Promise<SecretVersion | undefined> {
    assertName(name);
    assertUsableSecret(name, value, { allowWeak: this.allowsWeakSecrets });
    return this.database.write("write secret if absent", () =>
      this.latest(name) ? undefined : this.append(name, value, undefined),
    );
  }

  /** Lets go of the database (closed when no store shares it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.database.release();
  }

  // Runs inside the caller's immediate transaction, so max+1 cannot race another writer.
  private append(name: string, value: string, latest: SecretRow | undefined): SecretVersion {
    const version = (latest?.version ?? 0) + 1;
    const createdAt = this.#clock();
    this.database.statement(SQL.insert).run(name, version, value, formatTimestamp(createdAt));
    return { value, version, createdAt: new Date(createdAt) };
  }

  private latest(name: string): SecretRow | undefined {
    return this.database.statement(SQL.latest).get(name) as SecretRow | undefined;
  }

  private toVersion(row: SecretRow, name: string): SecretVersion {
    let createdAt: number;
    try {
      createdAt = parseTimestamp(row.created_at);
    } catch {
      throw new AuthError(
        "store_unavailable",
        `Malformed created_at of secret '${name}' version ${row.version} in ${this.path}`,
        {
          hint: "the row was written by another tool; inspect and repair it",
          details: { secret: name },
        },
      );
    }
    return { value: row.value, version: row.version, createdAt: new Date(createdAt) };
  }

  private missing(name: string, version: number | undefined): AuthError {
    const what = version === undefined ? `'${name}'` : `'${name}' version ${version}`;
    return new AuthError("secret_unavailable", `No signing secret ${what} in ${this.path}`, {
      hint:
        version === undefined
          ? "run `gofr-auth init` to create it, or point the store at the right file"
          : "the version does not exist; tokens signed with it cannot be verified",
      details: { secret: name, version, path: this.path },
    });
  }
}

function assertName(name: string): void {
  if (typeof name !== "string" || name.trim() === "") {
    throw new AuthError("invalid_input", "A secret name is required", {
      hint: "e.g. gofr/config/jwt-signing-secret",
    });
  }
}
