import { createServer, type Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { requireAuth as expressAuth, optionalAuthOf } from "../../../src/adapters/express.js";
import { gofrAuth } from "../../../src/adapters/fastify.js";
import { requireAuth as honoAuth } from "../../../src/adapters/hono.js";
import { authContextOf, mcpBearerAuth } from "../../../src/adapters/mcp.js";
import { requireAuth as nodeAuth } from "../../../src/adapters/node.js";
import type { AuthOptions } from "../../../src/adapters/shared/options.js";
import type { AuthContext } from "../../../src/auth-context.js";
import { listen, type RunningServer } from "./listen.js";

/** How one adapter is mounted on a real server, and where its behaviour legitimately differs. */
export interface AdapterHarness {
  name: string;
  /** Status for a store outage: 503, except the MCP SDK which can only send 500. */
  unavailableStatus: number;
  /** Whether `Retry-After` accompanies an outage response. */
  retryAfter: boolean;
  supportsOptional: boolean;
  /** Where the human-readable message is: `error` (ours) or `error_description` (OAuth/SDK). */
  messageField: "error" | "error_description";
  /** Serves `GET /r` behind the adapter; answers `{ auth: context | null }`. */
  start(options: AuthOptions): Promise<RunningServer>;
}

const body = (context: AuthContext | null) => ({ auth: context ? context.toJSON() : null });

export const harnesses: AdapterHarness[] = [
  {
    name: "node",
    unavailableStatus: 503,
    retryAfter: true,
    supportsOptional: true,
    messageField: "error",
    start: (options) =>
      listen(
        createServer(
          nodeAuth(options as AuthOptions & { optional: true }, (_req, res, auth) => {
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify(body(auth)));
          }),
        ),
      ),
  },
  {
    name: "express",
    unavailableStatus: 503,
    retryAfter: true,
    supportsOptional: true,
    messageField: "error",
    start: (options) => {
      const app = express();
      app.get("/r", expressAuth(options), (req, res) => {
        res.json(body(optionalAuthOf(req)));
      });
      return listen(createServer(app));
    },
  },
  {
    name: "fastify",
    unavailableStatus: 503,
    retryAfter: true,
    supportsOptional: true,
    messageField: "error",
    start: async (options) => {
      const app = Fastify();
      await app.register(gofrAuth, options);
      app.get("/r", { preHandler: app.authenticate }, async (request) => body(request.auth));
      await app.ready();
      return listen(app.server);
    },
  },
  {
    name: "hono",
    unavailableStatus: 503,
    retryAfter: true,
    supportsOptional: true,
    messageField: "error",
    start: (options) => {
      const app = new Hono<{ Variables: { auth: AuthContext | null } }>();
      // The cast only picks the overload whose variable type admits null; `optional` itself
      // is whatever the case set.
      const middleware = honoAuth(options as AuthOptions & { optional: true });
      app.get("/r", middleware, (c) => c.json(body(c.get("auth"))));
      return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
    },
  },
  {
    name: "mcp",
    unavailableStatus: 500,
    retryAfter: false,
    supportsOptional: false,
    messageField: "error",
    start: (options) => {
      const app = express();
      app.get("/r", mcpBearerAuth(options), (req, res) => {
        res.json(body(authContextOf(req.auth)));
      });
      return listen(createServer(app));
    },
  },
];
