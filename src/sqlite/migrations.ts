/**
 * The embedded store's schema, versioned in code. `PRAGMA user_version` holds the version
 * applied to a file; opening applies the missing migrations in one immediate transaction,
 * so two processes opening a fresh file at once migrate it exactly once.
 */
import type BetterSqlite3 from "better-sqlite3";
import { AuthError } from "../errors.js";

/** One forward-only schema step. Never edit a released migration: add a new one. */
export interface Migration {
  /** 1, 2, 3, ... with no gaps. */
  version: number;
  description: string;
  /** SQL run as one script inside the migration transaction. */
  sql: string;
}

/**
 * Records are kept as the Python fleet's wire JSON (`record`, exactly what Vault holds), so
 * moving to Vault later is a copy. The other columns exist only for indexing and
 * constraints; on read the JSON is authoritative.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "groups, token records and versioned signing secrets",
    sql: `
      CREATE TABLE groups (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL UNIQUE,
        is_active INTEGER NOT NULL,
        record TEXT NOT NULL
      ) STRICT;

      -- UNIQUE allows many NULLs in SQLite: unnamed tokens never collide.
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        created_at TEXT NOT NULL,
        record TEXT NOT NULL
      ) STRICT;
      CREATE INDEX tokens_by_status ON tokens (status);

      -- Append-only: a write adds version max+1 (Vault KV v2 semantics).
      CREATE TABLE secrets (
        name TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: "EdDSA issuers' versioned Ed25519 key pairs and retirement floors",
    sql: `
      -- Append-only per issuer: a rotation adds version max+1. public_key: the 32 raw bytes;
      -- private_key: PKCS#8 DER, read only by the minting path (SqliteEdDsaSigner).
      CREATE TABLE eddsa_keys (
        issuer TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        private_key BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (issuer, version)
      ) STRICT;

      -- The retirement floor: versions below min_version neither verify nor sign.
      CREATE TABLE eddsa_issuers (
        issuer TEXT PRIMARY KEY NOT NULL,
        min_version INTEGER NOT NULL CHECK (min_version >= 1)
      ) STRICT;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

function userVersion(db: BetterSqlite3.Database): number {
  return Number(db.pragma("user_version", { simple: true }));
}

function refuseNewer(found: number, supported: number, path: string): never {
  throw new AuthError(
    "store_unavailable",
    `SQLite store ${path} has schema version ${found}, newer than the ${supported} this gofr-auth supports`,
    {
      hint: "upgrade gofr-auth on this machine (a newer version wrote the file); do not downgrade a store",
      details: { path, schema_version: found, supported_version: supported },
    },
  );
}

/**
 * Brings the file at `path` to {@link SCHEMA_VERSION} and returns it. Rejects a file written
 * by a newer version rather than guess at its layout.
 */
export function migrate(
  db: BetterSqlite3.Database,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number {
  const target = migrations.at(-1)?.version ?? 0;
  const seen = userVersion(db);
  if (seen > target) refuseNewer(seen, target, path);
  if (seen === target) return seen;
  // Re-read under the write lock: another process may have migrated since the read above.
  db.transaction(() => {
    const current = userVersion(db);
    if (current > target) refuseNewer(current, target, path);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      // user_version lives in the file header page, so it commits or rolls back with the DDL.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
    }
  }).immediate();
  return target;
}
