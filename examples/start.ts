#!/usr/bin/env node
/**
 * The main job (`npm start`): on a fresh clone with no Vault, bootstrap the configured store
 * (the embedded SQLite file unless `<PREFIX>_VAULT_URL` is set), start the reference web and
 * MCP services with auth on, and print their URLs, an admin token and a curl command to
 * paste. Ctrl-C (SIGINT) or SIGTERM stops both services, revokes the session's admin token
 * and closes the store.
 */
import { randomBytes } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { initialize } from "../src/cli/commands/init.js";
import { parseDuration } from "../src/cli/output.js";
import { type AuthEnabled, resolveAuthConfig } from "../src/config/index.js";
import { AuthError } from "../src/errors.js";
import { consoleLogger, type Logger } from "../src/log.js";
import { createMcpServer, listenMcp } from "./mcp/server.js";
import { parseFlags, portNumber } from "./shared/cli.js";
import { closeOnSignals, httpUrl, isEntryModule, type RunningService } from "./shared/run.js";
import { createWebServer, listenWeb } from "./web/server.js";

/** The `gofr-auth` CLI as `npm start` compiles it (tsc -p examples/tsconfig.json). */
const CLI_PATH = "examples/build/src/cli/main.js";

/** Printed once both services listen; scripts and the smoke test wait for it. */
export const READY_LINE = "gofr-auth is ready";

export interface StartArgs {
  host: string;
  webPort: number;
  mcpPort: number;
  envPrefix: string;
  /** Lifetime of the admin token printed for this session. */
  sessionTokenSeconds: number;
  debug: boolean;
}

