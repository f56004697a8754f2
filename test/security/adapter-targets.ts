/**
 * The HTTP side of adapters.test.ts: each adapter on a real server on 127.0.0.1, raw
 * requests with `node:http` and a socket, and the checks every refusal must pass.
 */
import { createServer, request as httpRequest, type Server, type ServerOptions } from "node:http";
import { connect } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { expect } from "vitest";
import { createMcpServer } from "../../examples/mcp/server.js";
import { requireAuth as expressAuth, optionalAuthOf } from "../../src/adapters/express.js";
import { gofrAuth } from "../../src/adapters/fastify.js";
import { requireAuth as honoAuth } from "../../src/adapters/hono.js";
import { authContextOf, mcpBearerAuth } from "../../src/adapters/mcp.js";
import { requireAuth as nodeAuth } from "../../src/adapters/node.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import type { AuthContext } from "../../src/auth-context.js";
import { silentLogger } from "../../src/log.js";
import { listen, type RunningServer } from "../adapters/support/listen.js";

export interface Target {
  name: string;
  /** The MCP SDK also refuses a token whose `exp` has passed by the wall clock, with no tolerance. */
  wallClockExpiry: boolean;
  path: string;
  method: "GET" | "POST";
  start(
    auth: TokenVerifier,
    audit: (event: AuthEvent) => void,
    server?: ServerOptions,
  ): Promise<RunningServer>;
}

const contextBody = (context: AuthContext | null) => ({ auth: context?.toJSON() ?? null });

export const targets: Target[] = [
  {
    name: "node",
    wallClockExpiry: false,
    path: "/r",
    method: "GET",
    start: (auth, audit, server = {}) =>
      listen(
        createServer(
          server,
          nodeAuth({ auth, audit }, (_req, res, context) => {
            res.setHeader("content-type", "application/json");
            res.end(JSON.stringify(contextBody(context)));
          }),
        ),
      ),
  },
  {
    name: "express",
    wallClockExpiry: false,
    path: "/r",
    method: "GET",
    start: (auth, audit, server = {}) => {
      const app = express();
      app.get("/r", expressAuth({ auth, audit }), (req, res) => {
        res.json(contextBody(optionalAuthOf(req)));
      });
      return listen(createServer(server, app));
    },
  },
  {
    name: "fastify",
    wallClockExpiry: false,
    path: "/r",
    method: "GET",
    start: async (auth, audit, server = {}) => {
      const app = Fastify({ http: server });
      await app.register(gofrAuth, { auth, audit });
      app.get("/r", { preHandler: app.authenticate }, async (request) => contextBody(request.auth));
      await app.ready();
      return listen(app.server);
    },
  },
  {
    name: "hono",
    wallClockExpiry: false,
    path: "/r",
    method: "GET",
    start: (auth, audit, server = {}) => {
      const app = new Hono<{ Variables: { auth: AuthContext } }>();
      app.get("/r", honoAuth({ auth, audit }), (c) => c.json(contextBody(c.get("auth"))));
      return listen(createAdaptorServer({ fetch: app.fetch, serverOptions: server }) as Server);
    },
  },
  {
    name: "mcp bearer middleware",
    wallClockExpiry: true,
    path: "/r",
    method: "GET",
    start: (auth, audit, server = {}) => {
      const app = express();
      app.get("/r", mcpBearerAuth({ auth, audit }), (req, res) => {
        res.json(contextBody(authContextOf(req.auth)));
      });
      return listen(createServer(server, app));
    },
  },
  {
    name: "mcp reference server",
    wallClockExpiry: true,
    path: "/mcp",
    method: "POST",
    start: (auth, audit, server = {}) => {
      const { app } = createMcpServer({ auth, audit, logger: silentLogger });
      return listen(createServer(server, app));
    },
  },
];

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** One request with `node:http` (no header normalisation, no size limit on our side). */
export function send(
  url: string,
  target: Target,
  authorization: string | undefined,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (target.method === "POST") {
    headers["content-type"] = "application/json";
    headers.accept = "application/json, text/event-stream";
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${target.path}`,
      { method: target.method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(target.method === "POST" ? TOOLS_LIST : undefined);
  });
}

/** Raw bytes on a socket, for header values no HTTP client will send. */
export function sendRaw(url: string, path: string, authorization: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n` +
          `Authorization: ${authorization}\r\n\r\n`,
      );
    });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
  });
}

/**
 * The first `bytes` of a GET whose `Authorization` header is over the server's
 * `maxHeaderSize`, then nothing more until the answer arrives. Node's parser answers 431 as
 * soon as the headers pass the limit; sending only that much leaves no unread bytes on the
 * server, which would make its close a TCP reset that loses the 431 (Node 24 closes at once).
 */
export function sendHeadOfOversized(
  url: string,
  path: string,
  authorization: string,
  bytes: number,
): Promise<string> {
  const { hostname, port } = new URL(url);
  const request = `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${authorization}`;
  if (request.length <= bytes) throw new Error("the header is not longer than the bytes to send");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request.slice(0, bytes)));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
  });
}

/** The pieces of a token that must never come back: the whole, and each long segment. */
export function tokenPieces(token: string): string[] {
  const pieces = token.split(".").filter((part) => part.length >= 12);
  return token.length >= 12 ? [token, ...pieces] : pieces;
}

export function expectNoEcho(answer: Answer, token: string): void {
  const text = `${answer.body}\n${JSON.stringify(answer.headers)}`;
  for (const piece of tokenPieces(token)) {
    expect(text.includes(piece), "the response echoes the token").toBe(false);
  }
}

export function expectRefusal(answer: Answer, code: string): void {
  expect(answer.status).toBe(401);
  expect(answer.headers["www-authenticate"]).toMatch(/^Bearer error="invalid_token"/);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe("string");
  // One body from every adapter, MCP included: the OAuth fields live in WWW-Authenticate.
  expect(Object.keys(body).sort()).toEqual(["code", "error"]);
  expect(answer.headers["cache-control"]).toBe("no-store");
}
