import type { Server } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpServer, listenMcp } from "../../examples/mcp/server.js";
import type { AuthEvent, TokenVerifier } from "../../src/adapters/shared/options.js";
import { type AdapterFixture, createAdapterFixture } from "../adapters/support/fixture.js";

interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

async function startMcp(auth: TokenVerifier | null, audit?: (e: AuthEvent) => void) {
  const { app } = createMcpServer({ auth, audit, noAuthReason: "--no-auth flag" });
  const started = await listenMcp(app, "127.0.0.1", 0);
  return { ...started, url: `http://127.0.0.1:${started.port}` } satisfies Running;
}

/** A real SDK client over Streamable HTTP, sending `token` as a bearer header. */
async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "gofr-test-client", version: "0.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  return client;
}

function toolText(result: Awaited<ReturnType<Client["callTool"]>>): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((part) => part.text ?? "").join("");
}

/** One JSON-RPC POST without the SDK client, to look at status and headers. */
function rawPost(url: string, authorization?: string) {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
}

describe("MCP reference server with auth", () => {
  let fixture: AdapterFixture;
  let running: Running;
  const events: AuthEvent[] = [];

  beforeAll(async () => {
    fixture = await createAdapterFixture();
    running = await startMcp(fixture.auth, (event) => events.push(event));
  });
  afterAll(() => running.close());

  it("GET /health needs no token", async () => {
    const response = await fetch(`${running.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("lists tools and calls whoami and echo with a token (SDK client, Streamable HTTP)", async () => {
    const client = await connect(running.url, fixture.tokens.admin);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name).sort()).toEqual(["echo", "whoami"]);

      const who = await client.callTool({ name: "whoami", arguments: {} });
      const text = toolText(who);
      expect(text).not.toContain(fixture.tokens.admin);
      expect(JSON.parse(text)).toMatchObject({
        authenticated: true,
        tokenId: fixture.tokens.adminId,
        subject: "admin",
        groups: ["admin", "public"],
      });
      expect(who.structuredContent).toMatchObject({ groups: ["admin", "public"] });

      const echo = await client.callTool({ name: "echo", arguments: { text: "hello, fleet" } });
      expect(toolText(echo)).toBe("hello, fleet");
    } finally {
      await client.close();
    }
  });

  it("the SDK client cannot connect without a token", async () => {
    // StreamableHTTPError carries the HTTP status as `code`, and quotes our body.
    await expect(connect(running.url)).rejects.toMatchObject({
      code: 401,
      message: expect.stringContaining('"code":"token_missing"'),
    });
  });

  it("refuses tools/list with 401, a Bearer challenge and our code for missing and bad tokens", async () => {
    const missing = await rawPost(running.url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    // The body every adapter sends (issue 17 item 9); the OAuth fields are in the header.
    const missingBody = (await missing.json()) as Record<string, unknown>;
    expect(Object.keys(missingBody).sort()).toEqual(["code", "error"]);
    expect(missingBody.code).toBe("token_missing");

    const expired = await rawPost(running.url, `Bearer ${fixture.tokens.expired}`);
    expect(expired.status).toBe(401);
    const body = await expired.text();
    expect(body).not.toContain(fixture.tokens.expired);
    expect(JSON.parse(body)).toMatchObject({ code: "token_expired" });

    const two = await rawPost(running.url, `Bearer ${fixture.tokens.user} ${fixture.tokens.admin}`);
    expect(two.status).toBe(401);
    expect(await two.json()).toMatchObject({ code: "token_malformed" });
  });

  it("audits every refusal with its code", () => {
    const codes = events.flatMap((e) => (e.outcome === "denied" ? [e.code] : []));
    expect(codes).toEqual(
      expect.arrayContaining(["token_missing", "token_expired", "token_malformed"]),
    );
  });
});

describe("MCP reference server while the secret store is down", () => {
  it("answers 500 server_error (the SDK cannot send 503), never 401", async () => {
    const fixture = await createAdapterFixture();
    const running = await startMcp(fixture.secretOutage);
    try {
      const response = await rawPost(running.url, `Bearer ${fixture.tokens.forSecretOutage}`);
      expect(response.status).toBe(500);
      expect(response.headers.get("www-authenticate")).toBeNull();
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(["code", "error"]);
      expect(body.code).toBe("vault_unreachable");
    } finally {
      await running.close();
    }
  });
});

describe("MCP reference server with --no-auth", () => {
  it("serves tools without a token and whoami says auth is off", async () => {
    const running = await startMcp(null);
    const client = await connect(running.url);
    try {
      const who = JSON.parse(toolText(await client.callTool({ name: "whoami", arguments: {} })));
      expect(who).toEqual({ authenticated: false, reason: "--no-auth flag" });
    } finally {
      await client.close();
      await running.close();
    }
  });
});
