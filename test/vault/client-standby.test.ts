/**
 * A standby without request forwarding answers 307 with the active node's address
 * (hashicorp `http/handler.go` `respondStandby`; docs/vault-contract.md row 41). The client follows
 * one such hop with the same request, as Vault's Go client does (`api/client.go`
 * `RawRequestWithContext`: one redirect, never https to http), or fails with a typed error
 * naming the standby and the Location.
 *
 * These tests pin client logic, so they use small throwaway HTTP servers on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { VaultDouble } from "../../src/testing/vault-double.js";
import { VaultClient } from "../../src/vault/client.js";
import { expectNoSecrets, rejection } from "./helpers.js";
import { DOUBLE_ROOT_TOKEN, describeDoubleOnly, testClientDefaults } from "./target.js";

interface Seen {
  method: string;
  url: string;
  token: string | undefined;
  body: string;
}

interface Node {
  url: string;
  seen: Seen[];
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

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

async function node(answer: Answer): Promise<Node> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const token = req.headers["x-vault-token"];
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        token: typeof token === "string" ? token : undefined,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A standby that redirects every request to `location(path)`, as `respondStandby` does. */
function redirectTo(location: (path: string) => string | undefined): Answer {
  return (req, res) => {
    const target = location(req.url ?? "/");
    if (target !== undefined) res.setHeader("location", target);
    res.writeHead(307);
    res.end();
  };
}

function json(status: number, body: unknown): Answer {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

const TOKEN = "hvs.standby-test-token-0123456789";

function client(address: string): VaultClient {
  const created = new VaultClient({
    address,
    auth: { method: "token", token: TOKEN },
    ...testClientDefaults(),
  });
  clients.push(created);
  return created;
}

describe("a standby's 307 redirect (docs/vault-contract.md row 41)", () => {
  it("is followed once to the Location with the same method, body and token", async () => {
    const active = await node(json(200, { data: { version: 3 } }));
    const standby = await node(redirectTo((path) => `${active.url}${path}`));
    const body = await client(standby.url).request("POST", "secret/data/gofr/x?x=1", {
      body: { data: { value: "v" }, options: { cas: 2 } },
    });
    expect(body).toEqual({ data: { version: 3 } });
    expect(standby.seen).toHaveLength(1);
    expect(active.seen).toEqual([
      {
        method: "POST",
        url: "/v1/secret/data/gofr/x?x=1",
        token: TOKEN,
        body: JSON.stringify({ data: { value: "v" }, options: { cas: 2 } }),
      },
    ]);
    expect(standby.seen[0]?.body).toBe(active.seen[0]?.body);
  });

  it("a relative Location is resolved against the standby's URL", async () => {
    let hits = 0;
    const standby = await node((req, res) => {
      hits += 1;
      if (req.url?.startsWith("/v1/moved/")) return json(200, { ok: true })(req, res);
      redirectTo(() => "/v1/moved/here")(req, res);
    });
    expect(await client(standby.url).request("GET", "secret/data/x")).toEqual({ ok: true });
    expect(hits).toBe(2);
    expect(standby.seen.map((seen) => seen.url)).toEqual(["/v1/secret/data/x", "/v1/moved/here"]);
  });

  it("never more than one hop: a second 307 is a typed error naming both nodes", async () => {
    const third = await node(json(200, {}));
    const second = await node(redirectTo((path) => `${third.url}${path}`));
    const standby = await node(redirectTo((path) => `${second.url}${path}`));
    const error = await rejection(client(standby.url).request("GET", "secret/data/x"));
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain(`Vault at ${standby.url} is a standby`);
    expect(error.message).toContain(`${third.url}/v1/secret/data/x`);
    expect(error.message).toContain("only one hop");
    expect(error.hint).toMatch(/active node|load balancer/);
    expect(error.details).toMatchObject({ status: 307 });
    expect(third.seen).toHaveLength(0);
    expectNoSecrets(error, [TOKEN]);
  });

  it("a redirect is not a retry: it is not repeated on failure and not counted as one", async () => {
    const standby = await node(redirectTo(() => undefined)); // no Location at all
    const reader = client(standby.url);
    const error = await rejection(reader.request("GET", "secret/data/x"));
    expect(error.message).toContain("(no Location)");
    expect(error.message).toContain("no Location header");
    expect(standby.seen).toHaveLength(1);
    expect(reader.stats).toMatchObject({ attempts: 1, retries: 0 });
  });

  it.each([
    ["ftp://active.example:21/v1/x", "not an http(s) URL"],
    ["http://user:pw@127.0.0.1:1/v1/x", "carries credentials"],
  ])("refuses the Location %s without sending anything there", async (location, reason) => {
    const standby = await node(redirectTo(() => location));
    const error = await rejection(client(standby.url).request("GET", "secret/data/x"));
    expect(error.code).toBe("vault_unreachable");
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain("pw@");
  });

  it("refuses to follow https to http, so the token never travels in clear", async () => {
    // A TLS standby is simulated with undici's MockAgent (the client's `dispatcher` option);
    // plain connections to 127.0.0.1 stay real, so a followed redirect would reach `plain`.
    const plain = await node(json(200, {}));
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.enableNetConnect(/^127\.0\.0\.1:/);
    agent
      .get("https://vault.example:8200")
      .intercept({ path: "/v1/secret/data/x", method: "GET" })
      .reply(307, "", { headers: { location: `${plain.url}/v1/secret/data/x` } });
    const reader = new VaultClient({
      address: "https://vault.example:8200",
      auth: { method: "token", token: TOKEN },
      dispatcher: agent,
      ...testClientDefaults(),
    });
    clients.push(reader);
    try {
      const error = await rejection(reader.request("GET", "secret/data/x"));
      expect(error.code).toBe("vault_unreachable");
      expect(error.message).toContain("downgrade https to http");
      expect(error.message).toContain(`${plain.url}/v1/secret/data/x`);
      expect(plain.seen).toHaveLength(0);
    } finally {
      await agent.close();
    }
  });

  it("an http standby may send the client on to https (an upgrade keeps the token)", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.enableNetConnect(/^127\.0\.0\.1:/);
    const seenTokens: unknown[] = [];
    agent
      .get("https://active.example:8200")
      .intercept({ path: "/v1/secret/data/x", method: "GET" })
      .reply(200, (options) => {
        seenTokens.push((options.headers as Record<string, string>)["x-vault-token"]);
        return { ok: true };
      });
    const standby = await node(redirectTo((path) => `https://active.example:8200${path}`));
    const reader = new VaultClient({
      address: standby.url,
      auth: { method: "token", token: TOKEN },
      dispatcher: agent,
      ...testClientDefaults(),
    });
    clients.push(reader);
    try {
      expect(await reader.request("GET", "secret/data/x")).toEqual({ ok: true });
      expect(seenTokens).toEqual([TOKEN]);
    } finally {
      await agent.close();
    }
  });
});

