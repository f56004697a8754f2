/** What each adapter offers beyond the shared table: its framework's idioms. */
import { createServer } from "node:http";
import { InvalidTokenError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { authOf, requireAuth as expressAuth, optionalAuthOf } from "../../src/adapters/express.js";
import { authOf as fastifyAuthOf, gofrAuth } from "../../src/adapters/fastify.js";
import { authContextOf, createMcpTokenVerifier } from "../../src/adapters/mcp.js";
import { authenticate, createAuthenticator, sendAuthError } from "../../src/adapters/node.js";
import { AuthContext } from "../../src/auth-context.js";
import { isAuthError } from "../../src/errors.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { listen, type RunningServer } from "./support/listen.js";

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("fastify plugin", () => {
  let app: FastifyInstance;
  let server: RunningServer;

  beforeAll(async () => {
    app = Fastify();
    await app.register(gofrAuth, { auth: fixture.auth });
    app.get("/open", async (request) => ({ auth: request.auth }));
    app.get("/whoami", { preHandler: app.authenticate }, async (request) =>
      fastifyAuthOf(request).toJSON(),
    );
    app.get(
      "/admin",
      { preHandler: app.authenticate, config: { auth: { groups: ["admin"] } } },
      async (request) => ({ subject: fastifyAuthOf(request).subject }),
    );
    app.get(
      "/either",
      { preHandler: app.authenticate, config: { auth: { anyGroup: ["admin", "ops"] } } },
      async () => ({ ok: true }),
    );
    app.get(
      "/mixed",
      { preHandler: app.authenticate, config: { auth: { optional: true } } },
      async (request) => ({ subject: request.auth?.subject ?? null }),
    );
    app.get("/ops", { preHandler: app.requireGroups("ops") }, async () => ({ ok: true }));
    await app.ready();
    server = await listen(app.server);
  });
  afterAll(() => server.close());

  it("leaves request.auth null on routes without the preHandler", async () => {
    const response = await get(`${server.url}/open`, fixture.tokens.admin);
    expect(await response.json()).toEqual({ auth: null });
  });

  it("authenticate sets request.auth", async () => {
    const response = await get(`${server.url}/whoami`, fixture.tokens.user);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { tokenId: string }).tokenId).toBe(fixture.tokens.userId);
  });

  it("config.auth.groups is enforced per route", async () => {
    expect((await get(`${server.url}/admin`, fixture.tokens.user)).status).toBe(403);
    const ok = await get(`${server.url}/admin`, fixture.tokens.admin);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ subject: "admin" });
  });

  it("config.auth.anyGroup accepts any listed group", async () => {
    expect((await get(`${server.url}/either`, fixture.tokens.ops)).status).toBe(200);
    expect((await get(`${server.url}/either`, fixture.tokens.user)).status).toBe(403);
  });

  it("config.auth.optional makes one route mixed", async () => {
    expect(await (await get(`${server.url}/mixed`)).json()).toEqual({ subject: null });
    expect(await (await get(`${server.url}/mixed`, fixture.tokens.user)).json()).toEqual({
      subject: "user",
    });
    expect((await get(`${server.url}/whoami`)).status).toBe(401);
  });

  it("requireGroups(...) authenticates and requires the groups", async () => {
    expect((await get(`${server.url}/ops`)).status).toBe(401);
    expect((await get(`${server.url}/ops`, fixture.tokens.admin)).status).toBe(403);
    expect((await get(`${server.url}/ops`, fixture.tokens.ops)).status).toBe(200);
  });

  it("plugin-wide groups add to route groups", async () => {
    const scoped = Fastify();
    await scoped.register(gofrAuth, { auth: fixture.auth, groups: ["admin"] });
    scoped.get(
      "/both",
      { preHandler: scoped.authenticate, config: { auth: { groups: ["ops"] } } },
      async () => ({ ok: true }),
    );
    await scoped.ready();
    const running = await listen(scoped.server);
    const both = await fixture.auth.createToken({ groups: ["admin", "ops"] });
    try {
      // admin has the plugin's group but not the route's; ops the other way round.
      expect((await get(`${running.url}/both`, fixture.tokens.admin)).status).toBe(403);
      expect((await get(`${running.url}/both`, fixture.tokens.ops)).status).toBe(403);
      expect((await get(`${running.url}/both`, both.token)).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe("express helpers", () => {
  let server: RunningServer;
  afterEach(() => server?.close());

  it("authOf reads req.auth and refuses when the middleware did not run", async () => {
    const app = express();
    app.get("/guarded", expressAuth({ auth: fixture.auth }), (req, res) => {
      res.json({ subject: authOf(req).subject });
    });
    app.get("/unguarded", (req, res) => {
      let code: string | undefined;
      try {
        authOf(req);
      } catch (error) {
        code = isAuthError(error) ? error.code : "other";
      }
      res.json({ code, optional: optionalAuthOf(req) });
    });
    server = await listen(createServer(app));
    expect(await (await get(`${server.url}/guarded`, fixture.tokens.user)).json()).toEqual({
      subject: "user",
    });
    expect(await (await get(`${server.url}/unguarded`, fixture.tokens.user)).json()).toEqual({
      code: "token_missing",
      optional: null,
    });
  });
});

describe("node helpers", () => {
  let server: RunningServer;
  afterEach(() => server?.close());

  it("authenticate(req, options) + sendAuthError serve a plain node:http handler", async () => {
    const options = { auth: fixture.auth, groups: ["admin"] };
    server = await listen(
      createServer(async (req, res) => {
        try {
          const who = await authenticate(req, options);
          res.end(JSON.stringify({ subject: who.subject }));
        } catch (error) {
          sendAuthError(res, error);
        }
      }),
    );
    expect(await (await get(server.url, fixture.tokens.admin)).json()).toEqual({
      subject: "admin",
    });
    const refused = await get(server.url, fixture.tokens.user);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "insufficient_groups" });
    expect((await get(server.url)).status).toBe(401);
  });

  it("createAuthenticator in optional mode resolves null without a header", async () => {
    const check = createAuthenticator({ auth: fixture.auth, optional: true });
    server = await listen(
      createServer(async (req, res) => {
        try {
          const who = await check(req);
          res.end(JSON.stringify({ subject: who?.subject ?? null }));
        } catch (error) {
          sendAuthError(res, error, { retryAfterSeconds: 9 });
        }
      }),
    );
    expect(await (await get(server.url)).json()).toEqual({ subject: null });
    expect(await (await get(server.url, fixture.tokens.user)).json()).toEqual({ subject: "user" });
    expect((await get(server.url, "garbage")).status).toBe(401);
  });

  it("sendAuthError maps an outage to 503 with the given Retry-After", async () => {
    const check = createAuthenticator({ auth: fixture.secretOutage });
    server = await listen(
      createServer(async (req, res) => {
        try {
          await check(req);
          res.end("{}");
        } catch (error) {
          sendAuthError(res, error, { retryAfterSeconds: 9 });
        }
      }),
    );
    const response = await get(server.url, fixture.tokens.forSecretOutage);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("9");
    expect(await response.json()).toMatchObject({ code: "vault_unreachable" });
  });
});

describe("MCP token verifier", () => {
  it("maps the context to AuthInfo: scopes, clientId, expiresAt in seconds, extra.auth", async () => {
    const verifier = createMcpTokenVerifier({ auth: fixture.auth });
    const info = await verifier.verifyAccessToken(fixture.tokens.admin);
    const context = authContextOf(info);
    expect(context).toBeInstanceOf(AuthContext);
    expect(info.clientId).toBe(fixture.tokens.adminId);
    expect(info.scopes).toEqual(["admin", "public"]);
    expect(info.expiresAt).toBe(Math.floor((context as AuthContext).expiresAt.getTime() / 1000));
    expect(Number.isInteger(info.expiresAt)).toBe(true);
  });

  it("throws InvalidTokenError for credential problems and ServerError for outages", async () => {
    const verifier = createMcpTokenVerifier({ auth: fixture.auth });
    await expect(verifier.verifyAccessToken(fixture.tokens.expired)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    const down = createMcpTokenVerifier({ auth: fixture.secretOutage });
    const error = await down.verifyAccessToken(fixture.tokens.forSecretOutage).catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).not.toBeInstanceOf(InvalidTokenError);
  });

  it("with the SDK's requireBearerAuth alone, an outage is a 500 (the SDK has no 503 path)", async () => {
    const app = express();
    app.get(
      "/r",
      requireBearerAuth({ verifier: createMcpTokenVerifier({ auth: fixture.secretOutage }) }),
      (_req, res) => {
        res.json({});
      },
    );
    const server = await listen(createServer(app));
    try {
      const response = await get(`${server.url}/r`, fixture.tokens.forSecretOutage);
      expect(response.status).toBe(500);
      expect(response.headers.get("www-authenticate")).toBeNull();
      const body = (await response.json()) as { error: string; code: string };
      expect(body.code).toBe("vault_unreachable");
      expect(body.error).toMatch(/secret store|unavailable|Vault/i);
    } finally {
      await server.close();
    }
  });

  it("with the SDK's requireBearerAuth alone, 'Bearer a b' is read as token a (why mcpBearerAuth pre-checks)", async () => {
    const app = express();
    app.get(
      "/r",
      requireBearerAuth({ verifier: createMcpTokenVerifier({ auth: fixture.auth }) }),
      (req, res) => {
        res.json({ clientId: req.auth?.clientId });
      },
    );
    const server = await listen(createServer(app));
    try {
      const response = await fetch(`${server.url}/r`, {
        headers: { authorization: `Bearer ${fixture.tokens.user} trailing-junk` },
      });
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
