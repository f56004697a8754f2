/**
 * EdDSA issuers' keys in the embedded SQLite store (tables `eddsa_keys`, `eddsa_issuers`):
 * a {@link PublicKeyReader} that never selects a private key, and an {@link EdDsaSigner},
 * the only code that reads one. Admin operations are in sqlite-admin.ts.
 */
import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import { transitKeyName } from "../defaults.js";
import { AuthError } from "../errors.js";
import { ChangeCounter } from "../sqlite/change-counter.js";
import {
  type AuthDatabase,
  type AuthDatabaseTarget,
  attachAuthDatabase,
} from "../sqlite/database.js";
import { parseTimestamp } from "../timestamps.js";
import { type PublicKeyReader, publicKeyFromRaw, type StoredIssuerKeys } from "./public-key.js";
import type { EdDsaSignature, EdDsaSignatures, EdDsaSigner } from "./signer.js";

const SQL = {
  // One statement: floor and keys from one snapshot (a retirement cannot fall between).
  publicKeys: `SELECT k.version, k.public_key, k.created_at, i.min_version
    FROM eddsa_keys k JOIN eddsa_issuers i ON i.issuer = k.issuer
    WHERE k.issuer = ? AND k.version >= i.min_version ORDER BY k.version`,
  latestPrivate: `SELECT k.version, k.private_key
    FROM eddsa_keys k JOIN eddsa_issuers i ON i.issuer = k.issuer
    WHERE k.issuer = ? AND k.version >= i.min_version ORDER BY k.version DESC LIMIT 1`,
} as const;

interface PublicRow {
  version: number;
  public_key: Buffer;
  created_at: string;
  min_version: number;
}

/** Issuers' public keys from the embedded store; see {@link PublicKeyReader}. */
export class SqlitePublicKeyReader implements PublicKeyReader {
  readonly description: string;
  readonly database: AuthDatabase;
  readonly #changes: ChangeCounter;
  #closed = false;

  /** `{ database }` to share an open file, or `openAuthDatabase` options. */
  constructor(target: AuthDatabaseTarget = {}) {
    this.database = attachAuthDatabase(target);
    this.description = this.database.description;
    this.#changes = new ChangeCounter(this.database);
  }

  async read(issuer: string): Promise<StoredIssuerKeys> {
    const rows = this.database.read("read EdDSA public keys", () =>
      this.database.statement(SQL.publicKeys).all(issuer),
    ) as PublicRow[];
    const last = rows.at(-1);
    if (!last) throw missing(issuer, this.database.path);
    const keys = new Map(
      rows.map((row) => [
        row.version,
        {
          key: publicKeyFromRaw(row.public_key),
          createdAt: new Date(createdAt(row.created_at, issuer, row.version)),
        },
      ]),
    );
    return { latest: last.version, minVersion: last.min_version, keys };
  }

  /** Changes whenever the file may have changed (see `SqliteSecretSource.generation`). */
  generation(): number {
    return this.#changes.generation();
  }

  /** Lets go of the database (closed when no one else shares it). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.database.release();
  }
}

/** Signs with issuers' private keys from the embedded store; see {@link EdDsaSigner}. */
export class SqliteEdDsaSigner implements EdDsaSigner {
  readonly description: string;
  readonly database: AuthDatabase;
  #closed = false;

  constructor(target: AuthDatabaseTarget = {}) {
    this.database = attachAuthDatabase(target);
    this.description = this.database.description;
  }

  /** Signs with the latest version (one read: version and key from one snapshot). */
  async sign(issuer: string, input: (version: number) => Buffer): Promise<EdDsaSignature> {
    const { version, privateKey } = this.latestKey(issuer);
    return { version, signature: sign(null, input(version), privateKey) };
  }

  /** Signs every input with the latest version (one read for the lot). */
  async signMany(issuer: string, inputs: (version: number) => Buffer[]): Promise<EdDsaSignatures> {
    const { version, privateKey } = this.latestKey(issuer);
    return { version, signatures: inputs(version).map((input) => sign(null, input, privateKey)) };
  }

  private latestKey(issuer: string): { version: number; privateKey: KeyObject } {
    const row = this.database.read("read EdDSA private key", () =>
      this.database.statement(SQL.latestPrivate).get(issuer),
    ) as { version: number; private_key: Buffer } | undefined;
    if (!row) throw missing(issuer, this.database.path);
    const privateKey = createPrivateKey({ key: row.private_key, format: "der", type: "pkcs8" });
    return { version: row.version, privateKey };
  }

  /** Lets go of the database (closed when no one else shares it). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.database.release();
  }
}

function createdAt(value: string, issuer: string, version: number): number {
  try {
    return parseTimestamp(value);
  } catch {
    throw new AuthError(
      "store_unavailable",
      `Malformed created_at of EdDSA key '${transitKeyName(issuer)}' version ${version}`,
      { hint: "the row was written by another tool; inspect and repair it", details: { issuer } },
    );
  }
}

export function missing(issuer: string, path: string): AuthError {
  return new AuthError(
    "secret_unavailable",
    `No EdDSA key '${transitKeyName(issuer)}' in ${path}`,
    {
      hint: `create one: createEdDsaKey(database, '${issuer}')`,
      details: { issuer, key: transitKeyName(issuer), path },
    },
  );
}
