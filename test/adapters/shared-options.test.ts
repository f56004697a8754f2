/**
 * Adapter option checks at their edges: an unknown option's message lists exactly the
 * options an adapter knows, and `retryAfterSeconds: 0` (the lower bound) is accepted and sent.
 * Misspelled and mistyped options in general: declarative-options.test.ts, core-guards.test.ts.
 */
import { createServer } from "node:http";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireAuth } from "../../src/adapters/node.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { listen, type RunningServer } from "./support/listen.js";

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("adapter options", () => {
  it("an unknown option is refused with the list of exactly the known options", () => {
    expect(() => requireAuth({ auth: fixture.auth, scopes: ["admin"] } as never, () => {})).toThrow(
      new TypeError(
        "gofr-auth: unknown adapter option 'scopes' (known options: auth, groups, allGroups, " +
          "anyGroup, optional, stateless, logger, audit, retryAfterSeconds)",
      ),
    );
  });

  it("retryAfterSeconds 0 is accepted and sent as Retry-After: 0 with a 503", async () => {
    const handler = requireAuth({ auth: fixture.storeOutage, retryAfterSeconds: 0 }, (_req, res) =>
      res.end("ok"),
    );
    server = await listen(createServer(handler));
    const response = await fetch(server.url, {
      headers: { authorization: `Bearer ${fixture.tokens.forStoreOutage}` },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("0");
  });
});
