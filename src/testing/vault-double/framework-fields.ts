/**
 * Request fields as a Vault plugin's framework reads them (hashicorp `sdk/framework`
 * `FieldData.Validate` and `getPrimitive`): absent or JSON `null` is "not given", a value
 * of the wrong type is refused before the handler runs with 400
 * `Field validation failed: error converting input <v> for field "<name>": <reason>`
 * (`Backend.HandleRequest`). The reason after the last colon is Go's parser message, which
 * the double only approximates.
 */
import { parseGoBool } from "./health.js";
import { fail } from "./http.js";

function invalid(field: string, value: unknown, reason: string): Error {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return fail(
    400,
    `Field validation failed: error converting input ${shown} for field "${field}": ${reason}`,
  );
}

/** `TypeInt`: a JSON integer or a decimal integer string. */
export function fieldInt(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) return Number(value.trim());
  throw invalid(field, value, `strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/** `TypeBool`: a JSON boolean, a number (non-zero is true) or Go's `strconv.ParseBool` text. */
export function fieldBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  const parsed = typeof value === "string" ? parseGoBool(value) : undefined;
  if (parsed === undefined) {
    throw invalid(
      field,
      value,
      `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
    );
  }
  return parsed;
}

/** `TypeString`: a string, or a number or boolean in its text form (a weak decode). */
export function fieldString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw invalid(field, value, "expected a string");
}
