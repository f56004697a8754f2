/**
 * Issue 17 item 9 (services): one error shape. The reference web API (Fastify adapter) and
 * the MCP server (the SDK's requireBearerAuth behind gofr-auth/mcp) refuse the same request
 * with the same status and the same JSON body, `{ error, code }`; the OAuth fields of the
 * MCP refusal are in its WWW-Authenticate header (RFC 6750 section 3).
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpServer, listenMcp } from "../../examples/mcp/server.js";
import { createWebServer } from "../../examples/web/server.js";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { createTestAuthService } from "../../src/testing/index.js";

const test = createTestAuthService();
const tokens = { expired: "", revoked: "", tampered: "" };
let web: FastifyInstance;
let webUrl: string;
let mcp: { port: number; close(): Promise<void> };

beforeAll(async () => {
  // Same store and secret, a clock two hours back: its 60 s token is long expired now.
  const past = new AuthService({
    store: test.store,
    secretProvider: test.provider,
    clock: () => Date.now() - 2 * 3600_000,
  });
  tokens.expired = (await past.createToken({ groups: ["public"], expiresInSeconds: 60 })).token;
  const revoked = await test.auth.createToken({ groups: ["public"] });
  await test.auth.revokeToken(revoked.record.id);
  tokens.revoked = revoked.token;
  const valid = (await test.auth.createToken({ groups: ["public"] })).token;
  const at = valid.length - 10; // inside the signature, away from its last character
  tokens.tampered = `${valid.slice(0, at)}${valid[at] === "A" ? "B" : "A"}${valid.slice(at + 1)}`;

  ({ app: web } = await createWebServer({ auth: test.auth, logger: silentLogger }));
  await web.listen({ host: "127.0.0.1", port: 0 });
  webUrl = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
  const { app } = createMcpServer({ auth: test.auth, logger: silentLogger });
  mcp = await listenMcp(app, "127.0.0.1", 0);
});
afterAll(async () => {
  await web.close();
  await mcp.close();
});

async function webRefusal(authorization?: string) {
  const response = await fetch(`${webUrl}/whoami`, {
    headers: authorization ? { authorization } : {},
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    cacheControl: response.headers.get("cache-control"),
  };
}

async function mcpRefusal(authorization?: string) {
  const response = await fetch(`http://127.0.0.1:${mcp.port}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get("www-authenticate") ?? "",
    cacheControl: response.headers.get("cache-control"),
  };
}

describe("web API and MCP server: one error shape", () => {
  const cases: Array<[string, () => string | undefined, string]> = [
    ["no token", () => undefined, "token_missing"],
    ["a malformed header", () => "Bearer", "token_malformed"],
    ["an expired token", () => `Bearer ${tokens.expired}`, "token_expired"],
    ["a revoked token", () => `Bearer ${tokens.revoked}`, "token_revoked"],
    ["a tampered token", () => `Bearer ${tokens.tampered}`, "token_invalid"],
  ];

  it.each(cases)("%s: the same 401 and the same { error, code } body", async (_, header, code) => {
    const fromWeb = await webRefusal(header());
    const fromMcp = await mcpRefusal(header());
    expect(fromWeb.status).toBe(401);
    expect(fromMcp.status).toBe(401);
    expect(Object.keys(fromWeb.body).sort()).toEqual(["code", "error"]);
    expect(fromWeb.body.code).toBe(code);
    expect(fromMcp.body).toEqual(fromWeb.body);
    expect(fromMcp.challenge).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(fromWeb.cacheControl).toBe("no-store");
    expect(fromMcp.cacheControl).toBe("no-store");
  });

  it("an accepted MCP request does not keep the refusals' no-store header", async () => {
    const { token } = await test.auth.createToken({ groups: ["public"] });
    const response = await fetch(`http://127.0.0.1:${mcp.port}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).not.toBe("no-store");
    await response.body?.cancel();
  });
});
