/**
 * Records as the Python gofr fleet stores them (JSON, snake_case, naive-UTC ISO timestamps),
 * so our stores and theirs can share one Vault. Reading is lenient about timestamp offsets
 * and strict about types: a malformed record is an error, never a silently empty value.
 * A record must also carry the id it is stored under: one at `tokens/A` saying `id: B`
 * would make a revocation of A revoke B.
 */
import { AuthError, isAuthError } from "../errors.js";
import type { Group } from "../groups/group.js";
import { formatTimestamp, parseTimestamp } from "../timestamps.js";
import type { TokenRecord, TokenStatus } from "../tokens/record.js";

export interface TokenRecordWire {
  id: string;
  name: string | null;
  groups: string[];
  status: TokenStatus;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  fingerprint: string | null;
  /**
   * Ours, not the Python fleet's: the minting issuer and key label (see `TokenRecord`).
   * Written only when known; the fleet's `TokenRecord.from_dict` reads named fields and
   * ignores these, and an absent one means "shared key, any issuer".
   */
  issuer?: string;
  key_label?: string;
}

export interface GroupWire {
  id: string;
  name: string;
  description: string | null;
  is_active: boolean;
  created_at: string;
  defunct_at: string | null;
  is_reserved: boolean;
}

const time = (date: Date | null) => (date === null ? null : formatTimestamp(date.getTime()));

export function tokenRecordToWire(record: TokenRecord): TokenRecordWire {
  const wire: TokenRecordWire = {
    id: record.id,
    name: record.name,
    groups: [...record.groups],
    status: record.status,
    created_at: formatTimestamp(record.createdAt.getTime()),
    expires_at: time(record.expiresAt),
    revoked_at: time(record.revokedAt),
    fingerprint: record.fingerprint,
  };
  if (record.issuer !== undefined) wire.issuer = record.issuer;
  if (record.keyLabel !== undefined) wire.key_label = record.keyLabel;
  return wire;
}

/**
 * Parses a token record. `storedAs`, the id of the path or row it was read from, must be
 * the record's `id` (given by every store; tests may leave it out).
 */
export function tokenRecordFromWire(raw: unknown, where: string, storedAs?: string): TokenRecord {
  const data = asObject(raw, where);
  checkId(data, where, storedAs);
  const status = data.status ?? "active"; // the Python fleet defaults a missing status
  if (status !== "active" && status !== "revoked") bad(where, "status", status);
  const record: TokenRecord = {
    id: str(data, "id", where),
    name: optStr(data, "name", where),
    groups: strArray(data, "groups", where),
    status,
    createdAt: date(data, "created_at", where),
    expiresAt: optDate(data, "expires_at", where),
    revokedAt: optDate(data, "revoked_at", where),
    fingerprint: optStr(data, "fingerprint", where),
  };
  // Absent or null: a record from before these fields (shared key, any issuer).
  const issuer = optStr(data, "issuer", where);
  const keyLabel = optStr(data, "key_label", where);
  if (issuer !== null) record.issuer = issuer;
  if (keyLabel !== null) record.keyLabel = keyLabel;
  return record;
}

export function groupToWire(group: Group): GroupWire {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    is_active: group.isActive,
    created_at: formatTimestamp(group.createdAt.getTime()),
    defunct_at: time(group.defunctAt),
    is_reserved: group.isReserved,
  };
}

/** Parses a group; `storedAs` as in {@link tokenRecordFromWire}. */
export function groupFromWire(raw: unknown, where: string, storedAs?: string): Group {
  const data = asObject(raw, where);
  checkId(data, where, storedAs);
  return {
    id: str(data, "id", where),
    name: str(data, "name", where),
    description: optStr(data, "description", where),
    isActive: bool(data, "is_active", where, true),
    createdAt: date(data, "created_at", where),
    defunctAt: optDate(data, "defunct_at", where),
    isReserved: bool(data, "is_reserved", where, false),
  };
}

type Obj = Record<string, unknown>;

/**
 * True for the error of a record that cannot be read as one (bad JSON, a field of the
 * wrong type, an id other than its path's): scans skip and report such records.
 */
export function isMalformedRecord(error: unknown): error is AuthError {
  return isAuthError(error, "store_unavailable") && error.details.malformed === true;
}

/** The `store_unavailable` error of a malformed record at `where` (see {@link isMalformedRecord}). */
export function malformedRecord(where: string, problem: string, field?: string): AuthError {
  return new AuthError("store_unavailable", `Malformed record at ${where}: ${problem}`, {
    hint: "the stored record was written by an incompatible tool or edited by hand; inspect and repair it (gofr-auth doctor lists such records)",
    details: { where, field, malformed: true, problem },
  });
}

function checkId(data: Obj, where: string, storedAs: string | undefined): void {
  if (storedAs === undefined || data.id === storedAs) return;
  const id = typeof data.id === "string" ? JSON.stringify(data.id.slice(0, 64)) : typeof data.id;
  throw malformedRecord(
    where,
    `its id is ${id}, not the ${JSON.stringify(storedAs)} it is stored under`,
    "id",
  );
}

function asObject(raw: unknown, where: string): Obj {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad(where, "record", raw);
  return raw as Obj;
}

function str(data: Obj, key: string, where: string): string {
  const value = data[key];
  if (typeof value !== "string" || value === "") bad(where, key, value);
  return value as string;
}

function optStr(data: Obj, key: string, where: string): string | null {
  const value = data[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") bad(where, key, value);
  return value as string;
}

function strArray(data: Obj, key: string, where: string): string[] {
  const value = data[key];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    bad(where, key, value);
  }
  return [...(value as string[])];
}

function bool(data: Obj, key: string, where: string, fallback: boolean): boolean {
  const value = data[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") bad(where, key, value);
  return value as boolean;
}

function date(data: Obj, key: string, where: string): Date {
  const value = optDate(data, key, where);
  if (value === null) bad(where, key, data[key]);
  return value as Date;
}

function optDate(data: Obj, key: string, where: string): Date | null {
  const value = data[key];
  if (value === undefined || value === null || value === "") return null;
  // Stryker disable next-line ConditionalExpression: a non-string has no trim(), and the catch below refuses it alike
  if (typeof value !== "string") bad(where, key, value);
  try {
    return new Date(parseTimestamp(value as string));
  } catch {
    return bad(where, key, value);
  }
}

function bad(where: string, field: string, value: unknown): never {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw malformedRecord(where, `field '${field}' is ${shown}`, field);
}
