/**
 * What crosses the wire around the `Authorization` header, through every adapter on a real
 * server on 127.0.0.1.
 *
 * Two `Authorization` headers: Node keeps the first in `req.headers` and drops the second,
 * so an adapter reading `req.headers.authorization` verified one credential while a proxy
 * that appended a header (or an app reading `rawHeaders`) saw another. Every adapter must
 * refuse the request instead. Sent as raw bytes over a socket: `fetch` merges repeated
 * headers into one and could not show it.
 *
 * 401 messages: the library's messages name issuers, key versions and strict mode, which
 * would map the fleet's key layout for anyone holding a junk token. The 401 body and
 * `WWW-Authenticate` carry a fixed text per code; the detail goes to the server log.
 */
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { requireAuth as honoAuth } from "../../src/adapters/hono.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { KeyRing } from "../../src/secrets/keyring.js";
import { MemorySecretSource } from "../../src/secrets/memory.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { createTestAuthService, TEST_SECRET } from "../../src/testing/index.js";
import { type AdapterFixture, createAdapterFixture } from "../adapters/support/fixture.js";
import { harnesses } from "../adapters/support/harness.js";
import { rawGet } from "../adapters/support/raw-http.js";
import { captureLogger } from "../support/capture-logger.js";
import { forgeToken } from "../support/forge.js";

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

describe.each(harnesses)("$name adapter", (harness) => {
  it("refuses a request with two Authorization headers, whichever comes first", async () => {
    const events: AuthEvent[] = [];
    const server = await harness.start({ auth: fixture.auth, audit: (e) => events.push(e) });
    try {
      const { user, admin } = fixture.tokens;
      const orders = [
        [`Authorization: Bearer ${user}`, `Authorization: Bearer ${admin}`],
        [`authorization: Bearer ${admin}`, "AUTHORIZATION: Basic dXNlcjpwYXNz"],
        [`Authorization: Bearer ${user}`, "Authorization: "],
      ];
      for (const lines of orders) {
        const answer = await rawGet(server.url, "/r", lines);
        expect(answer.status, answer.body).toBe(401);
        expect(answer.headers["content-type"]).toMatch(/^application\/json/);
        expect(answer.headers["www-authenticate"]).toMatch(/^Bearer error="invalid_token"/);
        const body = JSON.parse(answer.body) as Record<string, unknown>;
        expect(body.code).toBe("token_malformed");
        expect(typeof body[harness.messageField]).toBe("string");
        expect(answer.body).not.toContain(user);
        expect(answer.body).not.toContain(admin);
      }
      expect(events.map((e) => e.outcome)).toEqual(["denied", "denied", "denied"]);

      // One header still works over the same raw path.
      const single = await rawGet(server.url, "/r", [`Authorization: Bearer ${user}`]);
      expect(single.status, single.body).toBe(200);
    } finally {
      await server.close();
    }
  });

  // Only adapters with an optional mode (MCP has none: the SDK always requires a token).
  if (harness.supportsOptional) {
    it("optional mode: an empty Authorization header plus a token is refused, not anonymous", async () => {
      const server = await harness.start({ auth: fixture.auth, optional: true });
      try {
        const answer = await rawGet(server.url, "/r", [
          "Authorization: ",
          `Authorization: Bearer ${fixture.tokens.user}`,
        ]);
        expect(answer.status, answer.body).toBe(401);
        expect(JSON.parse(answer.body)).toMatchObject({ code: "token_malformed" });
      } finally {
        await server.close();
      }
    });
  }
});

describe("hono on a Fetch runtime (no Node request in c.env)", () => {
  it("refuses two Authorization headers: Headers joins them into one malformed value", async () => {
    const app = new Hono();
    app.get("/r", honoAuth({ auth: fixture.auth }), (c) => c.json({ ok: true }));
    const headers = new Headers();
    headers.append("authorization", `Bearer ${fixture.tokens.user}`);
    headers.append("authorization", `Bearer ${fixture.tokens.admin}`);
    const response = await app.request("/r", { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "token_malformed" });
  });
});

