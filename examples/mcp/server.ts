/**
 * The reference MCP server: official SDK, Streamable HTTP in **stateless** mode (a fresh
 * `McpServer` + transport per POST, no session ids), protected by `gofr-auth/mcp`.
 *
 * Stateless because every request carries its bearer token anyway: any replica can answer
 * any request (no sticky sessions behind a load balancer), and there is no session whose
 * owner could change between requests. Tools: `whoami`, `echo`. `GET /health` is open.
 */
import type { Server } from "node:http";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Express, Request, Response } from "express";
import * as z from "zod";
import { authContextOf, mcpBearerAuth } from "../../src/adapters/mcp.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import { type Logger, silentLogger } from "../../src/log.js";

export interface McpServerOptions {
  /** Verifies tokens (an `AuthService`); `null` serves WITHOUT authentication (`--no-auth`). */
  auth: TokenVerifier | null;
  noAuthReason?: string;
  logger?: Logger;
  /**
   * The host the server binds to: for 127.0.0.1/localhost/::1 the SDK's DNS-rebinding
   * protection is on (only those Host headers are served). Default 127.0.0.1.
   */
  host?: string;
  /** Host names to accept when binding elsewhere (the SDK's `allowedHosts`). */
  allowedHosts?: string[];
  audit?: (event: AuthEvent) => void;
  /**
   * The audience tokens must name: `gofr-auth/mcp`'s `audience` option. Unset, the
   * verifier's own audience applies (the fleet-wide `gofr-api` on a default configuration).
   */
  audience?: string;
}

export const MCP_SERVER_INFO = { name: "gofr-mcp", version: "0.1.0" } as const;

/** The tools, on a new `McpServer` (one per request in stateless mode). */
function buildMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer(MCP_SERVER_INFO);
  server.registerTool(
    "whoami",
    { description: "Who the bearer token belongs to: token id, subject, groups, expiry." },
    async (extra) => {
      const context = authContextOf(extra.authInfo);
      const who = context
        ? { authenticated: true, ...context.toJSON() }
        : { authenticated: false, reason: options.noAuthReason ?? "auth disabled" };
      return {
        content: [{ type: "text", text: JSON.stringify(who) }],
        structuredContent: who,
      };
    },
  );
  server.registerTool(
    "echo",
    {
      description: "Returns the text it is given.",
      inputSchema: { text: z.string().max(10_000).describe("text to echo back") },
    },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

const methodNotAllowed = (_req: Request, res: Response) => {
  res
    .status(405)
    .set("allow", "POST")
    .json({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Method not allowed: this server is stateless, use POST" },
      id: null,
    });
};

/** Builds the Express app (not listening). */
export function createMcpServer(options: McpServerOptions): { app: Express } {
  const logger = options.logger ?? silentLogger;
  const app = createMcpExpressApp({
    host: options.host ?? "127.0.0.1",
    allowedHosts: options.allowedHosts,
  });

  app.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  if (options.auth) {
    app.use(
      "/mcp",
      mcpBearerAuth({
        auth: options.auth,
        logger,
        audit: options.audit,
        audience: options.audience,
      }),
    );
  }

  app.post("/mcp", async (req, res) => {
    const server = buildMcpServer(options);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      // `req.auth` (set by mcpBearerAuth) reaches tools as `extra.authInfo`.
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      logger.error("MCP request failed", {
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent) {
        res.status(500).json({
          jsonrpc: "2.0",
          error: { code: -32603, message: "Internal server error" },
          id: null,
        });
      }
    }
  });
  app.get("/mcp", methodNotAllowed);
  app.delete("/mcp", methodNotAllowed);

  return { app };
}

/** Listens and resolves once bound; `close` also ends open keep-alive connections. */
export function listenMcp(
  app: Express,
  host: string,
  port: number,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) {
        reject(error);
        return;
      }
      const address = server.address();
      resolve({
        server,
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((closeError) => (closeError ? fail(closeError) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
