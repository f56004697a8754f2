/**
 * Where the Hono adapter reads `Authorization` from. On `@hono/node-server`, from the Node
 * request in `c.env.incoming`, where every copy of the header is still visible; on any other
 * runtime (whose `env` may hold anything, an `incoming` binding included), from the Fetch
 * request's headers.
 */

import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { requireAuth } from "../../src/adapters/hono.js";
import type { AuthEvent } from "../../src/adapters/shared/options.js";
import { AuthError } from "../../src/errors.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { listen } from "./support/listen.js";
import { rawGet } from "./support/raw-http.js";

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

function app(audit?: (event: AuthEvent) => void) {
  const hono = new Hono();
  hono.get("/r", requireAuth({ auth: fixture.auth, audit }), (c) => c.json({ ok: true }));
  return hono;
}

describe("Hono adapter, where Authorization is read from", () => {
  it("on @hono/node-server, refuses two headers as a list, read from the Node request", async () => {
    const events: AuthEvent[] = [];
    const server = await listen(
      createAdaptorServer({ fetch: app((e) => events.push(e)).fetch }) as Server,
    );
    try {
      const { user, admin } = fixture.tokens;
      const answer = await rawGet(server.url, "/r", [
        `Authorization: Bearer ${user}`,
        `Authorization: Bearer ${admin}`,
      ]);
      expect(answer.status, answer.body).toBe(401);
      expect(JSON.parse(answer.body)).toMatchObject({ code: "token_malformed" });
      // The Fetch headers would join the copies into one "Bearer a, Bearer b", refused only
      // as not 'Bearer <token>': the list refusal shows both copies were seen.
      const [event] = events;
      expect(event?.outcome).toBe("denied");
      const error = event?.outcome === "denied" ? event.error : undefined;
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toMatch(/^More than one Authorization header was sent/);
    } finally {
      await server.close();
    }
  });

  it("reads the Fetch headers when env.incoming is null", async () => {
    const answer = await app().request(
      "/r",
      { headers: { authorization: `Bearer ${fixture.tokens.user}` } },
      { incoming: null },
    );
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
  });

  it("reads the Fetch headers when env.incoming has rawHeaders but no headers object", async () => {
    const answer = await app().request(
      "/r",
      { headers: { authorization: `Bearer ${fixture.tokens.user}` } },
      { incoming: { rawHeaders: [] } },
    );
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
  });
});
