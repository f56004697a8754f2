/**
 * The hostile-token catalogue (catalogue.ts) through every adapter on a real server on
 * 127.0.0.1: node, Express, Fastify, Hono, the MCP bearer middleware, and the reference MCP
 * server. Each entry must get 401 with a `Bearer error="invalid_token"` challenge and a JSON
 * body whose `code` is the one `verifyToken` gives for that entry, and nothing the server
 * sends may echo the token.
 *
 * Where HTTP itself decides before any adapter code runs, the test says so and asserts it:
 *
 * - A header bigger than Node's `maxHeaderSize` (16 KiB by default) is answered 431 by
 *   `node:http` while parsing (the 64 KiB and 1 MiB entries on default servers). With the
 *   limit raised to 2 MiB the request reaches our size check: 401 `token_too_large`, with
 *   the secret store untouched and no large JSON.parse call (counted, not timed).
 * - A token with a line feed cannot be a header value: Node's client refuses to send it,
 *   and sent raw, Node's parser answers 400.
 * - `Authorization: Bearer ` with an empty token is, after the parser strips trailing
 *   whitespace, a header of the wrong shape: `token_malformed` (verifyToken("") says
 *   `token_missing`, which adapters reserve for an absent header).
 */
import { createServer, request as httpRequest, type Server, type ServerOptions } from "node:http";
import { connect } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createMcpServer } from "../../examples/mcp/server.js";
import { requireAuth as expressAuth, optionalAuthOf } from "../../src/adapters/express.js";
import { gofrAuth } from "../../src/adapters/fastify.js";
import { requireAuth as honoAuth } from "../../src/adapters/hono.js";
import { authContextOf, mcpBearerAuth } from "../../src/adapters/mcp.js";
import { requireAuth as nodeAuth } from "../../src/adapters/node.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import type { AuthContext } from "../../src/auth-context.js";
import { AuthService } from "../../src/auth-service.js";
import { AUTH_ERROR_CODES, isAuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { createTestAuthService, TEST_SECRET } from "../../src/testing/index.js";
import { listen, type RunningServer } from "../adapters/support/listen.js";
import { ControlledSource } from "../support/controlled-source.js";
import { hostileTokens, sign, validClaims } from "./catalogue.js";

/**
 * JSON.parse calls with a large input (any token part that got decoded and parsed would be
 * one): the structural proof that oversized tokens are refused before any parsing. A spy on
 * the global, so it holds whichever code does the parsing (fast-jwt or our own).
 */
const LARGE_JSON = 1024;
let largeParses = 0;
beforeAll(() => {
  const parse = JSON.parse.bind(JSON);
  vi.spyOn(JSON, "parse").mockImplementation(
    (text: string, reviver?: Parameters<typeof parse>[1]) => {
      if (typeof text === "string" && text.length >= LARGE_JSON) largeParses += 1;
      return parse(text, reviver);
    },
  );
});
afterAll(() => {
  vi.restoreAllMocks();
});

const OVERSIZE = new Set(["64 KiB token", "1 MiB token"]);
/** Entries whose HTTP form is decided by the bearer-header parser, not by verifyToken. */
const HEADER_SHAPE_CODES: Record<string, string> = { "empty string": "token_malformed" };
/** A header value may hold visible ASCII and spaces only (no CR, LF, NUL, non-ASCII). */
const transmissible = (token: string) => /^[\x20-\x7e]*$/.test(token);

interface Target {
  name: string;
  /** The MCP SDK answers with the OAuth shape `{ error: "invalid_token", error_description, code }`. */
  oauthBody: boolean;
  path: string;
  method: "GET" | "POST";
  start(
    auth: TokenVerifier,
    audit: (event: AuthEvent) => void,
    server?: ServerOptions,
  ): Promise<RunningServer>;
}

const contextBody = (context: AuthContext | null) => ({ auth: context?.toJSON() ?? null });

const targets: Target[] = [
  {
    name: "node",
    oauthBody: false,
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
    oauthBody: false,
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
    oauthBody: false,
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
    oauthBody: false,
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
    oauthBody: true,
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
    oauthBody: true,
    path: "/mcp",
    method: "POST",
    start: (auth, audit, server = {}) => {
      const { app } = createMcpServer({ auth, audit, logger: silentLogger });
      return listen(createServer(server, app));
    },
  },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** One request with `node:http` (no header normalisation, no size limit on our side). */
function send(url: string, target: Target, authorization: string | undefined): Promise<Answer> {
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
function sendRaw(url: string, path: string, authorization: string): Promise<string> {
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

/** The pieces of a token that must never come back: the whole, and each long segment. */
function tokenPieces(token: string): string[] {
  const pieces = token.split(".").filter((part) => part.length >= 12);
  return token.length >= 12 ? [token, ...pieces] : pieces;
}

function expectNoEcho(answer: Answer, token: string): void {
  const text = `${answer.body}\n${JSON.stringify(answer.headers)}`;
  for (const piece of tokenPieces(token)) {
    expect(text.includes(piece), "the response echoes the token").toBe(false);
  }
}

function expectRefusal(answer: Answer, target: Target, code: string): void {
  expect(answer.status).toBe(401);
  expect(answer.headers["www-authenticate"]).toMatch(/^Bearer error="invalid_token"/);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe("string");
  if (target.oauthBody) {
    expect(Object.keys(body).sort()).toEqual(["code", "error", "error_description"]);
    expect(body.error).toBe("invalid_token");
  } else {
    expect(Object.keys(body).sort()).toEqual(["code", "error"]);
    expect(answer.headers["cache-control"]).toBe("no-store");
  }
}

const { auth } = createTestAuthService();
const now = Math.floor(Date.now() / 1000);
const catalogue = hostileTokens(TEST_SECRET, now);
/** Validly signed, about 7 KiB, its jti in no store. */
const paddedToken = sign(
  { alg: "HS256", typ: "JWT" },
  { ...validClaims(now), pad: "p".repeat(5000) },
  TEST_SECRET,
);
/** verifyToken's code per entry (store-checked, as the adapters verify by default). */
const verifyCodes = new Map<string, string>();

beforeAll(async () => {
  for (const { name, token } of catalogue) {
    const error = await auth.verifyToken(token).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isAuthError(error) || error.category !== "credentials") {
      throw new Error(`catalogue entry '${name}' is not a credential rejection: ${String(error)}`);
    }
    verifyCodes.set(name, error.code);
  }
});

const ordinary = catalogue.filter(({ name, token }) => !OVERSIZE.has(name) && transmissible(token));
const untransmissible = catalogue.filter(({ token }) => !transmissible(token));
const oversize = catalogue.filter(({ name }) => OVERSIZE.has(name));

describe("the catalogue itself", () => {
  it("has the expected special entries, so every branch below runs", () => {
    expect(oversize.map((entry) => entry.name).sort()).toEqual([...OVERSIZE].sort());
    expect(untransmissible.map((entry) => entry.name)).toEqual(["trailing newline"]);
    expect(ordinary.length).toBe(catalogue.length - 3);
    for (const name of Object.keys(HEADER_SHAPE_CODES)) {
      expect(catalogue.some((entry) => entry.name === name)).toBe(true);
    }
  });

  it("verifyToken gives each entry a documented credential code", () => {
    expect(verifyCodes.size).toBe(catalogue.length);
    for (const code of verifyCodes.values()) {
      expect(AUTH_ERROR_CODES[code as keyof typeof AUTH_ERROR_CODES]).toBe("credentials");
    }
    expect(verifyCodes.get("64 KiB token")).toBe("token_too_large");
    expect(verifyCodes.get("empty string")).toBe("token_missing");
  });
});

for (const target of targets) {
  describe(`${target.name}: default server (maxHeaderSize 16 KiB)`, () => {
    const events: AuthEvent[] = [];
    let server: RunningServer;
    let valid: string;

    beforeAll(async () => {
      valid = (await auth.createToken({ groups: ["public"] })).token;
      server = await target.start(auth, (event) => events.push(event));
    });
    afterAll(() => server.close());

    it("accepts a valid token (control: the refusals below are the token's doing)", async () => {
      const answer = await send(server.url, target, `Bearer ${valid}`);
      expect(answer.status).toBe(200);
      expectNoEcho(answer, valid);
      expect(events.at(-1)?.outcome).toBe("allowed");
    });

    for (const entry of ordinary) {
      it(`refuses: ${entry.name}`, async () => {
        const code = HEADER_SHAPE_CODES[entry.name] ?? (verifyCodes.get(entry.name) as string);
        const before = events.length;
        const answer = await send(server.url, target, `Bearer ${entry.token}`);
        expectRefusal(answer, target, code);
        expectNoEcho(answer, entry.token);
        expect(events.slice(before)).toEqual([
          expect.objectContaining({ outcome: "denied", status: 401, code }),
        ]);
      });
    }

    for (const entry of oversize) {
      it(`${entry.name}: 431 from node:http before any adapter code runs`, async () => {
        const before = { events: events.length, largeParses };
        const answer = await send(server.url, target, `Bearer ${entry.token}`);
        expect(answer.status).toBe(431);
        // Node writes no body; Fastify's clientError handler writes its own JSON. Never ours.
        expect(answer.body).not.toContain('"code"');
        expectNoEcho(answer, entry.token);
        expect(events.length).toBe(before.events);
        expect(largeParses).toBe(before.largeParses);
      });
    }

    for (const entry of untransmissible) {
      it(`${entry.name}: cannot be sent as a header; sent raw, the HTTP parser answers 400`, async () => {
        await expect(send(server.url, target, `Bearer ${entry.token}`)).rejects.toMatchObject({
          code: "ERR_INVALID_CHAR",
        });
        const before = events.length;
        const raw = await sendRaw(server.url, target.path, `Bearer ${entry.token}`);
        expect(raw).toMatch(/^HTTP\/1\.1 400 /);
        for (const piece of tokenPieces(entry.token.trim())) expect(raw).not.toContain(piece);
        expect(events.length).toBe(before);
      });
    }
  });
}

describe("oversized tokens reach our size check when maxHeaderSize allows them", () => {
  const big: ServerOptions = { maxHeaderSize: 2 * 1024 * 1024 };

  for (const target of targets) {
    it(`${target.name}: 401 token_too_large, before the secret store or any JSON parsing`, async () => {
      // A cold provider: the first thing verification does after the size and shape checks
      // is load the key, so an untouched source proves nothing got past them.
      const source = new ControlledSource(TEST_SECRET);
      const cold = new AuthService({
        store: new MemoryAuthStore(),
        secretProvider: new JwtSecretProvider({ source, logger: silentLogger }),
        logger: silentLogger,
      });
      const events: AuthEvent[] = [];
      const server = await target.start(cold, (event) => events.push(event), big);
      try {
        const before = largeParses;
        for (const entry of oversize) {
          const answer = await send(server.url, target, `Bearer ${entry.token}`);
          expectRefusal(answer, target, "token_too_large");
          expectNoEcho(answer, entry.token);
        }
        expect(events.map((event) => (event.outcome === "denied" ? event.code : "?"))).toEqual([
          "token_too_large",
          "token_too_large",
        ]);
        expect(source.reads).toBe(0);
        expect(largeParses).toBe(before);

        // Control: a correctly signed 7 KiB token (under the 8 KiB limit) is parsed, so the
        // counters above can move: the key is loaded and its large payload goes to JSON.parse.
        const answer = await send(server.url, target, `Bearer ${paddedToken}`);
        expectRefusal(answer, target, "token_not_found");
        expect(source.reads).toBe(1);
        expect(largeParses).toBe(before + 1);
      } finally {
        await server.close();
      }
    });
  }
});
