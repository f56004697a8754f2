import type { LogFields, Logger, LogLevel } from "../../src/log.js";

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** A logger that keeps every entry, for assertions. */
export function captureLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}) => {
      entries.push({ level, message, fields });
    };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
