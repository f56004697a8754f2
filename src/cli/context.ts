import { type Clock, systemClock } from "../clock.js";
import { type AuthEnabled, resolveAuthConfig } from "../config/resolve.js";
import { AuthError } from "../errors.js";
import type { Logger } from "../log.js";
import { type CliIo, cliLogger } from "./output.js";

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

  /** The configured store and secrets. The CLI manages auth, so NO_AUTH does not apply. */
  async open(): Promise<AuthEnabled> {
    if (this.opened) return this.opened;
    const resolved = await resolveAuthConfig({
      envPrefix: this.envPrefix,
      env: { ...this.env, [`${this.envPrefix.toUpperCase().replace(/-/g, "_")}_NO_AUTH`]: "0" },
      logger: this.logger,
      clock: this.clock,
      checkSecret: false,
      singleMachineWarning: false,
    });
    if (!resolved.authEnabled) throw new AuthError("config_invalid", resolved.reason);
    this.opened = resolved;
    return resolved;
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
