/**
 * Options that look like protection must protect, or stop start-up: a Fastify route with
 * `config.auth` but no guard in its hooks, `requireGroups` next to `config.auth`, routes
 * declared before the plugin, and misspelled or mistyped adapter options.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireAuth as expressAuth } from "../../src/adapters/express.js";
import { gofrAuth } from "../../src/adapters/fastify.js";
import { requireAuth as honoAuth } from "../../src/adapters/hono.js";
import { createMcpTokenVerifier, mcpBearerAuth } from "../../src/adapters/mcp.js";
import { createAuthenticator, requireAuth as nodeAuth } from "../../src/adapters/node.js";
import type { AuthEvent } from "../../src/adapters/shared/options.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { listen, type RunningServer } from "./support/listen.js";

let fixture: AdapterFixture;
let both: string;
beforeAll(async () => {
  fixture = await createAdapterFixture();
  both = (await fixture.auth.createToken({ groups: ["admin", "ops"] })).token;
});

const get = (url: string, token?: string, method = "GET") =>
  fetch(url, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("fastify: config.auth without a guard in the route's hooks", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(build: (app: FastifyInstance) => void | Promise<void>) {
    const app = Fastify();
    await build(app);
    await app.ready();
    server = await listen(app.server);
    return server.url;
  }

  it("is guarded automatically, GET and HEAD, with the route's groups", async () => {
    const url = await start(async (app) => {
      await app.register(gofrAuth, { auth: fixture.auth });
      app.get("/admin", { config: { auth: { groups: ["admin"] } } }, async (request) => ({
        subject: request.auth?.subject ?? null,
      }));
      app.get("/any", { config: { auth: {} } }, async (request) => ({ id: request.auth?.tokenId }));
    });
    expect((await get(`${url}/admin`)).status).toBe(401);
    expect((await get(`${url}/admin`, undefined, "HEAD")).status).toBe(401);
    expect((await get(`${url}/admin`, fixture.tokens.user)).status).toBe(403);
    const ok = await get(`${url}/admin`, fixture.tokens.admin);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ subject: "admin" });
    expect((await get(`${url}/any`)).status).toBe(401);
    expect(await (await get(`${url}/any`, fixture.tokens.user)).json()).toEqual({
      id: fixture.tokens.userId,
    });
  });

  it("is guarded once when the route already has a guard (onRequest or preHandler)", async () => {
    const events: AuthEvent[] = [];
    const url = await start(async (app) => {
      await app.register(gofrAuth, { auth: fixture.auth, audit: (e) => events.push(e) });
      const config = { auth: { groups: ["admin"] } };
      app.get("/early", { onRequest: app.authenticate, config }, async () => ({ ok: true }));
      app.get("/late", { preHandler: [app.authenticate], config }, async () => ({ ok: true }));
    });
    expect((await get(`${url}/early`, fixture.tokens.admin)).status).toBe(200);
    expect((await get(`${url}/late`, fixture.tokens.admin)).status).toBe(200);
    expect(events.map((e) => e.outcome)).toEqual(["allowed", "allowed"]);
  });

  it("is guarded when the route was declared before the plugin was registered", async () => {
    const url = await start(async (app) => {
      await app.register(async (routes) => {
        routes.get("/before", { config: { auth: { groups: ["admin"] } } }, async () => ({
          ok: true,
        }));
      });
      await app.register(gofrAuth, { auth: fixture.auth });
      app.get("/open", async () => ({ open: true }));
    });
    expect((await get(`${url}/before`)).status).toBe(401);
    expect((await get(`${url}/before`, fixture.tokens.user)).status).toBe(403);
    expect((await get(`${url}/before`, fixture.tokens.admin)).status).toBe(200);
    expect((await get(`${url}/open`)).status).toBe(200);
  });

  it("a route declared before the plugin whose config.auth cannot be compiled is refused, not opened", async () => {
    const url = await start(async (app) => {
      await app.register(async (routes) => {
        routes.get("/conflict", { config: { auth: { anyGroup: ["ops"] } } }, async () => ({}));
      });
      await app.register(gofrAuth, { auth: fixture.auth, anyGroup: ["admin"] });
    });
    expect((await get(`${url}/conflict`, both)).status).toBe(500);
  });

  it("requireGroups() without a group is a mistake at start-up", async () => {
    const app = Fastify();
    await app.register(gofrAuth, { auth: fixture.auth });
    expect(() => app.requireGroups()).toThrow(/at least one group/);
    await app.close();
  });

  it("requireGroups(...) also applies the route's config.auth groups", async () => {
    const url = await start(async (app) => {
      await app.register(gofrAuth, { auth: fixture.auth });
      app.get(
        "/ops-admin",
        { preHandler: app.requireGroups("ops"), config: { auth: { groups: ["admin"] } } },
        async () => ({ ok: true }),
      );
    });
    expect((await get(`${url}/ops-admin`, fixture.tokens.ops)).status).toBe(403);
    expect((await get(`${url}/ops-admin`, fixture.tokens.admin)).status).toBe(403);
    expect((await get(`${url}/ops-admin`, both)).status).toBe(200);
  });

  it("refuses to register a route whose config.auth is misspelled or cannot be compiled", async () => {
    const app = Fastify();
    await app.register(gofrAuth, { auth: fixture.auth, anyGroup: ["admin"] });
    const bad = [
      { group: ["admin"] },
      { groups: "admin" },
      { optional: "false" },
      true,
      { anyGroup: ["ops"] }, // "one of A and one of B" cannot be expressed
    ];
    for (const [index, auth] of bad.entries()) {
      expect(() =>
        app.get(`/bad${index}`, { config: { auth: auth as never } }, async () => ({})),
      ).toThrow(/config\.auth|group|anyGroup/);
    }
    await app.close();
  });
});

describe("adapter options that would not protect", () => {
  const makers: Array<[string, (options: never) => unknown]> = [
    ["node requireAuth", (o) => nodeAuth(o, () => {})],
    ["node createAuthenticator", (o) => createAuthenticator(o)],
    ["express", (o) => expressAuth(o)],
    ["hono", (o) => honoAuth(o)],
    ["mcp", (o) => mcpBearerAuth(o)],
    ["mcp verifier", (o) => createMcpTokenVerifier(o)],
  ];

  it.each(makers)("%s refuses unknown names and non-boolean switches", (_name, make) => {
    const auth = fixture.auth;
    expect(() => make({ auth, group: ["admin"] } as never)).toThrow(
      /unknown adapter option 'group'/,
    );
    expect(() => make({ auth, scopes: ["admin"] } as never)).toThrow(/unknown adapter option/);
    expect(() => make({ auth, stateless: "false" } as never)).toThrow(/'stateless' must be/);
    expect(() => make({ auth, groups: "admin" } as never)).toThrow(/groups must be a list/);
    expect(() => make({ auth, groups: ["admin"] } as never)).not.toThrow();
  });

  it("optional: 'false' (a string) is refused instead of opening the route", () => {
    expect(() => expressAuth({ auth: fixture.auth, optional: "false" as never })).toThrow(
      /'optional' must be true or false/,
    );
  });

  it("fastify refuses unknown plugin options but accepts Fastify's own register options", async () => {
    const typo = Fastify();
    await expect(
      typo.register(gofrAuth, { auth: fixture.auth, group: ["admin"] } as never).ready(),
    ).rejects.toThrow(/unknown adapter option 'group'/);
    const prefixed = Fastify();
    await prefixed.register(gofrAuth, { auth: fixture.auth, prefix: "/api", logLevel: "warn" });
    await prefixed.ready();
    await prefixed.close();
  });
});