export interface StartDeps {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export type StartResult = { kind: "exit"; code: number } | ({ kind: "running" } & RunningService);

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function parseArgs(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): { kind: "run"; args: StartArgs } | { kind: "exit"; code: number } {
  const program = new Command("npm start --")
    .description(
      "Bootstrap the store, then run the reference web API and MCP server with auth on.\n" +
        "With no <PREFIX>_VAULT_URL the store is the embedded SQLite file ./.gofr-auth/auth.db.",
    )
    .option("--host <host>", "interface both services listen on", "127.0.0.1")
    .addOption(
      new Option("--web-port <port>", "web API port (0: any free port)")
        .argParser(portNumber)
        .default(8080),
    )
    .addOption(
      new Option("--mcp-port <port>", "MCP server port (0: any free port)")
        .argParser(portNumber)
        .default(8081),
    )
    .option("--env-prefix <prefix>", "read <PREFIX>_VAULT_URL, <PREFIX>_AUTH_STORE, ...", "GOFR")
    .addOption(
      new Option("--session-token <duration>", "lifetime of the printed admin token")
        .argParser(duration)
        .default(8 * 3600, "8h"),
    )
    .option("--debug", "log at INFO as well", false);
  const parsed = parseFlags<Omit<StartArgs, "sessionTokenSeconds"> & { sessionToken: number }>(
    program,
    argv,
    { out, err },
  );
  if (parsed.kind === "exit") return parsed;
  const { sessionToken, ...rest } = parsed.options;
  return { kind: "run", args: { ...rest, sessionTokenSeconds: sessionToken } };
}

/** A listen failure an operator can act on, instead of a bare EADDRINUSE. */
function listenError(service: string, flag: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return new AuthError("config_invalid", `The ${service} port ${port} is already in use`, {
      hint: `Stop whatever listens there, or pass ${flag} <other port> (0 picks a free one): npm start -- ${flag} 0`,
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function startServices(plane: AuthEnabled, args: StartArgs, logger: Logger) {
  const { app: web } = await createWebServer({
    auth: plane.auth,
    secretProvider: plane.secretProvider,
    metricSources: { keyRing: plane.keyRing, store: plane.store, propagation: plane.propagation },
    logger,
  });
  let webServer: Awaited<ReturnType<typeof listenWeb>>;
  try {
    webServer = await listenWeb(web, args.host, args.webPort);
  } catch (error) {
    throw listenError("web API", "--web-port", args.webPort, error);
  }

  const { app: mcpApp } = createMcpServer({ auth: plane.auth, logger, host: args.host });
  let mcp: Awaited<ReturnType<typeof listenMcp>>;
  try {
    mcp = await listenMcp(mcpApp, args.host, args.mcpPort);
  } catch (error) {
    await webServer.close();
    throw listenError("MCP server", "--mcp-port", args.mcpPort, error);
  }
  return {
    webUrl: httpUrl(args.host, webServer.port),
    mcpUrl: `${httpUrl(args.host, mcp.port)}/mcp`,
    close: async () => {
      await Promise.allSettled([webServer.close(), mcp.close()]);
    },
  };
}

/** Runs the main job; resolves once both services listen (or with an exit for help/usage). */
export async function start(argv: readonly string[], deps: StartDeps = {}): Promise<StartResult> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(text));
  const parsed = parseArgs(argv, stdout, stderr);
  if (parsed.kind === "exit") return parsed;
  const { args } = parsed;
  const logger =
    deps.logger ?? consoleLogger({ name: "gofr-start", level: args.debug ? "info" : "warn" });

  const resolved = await resolveAuthConfig({
    envPrefix: args.envPrefix,
    env: deps.env ?? process.env,
    logger,
    singleMachineWarning: false,
    // A fresh store has no secret yet: `initialize` below creates it.
    checkSecret: false,
  });
  if (!resolved.authEnabled) {
    throw new AuthError("config_invalid", `npm start runs with auth on, but ${resolved.reason}`, {
      hint: `Unset ${args.envPrefix}_NO_AUTH; to try a service without auth run it alone with --no-auth`,
    });
  }
  const plane = resolved;
  let services: Awaited<ReturnType<typeof startServices>> | undefined;
  let sessionId: string | undefined;
  try {
    // Listen first: a busy port must fail before init creates a token it could not print.
    // The services load the secret on first use, so it may not exist yet.
    services = await startServices(plane, args, logger);
    const init = await initialize(plane, { adminExpiresInSeconds: 30 * 24 * 3600 });
    // Named, so that `tokens list` tells it apart; revoked when the main job stops.
    const session = await plane.auth.createToken({
      groups: ["admin"],
      expiresInSeconds: args.sessionTokenSeconds,
      name: `npm-start-session-${randomBytes(4).toString("hex")}`,
    });
    sessionId = session.record.id;
    const expires = session.record.expiresAt?.toISOString() ?? "never";
    stdout(
      [
        `Store:   ${plane.backend} ${plane.location}${plane.backend === "sqlite" ? " (single-machine mode)" : ""}`,
        `Secret:  ${init.secret.name} v${init.secret.version} ${init.secret.fingerprint}${init.secret.created ? " (created now)" : ""}`,
        init.adminToken.created
          ? `Init:    long-lived admin token ${init.adminToken.id} created (keep it: printed this once)\n\n${init.adminToken.token}`
          : "Init:    store already initialised",
        "",
        `web API  ${services.webUrl}   GET /health /ready /whoami /admin/ping /metrics`,
        `MCP      ${services.mcpUrl}   tools: whoami, echo (Streamable HTTP)`,
        "",
        `Admin token for this session (id ${session.record.id}, expires ${expires}):`,
        "",
        session.token,
        "",
        "Try it:",
        `  curl -H "Authorization: Bearer ${session.token}" ${services.webUrl}/whoami`,
        "",
        `It is revoked when this stops (or now, with the CLI built by npm start: node ${CLI_PATH} tokens revoke ${session.record.id}).`,
        `${READY_LINE}. Ctrl-C stops both services.`,
        "",
      ].join("\n"),
    );
    const running = services;
    const id = sessionId;
    let closed: Promise<void> | undefined;
    return {
      kind: "running",
      url: services.webUrl,
      close: () => {
        closed ??= running
          .close()
          .then(() => revokeSession(plane, id, logger))
          .then(async (revoked) => {
            await plane.close();
            const session = revoked ? "session token revoked" : "session token NOT revoked";
            stdout(`Stopped: both services closed, ${session}, store closed.\n`);
          });
        return closed;
      },
    };
  } catch (error) {
    await services?.close();
    if (sessionId) await revokeSession(plane, sessionId, logger);
    await plane.close();
    throw error;
  }
}

/**
 * Revokes the session's admin token: it was printed for this run only and must not stay
 * valid after it. A failure (the store is down) is logged with the command to finish it.
 */
async function revokeSession(plane: AuthEnabled, id: string, logger: Logger): Promise<boolean> {
  try {
    await plane.auth.revokeToken(id);
    return true;
  } catch (error) {
    logger.warn("Could not revoke the session's admin token", {
      token_id: id,
      error: error instanceof Error ? error.message : String(error),
      hint: `revoke it: node ${CLI_PATH} tokens revoke ${id}`,
    });
    return false;
  }
}

if (isEntryModule(import.meta.url)) {
  const logger = consoleLogger({ name: "gofr-start", level: "warn" });
  start(process.argv.slice(2)).then(
    (result) => {
      if (result.kind === "exit") {
        process.exitCode = result.code;
        return;
      }
      closeOnSignals(result, logger); // close() prints the "Stopped: ..." line
    },
    (error: unknown) => {
      // An AuthError's message already ends with its hint.
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
