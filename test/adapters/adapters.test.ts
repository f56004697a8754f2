/**
 * One table of requests, run against every adapter through a real server on 127.0.0.1.
 * Where an adapter legitimately differs (the MCP SDK's 500 for outages and its OAuth
 * body shape), the harness says so and the assertions follow it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { AuthEvent, AuthOptions } from "../../src/adapters/shared/options.js";
import { captureLogger } from "../support/capture-logger.js";
import { unsignedToken } from "../support/forge.js";
import { type AdapterFixture, createAdapterFixture } from "./support/fixture.js";
import { harnesses } from "./support/harness.js";

type Expected =
  | { status: 200; tokenId?: (f: AdapterFixture) => string; anonymous?: boolean }
  | {
      status: 401 | 403 | "outage" | 500;
      code: string;
    };

interface Case {
  name: string;
  /** Adapter options besides `auth` (or replacing it). */
  options?: (f: AdapterFixture) => Partial<AuthOptions>;
  /** The `Authorization` header, if any. */
  authorization?: (f: AdapterFixture) => string | undefined;
  query?: (f: AdapterFixture) => string;
  needsOptional?: boolean;
  expect: Expected;
}

const bearer = (token: string) => `Bearer ${token}`;

const cases: Case[] = [
  {
    name: "a valid token passes with its context",
    authorization: (f) => bearer(f.tokens.user),
    expect: { status: 200, tokenId: (f) => f.tokens.userId },
  },
  {
    name: "the scheme is case-insensitive (lowercase bearer)",
    authorization: (f) => `bearer ${f.tokens.user}`,
    expect: { status: 200, tokenId: (f) => f.tokens.userId },
  },
  {
    name: "the scheme is case-insensitive (BEARER)",
    authorization: (f) => `BEARER ${f.tokens.user}`,
    expect: { status: 200, tokenId: (f) => f.tokens.userId },
  },
  { name: "no Authorization header", expect: { status: 401, code: "token_missing" } },
  {
    name: "another scheme (Basic)",
    authorization: () => `Basic ${Buffer.from("user:pass").toString("base64")}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "another scheme carrying a good token (Token <jwt>)",
    authorization: (f) => `Token ${f.tokens.user}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "two tokens after Bearer",
    authorization: (f) => `Bearer ${f.tokens.user} ${f.tokens.admin}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "a comma-joined second credential",
    authorization: (f) => `Bearer ${f.tokens.user}, Bearer ${f.tokens.admin}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "two spaces after Bearer",
    authorization: (f) => `Bearer  ${f.tokens.user}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "a tab instead of the space",
    authorization: (f) => `Bearer\t${f.tokens.user}`,
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "Bearer without a token",
    authorization: () => "Bearer",
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "a token in the query string is ignored",
    query: (f) => `?access_token=${f.tokens.admin}&token=${f.tokens.admin}`,
    expect: { status: 401, code: "token_missing" },
  },
  {
    name: "a token that is not a JWT",
    authorization: () => "Bearer not-a-jwt",
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "a token whose header smuggles quotes and CR/LF into our message",
    authorization: () =>
      bearer(
        `${unsignedToken({ alg: 'x"\r\nSet-Cookie: a=b\\' }, { jti: "x", groups: ["admin"] })}c2ln`,
      ),
    expect: { status: 401, code: "token_invalid" },
  },
  {
    name: "a tampered token (payload changed, signature kept)",
    authorization: (f) => bearer(f.tokens.tampered),
    expect: { status: 401, code: "token_invalid" },
  },
  {
    name: "an expired token",
    authorization: (f) => bearer(f.tokens.expired),
    expect: { status: 401, code: "token_expired" },
  },
  {
    name: "a revoked token",
    authorization: (f) => bearer(f.tokens.revoked),
    expect: { status: 401, code: "token_revoked" },
  },
  {
    name: "a token for another audience",
    authorization: (f) => bearer(f.tokens.otherAudience),
    expect: { status: 401, code: "audience_mismatch" },
  },
  {
    name: "a token missing from the token store",
    authorization: (f) => bearer(f.tokens.unknown),
    expect: { status: 401, code: "token_not_found" },
  },
  {
    name: "a token without the required group",
    options: () => ({ groups: ["admin"] }),
    authorization: (f) => bearer(f.tokens.user),
    expect: { status: 403, code: "insufficient_groups" },
  },
  {
    name: "a token with the required group",
    options: () => ({ groups: ["admin"] }),
    authorization: (f) => bearer(f.tokens.admin),
    expect: { status: 200, tokenId: (f) => f.tokens.adminId },
  },
  {
    name: "anyGroup: one of the groups is enough",
    options: () => ({ anyGroup: ["admin", "ops"] }),
    authorization: (f) => bearer(f.tokens.ops),
    expect: { status: 200 },
  },
  {
    name: "allGroups: every group is needed",
    options: () => ({ allGroups: ["ops", "billing"] }),
    authorization: (f) => bearer(f.tokens.ops),
    expect: { status: 403, code: "insufficient_groups" },
  },
  {
    name: "the secret store is unreachable: our outage, not the caller's fault",
    options: (f) => ({ auth: f.secretOutage }),
    authorization: (f) => bearer(f.tokens.forSecretOutage),
    expect: { status: "outage", code: "vault_unreachable" },
  },
  {
    name: "the token store fails",
    options: (f) => ({ auth: f.storeOutage }),
    authorization: (f) => bearer(f.tokens.forStoreOutage),
    expect: { status: "outage", code: "store_unavailable" },
  },
  {
    name: "stateless mode skips the store: a revoked token passes until it expires",
    options: () => ({ stateless: true }),
    authorization: (f) => bearer(f.tokens.revoked),
    expect: { status: 200 },
  },
  {
    name: "a verifier failing unexpectedly gives 500 without details",
    options: () => ({
      auth: {
        verifyToken: async (token: string) => {
          throw new Error(`db at 10.0.0.5 exploded on ${token}`);
        },
      },
    }),
    authorization: (f) => bearer(f.tokens.user),
    expect: { status: 500, code: "internal_error" },
  },
  {
    name: "optional mode: no header gives a null context",
    needsOptional: true,
    options: () => ({ optional: true }),
    expect: { status: 200, anonymous: true },
  },
  {
    name: "optional mode: a bad header is still refused",
    needsOptional: true,
    options: () => ({ optional: true }),
    authorization: () => "Bearer not-a-jwt",
    expect: { status: 401, code: "token_malformed" },
  },
  {
    name: "optional mode: an expired token is still refused",
    needsOptional: true,
    options: () => ({ optional: true }),
    authorization: (f) => bearer(f.tokens.expired),
    expect: { status: 401, code: "token_expired" },
  },
  {
    name: "optional mode: a valid token gives its context",
    needsOptional: true,
    options: () => ({ optional: true }),
    authorization: (f) => bearer(f.tokens.user),
    expect: { status: 200, tokenId: (f) => f.tokens.userId },
  },
];

let fixture: AdapterFixture;
beforeAll(async () => {
  fixture = await createAdapterFixture();
});

/** Every JWT the fixture holds: none may ever appear in a response or a log line. */
function allTokens(f: AdapterFixture): string[] {
  return Object.values(f.tokens).filter((value) => value.split(".").length === 3);
}

describe.each(harnesses)("$name adapter", (harness) => {
  it.each(cases.filter((c) => !c.needsOptional || harness.supportsOptional))(
    "$name",
    async (testCase) => {
      const logger = captureLogger();
      const events: AuthEvent[] = [];
      const server = await harness.start({
        auth: fixture.auth,
        logger,
        audit: (event) => events.push(event),
        ...testCase.options?.(fixture),
      });
      try {
        const authorization = testCase.authorization?.(fixture);
        const response = await fetch(`${server.url}/r${testCase.query?.(fixture) ?? ""}`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        const text = await response.text();
        const headerText = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
        for (const token of allTokens(fixture)) {
          expect(text).not.toContain(token);
          expect(headerText).not.toContain(token);
          expect(JSON.stringify(logger.entries)).not.toContain(token);
        }
        const body = JSON.parse(text);
        const expected = testCase.expect;

        if (expected.status === 200) {
          expect(response.status, text).toBe(200);
          if (expected.anonymous) {
            expect(body.auth).toBeNull();
            expect(events.map((e) => e.outcome)).toEqual(["anonymous"]);
          } else {
            expect(body.auth.groups).toContain("public");
            if (expected.tokenId) expect(body.auth.tokenId).toBe(expected.tokenId(fixture));
            expect(events.map((e) => e.outcome)).toEqual(["allowed"]);
          }
          return;
        }

        const status = expected.status === "outage" ? harness.unavailableStatus : expected.status;
        expect(response.status, text).toBe(status);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect(body.code).toBe(expected.code);
        expect(response.headers.get("set-cookie")).toBeNull();
        expect(typeof body[harness.messageField]).toBe("string");
        expect(body[harness.messageField].length).toBeGreaterThan(0);
        const challenge = response.headers.get("www-authenticate");
        if (status === 401 || status === 403) {
          const error = status === 401 ? "invalid_token" : "insufficient_scope";
          // RFC 6750 grammar: error_description may not hold quotes, backslashes or controls.
          expect(challenge).toMatch(
            new RegExp(
              `^Bearer error="${error}", error_description="[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]+"(, [a-z_]+="[^"\\\\]*")*$`,
            ),
          );
        } else {
          // Our outage or bug: no challenge, nothing that tells the caller its token is bad.
          expect(challenge).toBeNull();
          expect(text).not.toContain("10.0.0.5");
          expect(text).not.toContain("connection refused");
        }
        if (expected.status === "outage" && harness.retryAfter) {
          expect(response.headers.get("retry-after")).toBe("5");
        }
        const denied = events.filter((e) => e.outcome === "denied");
        expect(denied).toHaveLength(1);
        expect(denied[0]).toMatchObject({ code: expected.code, status });
        expect(logger.entries.some((entry) => entry.fields.code === expected.code)).toBe(true);
      } finally {
        await server.close();
      }
    },
  );
});