describeDoubleOnly("a standby double in front of an active one", "needs two doubles", () => {
  it("reads, writes and AppRole logins sent to the standby land on the active node", async () => {
    const active = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN });
    const activeUrl = await active.start();
    const standby = new VaultDouble({ rootToken: DOUBLE_ROOT_TOKEN, activeAddress: activeUrl });
    standby.setHealth("standby");
    const standbyUrl = await standby.start();
    try {
      active.setPolicy("svc", { "secret/data/gofr/*": ["read"] });
      const creds = active.addAppRole("svc", { policies: ["svc"] });
      const root = new VaultClient({
        address: standbyUrl,
        auth: { method: "token", token: DOUBLE_ROOT_TOKEN },
        ...testClientDefaults(),
      });
      const service = new VaultClient({
        address: standbyUrl,
        auth: { method: "approle", ...creds },
        ...testClientDefaults(),
      });
      clients.push(root, service);
      await root.kv().write("gofr/x", { value: "v" });
      expect(active.readSecret("gofr/x")).toEqual({ value: "v" });
      expect((await service.kv().read("gofr/x")).data).toEqual({ value: "v" });
      expect((await root.health()).state).toBe("standby"); // health is the standby's own
      const redirected = standby.requests.filter((entry) => entry.status === 307);
      expect(redirected.map((entry) => entry.path)).toEqual([
        "/v1/secret/data/gofr/x",
        "/v1/auth/approle/login",
        "/v1/secret/data/gofr/x",
      ]);
    } finally {
      await Promise.all(clients.splice(0).map((item) => item.close()));
      await standby.close();
      await active.close();
    }
  });
});
