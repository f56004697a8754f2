/**
 * What a client sees when it is refused, over a real `node:http` server on 127.0.0.1: the
 * fixed text of each 401 (never the operator's message), the RFC 6750 challenge with its
 * `scope` only where it is meaningful, `Cache-Control: no-store` on every refusal, and the
 * 403 message scrubbed of the token and bounded in length without mangling anything else.
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { requireAuth } from "../../src/adapters/node.js";
import type { AuthOptions, TokenVerifier } from "../../src/adapters/shared/options.js";
import { AuthContext } from "../../src/auth-context.js";
import { AuthError, type AuthErrorCode } from "../../src/errors.js";
import { listen, type RunningServer } from "./support/listen.js";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g";

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(options: AuthOptions): Promise<string> {
  running = await listen(
    createServer(
      requireAuth(options, (_req, res) => {
        res.end("ok");
      }),
    ),
  );
  return running.url;
}

async function get(url: string, token = TOKEN) {
  const response = await fetch(`${url}/r`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    body: (await response.json()) as { error: string; code: string },
    challenge: response.headers.get("www-authenticate"),
    cacheControl: response.headers.get("cache-control"),
    retryAfter: response.headers.get("retry-after"),
  };
}

/** A verifier that throws whatever the current test put here. */
function throwing(error: () => unknown): TokenVerifier {
  return {
    verifyToken: async () => {
      throw error();
    },
  };
}

/** A verifier that accepts any token as one holding `groups`. */
function holding(groups: string[]): TokenVerifier {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return { verifyToken: async () => new AuthContext({ jti: "t-1", groups, exp, aud: "api" }) };
}

describe("401 refusals", () => {
  // Operator detail the caller must never see: issuers and key versions map the fleet.
  const DETAIL = "Issuer 'billing' signed with key version 1, superseded by version 2";

  it.each<[AuthErrorCode, string]>([
    ["token_issuer_mismatch", "The token does not match its stored record; mint a new one"],
    ["token_missing", "No bearer token: send 'Authorization: Bearer <token>'"],
    [
      "token_malformed",
      "The bearer token is malformed: send exactly one 'Authorization: Bearer <token>' header with a JWT",
    ],
    ["token_too_large", "The bearer token is too large"],
    [
      "token_invalid",
      "The token is not valid: its signature, signing key or claims are not accepted here; mint a new one",
    ],
    ["token_expired", "The token has expired; mint a new one"],
    [
      "token_not_yet_valid",
      "The token is not valid yet; check the clocks of the minting and verifying machines",
    ],
    ["token_revoked", "The token has been revoked"],
    ["token_not_found", "The token is not known to this service"],
    ["audience_mismatch", "The token was not issued for this service (audience)"],
    ["issuer_untrusted", "The token's issuer is not trusted by this service"],
  ])("%s answers its fixed text in the body and the challenge, not cached", async (code, text) => {
    const url = await serve({ auth: throwing(() => new AuthError(code, DETAIL)) });
    expect(await get(url)).toEqual({
      status: 401,
      body: { error: text, code },
      challenge: `Bearer error="invalid_token", error_description="${text}"`,
      cacheControl: "no-store",
      retryAfter: null,
    });
  });
});

