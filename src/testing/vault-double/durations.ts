/** Vault durations: seconds as a number or string (`3600`), or `1h30m`, `45s`, `2d`. */
import { fail } from "./http.js";

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

export function parseDurationSeconds(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (typeof value === "string") {
    const text = value.trim();
    if (/^\d+$/.test(text)) return Number(text);
    const parts = [...text.matchAll(/(\d+)([dhms])/g)];
    if (parts.length > 0 && parts.map((part) => part[0]).join("") === text) {
      return parts.reduce(
        (sum, [, n, unit]) => sum + Number(n) * (UNIT_SECONDS[unit ?? "s"] ?? 1),
        0,
      );
    }
  }
  throw fail(400, `invalid duration for ${field}: ${JSON.stringify(value)}`);
}

/** `3600` -> `1h0m0s`, as Vault prints durations. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
