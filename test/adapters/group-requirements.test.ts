/**
 * What a group requirement says when it refuses: the 403 a client sees (message naming the
 * missing groups, the RFC 6750 scope), the audited error (code, hint, details), and the
 * start-up refusals of requirements that cannot be meant (empty names, a string instead of a
 * list, anyGroup at two levels). Which tokens pass is covered by adapters.test.ts.
 */
import { createServer } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { gofrAuth } from "../../src/adapters/fastify.js";
import { requireAuth } from "../../src/adapters/node.js";
import type { GroupRequirementOptions } from "../../src/adapters/shared/groups.js";
import type { AuthEvent } from "../../src/adapters/shared/options.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { listen, type RunningServer } from "./support/listen.js";

const HINT = "ask an operator for a token with the required groups";

let fixture: AdapterFixture;
let adminOps: string;
beforeAll(async () => {
  fixture = await createAdapterFixture();
  adminOps = (await fixture.auth.createToken({ groups: ["admin", "ops"] })).token;
});

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = (url: string, token: string) =>
  fetch(url, { headers: { authorization: `Bearer ${token}` } });

/** A node:http server guarded by `groups`; returns its URL and the audited events. */
async function guarded(groups: GroupRequirementOptions) {
  const events: AuthEvent[] = [];
  const handler = requireAuth(
    { auth: fixture.auth, ...groups, audit: (event) => events.push(event) },
    (_req, res) => res.end("ok"),
  );
  server = await listen(createServer(handler));
  return { url: server.url, events };
}

/** The audited error of the one denial, as code, message, hint and details. */
function denial(events: AuthEvent[]) {
  expect(events).toHaveLength(1);
  const event = events[0];
  if (event?.outcome !== "denied") throw new Error(`expected a denial, got ${event?.outcome}`);
  const { code, message, hint, details } = event.error as Record<string, unknown>;
  return { status: event.status, code, message, hint, details };
}

describe("a token without the required groups is refused with what is required", () => {
  it.each([
    {
      name: "groups: all of them, listed in order",
      groups: { groups: ["admin", "ops"] },
      wanted: "all of [admin, ops]",
      all: ["admin", "ops"],
      any: [],
      scope: ', scope="admin ops"',
    },
    {
      name: "anyGroup: one of them, with no empty all-part",
      groups: { anyGroup: ["admin", "ops"] },
      wanted: "one of [admin, ops]",
      all: [],
      any: ["admin", "ops"],
      scope: "",
    },
    {
      name: "allGroups and anyGroup: both parts joined by 'and'",
      groups: { allGroups: ["admin"], anyGroup: ["ops", "billing"] },
      wanted: "all of [admin] and one of [ops, billing]",
      all: ["admin"],
      any: ["ops", "billing"],
      scope: "",
    },
  ])("$name", async ({ groups, wanted, all, any, scope }) => {
    const { url, events } = await guarded(groups);
    const response = await get(url, fixture.tokens.user);
    const message = `This endpoint requires ${wanted} (hint: ${HINT})`;
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: message, code: "insufficient_groups" });
    // RFC 6750 scope only when the requirement is a plain list of groups.
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer error="insufficient_scope", error_description="${message}"${scope}`,
    );
    expect(denial(events)).toEqual({
      status: 403,
      code: "insufficient_groups",
      message,
      hint: HINT,
      details: { token_id: fixture.tokens.userId, required_all: all, required_any: any },
    });
  });
});

describe("requirements that cannot be meant stop start-up", () => {
  const start = (groups: unknown) =>
    requireAuth({ auth: fixture.auth, ...(groups as GroupRequirementOptions) }, () => {});

  it("an empty group name is refused, saying names must be non-empty", () => {
    expect(() => start({ anyGroup: ["ops", ""] })).toThrow(
      expect.objectContaining({
        code: "invalid_input",
        message: "Group requirements must be non-empty group names",
      }),
    );
  });

  it.each(["groups", "allGroups", "anyGroup"])(
    "%s as a string is refused with how to write it as a list",
    (key) => {
      const hint = `write ${key}: ["admin"], not ${key}: "admin"`;
      expect(() => start({ [key]: "admin" })).toThrow(
        expect.objectContaining({
          code: "invalid_input",
          message: `${key} must be a list of group names (hint: ${hint})`,
          hint,
        }),
      );
    },
  );
});

describe("fastify: plugin-wide and route-level requirements both hold", () => {
  async function start(build: (app: FastifyInstance) => void | Promise<void>) {
    const app = Fastify();
    await build(app);
    await app.ready();
    server = await listen(app.server);
    return server.url;
  }

  it("a plugin-wide anyGroup stays in force on a route that adds groups", async () => {
    const url = await start(async (app) => {
      await app.register(gofrAuth, { auth: fixture.auth, anyGroup: ["admin"] });
      app.get("/ops", { config: { auth: { groups: ["ops"] } } }, async () => ({ ok: true }));
    });
    const refused = await get(`${url}/ops`, fixture.tokens.ops);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: `This endpoint requires all of [ops] and one of [admin] (hint: ${HINT})`,
      code: "insufficient_groups",
    });
    expect((await get(`${url}/ops`, fixture.tokens.admin)).status).toBe(403);
    expect((await get(`${url}/ops`, adminOps)).status).toBe(200);
  });

  it("a route-level anyGroup applies under a plugin without one", async () => {
    const url = await start(async (app) => {
      await app.register(gofrAuth, { auth: fixture.auth, groups: ["admin"] });
      app.get("/x", { config: { auth: { anyGroup: ["ops"] } } }, async () => ({ ok: true }));
    });
    expect((await get(`${url}/x`, fixture.tokens.admin)).status).toBe(403);
    expect((await get(`${url}/x`, adminOps)).status).toBe(200);
  });

  it("anyGroup on both the plugin and a route is refused, saying where to set it", async () => {
    const app = Fastify();
    await app.register(gofrAuth, { auth: fixture.auth, anyGroup: ["admin"] });
    const hint = "set anyGroup on the route or on the plugin, not both";
    expect(() =>
      app.get("/both", { config: { auth: { anyGroup: ["ops"] } } }, async () => ({})),
    ).toThrow(
      expect.objectContaining({
        code: "invalid_input",
        message: `Only one level may set anyGroup (hint: ${hint})`,
        hint,
      }),
    );
    await app.close();
  });
});
