/**
 * Issue 15 item 12: the client reads at most `maxResponseBytes` of an answer (default 4 MiB)
 * and refuses more with a typed error naming the path and the limit, closing the connection
 * instead of buffering the rest; and it warns once, when built, about a plain-HTTP Vault
 * address that is not loopback.
 *
 * These pin client logic, so they use throwaway HTTP servers on 127.0.0.1 (and undici's
 * MockAgent for a non-loopback host name, which must not be resolved here).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_VAULT_MAX_RESPONSE_BYTES, VaultClient } from "../../src/vault/client.js";
import { captureLogger } from "../support/capture-logger.js";
import { rejection } from "./helpers.js";
import { testClientDefaults } from "./target.js";

const TOKEN = "hvs.limits-test-token-0123456789";
const servers: Server[] = [];
const clients: VaultClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function serve(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    answer(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

function client(address: string, extra: Partial<ConstructorParameters<typeof VaultClient>[0]>) {
  const created = new VaultClient({
    address,
    auth: { method: "token", token: TOKEN },
    ...testClientDefaults(),
    ...extra,
  });
  clients.push(created);
  return created;
}

/** A JSON body of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  const shell = JSON.stringify({ data: { data: { value: "" } } });
  return JSON.stringify({ data: { data: { value: "x".repeat(bytes - shell.length) } } });
}

describe("the answer size limit", () => {
  it("an endless answer is refused at the limit, naming the path, and the rest is never read", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 64 * 1024 * 1024; // what the server would send if the client kept reading
    let produced = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // chunked: no Content-Length
      const body = new Readable({
        read() {
          if (produced >= total) return this.push(null);
          produced += chunk.length;
          this.push(chunk);
        },
      });
      res.on("close", () => {
        body.destroy();
        closed();
      });
      body.pipe(res);
    });
    const reader = client(server.url, { maxResponseBytes: 256 * 1024, maxRetries: 2 });

    const error = await rejection(reader.request("GET", "secret/data/gofr/config/big"));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).toContain("GET /v1/secret/data/gofr/config/big");
    expect(error.message).toContain("256 KiB limit");
    expect(error.details).toMatchObject({ tooLarge: true, limitBytes: 256 * 1024, status: 200 });
    expect(server.requests()).toBe(1); // not retried: the same request gets the same answer

    // The client hung up: the server stopped long before the 64 MiB it would have sent
    // (what remains is what the sockets' buffers took in).
    await connectionClosed;
    expect(produced).toBeLessThan(total / 4);
  });

  it("a Content-Length above the limit is refused before any of the body arrives", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": 10_000_000 });
      res.flushHeaders(); // headers only: a client waiting for the body would time out
    });
    const reader = client(server.url, { maxResponseBytes: 1024 * 1024, timeoutMs: 10_000 });
    const error = await rejection(reader.request("GET", "secret/data/gofr/auth/tokens/x"));
    expect(error.code).toBe("vault_bad_response");
    expect(error.message).toContain("GET /v1/secret/data/gofr/auth/tokens/x");
    expect(error.message).toContain("1 MiB limit (Content-Length 10000000)");
    expect(error.details).toMatchObject({ limitBytes: 1024 * 1024, declaredBytes: 10_000_000 });
  });

  it("an answer of exactly the limit is read; one byte more is refused", async () => {
    const limit = 10_000;
    let size = limit;
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jsonOfSize(size));
    });
    const reader = client(server.url, { maxResponseBytes: limit });
    const body = (await reader.request("GET", "secret/data/x")) as {
      data: { data: { value: string } };
    };
    expect(JSON.stringify(body).length).toBe(limit);
    size = limit + 1;
    const error = await rejection(reader.request("GET", "secret/data/x"));
    expect(error.details).toMatchObject({ tooLarge: true, limitBytes: limit });
  });

  it("by default the limit is 4 MiB: far above any record, and refused one byte past it", async () => {
    expect(DEFAULT_VAULT_MAX_RESPONSE_BYTES).toBe(4 * 1024 * 1024);
    let size = DEFAULT_VAULT_MAX_RESPONSE_BYTES;
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jsonOfSize(size));
    });
    const reader = client(server.url, {});
    await reader.request("GET", "secret/data/x");
    size += 1;
    const error = await rejection(reader.request("GET", "secret/data/x"));
    expect(error.message).toContain("4 MiB limit");
  });

  it("an error answer is limited too", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, { "content-type": "text/html" });
      res.end("<html>".repeat(2000));
    });
    const reader = client(server.url, { maxResponseBytes: 1000, maxRetries: 0 });
    const error = await rejection(reader.request("GET", "secret/data/x"));
    expect(error.details).toMatchObject({ tooLarge: true, status: 500 });
  });

  it("refuses a limit that is not a positive number", () => {
    for (const maxResponseBytes of [0, -1, Number.NaN]) {
      expect(() => client("https://vault.example:8200", { maxResponseBytes })).toThrow(
        /maxResponseBytes must be/,
      );
    }
  });
});

describe("plain HTTP to a Vault off this machine", () => {
  it("warns once, when the client is built, naming the address", async () => {
    const logger = captureLogger();
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get("http://vault.internal:8200");
    pool.intercept({ path: "/v1/secret/data/x", method: "GET" }).reply(200, {}).times(2);
    const reader = client("http://vault.internal:8200", { logger, dispatcher: agent });
    const warnings = () => logger.entries.filter((entry) => entry.level === "warn");
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.message).toMatch(/plain HTTP/);
    expect(warnings()[0]?.fields).toMatchObject({ vault: "http://vault.internal:8200" });
    await reader.request("GET", "secret/data/x");
    await reader.request("GET", "secret/data/x");
    expect(warnings()).toHaveLength(1);
    await agent.close();
  });

  it("says nothing for https or for a loopback address", () => {
    for (const address of [
      "https://vault.internal:8200",
      "http://127.0.0.1:8200",
      "http://127.8.9.10:8200",
      "http://localhost:8200",
      "http://[::1]:8200",
    ]) {
      const logger = captureLogger();
      client(address, { logger });
      expect(logger.entries, address).toEqual([]);
    }
  });
});
