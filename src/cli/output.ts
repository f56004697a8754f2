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

/**
 * Text that came from a token or the store (names, descriptions, claims, error messages
 * quoting them), made inert for a terminal: C0 controls (tab and newline included), DEL,
 * C1 controls (0x80-0x9f, where 0x9b is a one-byte CSI) and the bidirectional controls
 * (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) are shown as `\x1b` / `\u202e` instead of
 * moving the cursor, retitling the window or reordering what is shown. Use on every such
 * value in human output; `--json` output stays plain JSON (read by programs, not terminals).
 */
export function printable(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (!isTerminalControl(code)) out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return out;
}

/** {@link printable} line by line: keeps the newlines of a multi-line message we wrote. */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}

function isTerminalControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Columns padded to the widest cell; the header underlined by spacing only. Cells are data
 * (store and token text), so each is passed through {@link printable}.
 */
export function table(
  headers: readonly string[],
  unsafeRows: ReadonlyArray<readonly string[]>,
): string {
  const rows = unsafeRows.map((row) => row.map(printable));
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
    // Messages may quote a token's claims or a stored name: escaped like any such text
    // (line breaks kept: configuration errors list one problem per line).
    lines.push(`error: ${printableLines(message)} [${error.code}]`);
    if (error.hint) lines.push(`hint: ${printable(error.hint)}`);
  } else if (error instanceof UsageError) {
    lines.push(`error: ${printableLines(error.message)}`, "hint: see --help");
  } else {
    lines.push(`error: ${printableLines(error instanceof Error ? error.message : String(error))}`);
    if (!debug) lines.push("hint: run again with --debug for details");
  }
  if (debug && error instanceof Error && error.stack) lines.push(printableLines(error.stack));
  return `${lines.join("\n")}\n`;
}

/** The exit-code table: --help shows it, the README repeats it (a test keeps them equal). */
export const EXIT_CODES_HELP = `Exit codes:
  0  done (doctor: no error findings; tokens inspect: the token is valid)
  1  failed or found a problem: the store or Vault is missing or failing, something was
     not found or was refused; doctor: an error finding; tokens inspect: the token is
     not valid. stderr says "error: <what> [<code>]" and "hint: <what to do>".
  2  usage error, nothing was changed: an unknown command or option, a malformed value
     (duration, --status, token id), a missing argument or a missing --yes.`;

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
    io.stderr(`${label}: ${printable(message)}${extra ? ` (${printable(extra)})` : ""}\n`);
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
