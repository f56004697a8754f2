/** Timestamps as Vault prints them. */
import type { Clock } from "../../clock.js";

/**
 * RFC 3339 with nanoseconds, trailing zeros trimmed, as Go prints `created_time`. The
 * nanoseconds below the clock's millisecond count up, so two stamps in one millisecond differ.
 */
export function vaultClock(clock: Clock): () => string {
  let sequence = 0;
  return () => {
    sequence = (sequence + 1) % 1_000_000;
    const iso = new Date(clock()).toISOString(); // 2026-01-15T10:30:00.123Z
    const nanos = `${iso.slice(20, 23)}${String(sequence).padStart(6, "0")}`.replace(/0+$/, "");
    return `${iso.slice(0, 19)}${nanos ? `.${nanos}` : ""}Z`;
  };
}
