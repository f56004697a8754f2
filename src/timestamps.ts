/**
 * Timestamps in stored records, in the Python fleet's format: ISO 8601 UTC without an
 * offset and with microseconds, e.g. `2026-01-15T10:30:00.123456`. Reading accepts that
 * form and offset forms (`Z`, `+02:00`), and treats an offset-less value as UTC.
 */
import { AuthError } from "./errors.js";

export function formatTimestamp(epochMs: number): string {
  // toISOString is always UTC: "2026-01-15T10:30:00.123Z" -> add microseconds, drop Z.
  return `${new Date(epochMs).toISOString().slice(0, 23)}000`;
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseTimestamp(value: string): number {
  const match = ISO_PATTERN.exec(value.trim());
  if (!match) {
    throw new AuthError("invalid_input", `Not an ISO 8601 timestamp: ${JSON.stringify(value)}`, {
      hint: "use the form 2026-01-15T10:30:00.123456 (UTC)",
    });
  }
  const [, y, mo, d, h, mi, s, fraction = "", offset] = match;
  const ms = Number(fraction.padEnd(3, "0").slice(0, 3));
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (offset && offset !== "Z") {
    const sign = offset.startsWith("-") ? -1 : 1;
    const digits = offset.slice(1).replace(":", "");
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (Number.isNaN(epoch)) {
    throw new AuthError("invalid_input", `Not a valid date: ${JSON.stringify(value)}`);
  }
  return epoch;
}
