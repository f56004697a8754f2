/**
 * Binding tokens to one MCP server (RFC 8707 resource indicators, as the MCP authorization
 * spec asks): with `audience` set, a token minted for the fleet-wide audience or for another
 * server is refused, whatever the verifier itself accepts.
 */
import { createServer } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import express from "express";
import { beforeAll, describe, expect, it } from "vitest";
import { createMcpServer, listenMcp } from "../../examples/mcp/server.js";
import { createMcpTokenVerifier, mcpBearerAuth } from "../../src/adapters/mcp.js";
import type { TokenVerifier } from "../../src/adapters/shared/options.js";
import { AuthService } from "../../src/auth-service.js";
import { isAuthError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { createTestAuthService } from "../../src/testing/index.js";
import { captureLogger } from "../support/capture-logger.js";
import { listen } from "./support/listen.js";

const RESOURCE = "https://mcp.example.test/mcp";

/** A fleet service and this server's service: same store and secret, two audiences. */
let fleet: AuthService;
let bound: AuthService;
const tokens = { fleet: "", bound: "", otherServer: "" };

beforeAll(async () => {
  const { auth, store, provider } = createTestAuthService();
  fleet = auth;
  const audience = (value: string) =>
    new AuthService({ store, secretProvider: provider, audience: value, logger: silentLogger });
  bound = audience(RESOURCE);
  tokens.fleet = (await fleet.createToken({ groups: ["public"] })).token;
  tokens.bound = (await bound.createToken({ groups: ["public"] })).token;
  tokens.otherServer = (
    await audience("https://other.example.test/mcp").createToken({ groups: ["public"] })
  ).token;
});

/** A wrapper around the fleet service, as users write for caching or tracing: it names no audience. */
const wrapped = (auth: AuthService): TokenVerifier => ({
  verifyToken: (token, options) => auth.verifyToken(token, options),
});

function post(url: string, token: string) {
  return fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` } });
}

describe("mcpBearerAuth with audience", () => {
  it("refuses a fleet-wide token even when the verifier accepts it", async () => {
    const logger = captureLogger();
    const app = express();
    app.post(
      "/mcp",
      mcpBearerAuth({ auth: wrapped(fleet), audience: RESOURCE, logger }),
      (req, res) => {
        res.json({ resource: req.auth?.resource?.href ?? null });
      },
    );
    const server = await listen(createServer(app));
    try {
      const refused = await post(`${server.url}/mcp`, tokens.fleet);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
      const body = (await refused.json()) as { error: string; code: string };
      expect(body.code).toBe("audience_mismatch");
      expect(body.error).not.toContain("gofr-api"); // the fixed public text, no audience names
      const logged = logger.entries.map((entry) => String(entry.fields.error ?? ""));
      expect(logged.some((line) => line.includes(RESOURCE))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("accepts a token minted for this server and reports it as AuthInfo.resource", async () => {
    const app = express();
    app.post("/mcp", mcpBearerAuth({ auth: bound, audience: RESOURCE }), (req, res) => {
      res.json({ resource: req.auth?.resource?.href ?? null });
    });
    const server = await listen(createServer(app));
    try {
      const ok = await post(`${server.url}/mcp`, tokens.bound);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ resource: RESOURCE });
      for (const other of [tokens.fleet, tokens.otherServer]) {
        const refused = await post(`${server.url}/mcp`, other);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toMatchObject({ code: "audience_mismatch" });
      }
    } finally {
      await server.close();
    }
  });

  it("takes a plain name as audience too (no AuthInfo.resource then)", async () => {
    const verifier = createMcpTokenVerifier({ auth: wrapped(fleet), audience: "gofr-api" });
    const info = await verifier.verifyAccessToken(tokens.fleet);
    expect(info.resource).toBeUndefined();
    await expect(verifier.verifyAccessToken(tokens.bound)).rejects.toThrow();
  });

  it("refuses at start-up a verifier that accepts only another audience", () => {
    const error = (() => {
      try {
        mcpBearerAuth({ auth: fleet, audience: RESOURCE });
      } catch (e) {
        return e;
      }
    })();
    expect(isAuthError(error, "config_invalid")).toBe(true);
    expect(() => createMcpTokenVerifier({ auth: fleet, audience: " " })).toThrow(TypeError);
  });

  it("without audience, the fleet-wide default still applies (a documented choice)", async () => {
    const verifier = createMcpTokenVerifier({ auth: fleet });
    const info = await verifier.verifyAccessToken(tokens.fleet);
    expect(info.resource).toBeUndefined();
  });
});

describe("reference MCP server with audience", () => {
  it("serves a token bound to it and refuses the fleet-wide one", async () => {
    const { app } = createMcpServer({ auth: wrapped(bound), audience: RESOURCE });
    const running = await listenMcp(app, "127.0.0.1", 0);
    const url = `http://127.0.0.1:${running.port}/mcp`;
    try {
      const client = new Client({ name: "audience-test", version: "0.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${tokens.bound}` } },
        }),
      );
      const tools = await client.listTools();
      expect(tools.tools.map((tool) => tool.name)).toContain("whoami");
      await client.close();

      const { app: fleetApp } = createMcpServer({ auth: wrapped(fleet), audience: RESOURCE });
      const fleetServer = await listenMcp(fleetApp, "127.0.0.1", 0);
      try {
        const refused = await post(`http://127.0.0.1:${fleetServer.port}/mcp`, tokens.fleet);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toMatchObject({ code: "audience_mismatch" });
      } finally {
        await fleetServer.close();
      }
    } finally {
      await running.close();
    }
  });
});