describe("403 refusals", () => {
  const HINT = " (hint: ask an operator for a token with the required groups)";
  const WANTS_BOTH = `This endpoint requires all of [admin, ops]${HINT}`;

  it("names every required group as the scope, space-separated, when all are required", async () => {
    const url = await serve({ auth: holding(["admin"]), groups: ["admin", "ops"] });
    expect(await get(url)).toEqual({
      status: 403,
      body: { error: WANTS_BOTH, code: "insufficient_groups" },
      challenge: `Bearer error="insufficient_scope", error_description="${WANTS_BOTH}", scope="admin ops"`,
      cacheControl: "no-store",
      retryAfter: null,
    });
  });

  it("names no scope when any one group would do: no single scope value means that", async () => {
    const url = await serve({ auth: holding([]), anyGroup: ["admin", "ops"] });
    expect((await get(url)).challenge).toBe(
      `Bearer error="insufficient_scope", error_description="This endpoint requires one of [admin, ops]${HINT}"`,
    );
  });

  it("names no scope when one of several groups is wanted on top of required ones", async () => {
    const url = await serve({ auth: holding([]), groups: ["admin"], anyGroup: ["ops", "dev"] });
    expect((await get(url)).challenge).toBe(
      `Bearer error="insufficient_scope", error_description="This endpoint requires all of [admin] and one of [ops, dev]${HINT}"`,
    );
  });

  it("names no scope when a custom refusal lists no required group", async () => {
    const url = await serve({
      auth: throwing(
        () =>
          new AuthError("insufficient_groups", "Not for you", {
            details: { required_all: [], required_any: [] },
          }),
      ),
    });
    expect((await get(url)).challenge).toBe(
      'Bearer error="insufficient_scope", error_description="Not for you"',
    );
  });

  it("quotes and backslashes in a custom message become ' in the challenge, not the body", async () => {
    const message = 'Needs the "ops" group \\ ask #ops';
    const url = await serve({
      auth: throwing(() => new AuthError("insufficient_groups", message)),
    });
    const answer = await get(url);
    expect(answer.body.error).toBe(message);
    expect(answer.challenge).toBe(
      `Bearer error="insufficient_scope", error_description="Needs the 'ops' group ' ask #ops"`,
    );
  });

  it("characters RFC 6750 forbids in the challenge each become one '?', in place", async () => {
    const message = "Needs the ops group\tor été\r\nadmin";
    const url = await serve({
      auth: throwing(() => new AuthError("insufficient_groups", message)),
    });
    const answer = await get(url);
    expect(answer.body.error).toBe(message);
    expect(answer.challenge).toBe(
      `Bearer error="insufficient_scope", error_description="Needs the ops group?or ?t???admin"`,
    );
  });

  it("a token shorter than 8 characters is not scrubbed: it would mangle ordinary words", async () => {
    const url = await serve({ auth: holding([]), groups: ["ops-admin"] });
    expect((await get(url, "ops")).body.error).toBe(
      `This endpoint requires all of [ops-admin]${HINT}`,
    );
  });

  it("a token of 8 characters or more is scrubbed from the message", async () => {
    const url = await serve({ auth: holding([]), groups: ["opsadmin-eu"] });
    expect((await get(url, "opsadmin")).body.error).toBe(
      `This endpoint requires all of [[token]-eu]${HINT}`,
    );
  });

  it("a message of exactly 300 characters is sent whole; one longer is cut to 300", async () => {
    let message = "";
    const url = await serve({
      auth: throwing(() => new AuthError("insufficient_groups", message)),
    });
    message = `Needs ${"g".repeat(294)}`;
    expect(message).toHaveLength(300);
    expect((await get(url)).body.error).toBe(message);
    message = `Needs ${"g".repeat(295)}`;
    expect((await get(url)).body.error).toBe(`Needs ${"g".repeat(291)}...`);
  });
});

describe("outage and unexpected failures", () => {
  it("a store outage is 503 with Retry-After and not cached", async () => {
    const url = await serve({
      auth: throwing(() => new AuthError("store_unavailable", "Vault at 10.0.0.5 is down")),
    });
    expect(await get(url)).toEqual({
      status: 503,
      body: {
        error:
          "Authentication is temporarily unavailable (the secret or token store cannot be reached); retry later",
        code: "store_unavailable",
      },
      challenge: null,
      cacheControl: "no-store",
      retryAfter: "5",
    });
  });

  it("an unexpected failure is a bare 500, not cached", async () => {
    const url = await serve({ auth: throwing(() => new Error("parser choked")) });
    expect(await get(url)).toEqual({
      status: 500,
      body: { error: "Internal server error", code: "internal_error" },
      challenge: null,
      cacheControl: "no-store",
      retryAfter: null,
    });
  });
});
