/**
 * The logger seam. Structured fields only carry fingerprints, never secrets or tokens.
 * Any logger with these four methods fits (wrap pino as `(m, f) => pino.warn(f, m)`).
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = keyof Logger;
const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export interface ConsoleLoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Logger name, written as `logger` in each line. */
  name?: string;
  /** Where lines go. Default: standard error, so command output on stdout stays clean. */
  write?: (line: string) => void;
}

/** JSON lines: `{"time","level","logger","msg",...fields}`. */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) < threshold) return;
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: level === "warn" ? "WARNING" : level.toUpperCase(),
        logger: options.name,
        msg: message,
        ...fields,
      }),
    );
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
