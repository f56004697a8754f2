/**
 * Operator work on EdDSA issuers' keys in the embedded store: create, rotate, retire old
 * versions, list. Each change is one immediate transaction; services sharing the file see
 * it on their next access through `PRAGMA data_version` (the reader's `generation`), which
 * is how the SQLite store signals every change (it has no change marker). Private keys are
 * generated here and written once; nothing here reads one back.
 */
import { generateKeyPairSync } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { transitKeyName } from "../defaults.js";
import { AuthError } from "../errors.js";
import { fingerprintBytes } from "../secrets/fingerprint.js";
import type { AuthDatabase } from "../sqlite/database.js";
import { formatTimestamp, parseTimestamp } from "../timestamps.js";
import { assertIssuerName as assertIssuer } from "./issuer-name.js";
import type { EdDsaKeyAdmin } from "./key-admin.js";
import { missing } from "./sqlite.js";

const SQL = {
  floor: "SELECT min_version FROM eddsa_issuers WHERE issuer = ?",
  latest: "SELECT max(version) AS latest FROM eddsa_keys WHERE issuer = ?",
  insertKey: `INSERT INTO eddsa_keys (issuer, version, public_key, private_key, created_at)
    VALUES (?, ?, ?, ?, ?)`,
  insertIssuer: "INSERT INTO eddsa_issuers (issuer, min_version) VALUES (?, 1)",
  setFloor: "UPDATE eddsa_issuers SET min_version = ? WHERE issuer = ?",
  versions:
    "SELECT version, public_key, created_at FROM eddsa_keys WHERE issuer = ? ORDER BY version",
  issuers: "SELECT issuer FROM eddsa_issuers ORDER BY issuer",
} as const;

/** One version of an issuer's key, as the admin functions report it (no private key). */
export interface EdDsaKeyVersion {
  version: number;
  createdAt: Date;
  /** `sha256:` + 12 hex of the raw public key. */
  fingerprint: string;
  /** Below the floor: neither verifies nor signs. */
  retired: boolean;
}

/** An issuer's key versions, oldest first. */
export interface EdDsaKeyListing {
  issuer: string;
  /** `jwt-<issuer>`. */
  key: string;
  latest: number;
  minVersion: number;
  versions: EdDsaKeyVersion[];
}

export interface EdDsaAdminOptions {
  /** Stamps `createdAt` of new versions. Default: the system clock. */
  clock?: Clock;
}

/**
 * Creates the issuer's Ed25519 key (version 1, floor 1). Refuses an issuer that has one
 * (`invalid_input`): creating again would replace the key every token verifies with.
 */
export function createEdDsaKey(
  database: AuthDatabase,
  issuer: string,
  options: EdDsaAdminOptions = {},
): EdDsaKeyVersion {
  assertIssuer(issuer);
  return database.write("create EdDSA key", () => {
    if (floorOf(database, issuer) !== undefined) {
      throw new AuthError("invalid_input", `EdDSA key '${transitKeyName(issuer)}' exists`, {
        hint: "rotate it instead",
        details: { issuer },
      });
    }
    database.statement(SQL.insertIssuer).run(issuer);
    return appendVersion(database, issuer, 1, options.clock ?? systemClock);
  });
}

/** Adds the next version, which mints from now on; older versions still verify. */
export function rotateEdDsaKey(
  database: AuthDatabase,
  issuer: string,
  options: EdDsaAdminOptions = {},
): EdDsaKeyVersion {
  assertIssuer(issuer);
  return database.write("rotate EdDSA key", () => {
    if (floorOf(database, issuer) === undefined) throw missing(issuer, database.path);
    const latest = latestOf(database, issuer);
    return appendVersion(database, issuer, latest + 1, options.clock ?? systemClock);
  });
}

/**
 * Raises (or lowers) the floor: versions below `minVersion` stop verifying, so their tokens
 * are refused at once (on Vault Transit: `min_decryption_version`). `1 <= minVersion <=
 * latest`: the latest version always signs. The rows stay, so a floor can be lowered again.
 */
export function retireEdDsaKeys(
  database: AuthDatabase,
  issuer: string,
  minVersion: number,
): EdDsaKeyListing {
  assertIssuer(issuer);
  database.write("retire EdDSA keys", () => {
    if (floorOf(database, issuer) === undefined) throw missing(issuer, database.path);
    const latest = latestOf(database, issuer);
    if (!Number.isSafeInteger(minVersion) || minVersion < 1 || minVersion > latest) {
      throw new AuthError("invalid_input", `minVersion must be a whole number 1..${latest}`, {
        hint: "the latest version always signs; rotate first to retire it",
        details: { issuer, min_version: minVersion, latest },
      });
    }
    database.statement(SQL.setFloor).run(minVersion, issuer);
  });
  return listEdDsaKeys(database, issuer);
}

/** The issuer's versions with fingerprints and floor. `secret_unavailable` when it has none. */
export function listEdDsaKeys(database: AuthDatabase, issuer: string): EdDsaKeyListing {
  const { floor, rows } = database.read("list EdDSA keys", () => ({
    floor: floorOf(database, issuer),
    rows: database.statement(SQL.versions).all(issuer) as Array<{
      version: number;
      public_key: Buffer;
      created_at: string;
    }>,
  }));
  const last = rows.at(-1);
  if (floor === undefined || !last) throw missing(issuer, database.path);
  const versions = rows.map((row) => ({
    version: row.version,
    createdAt: new Date(parseTimestamp(row.created_at)),
    fingerprint: fingerprintBytes(row.public_key),
    retired: row.version < floor,
  }));
  const key = transitKeyName(issuer);
  return { issuer, key, latest: last.version, minVersion: floor, versions };
}

/** The issuers that have an EdDSA key, sorted. */
export function listEdDsaIssuers(database: AuthDatabase): string[] {
  const rows = database.read(
    "list EdDSA issuers",
    () => database.statement(SQL.issuers).all() as Array<{ issuer: string }>,
  );
  return rows.map((row) => row.issuer);
}

/** The functions above as an {@link EdDsaKeyAdmin} over `database`. */
export function sqliteEdDsaKeyAdmin(
  database: AuthDatabase,
  options: EdDsaAdminOptions = {},
): EdDsaKeyAdmin {
  return {
    description: `the embedded store ${database.path}`,
    create: async (issuer) => createEdDsaKey(database, issuer, options),
    rotate: async (issuer) => rotateEdDsaKey(database, issuer, options),
    retire: async (issuer, minVersion) => retireEdDsaKeys(database, issuer, minVersion),
    list: async (issuer) => listEdDsaKeys(database, issuer),
    issuers: async () => listEdDsaIssuers(database),
  };
}

// Runs inside the caller's immediate transaction: max+1 cannot race another writer.
function appendVersion(
  database: AuthDatabase,
  issuer: string,
  version: number,
  clock: Clock,
): EdDsaKeyVersion {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const createdAt = clock();
  database.statement(SQL.insertKey).run(issuer, version, raw, der, formatTimestamp(createdAt));
  return {
    version,
    createdAt: new Date(createdAt),
    fingerprint: fingerprintBytes(raw),
    retired: false,
  };
}

function floorOf(database: AuthDatabase, issuer: string): number | undefined {
  const row = database.statement(SQL.floor).get(issuer) as { min_version: number } | undefined;
  return row?.min_version;
}

function latestOf(database: AuthDatabase, issuer: string): number {
  const row = database.statement(SQL.latest).get(issuer) as { latest: number | null };
  return row.latest ?? 0;
}
