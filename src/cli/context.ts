import { type Clock, systemClock } from "../clock.js";
import { DEFAULT_STORE_FILE, normalizePrefix } from "../config/env.js";
import { type AuthEnabled, resolveAuthConfig } from "../config/resolve.js";
import { AuthError, isAuthError } from "../errors.js";
import type { Logger } from "../log.js";
import { type CliIo, cliLogger, printable } from "./output.js";

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  io?: CliIo;
  clock?: Clock;
  /**
   * Reads standard input to its end, for `-` in place of a token (at most `maxBytes`; more
   * rejects). Default: the process's stdin.
   */
  stdin?: (maxBytes: number) => Promise<string>;
}

/** What every command gets: output, global flags and the configured auth plane (opened lazily). */
export class CliContext {
  json = false;
  debug = false;
  envPrefix = "GOFR";
  /** Set by commands that completed but found a problem (doctor errors, invalid token). */
  exitCode = 0;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  /** Standard input, read to its end (see {@link CliOptions.stdin}). */
  readonly readStdin: (maxBytes: number) => Promise<string>;
  private opened: AuthEnabled | undefined;

  constructor(
    readonly io: CliIo,
    options: CliOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.clock = options.clock ?? systemClock;
    this.readStdin = options.stdin ?? readProcessStdin;
  }

  get logger(): Logger {
    return cliLogger(this.io, this.debug);
  }

  /**
   * The configured store and secrets. The CLI manages auth, so NO_AUTH does not apply.
   * Only `init` passes `create`: any other command refuses a missing embedded store instead
   * of creating an empty one where a wrong or relative path happens to point.
   */
  async open(options: { create?: boolean } = {}): Promise<AuthEnabled> {
    if (this.opened) return this.opened;
    const prefix = this.envPrefix.toUpperCase().replace(/-/g, "_");
    let resolved: Awaited<ReturnType<typeof resolveAuthConfig>>;
    try {
      resolved = await resolveAuthConfig({
        envPrefix: this.envPrefix,
        env: { ...this.env, [`${prefix}_NO_AUTH`]: "0" },
        logger: this.logger,
        clock: this.clock,
        checkSecret: false,
        createStore: options.create ?? false,
        singleMachineWarning: false,
      });
    } catch (error) {
      throw missingStoreError(error, normalizePrefix(prefix), this.env) ?? error;
    }
    if (!resolved.authEnabled) throw new AuthError("config_invalid", resolved.reason);
    this.opened = resolved;
    return resolved;
  }

  /** Set by a command whose own output already names the store (`init`). */
  storeNamed = false;

  /**
   * After a command: one line on stderr naming the store it used (`Store: sqlite /abs/auth.db`),
   * so a wrong store is noticed. Not with --json, not when nothing was opened.
   */
  nameStore(): void {
    if (!this.opened || this.storeNamed) return;
    this.note(printable(`Store: ${this.opened.backend} ${this.opened.location}`));
  }

  async close(): Promise<void> {
    await this.opened?.close();
    this.opened = undefined;
  }

  /** Human text, or with --json the value as one JSON document. */
  emit(human: string, value: unknown): void {
    this.io.stdout(this.json ? `${JSON.stringify(value, null, 2)}\n` : human);
  }

  /** A note for people (stderr), silent in --json mode so stdout stays one document. */
  note(text: string): void {
    if (!this.json) this.io.stderr(`${text}\n`);
  }
}

/**
 * The refusal of a missing embedded store, naming the file tried and how to point at the
 * right one; undefined for any other failure.
 */
function missingStoreError(
  error: unknown,
  prefix: string,
  env: NodeJS.ProcessEnv,
): AuthError | undefined {
  if (!isAuthError(error, "store_unavailable") || error.details.missing !== true) {
    return undefined;
  }
  const path = String(error.details.path ?? "");
  const variable = `${prefix}_AUTH_STORE`;
  const given = env[variable]?.trim();
  const why = given
    ? `${variable} is ${given}`
    : `${variable} is unset: the default ${DEFAULT_STORE_FILE} is relative to the current directory ${process.cwd()}`;
  return new AuthError("store_unavailable", `No embedded store at ${path} (${why})`, {
    hint: `point ${variable} at the store's file (an absolute path, e.g. the one \`npm start\` or \`gofr-auth init\` printed), or run \`gofr-auth init\` to create a new store there`,
    details: { path },
    cause: error,
  });
}

/** The process's stdin to its end, refused (without reading further) past `maxBytes`. */
async function readProcessStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      process.stdin.destroy();
      throw new AuthError("invalid_input", `More than ${maxBytes} bytes on stdin`, {
        hint: "pipe only the token (or token id) into the command",
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
