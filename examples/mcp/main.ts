#!/usr/bin/env node
/**
 * `node examples/build/examples/mcp/main.js [--host 127.0.0.1] [--port 8081] [--no-auth]
 * [--env-prefix GOFR]`: the reference MCP server (Streamable HTTP at `/mcp`).
 *
 * Tokens must name the service's audience, `<PREFIX>_AUDIENCE`: by default the fleet-wide
 * `gofr-api`. To bind tokens to this server (RFC 8707, as the MCP authorization spec asks),
 * set it to the server's URL, e.g. `GOFR_MCP_AUDIENCE=https://mcp.example.com/mcp` with
 * `--env-prefix GOFR_MCP`, and mint its tokens with the same audience.
 */
import { DEFAULT_AUDIENCE } from "../../src/tokens/claims.js";
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
      const audience = serviceAuth.auth?.audience;
      if (audience !== undefined) {
        const fleetWide = audience === DEFAULT_AUDIENCE;
        logger.info("MCP tokens must name this audience", {
          audience,
          fleet_wide: fleetWide,
          hint: fleetWide
            ? `set ${args.envPrefix}_AUDIENCE to this server's URL to bind tokens to it`
            : undefined,
        });
      }
      const { app } = createMcpServer({
        auth: serviceAuth.auth,
        noAuthReason: serviceAuth.auth ? undefined : serviceAuth.reason,
        logger,
        host: args.host,
        allowedHosts: args.allowedHosts,
        audience,
      });
      return listenMcp(app, args.host, args.port);
    },
    deps,
  );
}

if (isEntryModule(import.meta.url)) runFromCommandLine(main, MCP_SPEC.name);