interface LayoutCase {
  name: string;
  auth: TokenVerifier;
  token: string;
  code: string;
  /** What the operator's log line says (and the response must not). */
  detail: RegExp;
}

/** Anything that maps the key layout: issuer names, key labels and versions, strict mode. */
const LAYOUT = /deposito|billing|shared|\bv\d|version|strict|gofr-api|some-other-api/i;

async function layoutCases(fixture: AdapterFixture): Promise<LayoutCase[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    jti: "7f1c",
    groups: ["public"],
    iat: now,
    nbf: now,
    exp: now + 600,
    aud: "gofr-api",
  };
  const kid = (value: string) =>
    forgeToken(
      { alg: "HS256", typ: "JWT", kid: value },
      { ...claims, iss: "deposito" },
      TEST_SECRET,
    );

  const rotated = createTestAuthService();
  const old = (await rotated.auth.createToken({ groups: ["public"] })).token;
  rotated.source.set(SHARED_SECRET_NAME, "a-second-signing-secret-of-at-least-32-bytes");
  rotated.provider.invalidate();

  // The same secret and store, read through a lax and a strict key ring.
  const source = new MemorySecretSource({ secrets: { [SHARED_SECRET_NAME]: TEST_SECRET } });
  const store = new MemoryAuthStore();
  const ring = (strict: boolean) => new KeyRing({ source, strict, logger: silentLogger });
  const lax = new AuthService({ store, keyRing: ring(false), logger: silentLogger });
  const strict = new AuthService({ store, keyRing: ring(true), logger: silentLogger });
  const billing = (await lax.forIssuer("billing").createToken({ groups: ["public"] })).token;
  const trusting = createTestAuthService({ trustedIssuers: ["gofr-auth"] }).auth;

  return [
    {
      name: "an issuer without its own key",
      auth: fixture.auth,
      token: kid("deposito.v1"),
      code: "token_invalid",
      detail: /deposito/,
    },
    {
      name: "an unknown key version",
      auth: fixture.auth,
      token: kid("shared.v7"),
      code: "token_invalid",
      detail: /shared\.v7/,
    },
    {
      name: "a superseded key version",
      auth: rotated.auth,
      token: old,
      code: "token_invalid",
      detail: /superseded by version 2/,
    },
    {
      name: "a shared-key token under strict mode",
      auth: strict,
      token: billing,
      code: "token_invalid",
      detail: /strict mode/,
    },
    {
      name: "an untrusted issuer",
      auth: trusting,
      token: billing,
      code: "issuer_untrusted",
      detail: /billing/,
    },
    {
      name: "another audience",
      auth: fixture.auth,
      token: fixture.tokens.otherAudience,
      code: "audience_mismatch",
      detail: /gofr-api/,
    },
  ];
}

describe.each(harnesses)("$name adapter: 401s do not map the key layout", (harness) => {
  it("answers each layout-revealing refusal with a fixed message and logs the detail", async () => {
    for (const testCase of await layoutCases(fixture)) {
      const logger = captureLogger();
      const server = await harness.start({ auth: testCase.auth, logger });
      try {
        const answer = await rawGet(server.url, "/r", [`Authorization: Bearer ${testCase.token}`]);
        expect(answer.status, testCase.name).toBe(401);
        const body = JSON.parse(answer.body) as Record<string, string>;
        expect(body.code, testCase.name).toBe(testCase.code);
        const challenge = answer.headers["www-authenticate"] ?? "";
        expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"/);
        expect(answer.body, testCase.name).not.toMatch(LAYOUT);
        expect(challenge, testCase.name).not.toMatch(LAYOUT);
        const logged = logger.entries.map((entry) => String(entry.fields.error ?? ""));
        expect(
          logged.some((line) => testCase.detail.test(line)),
          testCase.name,
        ).toBe(true);
      } finally {
        await server.close();
      }
    }
  });
});
