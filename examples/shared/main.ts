/**
 * The common `main()` of the reference services: flags, auth start-up, listen, print the
 * URL. Each service passes a `serve` function that builds and starts its server.
 */
import { consoleLogger, type Logger } from "../../src/log.js";
import { parseServiceArgs, type ServiceArgs, type ServiceCliSpec } from "./cli.js";
import { closeOnSignals, httpUrl, type RunningService } from "./run.js";
import { resolveServiceAuth, type ServiceAuth, type StartupOptions } from "./startup.js";

export interface MainDeps {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Where the listening URL and help go. Default: standard output. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  resolve?: StartupOptions["resolve"];
}

/** Starts the server on `args.host`/`args.port`; resolves to the port actually bound. */
export type Serve = (
  serviceAuth: ServiceAuth,
  args: ServiceArgs,
  logger: Logger,
) => Promise<{ port: number; close(): Promise<void> }>;

/** `{ kind: "exit" }` for help and usage errors, else the running service. */
export type MainResult = { kind: "exit"; code: number } | ({ kind: "running" } & RunningService);

export async function runServiceMain(
  argv: readonly string[],
  spec: ServiceCliSpec,
  serve: Serve,
  deps: MainDeps = {},
): Promise<MainResult> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(text));
  const parsed = parseServiceArgs(argv, spec, { out: stdout, err: stderr });
  if (parsed.kind === "exit") return parsed;
  const { args } = parsed;
  const logger = deps.logger ?? consoleLogger({ name: spec.name });

  const serviceAuth = await resolveServiceAuth({
    envPrefix: args.envPrefix,
    authFlag: args.auth,
    env: deps.env ?? process.env,
    logger,
    resolve: deps.resolve,
  });
  let server: { port: number; close(): Promise<void> };
  try {
    server = await serve(serviceAuth, args, logger);
  } catch (error) {
    await serviceAuth.close();
    throw error;
  }
  const url = httpUrl(args.host, server.port);
  stdout(
    `${spec.name} listening on ${url} (auth ${serviceAuth.auth ? `on: ${serviceAuth.description}` : "OFF"})\n`,
  );
  logger.info("Listening", { url, auth: serviceAuth.auth !== null });
  let closed: Promise<void> | undefined;
  return {
    kind: "running",
    url,
    close: () => {
      closed ??= server.close().finally(() => serviceAuth.close());
      return closed;
    },
  };
}

/**
 * `node main.js ...`: runs `main` with the process's arguments, closes the service on
 * SIGINT/SIGTERM and sets the exit code (2 usage, 1 start-up failure).
 */
export function runFromCommandLine(
  main: (argv: readonly string[], deps: MainDeps) => Promise<MainResult>,
  name: string,
): void {
  const logger = consoleLogger({ name });
  main(process.argv.slice(2), { logger }).then(
    (result) => {
      if (result.kind === "exit") process.exitCode = result.code;
      else closeOnSignals(result, logger);
    },
    (error: unknown) => {
      logger.error("Could not start", {
        error: error instanceof Error ? error.message : String(error),
      });
      process.exitCode = 1;
    },
  );
}
