#!/usr/bin/env node
/**
 * `node examples/build/examples/mcp/main.js [--host 127.0.0.1] [--port 8081] [--no-auth]
 * [--env-prefix GOFR]`: the reference MCP server (Streamable HTTP at `/mcp`).
 */
import {
  type MainDeps,
  type MainResult,
  runFromCommandLine,
  runServiceMain,
} from "../shared/main.js";
import { isEntryModule } from "../shared/run.js";
import { createMcpServer, listenMcp } from "./server.js";

export const MCP_SPEC = {
  name: "gofr-mcp",
  description: "gofr-auth reference MCP server (Streamable HTTP, stateless): tools whoami, echo",
  defaultPort: 8081,
  allowedHostsOption: true,
};

/** Parses flags, starts the auth plane and the server; resolves once listening. */
export function main(argv: readonly string[], deps: MainDeps = {}): Promise<MainResult> {
  return runServiceMain(
    argv,
    MCP_SPEC,
    async (serviceAuth, args, logger) => {
      const { app } = createMcpServer({
        auth: serviceAuth.auth,
        noAuthReason: serviceAuth.auth ? undefined : serviceAuth.reason,
        logger,
        host: args.host,
        allowedHosts: args.allowedHosts,
      });
      return listenMcp(app, args.host, args.port);
    },
    deps,
  );
}

if (isEntryModule(import.meta.url)) runFromCommandLine(main, MCP_SPEC.name);
