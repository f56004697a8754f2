import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
  type OptionValues,
} from "commander";

/** Flags both reference services take. */
export interface ServiceArgs {
  host: string;
  port: number;
  /** False with `--no-auth`. */
  auth: boolean;
  /** Environment prefix for the auth configuration, e.g. `GOFR` or `GOFR_DIG`. */
  envPrefix: string;
  /** Host names the server answers to (`--allowed-hosts`), when the service offers it. */
  allowedHosts?: string[];
}

export interface ServiceCliSpec {
  /** Program name, e.g. `gofr-web`. */
  name: string;
  description: string;
  defaultPort: number;
  /** Offer `--allowed-hosts` (the MCP SDK's DNS-rebinding protection off localhost). */
  allowedHostsOption?: boolean;
}

/** What `parseServiceArgs` returns: arguments to run with, or an exit (help, version, usage error). */
export type ParsedArgs = { kind: "run"; args: ServiceArgs } | { kind: "exit"; code: number };

/** A commander argument parser for `--port`-like flags. */
export function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535 (0 = any free port)");
  }
  return port;
}

/**
 * Parses `--host`, `--port`, `--no-auth` and `--env-prefix`. Never exits the process: help
 * and usage errors come back as `{ kind: "exit" }`, so `main()` stays testable.
 */
export function parseServiceArgs(
  argv: readonly string[],
  spec: ServiceCliSpec,
  output: { out: (text: string) => void; err: (text: string) => void },
): ParsedArgs {
  const program = new Command(spec.name)
    .description(spec.description)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .addOption(
      new Option("--port <port>", "port to listen on (0: any free port)")
        .argParser(portNumber)
        .default(spec.defaultPort),
    )
    .option("--no-auth", "serve WITHOUT authentication (development only; also <PREFIX>_NO_AUTH=1)")
    .option("--env-prefix <prefix>", "read <PREFIX>_VAULT_URL, <PREFIX>_AUTH_STORE, ...", "GOFR");
  if (spec.allowedHostsOption) {
    program.addOption(
      new Option(
        "--allowed-hosts <names>",
        "comma-separated Host names to answer (e.g. mcp.internal,localhost); on 127.0.0.1 only localhost names are answered",
      ).argParser((value) =>
        value
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    );
  }
  const parsed = parseFlags<ServiceArgs>(program, argv, output);
  return parsed.kind === "exit" ? parsed : { kind: "run", args: parsed.options };
}

/**
 * Parses `argv` with `program` without ever exiting the process: help and usage errors
 * (written to `output`) come back as `{ kind: "exit", code }`, 0 for help, 2 for misuse.
 */
export function parseFlags<T extends OptionValues>(
  program: Command,
  argv: readonly string[],
  output: { out: (text: string) => void; err: (text: string) => void },
): { kind: "run"; options: T } | { kind: "exit"; code: number } {
  program.exitOverride().configureOutput({ writeOut: output.out, writeErr: output.err });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return { kind: "exit", code: error.exitCode === 0 ? 0 : 2 };
    }
    throw error;
  }
  return { kind: "run", options: program.opts<T>() };
}
