/** How the CLI talks: aligned tables for people, one JSON document for machines. */
import { AuthError, isAuthError } from "../errors.js";
import type { LogFields, Logger } from "../log.js";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A usage mistake (exit code 2), as opposed to an operation that failed (1). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Columns padded to the widest cell; the header underlined by spacing only. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

/** `2026-01-15 10:30` (UTC) or `-`. */
export function shortTime(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace("T", " ")}Z` : "-";
}

/** Time left until `until`: `29d 23h`, `5h`, `12m`, `expired` or `never`. */
export function remaining(until: Date | null, nowMs: number): string {
  if (!until) return "never";
  const seconds = Math.floor((until.getTime() - nowMs) / 1000);
  return seconds <= 0 ? "expired" : span(seconds);
}

/** Time since `since`, e.g. `3d 4h`. */
export function age(since: Date, nowMs: number): string {
  return span(Math.max(0, Math.floor((nowMs - since.getTime()) / 1000)));
}

function span(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h`;
  return `${Math.floor(seconds / 60)}m`;
}

/** `30d`, `12h`, `90m`, `3600s` or plain seconds -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw]?)$/i.exec(text.trim());
  if (!match) {
    throw new UsageError(`invalid duration '${text}' (use e.g. 30d, 12h, 90m or 3600)`);
  }
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[
    (match[2] ?? "").toLowerCase() as "" | "s" | "m" | "h" | "d" | "w"
  ];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new UsageError(`duration must be positive, got '${text}'`);
  return seconds;
}

/** `error: ...` plus a hint line; a stack trace only with --debug. */
export function formatError(error: unknown, debug: boolean): string {
  const lines: string[] = [];
  if (isAuthError(error)) {
    const message = error.hint
      ? error.message.replace(` (hint: ${error.hint})`, "")
      : error.message;
    lines.push(`error: ${message} [${error.code}]`);
    if (error.hint) lines.push(`hint: ${error.hint}`);
  } else if (error instanceof UsageError) {
    lines.push(`error: ${error.message}`, "hint: see --help");
  } else {
    lines.push(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (!debug) lines.push("hint: run again with --debug for details");
  }
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return `${lines.join("\n")}\n`;
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/** Warnings and errors as short human lines on stderr; info and debug only with --debug. */
export function cliLogger(io: CliIo, debug: boolean): Logger {
  const write = (label: string) => (message: string, fields?: LogFields) => {
    const extra = Object.entries(fields ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    io.stderr(`${label}: ${message}${extra ? ` (${extra})` : ""}\n`);
  };
  const quiet = () => {};
  return {
    debug: debug ? write("debug") : quiet,
    info: debug ? write("info") : quiet,
    warn: write("warning"),
    error: write("error"),
  };
}

export { AuthError };
