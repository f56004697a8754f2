import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebServer } from "../../examples/web/server.js";
import { AuthService } from "../../src/auth-service.js";
import { silentLogger } from "../../src/log.js";
import { JwtSecretProvider } from "../../src/secrets/provider.js";
import { SHARED_SECRET_NAME } from "../../src/secrets/source.js";
import { MemoryAuthStore } from "../../src/store/memory.js";
import { createTestAuthService, TEST_SECRET } from "../../src/testing/index.js";
import { ControlledSource, unreachable } from "../support/controlled-source.js";

async function start(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

/** `name{labels} value` from Prometheus text, or undefined when the sample is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("web reference service with auth", () => {
  const test = createTestAuthService();
  let app: FastifyInstance;
  let url: string;
  let user: string;
  let admin: string;

  beforeAll(async () => {
    user = (await test.auth.createToken({ groups: ["public"], name: "web-user" })).token;
    admin = (await test.auth.createToken({ groups: ["admin"], name: "web-admin" })).token;
    ({ app } = await createWebServer({ auth: test.auth, logger: silentLogger }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("GET /health needs no token", async () => {
    const response = await get(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /ready is 200 while the secret loads", async () => {
    const response = await get(`${url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  it("GET /whoami returns the context without the token", async () => {
    const response = await get(`${url}/whoami`, user);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain(user);
    expect(JSON.parse(text)).toMatchObject({
      authenticated: true,
      subject: "web-user",
      groups: ["public"],
      keyId: "shared.v1",
    });
  });

  it("GET /whoami without a token is a 401 with a challenge", async () => {
    const response = await get(`${url}/whoami`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(await response.json()).toMatchObject({ code: "token_missing" });
  });

  it("GET /admin/ping is 403 for a non-admin and 200 for an admin", async () => {
    const refused = await get(`${url}/admin/ping`, user);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
    expect(await refused.json()).toMatchObject({ code: "insufficient_groups" });
    const ok = await get(`${url}/admin/ping`, admin);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ pong: true, subject: "web-admin" });
  });

  it("GET /metrics counts verifications by outcome, secret reads and rotations", async () => {
    const before = await (await get(`${url}/metrics`)).text();
    const count = (text: string, series: string) => sample(text, series) ?? 0;

    await get(`${url}/whoami`, user);
    await get(`${url}/whoami`, user);
    await get(`${url}/whoami`);
    await get(`${url}/admin/ping`, user);
    // A rotation, seen when the provider next reads the store (/ready forces a read here).
    test.source.set(SHARED_SECRET_NAME, "rotated-secret-value-that-is-at-least-32-bytes");
    test.provider.invalidate();
    expect((await get(`${url}/ready`)).status).toBe(200);

    const response = await get(`${url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = await response.text();
    const delta = (series: string) => count(after, series) - count(before, series);
    expect(delta('gofr_auth_verifications_total{outcome="allowed"}')).toBe(2);
    expect(delta('gofr_auth_verifications_total{outcome="token_missing"}')).toBe(1);
    expect(delta('gofr_auth_verifications_total{outcome="insufficient_groups"}')).toBe(1);
    expect(delta("gofr_auth_secret_reads_total")).toBe(1);
    expect(delta("gofr_auth_secret_rotations_total")).toBe(1);
    expect(sample(after, "gofr_auth_secret_reads_total")).toBe(test.provider.stats.reads);
    expect(sample(after, "gofr_auth_enabled")).toBe(1);
    expect(delta('gofr_http_requests_total{route="/whoami",status="200"}')).toBe(2);
    expect(after).toContain("# TYPE gofr_auth_verifications_total counter");
    expect(after).not.toContain(TEST_SECRET);
  });
});

describe("web reference service while the secret store is down", () => {
  const source = new ControlledSource(TEST_SECRET);
  const provider = new JwtSecretProvider({ source, logger: silentLogger });
  const auth = new AuthService({ store: new MemoryAuthStore(), secretProvider: provider });
  let app: FastifyInstance;
  let url: string;
  let token: string;

  beforeAll(async () => {
    token = (await auth.createToken({ groups: ["public"] })).token;
    source.failWith(unreachable());
    provider.invalidate();
    ({ app } = await createWebServer({ auth }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("GET /ready is 503 with Retry-After, then 200 once the store is back", async () => {
    const down = await get(`${url}/ready`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(await down.json()).toEqual({ status: "unavailable", code: "vault_unreachable" });

    source.failWith(undefined);
    expect((await get(`${url}/ready`)).status).toBe(200);
  });

  it("a valid token gets 503, not 401, during the outage", async () => {
    source.failWith(unreachable());
    provider.invalidate();
    const response = await get(`${url}/whoami`, token);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("www-authenticate")).toBeNull();
    const metrics = await (await get(`${url}/metrics`)).text();
    expect(sample(metrics, 'gofr_auth_verifications_total{outcome="vault_unreachable"}')).toBe(1);
    expect(sample(metrics, "gofr_auth_secret_read_failures_total")).toBeGreaterThanOrEqual(1);
  });
});

describe("web reference service with --no-auth", () => {
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    ({ app } = await createWebServer({ auth: null, noAuthReason: "--no-auth flag" }));
    url = await start(app);
  });
  afterAll(() => app.close());

  it("serves every route without a token and says so", async () => {
    expect(await (await get(`${url}/whoami`)).json()).toEqual({
      authenticated: false,
      reason: "--no-auth flag",
    });
    expect((await get(`${url}/admin/ping`)).status).toBe(200);
    expect(await (await get(`${url}/ready`)).json()).toEqual({ status: "ready", auth: "disabled" });
    const metrics = await (await get(`${url}/metrics`)).text();
    expect(sample(metrics, "gofr_auth_enabled")).toBe(0);
    expect(metrics).not.toContain("gofr_auth_secret_reads_total");
  });
});
