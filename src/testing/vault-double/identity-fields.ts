/**
 * The identity routes' request fields, read as Vault's `sdk/framework` `FieldData` does:
 * absent or `null` is "not given"; `TypeString` takes numbers and booleans in their text
 * form; `TypeCommaStringSlice` takes a list or a comma-separated string (items trimmed).
 */
import { fail } from "./http.js";

function refused(field: string, value: unknown): Error {
  return fail(
    400,
    `Field validation failed: error converting input ${JSON.stringify(value)} for field "${field}"`,
  );
}

/** `TypeString`. */
export function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw refused(field, value);
}

/** `TypeCommaStringSlice`. */
export function commaList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const items = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(items) || items.some((item) => typeof item === "object")) {
    throw refused(field, value);
  }
  return items.map((item) => String(item).trim()).filter((item) => item !== "");
}

/** `TypeKVPairs`: an object of strings. */
export function stringMap(
  body: Record<string, unknown>,
  field: string,
): Record<string, string> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw refused(field, value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/** Create or update by existence (`ExistenceCheck`), as for every path that has one. */
export function writeCapability(exists: boolean) {
  return exists ? "update" : "create";
}
